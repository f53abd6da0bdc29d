// SNAT table for LAN -> uplink traffic. Endpoint-independent mapping
// (RFC 4787 REQ-1): one external port per (protocol, LAN address, LAN port),
// the same on every uplink, and the LAN port itself whenever it is free, so a
// far end that latched onto our RTP source port keeps it across a switch
// (only the address changes). ICMP echo uses its identifier as the port.
//
// Fixed capacity, all memory allocated by the constructor: entries, a free
// list, a linear-probing index on the LAN side and a direct 64 K array per
// protocol on the external side. No allocation after construction.
//
// One table per address family (NatTable for IPv4, Nat6Table for IPv6: the
// LAN key is the host's IPv6 address); each has its own external ports,
// since each family has its own uplink address.
#pragma once
#include <cstdint>
#include <memory>

#include "common/bytes.hpp"
#include "dataplane/fastpath/neighbor.hpp"

namespace tg::fastpath {

enum class NatProto : uint8_t { udp = 0, tcp = 1, icmp = 2 };
constexpr int kNatProtoCount = 3;

struct NatTimeouts {
  TimeNs udp = 300 * kNsPerSec;   // RTP refreshes it every 20 ms
  TimeNs tcp = 7440 * kNsPerSec;  // RFC 5382 REQ-5 established idle
  TimeNs icmp = 60 * kNsPerSec;
};

template <class Addr>
struct BasicNatEntry {
  Addr lan_ip{};            // IPv4 host order / IPv6 wire order
  uint16_t lan_port = 0;
  uint16_t ext_port = 0;
  TimeNs last_seen = 0;
  NatProto proto = NatProto::udp;
  bool in_use = false;
};

enum class NatResult : uint8_t { ok, table_full, ports_exhausted };

template <class Addr>
class BasicNatTable {
 public:
  using Entry = BasicNatEntry<Addr>;
  // capacity: maximum simultaneous mappings (>= 1).
  explicit BasicNatTable(uint32_t capacity, NatTimeouts timeouts = {});
  BasicNatTable(const BasicNatTable&) = delete;
  BasicNatTable& operator=(const BasicNatTable&) = delete;

  // Finds or creates the mapping of a LAN flow and refreshes it.
  const Entry* outbound(NatProto proto, const Addr& lan_ip, uint16_t lan_port, TimeNs now, NatResult& result);
  // Keeps an external port out of the pool (our own probe identifiers).
  void reserve(NatProto proto, uint16_t ext_port);
  // Keeps ports [lo, hi] of UDP and TCP for the box's own sockets (the
  // kernel behind the exception path uses them as its ephemeral range).
  void reserve_range(uint16_t lo, uint16_t hi);
  // Mapping owning an external port, refreshed; nullptr if none.
  const Entry* inbound(NatProto proto, uint16_t ext_port, TimeNs now);
  // Looks at up to `budget` entries (round robin) and removes the expired
  // ones; returns how many were removed. Called once per loop iteration.
  uint32_t expire(TimeNs now, uint32_t budget);

  uint32_t size() const { return used_; }
  uint32_t capacity() const { return capacity_; }
  // Bytes this table preallocated.
  size_t memory_bytes() const;
  // What one more mapping of capacity costs (entry, free-list slot, two
  // index slots), and what every table costs whatever its capacity (the
  // external-port index: 64 K slots per protocol).
  static constexpr size_t kBytesPerMapping = sizeof(Entry) + 3 * sizeof(uint32_t);
  static constexpr size_t kFixedBytes = size_t(kNatProtoCount) * 65536 * sizeof(uint32_t);

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  static constexpr uint32_t kReserved = UINT32_MAX - 1;
  uint32_t find_slot(NatProto proto, const Addr& lan_ip, uint16_t lan_port) const;
  uint64_t key_hash(NatProto proto, const Addr& lan_ip, uint16_t lan_port) const;
  bool pick_port(NatProto proto, uint16_t wanted, uint16_t& out) const;
  void remove(uint32_t idx);
  TimeNs timeout(NatProto p) const;

  uint32_t capacity_;
  uint32_t used_ = 0;
  uint32_t kernel_lo_ = 1, kernel_hi_ = 0;  // reserve_range; empty when lo > hi
  uint32_t index_mask_;
  uint32_t sweep_ = 0;
  uint32_t free_top_ = 0;
  NatTimeouts timeouts_;
  std::unique_ptr<Entry[]> entries_;
  std::unique_ptr<uint32_t[]> free_;    // stack of free entry indices
  std::unique_ptr<uint32_t[]> index_;   // LAN key -> entry, kEmpty if free
  std::unique_ptr<uint32_t[]> by_ext_;  // [proto][port] -> entry, kEmpty
};

using NatEntry = BasicNatEntry<uint32_t>;
using NatTable = BasicNatTable<uint32_t>;
using Nat6Entry = BasicNatEntry<Ip6>;
using Nat6Table = BasicNatTable<Ip6>;
extern template class BasicNatTable<uint32_t>;
extern template class BasicNatTable<Ip6>;

}  // namespace tg::fastpath
