// PacketSource over libpcap: pcap_open_offline (pcap and pcapng) and live
// capture. All pcap calls are confined to this file.
#include <pcap/pcap.h>

#include <chrono>

#include "drivers/capture/packet_source.hpp"

namespace tg {

bool link_type_from_dlt(int dlt, LinkType& out) {
  switch (dlt) {
    case DLT_NULL: out = LinkType::null_loopback; return true;
    case DLT_EN10MB: out = LinkType::ethernet; return true;
    case DLT_RAW:
    case 101:  // LINKTYPE_RAW as some writers store it
#ifdef DLT_IPV4
    case DLT_IPV4:
    case DLT_IPV6:
#endif
      out = LinkType::raw_ip;
      return true;
    case DLT_LINUX_SLL: out = LinkType::linux_sll; return true;
    case DLT_LINUX_SLL2: out = LinkType::linux_sll2; return true;
    default: return false;
  }
}

namespace {

class PcapSource final : public PacketSource {
 public:
  PcapSource(pcap_t* p, LinkType link, bool live, uint64_t duration_ms)
      : pcap_(p), link_(link), live_(live) {
    if (live_) deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(duration_ms);
  }
  ~PcapSource() override { pcap_close(pcap_); }

  SourceResult next(CapturedFrame& out) override {
    if (done_) return error_.empty() ? SourceResult::end : SourceResult::error;
    if (live_ && std::chrono::steady_clock::now() >= deadline_) return finish();
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    int rc = pcap_next_ex(pcap_, &hdr, &data);
    if (rc == 1) {
      out.data = Bytes(data, hdr->caplen);
      // Opened with nanosecond precision, so tv_usec holds nanoseconds.
      out.ts = TimeNs(hdr->ts.tv_sec) * kNsPerSec + TimeNs(hdr->ts.tv_usec);
      out.link = link_;
      out.wire_length = hdr->len;
      return SourceResult::frame;
    }
    if (rc == 0) return SourceResult::idle;  // live: buffer timeout, nothing read
    if (rc == PCAP_ERROR_BREAK) return finish();  // end of file
    error_ = pcap_geterr(pcap_);
    if (error_.empty()) error_ = "capture read failed";
    done_ = true;
    return SourceResult::error;
  }

  const std::string& error() const override { return error_; }

  uint64_t dropped() const override {
    if (!live_) return 0;
    pcap_stat st{};
    if (pcap_stats(pcap_, &st) != 0) return 0;
    return uint64_t(st.ps_drop) + st.ps_ifdrop;
  }

 private:
  SourceResult finish() {
    done_ = true;
    return SourceResult::end;
  }

  pcap_t* pcap_;
  LinkType link_;
  bool live_;
  bool done_ = false;
  std::chrono::steady_clock::time_point deadline_{};
  std::string error_;
};

std::string unsupported_link(pcap_t* p) {
  const char* name = pcap_datalink_val_to_name(pcap_datalink(p));
  return std::string("unsupported link type ") + std::to_string(pcap_datalink(p)) +
         (name ? std::string(" (") + name + ")" : std::string()) +
         "; supported: Ethernet, raw IP, Linux cooked (SLL/SLL2), BSD loopback";
}

}  // namespace

std::unique_ptr<PacketSource> open_capture_file(const std::string& path, std::string& err) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (!p) {
    err = path + ": " + (errbuf[0] ? errbuf : "cannot open capture");
    return nullptr;
  }
  LinkType link;
  if (!link_type_from_dlt(pcap_datalink(p), link)) {
    err = path + ": " + unsupported_link(p);
    pcap_close(p);
    return nullptr;
  }
  return std::make_unique<PcapSource>(p, link, false, 0);
}

std::unique_ptr<PacketSource> open_live_capture(const std::string& interface, uint64_t duration_ms,
                                                std::string& err) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_create(interface.c_str(), errbuf);
  if (!p) {
    err = interface + ": " + errbuf;
    return nullptr;
  }
  pcap_set_snaplen(p, 65535);
  pcap_set_promisc(p, 1);
  pcap_set_timeout(p, 100);  // ms; bounds how late the deadline is noticed
  pcap_set_buffer_size(p, 16 << 20);
  pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
  int rc = pcap_activate(p);
  if (rc < 0) {
    std::string why = pcap_geterr(p);
    if (why.empty()) why = pcap_statustostr(rc);
    err = interface + ": " + why;
    pcap_close(p);
    return nullptr;
  }
  LinkType link;
  if (!link_type_from_dlt(pcap_datalink(p), link)) {
    err = interface + ": " + unsupported_link(p);
    pcap_close(p);
    return nullptr;
  }
  // If the kernel would not give nanoseconds we got microseconds; the
  // conversion in next() assumes ns, so ask again and fail clearly instead.
  if (pcap_get_tstamp_precision(p) != PCAP_TSTAMP_PRECISION_NANO) {
    err = interface + ": nanosecond timestamps not available";
    pcap_close(p);
    return nullptr;
  }
  return std::make_unique<PcapSource>(p, link, true, duration_ms);
}

}  // namespace tg
