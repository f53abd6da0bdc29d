#include "dataplane/fastpath/datapath.hpp"

#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dataplane/fastpath/frame.hpp"

namespace tg::fastpath {

namespace {
constexpr const char* kTxNames[] = {
#define TG_X(name, text) #name,
    TG_FP_TX_COUNTERS(TG_X)
#undef TG_X
};
// Prefetch this many packets ahead of the one being classified (l3fwd).
constexpr uint16_t kPrefetchAhead = 3;
}  // namespace

const char* tx_counter_name(TxCounter c) { return size_t(c) < kTxCounterCount ? kTxNames[size_t(c)] : "?"; }

Datapath::Datapath(const ForwarderConfig& cfg, drivers::Port* const* ports, rte_mempool* pool,
                   const InspectorConfig* inspection)
    : fwd_(cfg), pool_(pool) {
  if (inspection) {
    inspector_ = std::make_unique<Inspector>(*inspection);
    fwd_.set_inspect_hook(&Datapath::inspect_hook, this);
  }
  for (uint8_t p = 0; p < kMaxPorts; ++p) {
    ports_[p] = cfg.ports[p].present ? ports[p] : nullptr;
    link_up_[p].store(ports_[p] != nullptr, std::memory_order_relaxed);
  }
}

namespace {
api::CaptureClass capture_class_of(InspectOutcome o) {
  switch (o) {
    case InspectOutcome::sip:
    case InspectOutcome::sip_partial:
    case InspectOutcome::sip_tls:
    case InspectOutcome::malformed_sip:
    case InspectOutcome::malformed_sdp:
      return api::CaptureClass::sip;
    case InspectOutcome::rtp:
    case InspectOutcome::rtcp:
    case InspectOutcome::rtp_untracked:
    case InspectOutcome::malformed_rtp:
      return api::CaptureClass::rtp;
    default:
      return api::CaptureClass::other;
  }
}
}  // namespace

void Datapath::attach_capture(api::CaptureHeader* ring) {
  capture_.bind(ring);
  fwd_.set_inspect_hook(&Datapath::inspect_hook, this);
}

void Datapath::inspect_hook(void* ctx, const uint8_t* frame, uint16_t len, TimeNs now, uint8_t uplink, bool inbound) {
  auto* self = static_cast<Datapath*>(ctx);
  InspectOutcome o = InspectOutcome::other;
  if (self->inspector_) o = self->inspector_->inspect(Bytes(frame, len), LinkType::ethernet, now, inbound ? uplink : kIngressLan);
  // Capture after inspection: the inspector's verdict is the SIP/RTP class.
  if (self->capture_.active())
    self->capture_.offer(frame, len, now, uplink, inbound ? api::CaptureDirection::inbound : api::CaptureDirection::outbound,
                         capture_class_of(o));
}

uint32_t Datapath::poll(uint8_t active, TimeNs now) {
  uint32_t total = 0;
  rte_mbuf* pkts[kBurst];
  for (uint8_t p = 0; p < kMaxPorts; ++p) {
    if (!ports_[p]) continue;
    const uint16_t n = ports_[p]->rx_burst(pkts, kBurst);
    if (n == 0) continue;
    rx_[p] += n;
    total += n;
    for (uint16_t i = 0; i < n && i < kPrefetchAhead; ++i) rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
    for (uint16_t i = 0; i < n; ++i) {
      if (i + kPrefetchAhead < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void*));
      rte_mbuf* m = pkts[i];
      // Multi-segment frames (jumbo on a small mbuf) are not parsed across
      // segments: the first segment is what the forwarder sees.
      // Only ARP replies are copied to the kernel, and on_rx leaves those
      // unchanged (consumed), so copying after it is safe.
      const uint16_t len = rte_pktmbuf_data_len(m);
      const uint32_t room = uint32_t(len) + rte_pktmbuf_tailroom(m);
      const Verdict v = fwd_.on_rx(p, rte_pktmbuf_mtod(m, uint8_t*), len, active, now,
                                   uint16_t(room > UINT16_MAX ? UINT16_MAX : room));
      if (v.copy_to_kernel && taps_[p]) {
        rte_mbuf* c = rte_pktmbuf_copy(m, pool_, 0, UINT32_MAX);
        if (c) kernel_[p][kernel_n_[p]++] = c;
        else ++gen_[p][size_t(TxCounter::kernel_dropped)];
      }
      switch (v.action) {
        case Action::forward:
        case Action::reply: {
          const uint8_t out = v.action == Action::reply ? p : v.out;
          if (!ports_[out] || !link(out)) {
            fwd_.recount(p, v.why, Disposition::port_down);
            free_[free_n_++] = m;
            break;
          }
          if (v.len) {
            // An answer of another length (ND): on_rx stayed within room.
            m->pkt_len = m->pkt_len - len + v.len;
            m->data_len = v.len;
          }
          out_why_[out][out_n_[out]] = v.why;
          out_[out][out_n_[out]++] = m;
          break;
        }
        case Action::to_kernel:
          // The forwarder only says to_kernel for ports that have a tap.
          if (taps_[p]) {
            kernel_[p][kernel_n_[p]++] = m;
            break;
          }
          free_[free_n_++] = m;
          break;
        case Action::consumed:
        case Action::drop:
          free_[free_n_++] = m;
          break;
      }
    }
    flush(p);
  }
  poll_taps();
  return total;
}

void Datapath::poll_taps() {
  rte_mbuf* pkts[kBurst];
  for (uint8_t p = 0; p < kMaxPorts; ++p) {
    if (!taps_[p]) continue;
    // The kernel's frames (its own MAC, its own ARP) leave unchanged.
    const uint16_t n = taps_[p]->rx_burst(pkts, kBurst);
    if (n == 0) continue;
    tap_rx_[p] += n;
    fwd_.add_count(p, Disposition::from_kernel, n);
    uint16_t sent = link(p) ? ports_[p]->tx_burst(pkts, n) : 0;
    tx_[p] += sent;
    if (sent < n) {
      gen_[p][size_t(TxCounter::kernel_dropped)] += n - sent;
      rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
    }
  }
}

void Datapath::flush(uint8_t rx_port) {
  for (uint8_t o = 0; o < kMaxPorts; ++o) {
    const uint16_t n = out_n_[o];
    if (n == 0) continue;
    out_n_[o] = 0;
    const uint16_t sent = ports_[o]->tx_burst(out_[o], n);
    tx_[o] += sent;
    if (sent < n) {
      for (uint16_t i = sent; i < n; ++i) fwd_.recount(rx_port, out_why_[o][i], Disposition::tx_full);
      rte_pktmbuf_free_bulk(&out_[o][sent], n - sent);
    }
  }
  if (const uint16_t n = kernel_n_[rx_port]) {
    kernel_n_[rx_port] = 0;
    const uint16_t sent = taps_[rx_port]->tx_burst(kernel_[rx_port], n);
    tap_tx_[rx_port] += sent;
    if (sent < n) {
      gen_[rx_port][size_t(TxCounter::kernel_dropped)] += n - sent;
      rte_pktmbuf_free_bulk(&kernel_[rx_port][sent], n - sent);
    }
  }
  if (free_n_) {
    rte_pktmbuf_free_bulk(free_, free_n_);
    free_n_ = 0;
  }
}

bool Datapath::send_generated(uint8_t port, rte_mbuf* m, TxCounter what) {
  if (!ports_[port] || !link(port) || ports_[port]->tx_burst(&m, 1) != 1) {
    rte_pktmbuf_free(m);
    ++gen_[port][size_t(TxCounter::generated_failed)];
    return false;
  }
  ++tx_[port];
  ++gen_[port][size_t(what)];
  return true;
}

uint32_t Datapath::send_arp_requests(TimeNs now) {
  ArpWant wants[8];
  uint32_t sent = 0;
  const uint32_t n = fwd_.take_arp_wants(wants, 8, now);
  for (uint32_t i = 0; i < n; ++i) {
    const Interface& itf = fwd_.port(wants[i].port);
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (!m) {
      ++gen_[wants[i].port][size_t(TxCounter::generated_failed)];
      continue;
    }
    uint8_t* buf = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, 60));
    build_arp_request(buf, itf.mac, itf.ip, wants[i].ip);
    sent += send_generated(wants[i].port, m, TxCounter::arp_requests);
  }
  NdWant nd[8];
  const uint32_t k = fwd_.take_nd_wants(nd, 8, now);
  for (uint32_t i = 0; i < k; ++i) {
    const Interface& itf = fwd_.port(nd[i].port);
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (!m) {
      ++gen_[nd[i].port][size_t(TxCounter::generated_failed)];
      continue;
    }
    uint8_t* buf = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, kNdFrameLen));
    build_neighbor_solicit(buf, itf.mac, fwd_.nd_source(nd[i].port), nd[i].ip);
    sent += send_generated(nd[i].port, m, TxCounter::nd_solicits);
  }
  return sent;
}

bool Datapath::send_probe(uint8_t uplink, uint32_t target, uint16_t seq, TimeNs now) {
  const uint8_t port = uplink_port(uplink);
  if (port >= kMaxPorts || !ports_[port]) return false;
  const Interface& itf = fwd_.port(port);
  const Neighbor* gw = itf.gateway ? fwd_.neighbors(port).lookup(itf.gateway) : nullptr;
  if (!gw || itf.ip == 0) {
    // Cannot reach the next hop yet: the probe is lost, which is what the
    // failover engine should see; resolution starts now.
    if (itf.gateway) fwd_.want_arp(port, itf.gateway, now);
    ++gen_[port][size_t(TxCounter::generated_failed)];
    return false;
  }
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (!m) {
    ++gen_[port][size_t(TxCounter::generated_failed)];
    return false;
  }
  uint8_t* buf = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, kProbeFrameLen));
  build_icmp_probe(buf, itf.mac, gw->mac, itf.ip, target, fwd_.probe_id(uplink), seq, uplink, now);
  return send_generated(port, m, TxCounter::probes);
}

}  // namespace tg::fastpath
