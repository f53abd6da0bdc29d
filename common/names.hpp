// Name and text tables of the X-macro lists (VPP style): every *_name() /
// *_text() function is a static table built from its list plus this one
// bounds-checked lookup.
//   static const char* const t[] = {TG_CALL_STATES(TG_NAME_OF)};
//   return pick_name(t, size_t(s));
#pragma once
#include <cstddef>

namespace tg {
template <size_t N>
constexpr const char* pick_name(const char* const (&table)[N], size_t i) {
  return i < N ? table[i] : "?";
}
}  // namespace tg

#define TG_NAME_OF(name, ...) #name,
#define TG_TEXT_OF(name, text) text,
