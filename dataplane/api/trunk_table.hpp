// The trunk table over the command ring (messages.hpp, trunk_* kinds): the
// control daemon encodes its [trunk.NAME] sections into commands, the fast
// path assembles them into a complete table it swaps in at the commit.
// Both ends live here so the encoding is written once.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/net.hpp"
#include "dataplane/api/messages.hpp"

namespace tg::api {

struct TrunkEntry {
  std::string name;  // 1..31 characters
  Endpoint sbc;      // port 0: any port
};

// begin, trunk_sbc + trunk_name per trunk, commit: 2 + 2 * trunks.size()
// commands, seq numbered from `seq`. False (and nothing added) with why if
// the table cannot be sent: too many trunks, a bad name or address.
bool encode_trunk_table(const std::vector<TrunkEntry>& trunks, uint32_t generation, uint32_t seq, TimeNs now,
                        std::vector<Command>& out, std::string& error);

// One trunk of an assembled table (plain, no allocation).
struct TrunkSlot {
  char name[kTrunkNameBytes] = {};
  Endpoint sbc;
  bool has_sbc = false, has_name = false;
};

// The receiving end: fixed storage, no allocation (it runs on the fast
// path's lcore). A table under construction only becomes table() at a
// commit that finds it complete; any rejected item spoils it, and the
// commit of a spoiled or incomplete table is rejected whole (the previous
// table stays).
class TrunkTableAssembler {
 public:
  // For commands of the trunk_* kinds. `committed` is set when this command
  // made a new complete table().
  CommandResult apply(const Command& c, bool& committed);

  const TrunkSlot* table() const { return table_; }
  uint16_t size() const { return size_; }
  uint32_t generation() const { return generation_; }  // 0: none committed yet
  uint64_t items_rejected() const { return items_rejected_; }
  uint64_t tables_committed() const { return tables_committed_; }
  uint64_t tables_rejected() const { return tables_rejected_; }

 private:
  CommandResult reject();

  TrunkSlot table_[kMaxTrunkTable];
  uint16_t size_ = 0;
  uint32_t generation_ = 0;
  TrunkSlot building_[kMaxTrunkTable];
  uint16_t building_count_ = 0;
  uint32_t building_generation_ = 0;  // 0: nothing being built
  bool spoiled_ = false;
  uint64_t items_rejected_ = 0, tables_committed_ = 0, tables_rejected_ = 0;
};

}  // namespace tg::api
