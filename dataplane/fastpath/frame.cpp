#include "dataplane/fastpath/frame.hpp"

#include "dataplane/fastpath/checksum.hpp"

namespace tg::fastpath {

uint16_t build_arp_request(uint8_t* buf, const Mac& src_mac, uint32_t src_ip, uint32_t target_ip) {
  std::memset(buf, 0, 60);
  put_mac(buf, kBroadcastMac);
  put_mac(buf + 6, src_mac);
  store_be16(buf + 12, kEtherArp);
  uint8_t* a = buf + kEthHdr;
  store_be16(a, 1);            // Ethernet
  store_be16(a + 2, kEtherIpv4);
  a[4] = 6;
  a[5] = 4;
  store_be16(a + 6, 1);        // request
  put_mac(a + 8, src_mac);
  store_be32(a + 14, src_ip);
  store_be32(a + 24, target_ip);  // target MAC left zero
  return kEthHdr + kArpLen;
}

uint16_t build_icmp_probe(uint8_t* buf, const Mac& src_mac, const Mac& dst_mac, uint32_t src_ip, uint32_t dst_ip,
                          uint16_t id, uint16_t seq, uint8_t uplink, TimeNs sent) {
  put_mac(buf, dst_mac);
  put_mac(buf + 6, src_mac);
  store_be16(buf + 12, kEtherIpv4);
  uint8_t* ip = buf + kEthHdr;
  ip[0] = 0x45;
  ip[1] = 0xB8;  // DSCP EF: probes see what voice sees in carrier queues
  store_be16(ip + 2, 20 + 8 + kProbePayload);
  store_be16(ip + 4, seq);
  store_be16(ip + 6, 0x4000);  // DF
  ip[8] = 64;
  ip[9] = kProtoIcmp;
  store_be16(ip + 10, 0);
  store_be32(ip + 12, src_ip);
  store_be32(ip + 16, dst_ip);
  store_be16(ip + 10, csum(ip, 20));
  uint8_t* icmp = ip + 20;
  icmp[0] = kIcmpEchoRequest;
  icmp[1] = 0;
  store_be16(icmp + 2, 0);
  store_be16(icmp + 4, id);
  store_be16(icmp + 6, seq);
  uint8_t* pl = icmp + 8;
  store_be32(pl, kProbeMagic);
  store_be32(pl + 4, uplink);
  store_be32(pl + 8, uint32_t(sent >> 32));
  store_be32(pl + 12, uint32_t(sent));
  store_be16(icmp + 2, csum(icmp, 8 + kProbePayload));
  return kProbeFrameLen;
}

}  // namespace tg::fastpath
