// Names and texts of every X-macro list in the published API.
#include <cstdio>
#include <cstring>

#include "common/names.hpp"
#include "dataplane/api/messages.hpp"
#include "dataplane/api/stats.hpp"
#include "dataplane/api/uplink.hpp"

namespace tg::api {

const char* default_uplink_name(uint8_t uplink) {
  static const char* const names[kMaxUplinks] = {"wan0", "wan1", "lte", "up3"};
  return pick_name(names, uplink);
}

#define TG_TEXT3(name, bit, text) text,

const char* uplink_state_name(UplinkState s) {
  static const char* const t[] = {TG_UPLINK_STATES(TG_NAME_OF)};
  return pick_name(t, size_t(s));
}
const char* uplink_state_text(UplinkState s) {
  static const char* const t[] = {TG_UPLINK_STATES(TG_TEXT_OF)};
  return pick_name(t, size_t(s));
}

const char* fault_mask_text(uint8_t mask, char* buf, unsigned size) {
  struct Cause { uint8_t bit; const char* name; };
#define TG_CAUSE(name, bit, text) {bit, #name},
  static const Cause causes[] = {TG_FAULT_CAUSES(TG_CAUSE)};
#undef TG_CAUSE
  if (size == 0) return buf;
  buf[0] = '\0';
  size_t used = 0;
  for (const Cause& c : causes) {
    if (!(mask & c.bit)) continue;
    int n = std::snprintf(buf + used, size - used, "%s%s", used ? "+" : "", c.name);
    if (n < 0 || size_t(n) >= size - used) {
      buf[used] = '\0';  // whole names only
      break;
    }
    used += size_t(n);
  }
  if (used == 0) std::snprintf(buf, size, "none");
  return buf;
}

const char* soft_fault_name(SoftFault f) {
  static const char* const t[] = {TG_SOFT_FAULTS(TG_NAME_OF)};
  return pick_name(t, size_t(f));
}
const char* switch_reason_name(SwitchReason r) {
  static const char* const t[] = {TG_SWITCH_REASONS(TG_NAME_OF)};
  return pick_name(t, size_t(r));
}
const char* switch_reason_text(SwitchReason r) {
  static const char* const t[] = {TG_SWITCH_REASONS(TG_TEXT_OF)};
  return pick_name(t, size_t(r));
}
const char* select_mode_name(SelectMode m) {
  switch (m) {
    case SelectMode::auto_select: return "auto";
    case SelectMode::forced: return "forced";
  }
  return "?";
}

const char* event_kind_name(EventKind k) {
  static const char* const t[] = {TG_EVENT_KINDS(TG_NAME_OF)};
  return pick_name(t, size_t(k));
}
const char* command_result_name(CommandResult r) {
  static const char* const t[] = {TG_COMMAND_RESULTS(TG_NAME_OF)};
  return pick_name(t, size_t(r));
}
const char* command_result_text(CommandResult r) {
  static const char* const t[] = {TG_COMMAND_RESULTS(TG_TEXT_OF)};
  return pick_name(t, size_t(r));
}
const char* command_kind_name(CommandKind k) {
  static const char* const t[] = {TG_COMMAND_KINDS(TG_NAME_OF)};
  return pick_name(t, size_t(k));
}
const char* drop_reason_name(DropReason r) {
  static const char* const t[] = {TG_DROP_REASONS(TG_NAME_OF)};
  return pick_name(t, size_t(r));
}
const char* drop_reason_text(DropReason r) {
  static const char* const t[] = {TG_DROP_REASONS(TG_TEXT_OF)};
  return pick_name(t, size_t(r));
}

}  // namespace tg::api
