// Per-lcore forwarding logic on frames in place: LAN -> active uplink with
// SNAT, uplink -> LAN with reverse NAT, for IPv4 and (on ports that have an
// IPv6 address) IPv6; ARP and Neighbor Discovery (answer for our addresses,
// learn and resolve next hops), ICMP/ICMPv6 echo for our addresses, probe
// replies, and the exception path decision. No DPDK and no allocation after construction: the
// caller owns the mbufs and acts on the Verdict.
#pragma once
#include <cstdint>

#include "common/bytes.hpp"
#include "dataplane/fastpath/disposition.hpp"
#include "dataplane/fastpath/nat.hpp"
#include "dataplane/fastpath/neighbor.hpp"

namespace tg::fastpath {

// Port indices: the LAN is 0, uplink u is port u + 1.
constexpr uint8_t kMaxUplinkPorts = 4;
constexpr uint8_t kMaxPorts = 1 + kMaxUplinkPorts;
constexpr uint8_t kLanPort = 0;
constexpr uint8_t kNoUplinkIndex = 0xFF;
inline uint8_t uplink_port(uint8_t uplink) { return uint8_t(uplink + 1); }

struct Interface {
  bool present = false;   // the board has this port
  Mac mac{};
  uint32_t ip = 0;        // host order; 0 = no address
  uint8_t prefix_len = 0;
  uint32_t gateway = 0;   // uplinks: next hop for everything
  bool has_tap = false;   // exception path to the kernel exists
  // A next hop that does not answer ARP (net_null, point-to-point links,
  // benchmarks): its MAC is configured instead of resolved.
  bool gateway_mac_static = false;
  Mac gateway_mac{};
  // Accept frames whatever their destination MAC (replayed captures).
  bool accept_any_mac = false;
  // IPv6, optional: the port's global address and prefix and (uplinks) the
  // next hop, which may be link-local. A port without has_ip6 takes no
  // IPv6; LAN IPv6 with an active uplink without it is dropped, counted.
  // Every port also answers for its EUI-64 link-local address.
  bool has_ip6 = false;
  Ip6 ip6{};
  uint8_t prefix6_len = 0;
  bool has_gateway6 = false;
  Ip6 gateway6{};
};

struct ForwarderConfig {
  Interface ports[kMaxPorts];
  uint32_t nat_capacity = 65536;
  uint32_t nat6_capacity = 16384;
  NatTimeouts nat_timeouts;
  uint16_t probe_id_base = 0x5447;  // ICMP id of uplink u's probes: base + u
  // UDP/TCP ports of the box's own sockets (exception path): never given
  // to LAN flows, and inbound packets to them go to the kernel. 0/0: none.
  uint16_t kernel_port_lo = 0, kernel_port_hi = 0;
  TimeNs arp_retry = 100 * kNsPerMs;
};

enum class Action : uint8_t {
  drop,       // free it; `why` says why
  forward,    // send on port `out`
  reply,      // rewritten into an answer: send back on the receiving port
  to_kernel,  // hand unchanged to the receiving port's tap
  consumed,   // fully handled here (probe reply, ARP learned): free it
};

struct Verdict {
  Action action = Action::drop;
  uint8_t out = 0;
  Disposition why = Disposition::frame_truncated;
  bool copy_to_kernel = false;  // an ARP reply / NA the kernel should also see (tap ports)
  uint16_t len = 0;             // reply: its length when it differs from the received frame's
};

struct ProbeReply {
  uint8_t uplink = 0;
  uint32_t target = 0;  // host order
  uint16_t seq = 0;
  TimeNs sent_ns = 0;   // from the echoed payload
  TimeNs recv_ns = 0;
};

// Called for every forwarded packet with the LAN-side view (before SNAT on
// the way out, after reverse NAT on the way in), so flows keep their keys
// across an uplink switch. `uplink` is the uplink the packet uses.
using InspectHook = void (*)(void* ctx, const uint8_t* frame, uint16_t len, TimeNs now, uint8_t uplink,
                             bool inbound);

class alignas(64) Forwarder {
 public:
  explicit Forwarder(const ForwarderConfig& cfg);
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // room: bytes writable at frame (>= len; 0 means len), so an answer may
  // be longer than what it answers (a Neighbor Advertisement with our MAC).
  Verdict on_rx(uint8_t port, uint8_t* frame, uint16_t len, uint8_t active_uplink, TimeNs now, uint16_t room = 0);
  void set_inspect_hook(InspectHook fn, void* ctx) {
    inspect_ = fn;
    inspect_ctx_ = ctx;
  }

  // Address resolutions the caller should send now (rate-limited per
  // address by cfg.arp_retry). Returns how many were written to out.
  uint32_t take_arp_wants(ArpWant* out, uint32_t max, TimeNs now);
  // Asks for a resolution (gateway refresh, start-up).
  void want_arp(uint8_t port, uint32_t ip, TimeNs now);
  // The same for IPv6 (Neighbor Solicitations).
  uint32_t take_nd_wants(NdWant* out, uint32_t max, TimeNs now);
  void want_nd(uint8_t port, const Ip6& ip, TimeNs now);
  // Probe replies received since the last call.
  uint32_t take_probe_replies(ProbeReply* out, uint32_t max);

  const Interface& port(uint8_t p) const { return cfg_.ports[p]; }
  NatTable& nat() { return nat_; }
  const NatTable& nat() const { return nat_; }
  const NeighborTable& neighbors(uint8_t p) const { return neigh_[p]; }
  const Neighbor6Table& neighbors6(uint8_t p) const { return neigh6_[p]; }
  Nat6Table& nat6() { return nat6_; }
  const Nat6Table& nat6() const { return nat6_; }
  // Source of our Neighbor Solicitations on port p: its global address, or
  // its link-local one.
  const Ip6& nd_source(uint8_t p) const { return cfg_.ports[p].has_ip6 ? cfg_.ports[p].ip6 : link_local_[p]; }
  const Ip6& link_local(uint8_t p) const { return link_local_[p]; }
  uint16_t probe_id(uint8_t uplink) const { return uint16_t(cfg_.probe_id_base + uplink); }

  // Counter of one disposition on one receiving port.
  uint64_t count(uint8_t port, Disposition d) const { return counts_[port][size_t(d)]; }
  void add_count(uint8_t port, Disposition d, uint64_t n = 1) { counts_[port][size_t(d)] += n; }
  // A packet on_rx classified as `from` met a later fate (tx ring full, port
  // down): move it so each packet keeps exactly one disposition.
  void recount(uint8_t port, Disposition from, Disposition to, uint64_t n = 1) {
    counts_[port][size_t(from)] -= n;
    counts_[port][size_t(to)] += n;
  }

 private:
  Verdict classify(uint8_t port, uint8_t* frame, uint16_t len, uint16_t room, uint8_t active, TimeNs now);
  Verdict on_arp(uint8_t port, uint8_t* frame, uint16_t len, TimeNs now);
  Verdict from_lan(uint8_t* frame, uint16_t len, uint8_t active, TimeNs now);
  Verdict from_uplink(uint8_t uplink, uint8_t* frame, uint16_t len, TimeNs now);
  Verdict local(uint8_t port, Disposition no_tap_reason) const;
  Verdict answer_echo(uint8_t port, uint8_t* frame, uint16_t len);
  bool is_our_address(uint32_t ip) const;

  // IPv6: where the layers of one packet are.
  struct Ip6Packet {
    uint8_t* ip = nullptr;
    uint16_t total = 0;   // header + payload length (Ethernet padding excluded)
    uint16_t l4_off = 0;  // after the extension headers
    uint8_t proto = 0;
    bool fragment = false;
  };
  Verdict on_ipv6(uint8_t port, uint8_t* frame, uint16_t len, uint16_t room, uint8_t active, TimeNs now);
  Verdict on_nd(uint8_t port, uint8_t* frame, const Ip6Packet& p, uint16_t room, TimeNs now);
  Verdict from_lan6(uint8_t* frame, const Ip6Packet& p, uint8_t active, TimeNs now);
  Verdict from_uplink6(uint8_t uplink, uint8_t* frame, const Ip6Packet& p, TimeNs now);
  Verdict answer_echo6(uint8_t port, uint8_t* frame, const Ip6Packet& p);
  // Global address of port p, or its link-local one.
  bool is_our_ip6(uint8_t port, const uint8_t* a) const;
  bool is_any_global_ip6(const uint8_t* a) const;

  static constexpr uint32_t kMaxArpPending = 32;
  static constexpr uint32_t kMaxNdPending = 32;
  static constexpr uint32_t kMaxProbeReplies = 64;

  ForwarderConfig cfg_;
  uint64_t counts_[kMaxPorts][kDispositionCount] = {};
  NatTable nat_;
  Nat6Table nat6_;
  NeighborTable neigh_[kMaxPorts];
  Neighbor6Table neigh6_[kMaxPorts];
  Ip6 link_local_[kMaxPorts] = {};
  PendingResolutions<uint32_t, kMaxArpPending> arp_;
  PendingResolutions<Ip6, kMaxNdPending> nd_;
  ProbeReply replies_[kMaxProbeReplies];
  uint32_t reply_count_ = 0;
  InspectHook inspect_ = nullptr;
  void* inspect_ctx_ = nullptr;
};

}  // namespace tg::fastpath
