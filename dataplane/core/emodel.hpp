// ITU-T G.107 (06/2015) E-model: transmission rating R and MOS for a voice
// stream, with codec impairments from ITU-T G.113 Appendix I.
//
//   R = Ro - Is - Id - Ie,eff + A                        (G.107 eq. 7-1)
//
// Ro (basic signal-to-noise), Is (simultaneous impairments) and Id (delay)
// are computed from the full G.107 formulas with the Table 3 default
// parameters; only the one-way delay changes per stream (Ta = T = Tr/2, i.e.
// the echo path is the same as the absolute delay, as G.107 assumes when only
// one delay is known). At defaults Ro = 94.77, Is = 1.41, Id(0) = 0.15, so a
// loss-free G.711 call with no delay rates R = 93.2, MOS 4.41.
//
//   Ie,eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl)   (G.107 eq. 7-29)
//   MOS    = 1 + 0.035 R + R (R - 60)(100 - R) 7e-6       (G.107 Annex B)
//   Id     = Idte + Idle + Idd (eqs. 7-19 .. 7-28); Idd = 0 up to mT = 100 ms
//
// Ppl is the stream's loss percentage, BurstR = 1 / (p + q) from its
// found/lost transition counts (LossRuns). Ie/Bpl: G.113 Appendix I for
// G.711 (0; Bpl 4.3 without PLC, 25.1 with) and G.729A (11, 19). Opus has no
// G.113 narrowband value: we rate it as G.711 with PLC (0, 25.1) and mark it
// "assumed" (codec_impairment() says why).
//
// Jitter enters only through loss: a receiver discards what arrives after its
// jitter buffer, which it reports as RTCP XR discard rate; we do not model a
// jitter buffer, so Ppl is network loss.
//
// Pure functions, no allocation: safe on the fast path (a few pow/log calls,
// so the fast path evaluates it per window, not per packet).
#pragma once
#include <cstdint>
#include <string_view>

namespace tg {

// Voice codecs the E-model knows an impairment for, plus the payloads that
// are not voice frames (DTMF, comfort noise) so streams can say what they saw.
#define TG_CODECS(X)                                   \
  X(unknown, "unknown")                                \
  X(pcmu, "PCMU")                                      \
  X(pcma, "PCMA")                                      \
  X(g729, "G729")                                      \
  X(opus, "opus")                                      \
  X(g722, "G722")                                      \
  X(gsm, "GSM")                                        \
  X(ilbc, "iLBC")                                      \
  X(telephone_event, "telephone-event")                \
  X(comfort_noise, "CN")

enum class Codec : uint8_t {
#define TG_X(name, text) name,
  TG_CODECS(TG_X)
#undef TG_X
      count_
};
const char* codec_name(Codec);
// rtpmap encoding name (case-insensitive: "PCMU", "opus", "G729", ...).
Codec codec_from_encoding(std::string_view encoding);
// RFC 3551 static payload types (0 PCMU, 3 GSM, 8 PCMA, 9 G722, 13 CN,
// 18 G729); unknown for dynamic or unassigned.
Codec codec_from_static_pt(uint8_t payload_type);
// Voice frames (the E-model applies); false for DTMF, CN and unknown.
bool codec_is_voice(Codec);

// Equipment impairment factor Ie and packet-loss robustness factor Bpl.
struct CodecImpairment {
  double ie = 0;
  double bpl = 4.3;        // G.107 Table 3 default, used when the codec is unknown
  bool assumed = false;    // not a G.113 value: an engineering assumption
  const char* source = ""; // where the numbers come from (for reports/docs)
};
// g711_plc: the receiver conceals loss (G.711 Appendix I PLC, Bpl 25.1) or
// not (Bpl 4.3). Every current PBX/phone/SBC we meet conceals, so true is
// the default; a site with plain G.711 terminals sets it false.
CodecImpairment codec_impairment(Codec, bool g711_plc = true);

// G.107 Table 3 parameters; the defaults are the Recommendation's defaults.
struct EModelParams {
  double slr = 8, rlr = 2;        // send/receive loudness rating, dB
  double stmr = 15, lstr = 18;    // sidetone masking / listener sidetone, dB
  double ds = 3, dr = 3;          // D-value of telephone, send/receive
  double telr = 65, wepl = 110;   // talker echo loudness, weighted echo path loss, dB
  double qdu = 1;                 // quantizing distortion units
  double nc = -70, nfor = -64;    // circuit noise dBm0p, noise floor dBmp
  double ps = 35, pr = 35;        // room noise send/receive, dB(A)
  double a = 0;                   // advantage factor
  double mt = 100, st = 1;        // Idd: minimum perceivable delay (ms), sensitivity
};

struct EModelInput {
  Codec codec = Codec::unknown;
  double ppl_pct = 0;             // packet-loss probability, percent (0..100)
  double burst_r = 1;             // 1 = random loss, > 1 bursty (G.107 BurstR)
  double one_way_delay_ms = 0;    // Ta (= T, Tr = 2 Ta); 0 when not known
  bool g711_plc = true;           // see codec_impairment()
};

struct EModelResult {
  double r = 0;
  double mos = 1;
  double ro = 0, is = 0, id = 0, ie_eff = 0;  // terms, for reports and tests
};

// Terms, exposed for tests and for reports that want to show them.
double emodel_ro(const EModelParams&);
double emodel_is(const EModelParams&);
// Id = Idte + Idle + Idd for one-way delay Ta (T = Ta, Tr = 2 Ta).
double emodel_id(const EModelParams&, double one_way_delay_ms);
double emodel_idd(const EModelParams&, double ta_ms);
double emodel_ie_eff(double ie, double bpl, double ppl_pct, double burst_r);

EModelResult emodel_rate(const EModelInput&, const EModelParams& = EModelParams{});
// G.107 Annex B, clamped to [1, 4.5].
double mos_from_r(double r);

// Fast variant for the data path: Ro - Is and Id(0) precomputed once at the
// default parameters; Id computed only when delay > 0.
EModelResult emodel_rate_default(const EModelInput&);

}  // namespace tg
