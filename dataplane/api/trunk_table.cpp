#include "dataplane/api/trunk_table.hpp"

#include <algorithm>
#include <cstring>

namespace tg::api {

namespace {
bool name_ok(std::string_view n) { return !n.empty() && n.size() < kTrunkNameBytes && n.find('\0') == n.npos; }
}  // namespace

bool encode_trunk_table(const std::vector<TrunkEntry>& trunks, uint32_t generation, uint32_t seq, TimeNs now,
                        std::vector<Command>& out, std::string& error) {
  if (trunks.size() > kMaxTrunkTable)
    return error = std::to_string(trunks.size()) + " trunks: the fast path holds at most " +
                   std::to_string(kMaxTrunkTable),
           false;
  if (generation == 0) return error = "trunk table generation 0 is reserved", false;
  for (const TrunkEntry& t : trunks) {
    if (!name_ok(t.name)) return error = "trunk name '" + t.name + "' must be 1-31 characters", false;
    if (t.sbc.addr.family != 4 && t.sbc.addr.family != 6)
      return error = "trunk " + t.name + ": SBC is not an IP address", false;
  }
  auto table_item = [&](CommandKind kind) {
    Command c = make_command(kind, kNoUplink, seq++, now);
    c.trunk_table.generation = generation;
    c.trunk_table.count = uint16_t(trunks.size());
    return c;
  };
  out.push_back(table_item(CommandKind::trunk_table_begin));
  for (size_t i = 0; i < trunks.size(); ++i) {
    Command sbc = make_command(CommandKind::trunk_sbc, kNoUplink, seq++, now);
    sbc.trunk_sbc.generation = generation;
    sbc.trunk_sbc.index = uint16_t(i);
    sbc.trunk_sbc.port = trunks[i].sbc.port;
    sbc.trunk_sbc.family = trunks[i].sbc.addr.family;
    std::memcpy(sbc.trunk_sbc.address, trunks[i].sbc.addr.bytes.data(), sizeof sbc.trunk_sbc.address);
    out.push_back(sbc);
    Command name = make_command(CommandKind::trunk_name, kNoUplink, seq++, now);
    name.trunk_name.generation = generation;
    name.trunk_name.index = uint16_t(i);
    std::memcpy(name.trunk_name.name, trunks[i].name.data(), trunks[i].name.size());
    out.push_back(name);
  }
  out.push_back(table_item(CommandKind::trunk_table_commit));
  return true;
}

CommandResult TrunkTableAssembler::reject() {
  ++items_rejected_;
  spoiled_ = true;
  return CommandResult::bad_trunk_table;
}

CommandResult TrunkTableAssembler::apply(const Command& c, bool& committed) {
  committed = false;
  switch (c.kind) {
    case CommandKind::trunk_table_begin: {
      const TrunkTableWire& t = c.trunk_table;
      // A new begin drops a table still being built: the newer one wins.
      building_generation_ = 0;
      if (t.generation == 0 || t.count > kMaxTrunkTable) {
        ++items_rejected_;
        return CommandResult::bad_trunk_table;
      }
      building_generation_ = t.generation;
      building_count_ = t.count;
      spoiled_ = false;
      for (TrunkSlot& s : building_) s = TrunkSlot{};
      return CommandResult::ok;
    }
    case CommandKind::trunk_sbc: {
      const TrunkSbcWire& w = c.trunk_sbc;
      if (!building_generation_ || w.generation != building_generation_ || w.index >= building_count_) return reject();
      TrunkSlot& s = building_[w.index];
      if (s.has_sbc || (w.family != 4 && w.family != 6)) return reject();
      s.sbc.addr = w.family == 4 ? IpAddr::v4_bytes(w.address) : IpAddr::v6_bytes(w.address);
      s.sbc.port = w.port;
      s.has_sbc = true;
      return CommandResult::ok;
    }
    case CommandKind::trunk_name: {
      const TrunkNameWire& w = c.trunk_name;
      if (!building_generation_ || w.generation != building_generation_ || w.index >= building_count_) return reject();
      TrunkSlot& s = building_[w.index];
      const size_t len = strnlen(w.name, sizeof w.name);
      if (s.has_name || len == 0 || len == sizeof w.name) return reject();
      for (uint16_t i = 0; i < building_count_; ++i)
        if (building_[i].has_name && std::strcmp(building_[i].name, w.name) == 0) return reject();
      std::memcpy(s.name, w.name, len);
      s.name[len] = '\0';
      s.has_name = true;
      return CommandResult::ok;
    }
    case CommandKind::trunk_table_commit: {
      const TrunkTableWire& t = c.trunk_table;
      bool complete = building_generation_ && t.generation == building_generation_ && t.count == building_count_ &&
                      !spoiled_;
      for (uint16_t i = 0; complete && i < building_count_; ++i)
        complete = building_[i].has_sbc && building_[i].has_name;
      building_generation_ = 0;
      if (!complete) {
        ++items_rejected_;
        ++tables_rejected_;
        return CommandResult::bad_trunk_table;
      }
      std::copy(building_, building_ + kMaxTrunkTable, table_);
      size_ = t.count;
      generation_ = t.generation;
      ++tables_committed_;
      committed = true;
      return CommandResult::ok;
    }
    default:
      return CommandResult::bad_kind;
  }
}

}  // namespace tg::api
