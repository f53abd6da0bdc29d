// G.711 encoders (ITU-T G.711 segment tables written out as arithmetic) so
// tg-callgen sends real audio, a tone, rather than constant bytes.
#pragma once
#include <cstdint>

namespace tg::callgen {

inline uint8_t linear_to_ulaw(int16_t sample) {
  constexpr int kBias = 0x84, kClip = 32635;
  int s = sample;
  uint8_t sign = 0;
  if (s < 0) {
    s = -s;
    sign = 0x80;
  }
  if (s > kClip) s = kClip;
  s += kBias;
  int exponent = 7;
  for (int mask = 0x4000; (s & mask) == 0 && exponent > 0; mask >>= 1) --exponent;
  int mantissa = (s >> (exponent + 3)) & 0x0F;
  return uint8_t(~(sign | exponent << 4 | mantissa));
}

inline uint8_t linear_to_alaw(int16_t sample) {
  int s = sample >> 3;  // A-law works on 13-bit magnitude
  uint8_t sign = 0x80;
  if (s < 0) {
    s = -s - 1;
    sign = 0;
  }
  if (s > 0xFFF) s = 0xFFF;
  uint8_t out;
  if (s < 32) {
    out = uint8_t(s >> 1);
  } else {
    int exponent = 1;
    for (int v = s >> 5; v > 1; v >>= 1) ++exponent;
    out = uint8_t(exponent << 4 | ((s >> exponent) & 0x0F));
  }
  return uint8_t((out | sign) ^ 0x55);
}

}  // namespace tg::callgen
