// ITU-T G.107 (06/2015) E-model. Equation numbers refer to that edition;
// the formulas are written out from the Recommendation's text (clause 7).
#include "dataplane/core/text.hpp"
#include "dataplane/core/emodel.hpp"

#include <cmath>

namespace tg {

namespace {

const char* const kCodecNames[] = {
#define TG_X(name, text) text,
    TG_CODECS(TG_X)
#undef TG_X
};

using text::iequals;  // dataplane/core/text.hpp

double lg(double x) { return std::log10(x); }

// Noise terms shared by Ro and Is (eqs. 7-3 .. 7-7).
struct Noise {
  double no;    // total noise power No, dBm0p
  double olr;   // overall loudness rating SLR + RLR
};

Noise noise(const EModelParams& p) {
  double olr = p.slr + p.rlr;
  double nos = p.ps - p.slr - p.ds - 100 + 0.004 * std::pow(p.ps - olr - p.ds - 14, 2);  // 7-4
  double pre = p.pr + 10 * lg(1 + std::pow(10, (10 - p.lstr) / 10));                    // 7-6
  double nor = p.rlr - 121 + pre + 0.008 * std::pow(pre - 35, 2);                       // 7-5
  double nfo = p.nfor + p.rlr;                                                          // 7-7
  double no = 10 * lg(std::pow(10, p.nc / 10) + std::pow(10, nos / 10) + std::pow(10, nor / 10) +
                      std::pow(10, nfo / 10));                                          // 7-3
  return {no, olr};
}

// STMRo for mean one-way delay T (eq. 7-13).
double stmro(const EModelParams& p, double t_ms) {
  return -10 * lg(std::pow(10, -p.stmr / 10) + std::exp(-t_ms / 4) * std::pow(10, -p.telr / 10));
}

// Ist (eq. 7-12).
double ist_of(double s) {
  return 12 * std::pow(1 + std::pow((s - 13) / 6, 8), 1.0 / 8) -
         28 * std::pow(1 + std::pow((s + 1) / 19.4, 35), 1.0 / 35) -
         13 * std::pow(1 + std::pow((s - 3) / 33, 13), 1.0 / 13) + 29;
}

// Is at mean one-way delay T: Iolr + Ist + Iq (eqs. 7-8 .. 7-18).
double is_at(const EModelParams& p, double t_ms) {
  Noise n = noise(p);
  double ro = 15 - 1.5 * (p.slr + n.no);                                 // 7-2
  double xolr = n.olr + 0.2 * (64 + n.no - p.rlr);                       // 7-10
  double iolr = 20 * (std::pow(1 + std::pow(xolr / 8, 8), 1.0 / 8) - xolr / 8);  // 7-9
  double ist = ist_of(stmro(p, t_ms));
  double q = 37 - 15 * lg(p.qdu);                                        // 7-18
  double g = 1.07 + 0.258 * q + 0.0602 * q * q;                          // 7-17
  double y = (ro - 100) / 15 + 46 / 8.4 - g / 9;                         // 7-15
  double z = 46.0 / 30 - g / 40;                                         // 7-16
  double iq = 15 * lg(1 + std::pow(10, y) + std::pow(10, z));            // 7-14
  return iolr + ist + iq;
}

// Ro - Is and Id(0) at the default parameters, computed once at start-up so
// the fast-path variant only evaluates what depends on the stream.
struct Defaults {
  double ro_minus_is;
  double id0;
};
const Defaults kDefaults = [] {
  EModelParams p;
  return Defaults{emodel_ro(p) - emodel_is(p), emodel_id(p, 0)};
}();

}  // namespace

const char* codec_name(Codec c) {
  size_t i = size_t(c);
  return i < size_t(Codec::count_) ? kCodecNames[i] : "unknown";
}

Codec codec_from_encoding(std::string_view e) {
  if (iequals(e, "PCMU")) return Codec::pcmu;
  if (iequals(e, "PCMA")) return Codec::pcma;
  if (iequals(e, "G729") || iequals(e, "G729A") || iequals(e, "G729AB")) return Codec::g729;
  if (iequals(e, "opus")) return Codec::opus;
  if (iequals(e, "G722")) return Codec::g722;
  if (iequals(e, "GSM")) return Codec::gsm;
  if (iequals(e, "iLBC")) return Codec::ilbc;
  if (iequals(e, "telephone-event")) return Codec::telephone_event;
  if (iequals(e, "CN")) return Codec::comfort_noise;
  return Codec::unknown;
}

Codec codec_from_static_pt(uint8_t pt) {
  switch (pt) {
    case 0: return Codec::pcmu;
    case 3: return Codec::gsm;
    case 8: return Codec::pcma;
    case 9: return Codec::g722;
    case 13: case 19: return Codec::comfort_noise;
    case 18: return Codec::g729;
    default: return Codec::unknown;
  }
}

bool codec_is_voice(Codec c) {
  return c != Codec::unknown && c != Codec::telephone_event && c != Codec::comfort_noise;
}

CodecImpairment codec_impairment(Codec c, bool g711_plc) {
  switch (c) {
    case Codec::pcmu:
    case Codec::pcma:
      if (g711_plc) return {0, 25.1, false, "G.113 App. I: G.711 with PLC (G.711 App. I)"};
      return {0, 4.3, false, "G.113 App. I: G.711 without PLC"};
    case Codec::g729:
      return {11, 19, false, "G.113 App. I: G.729A + VAD"};
    case Codec::opus:
      // G.113 gives no narrowband Ie/Bpl for Opus. At the >= 16 kbit/s rates
      // SIP trunks use it is transparent in the narrowband E-model, and its
      // own PLC/in-band FEC conceal at least as well as G.711 App. I PLC, so
      // it is rated like G.711 with PLC (never better than G.711).
      return {0, 25.1, true, "assumed: as G.711 with PLC (no G.113 narrowband value)"};
    case Codec::g722:
      // Wideband codec on the narrowband scale: no coding impairment; PLC of
      // G.722 App. III/IV taken as G.711 App. I.
      return {0, 25.1, true, "assumed: narrowband-transparent, PLC as G.711 App. I"};
    case Codec::gsm:
      return {20, 4.3, true, "G.113 App. I: GSM 06.10 Ie 20; Bpl assumed (none given)"};
    case Codec::ilbc:
      return {11, 19, true, "assumed: as G.729A (no G.113 value)"};
    default:
      return {0, 4.3, true, "G.107 Table 3 defaults (codec unknown)"};
  }
}

double emodel_ro(const EModelParams& p) {
  return 15 - 1.5 * (p.slr + noise(p).no);  // 7-2
}

double emodel_is(const EModelParams& p) {
  // Is with T = 0: the sidetone/echo path term e^(-T/4) then weighs TELR
  // fully, as the Recommendation's default-value figure does.
  return is_at(p, 0);
}

double emodel_idd(const EModelParams& p, double ta_ms) {
  // eq. 7-28 with the 2015 mT / sT parameters; 0 up to mT.
  if (ta_ms <= p.mt) return 0;
  double x = lg(ta_ms / p.mt) / lg(2);
  double k = 6 * p.st;
  return 25 * (std::pow(1 + std::pow(x, k), 1 / k) - 3 * std::pow(1 + std::pow(x / 3, k), 1 / k) + 2);
}

double emodel_id(const EModelParams& p, double one_way_delay_ms) {
  double t = one_way_delay_ms < 0 ? 0 : one_way_delay_ms;  // mean one-way delay of the echo path
  double tr = 2 * t;                                       // round trip in the 4-wire loop
  double ta = t;                                           // absolute one-way delay
  Noise n = noise(p);
  double ro = 15 - 1.5 * (p.slr + n.no);
  // Talker echo (eqs. 7-20 .. 7-23).
  double roe = -1.5 * (n.no - p.rlr);
  double terv = p.telr - 40 * lg((1 + t / 10) / (1 + t / 150)) + 6 * std::exp(-0.3 * t * t);
  if (p.stmr < 9) terv += ist_of(stmro(p, t)) / 2;  // 7-22: low sidetone
  double re = 80 + 2.5 * (terv - 14);
  double idte = ((roe - re) / 2 + std::sqrt((roe - re) * (roe - re) / 4 + 100) - 1) * (1 - std::exp(-t));
  if (p.stmr > 20) {  // 7-24: very high sidetone
    double idtes = std::sqrt(idte * idte + ist_of(stmro(p, t)) * ist_of(stmro(p, t)));
    idte = idtes;
  }
  // Listener echo (eqs. 7-25, 7-26).
  double rle = 10.5 * (p.wepl + 7) * std::pow(tr + 1, -0.25);
  double idle = (ro - rle) / 2 + std::sqrt((ro - rle) * (ro - rle) / 4 + 169);
  return idte + idle + emodel_idd(p, ta);
}

double emodel_ie_eff(double ie, double bpl, double ppl_pct, double burst_r) {
  // eq. 7-29. BurstR > 0 always; guard against bad input rather than divide by 0.
  if (ppl_pct <= 0) return ie;
  if (ppl_pct > 100) ppl_pct = 100;
  if (!(burst_r > 0)) burst_r = 1;
  return ie + (95 - ie) * ppl_pct / (ppl_pct / burst_r + bpl);
}

double mos_from_r(double r) {
  // G.107 Annex B (eq. B-4).
  if (!(r > 0)) return 1.0;
  if (r >= 100) return 4.5;
  double mos = 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
  if (mos < 1) mos = 1;
  if (mos > 4.5) mos = 4.5;
  return mos;
}

EModelResult emodel_rate(const EModelInput& in, const EModelParams& p) {
  EModelResult out;
  CodecImpairment ci = codec_impairment(in.codec, in.g711_plc);
  out.ro = emodel_ro(p);
  // Is depends on T only through STMRo's echo term (TELR 65 dB makes it
  // negligible at defaults, but not for other parameters).
  out.is = is_at(p, in.one_way_delay_ms > 0 ? in.one_way_delay_ms : 0);
  out.id = emodel_id(p, in.one_way_delay_ms);
  out.ie_eff = emodel_ie_eff(ci.ie, ci.bpl, in.ppl_pct, in.burst_r);
  out.r = out.ro - out.is - out.id - out.ie_eff + p.a;  // 7-1
  out.mos = mos_from_r(out.r);
  return out;
}

EModelResult emodel_rate_default(const EModelInput& in) {
  EModelResult out;
  static const EModelParams kParams;
  CodecImpairment ci = codec_impairment(in.codec, in.g711_plc);
  out.id = in.one_way_delay_ms > 0 ? emodel_id(kParams, in.one_way_delay_ms) : kDefaults.id0;
  out.ie_eff = emodel_ie_eff(ci.ie, ci.bpl, in.ppl_pct, in.burst_r);
  out.is = 0;  // folded into ro below
  out.ro = kDefaults.ro_minus_is;
  out.r = kDefaults.ro_minus_is - out.id - out.ie_eff + kParams.a;
  out.mos = mos_from_r(out.r);
  return out;
}

}  // namespace tg
