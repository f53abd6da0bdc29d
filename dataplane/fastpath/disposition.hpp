// What happened to each received packet: exactly one disposition per packet,
// so the counters add up to the rx total. Declared once (VPP style); enum,
// names and the stats export come from this list. Everything after
// `forwarded_in` is a packet that was not forwarded, by reason.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tg::fastpath {

#define TG_FP_DISPOSITIONS(X)                                                  \
  X(forwarded_out, "LAN -> active uplink (SNAT)")                              \
  X(forwarded_in, "uplink -> LAN (reverse NAT)")                               \
  X(to_kernel, "to the box itself: handed to the exception-path tap")          \
  X(from_kernel, "sent by the kernel through an exception-path tap")           \
  X(arp_answered, "ARP request for one of our addresses, answered")            \
  X(arp_learned, "ARP reply or request learned into the neighbour table")      \
  X(probe_reply, "echo reply to one of our probes")                            \
  X(echo_answered, "ICMP echo request to our address, answered")               \
  X(arp_ignored, "ARP for some other host")                                    \
  X(frame_truncated, "shorter than an Ethernet + IPv4/ARP header")             \
  X(not_our_mac, "unicast to another MAC")                                     \
  X(vlan_tagged, "802.1Q tagged (ports are untagged)")                         \
  X(ipv6_unsupported, "IPv6 on a port without an IPv6 address (board addr6=)") \
  X(other_ethertype, "neither IPv4 nor ARP nor IPv6")                          \
  X(ipv4_malformed, "bad IPv4 version, header length, total length or checksum") \
  X(ip_fragment, "IP fragment (NAT needs the L4 header)")                      \
  X(ttl_expired, "TTL / hop limit would reach zero")                           \
  X(l4_malformed, "UDP/TCP/ICMP header truncated")                             \
  X(unsupported_proto, "not UDP, TCP or ICMP echo")                            \
  X(lan_to_lan, "LAN, broadcast or multicast destination")                  \
  X(not_our_address, "uplink packet to an address that is not ours")           \
  X(martian_source, "LAN packet whose source is not in the LAN prefix")        \
  X(no_active_uplink, "no uplink selected")                                    \
  X(uplink_unconfigured, "active uplink has no address or gateway")            \
  X(nexthop_unresolved, "gateway MAC not known yet (ARP sent)")                \
  X(lan_host_unresolved, "LAN host MAC not known yet (ARP sent)")              \
  X(nat_table_full, "SNAT table at capacity")                                  \
  X(nat_ports_exhausted, "no free external port near the original")            \
  X(no_nat_mapping, "inbound to our address, no mapping, no exception path")   \
  X(to_self_no_tap, "addressed to the box, no exception path")                 \
  X(tx_full, "transmit ring full")                                             \
  X(port_down, "output port has no carrier")                                   \
  X(nd_answered, "Neighbor Solicitation for one of our addresses, answered")   \
  X(nd_learned, "Neighbor Advertisement/Solicitation learned")                 \
  X(nd_ignored, "Neighbor Discovery for another host; router discovery")      \
  X(nd_invalid, "ND failing RFC 4861 checks (hop limit, checksum, options)")   \
  X(ipv6_malformed, "bad IPv6 version, payload length or extension header")    \
  X(ipv6_uplink_unconfigured, "active uplink has no IPv6 address or gateway")  \
  X(udp6_no_checksum, "IPv6 UDP with checksum 0 (mandatory in IPv6)")

enum class Disposition : uint8_t {
#define TG_X(name, text) name,
  TG_FP_DISPOSITIONS(TG_X)
#undef TG_X
      count_
};
constexpr size_t kDispositionCount = size_t(Disposition::count_);
const char* disposition_name(Disposition);
const char* disposition_text(Disposition);
inline bool disposition_forwarded(Disposition d) {
  return d == Disposition::forwarded_out || d == Disposition::forwarded_in;
}

}  // namespace tg::fastpath
