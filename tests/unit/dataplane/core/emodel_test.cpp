#include "dataplane/core/emodel.hpp"

#include <CppUTest/TestHarness.h>

#include <cmath>

TEST_GROUP(EModel){};

TEST(EModel, DefaultParametersGiveTheRecommendationsFigures) {
  // G.107: with all Table 3 defaults, Ro = 94.77, Is = 1.41, Id = 0.15 at
  // zero delay, R = 93.2.
  tg::EModelParams p;
  DOUBLES_EQUAL(94.77, tg::emodel_ro(p), 0.005);
  DOUBLES_EQUAL(1.41, tg::emodel_is(p), 0.005);
  DOUBLES_EQUAL(0.15, tg::emodel_id(p, 0), 0.005);
  tg::EModelInput in;
  in.codec = tg::Codec::pcmu;
  tg::EModelResult r = tg::emodel_rate(in);
  DOUBLES_EQUAL(93.2, r.r, 0.01);
  DOUBLES_EQUAL(0, r.ie_eff, 1e-12);
  // Annex B at 93.2: 1 + 3.262 + 93.2 * 33.2 * 6.8 * 7e-6 = 4.409.
  DOUBLES_EQUAL(1 + 0.035 * r.r + r.r * (r.r - 60) * (100 - r.r) * 7e-6, r.mos, 1e-12);
  DOUBLES_EQUAL(4.409, r.mos, 0.001);
}

TEST(EModel, MosMappingEndsAndMidpoint) {
  DOUBLES_EQUAL(1.0, tg::mos_from_r(-5), 1e-12);
  DOUBLES_EQUAL(1.0, tg::mos_from_r(0), 1e-12);
  DOUBLES_EQUAL(4.5, tg::mos_from_r(100), 1e-12);
  DOUBLES_EQUAL(4.5, tg::mos_from_r(120), 1e-12);
  // R = 50: 1 + 1.75 + 50 * -10 * 50 * 7e-6 = 2.575.
  DOUBLES_EQUAL(2.575, tg::mos_from_r(50), 1e-12);
  DOUBLES_EQUAL(1.0, tg::mos_from_r(std::nan("")), 1e-12);
}

TEST(EModel, CodecImpairmentsFromG113) {
  tg::CodecImpairment g711 = tg::codec_impairment(tg::Codec::pcma);
  DOUBLES_EQUAL(0, g711.ie, 0);
  DOUBLES_EQUAL(25.1, g711.bpl, 0);
  CHECK_FALSE(g711.assumed);
  DOUBLES_EQUAL(4.3, tg::codec_impairment(tg::Codec::pcmu, false).bpl, 0);
  tg::CodecImpairment g729 = tg::codec_impairment(tg::Codec::g729);
  DOUBLES_EQUAL(11, g729.ie, 0);
  DOUBLES_EQUAL(19, g729.bpl, 0);
  CHECK_FALSE(g729.assumed);
  tg::CodecImpairment opus = tg::codec_impairment(tg::Codec::opus);
  CHECK_TRUE(opus.assumed);
  DOUBLES_EQUAL(0, opus.ie, 0);
  DOUBLES_EQUAL(25.1, opus.bpl, 0);
  CHECK_TRUE(tg::codec_impairment(tg::Codec::unknown).assumed);
}

TEST(EModel, EffectiveEquipmentImpairment) {
  // G.711 + PLC, 1 % random: 95 * 1 / (1 + 25.1) = 3.6398.
  DOUBLES_EQUAL(95.0 / 26.1, tg::emodel_ie_eff(0, 25.1, 1, 1), 1e-12);
  // G.711 without PLC, 1 %: 95 / 5.3 = 17.92.
  DOUBLES_EQUAL(95.0 / 5.3, tg::emodel_ie_eff(0, 4.3, 1, 1), 1e-12);
  // G.729A, 2 % random: 11 + 84 * 2 / 21 = 19.
  DOUBLES_EQUAL(19.0, tg::emodel_ie_eff(11, 19, 2, 1), 1e-12);
  // Bursty loss (BurstR 2) hurts more: 11 + 84 * 2 / (1 + 19) = 19.4.
  DOUBLES_EQUAL(19.4, tg::emodel_ie_eff(11, 19, 2, 2), 1e-12);
  // No loss: Ie; bad BurstR does not divide by zero.
  DOUBLES_EQUAL(11, tg::emodel_ie_eff(11, 19, 0, 1), 0);
  DOUBLES_EQUAL(19.0, tg::emodel_ie_eff(11, 19, 2, 0), 1e-12);
  // 100 % loss tends to 95 - (95 - Ie) * Bpl / (100 + Bpl).
  DOUBLES_EQUAL(11 + 84 * 100 / 119.0, tg::emodel_ie_eff(11, 19, 150, 1), 1e-12);
}

TEST(EModel, DelayTerm) {
  tg::EModelParams p;
  // Idd is 0 up to mT = 100 ms; at Ta = 200: X = 1,
  // 25 * (2^(1/6) - 3 (1 + 3^-6)^(1/6) + 2).
  DOUBLES_EQUAL(0, tg::emodel_idd(p, 100), 0);
  double x6 = std::pow(2.0, 1.0 / 6), y6 = std::pow(1 + std::pow(1.0 / 3, 6), 1.0 / 6);
  DOUBLES_EQUAL(25 * (x6 - 3 * y6 + 2), tg::emodel_idd(p, 200), 1e-9);
  // Id grows with delay.
  double prev = tg::emodel_id(p, 0);
  for (double d = 25; d <= 500; d += 25) {
    double id = tg::emodel_id(p, d);
    CHECK_TRUE(id > prev);
    prev = id;
  }
  // A call with 150 ms one way still rates "satisfied" (R > 80) for G.711;
  // 400 ms does not (G.114's planning limits).
  tg::EModelInput in;
  in.codec = tg::Codec::pcmu;
  in.one_way_delay_ms = 150;
  CHECK_TRUE(tg::emodel_rate(in).r > 80);
  in.one_way_delay_ms = 400;
  CHECK_TRUE(tg::emodel_rate(in).r < 70);
}

TEST(EModel, FastVariantMatchesFullModel) {
  for (tg::Codec c : {tg::Codec::pcmu, tg::Codec::g729, tg::Codec::opus}) {
    for (double loss : {0.0, 0.5, 3.0, 20.0}) {
      for (double delay : {0.0, 80.0, 250.0}) {
        tg::EModelInput in;
        in.codec = c;
        in.ppl_pct = loss;
        in.burst_r = 1.5;
        in.one_way_delay_ms = delay;
        DOUBLES_EQUAL(tg::emodel_rate(in).r, tg::emodel_rate_default(in).r, 0.001);
        DOUBLES_EQUAL(tg::emodel_rate(in).mos, tg::emodel_rate_default(in).mos, 0.0001);
      }
    }
  }
}

TEST(EModel, G729RatesBelowG711) {
  tg::EModelInput in;
  in.codec = tg::Codec::g729;
  // 93.2 - 11 = 82.2 without loss.
  DOUBLES_EQUAL(93.2 - 11, tg::emodel_rate(in).r, 0.01);
  in.ppl_pct = 2;
  DOUBLES_EQUAL(93.2 - 19, tg::emodel_rate(in).r, 0.01);
}

TEST(EModel, CodecNamesAndLookup) {
  STRCMP_EQUAL("PCMU", tg::codec_name(tg::Codec::pcmu));
  STRCMP_EQUAL("opus", tg::codec_name(tg::Codec::opus));
  CHECK(tg::Codec::opus == tg::codec_from_encoding("OPUS"));
  CHECK(tg::Codec::g729 == tg::codec_from_encoding("g729"));
  CHECK(tg::Codec::telephone_event == tg::codec_from_encoding("telephone-event"));
  CHECK(tg::Codec::unknown == tg::codec_from_encoding("H264"));
  CHECK(tg::Codec::pcma == tg::codec_from_static_pt(8));
  CHECK(tg::Codec::g729 == tg::codec_from_static_pt(18));
  CHECK(tg::Codec::unknown == tg::codec_from_static_pt(96));
  CHECK_FALSE(tg::codec_is_voice(tg::Codec::comfort_noise));
  CHECK_TRUE(tg::codec_is_voice(tg::Codec::gsm));
}
