#include <pcap/pcap.h>
#include <unistd.h>

#include <CppUTest/TestHarness.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "drivers/capture/packet_source.hpp"

namespace {

std::string temp_path(const char* tag) {
  return "/tmp/tg-capture-test-" + std::to_string(getpid()) + "-" + tag;
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Writes `count` frames of `size` bytes (byte i = frame number) with libpcap
// itself, ns precision, frame k at 1.000000001 s + k * 20 ms.
void write_pcap(const std::string& path, int dlt, int count, size_t size) {
  pcap_t* dead = pcap_open_dead_with_tstamp_precision(dlt, 65535, PCAP_TSTAMP_PRECISION_NANO);
  pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
  for (int k = 0; k < count; ++k) {
    std::vector<uint8_t> frame(size, uint8_t(k));
    pcap_pkthdr h{};
    h.ts.tv_sec = 1;
    h.ts.tv_usec = 1 + k * 20'000'000;  // ns, below 1e9 for count <= 49
    h.caplen = h.len = uint32_t(size);
    pcap_dump(reinterpret_cast<u_char*>(d), &h, frame.data());
  }
  pcap_dump_close(d);
  pcap_close(dead);
}

void put32(std::vector<uint8_t>& v, uint32_t x) {
  for (int i = 0; i < 4; ++i) v.push_back(uint8_t(x >> (8 * i)));  // little-endian section
}
void put16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(uint8_t(x));
  v.push_back(uint8_t(x >> 8));
}

// Minimal pcapng: SHB, IDB (linktype 1, default microsecond resolution), one EPB.
std::vector<uint8_t> make_pcapng(const std::vector<uint8_t>& frame, uint64_t ts_us) {
  std::vector<uint8_t> v;
  put32(v, 0x0A0D0D0A); put32(v, 28); put32(v, 0x1A2B3C4D);
  put16(v, 1); put16(v, 0); put32(v, 0xFFFFFFFF); put32(v, 0xFFFFFFFF); put32(v, 28);
  put32(v, 1); put32(v, 20); put16(v, 1); put16(v, 0); put32(v, 65535); put32(v, 20);
  uint32_t padded = uint32_t((frame.size() + 3) & ~size_t(3));
  uint32_t len = 32 + padded;
  put32(v, 6); put32(v, len); put32(v, 0);
  put32(v, uint32_t(ts_us >> 32)); put32(v, uint32_t(ts_us));
  put32(v, uint32_t(frame.size())); put32(v, uint32_t(frame.size()));
  v.insert(v.end(), frame.begin(), frame.end());
  v.resize(v.size() + (padded - frame.size()), 0);
  put32(v, len);
  return v;
}

}  // namespace

TEST_GROUP(PcapSource) {
  std::vector<std::string> files;
  std::string path(const char* tag) {
    files.push_back(temp_path(tag));
    return files.back();
  }
  void teardown() override {
    for (auto& f : files) std::remove(f.c_str());
  }
};

TEST(PcapSource, ReadsEveryFrameWithNanosecondTimestamps) {
  std::string p = path("ok.pcap");
  write_pcap(p, DLT_EN10MB, 3, 60);
  std::string err;
  auto src = tg::open_capture_file(p, err);
  CHECK_TRUE(src != nullptr);
  tg::CapturedFrame f;
  for (int k = 0; k < 3; ++k) {
    CHECK(src->next(f) == tg::SourceResult::frame);
    LONGS_EQUAL(60, f.data.size());
    LONGS_EQUAL(k, f.data[0]);
    CHECK(f.link == tg::LinkType::ethernet);
    CHECK_EQUAL(tg::TimeNs(1'000'000'001) + tg::TimeNs(k) * 20'000'000, f.ts);
  }
  CHECK(src->next(f) == tg::SourceResult::end);
  CHECK(src->next(f) == tg::SourceResult::end);
}

TEST(PcapSource, ReadsPcapng) {
  std::string p = path("ok.pcapng");
  write_bytes(p, make_pcapng(std::vector<uint8_t>(42, 0xAB), 1'500'000));
  std::string err;
  auto src = tg::open_capture_file(p, err);
  CHECK_TRUE_TEXT(src != nullptr, err.c_str());
  tg::CapturedFrame f;
  CHECK(src->next(f) == tg::SourceResult::frame);
  LONGS_EQUAL(42, f.data.size());
  CHECK_EQUAL(tg::TimeNs(1'500'000'000), f.ts);
  CHECK(src->next(f) == tg::SourceResult::end);
}

TEST(PcapSource, MapsRawIpLinkType) {
  std::string p = path("raw.pcap");
  write_pcap(p, DLT_RAW, 1, 28);
  std::string err;
  auto src = tg::open_capture_file(p, err);
  CHECK_TRUE(src != nullptr);
  tg::CapturedFrame f;
  CHECK(src->next(f) == tg::SourceResult::frame);
  CHECK(f.link == tg::LinkType::raw_ip);
}

TEST(PcapSource, MissingFileIsAClearError) {
  std::string err;
  auto src = tg::open_capture_file("/nonexistent/dir/x.pcap", err);
  CHECK_TRUE(src == nullptr);
  CHECK_TRUE(err.find("/nonexistent/dir/x.pcap") != std::string::npos);
  CHECK_TRUE(err.find("No such file") != std::string::npos);
}

TEST(PcapSource, GarbageFileIsAClearError) {
  std::string p = path("garbage.pcap");
  write_bytes(p, std::vector<uint8_t>(100, 'x'));
  std::string err;
  auto src = tg::open_capture_file(p, err);
  CHECK_TRUE(src == nullptr);
  CHECK_TRUE(err.find(p) == 0);
  CHECK_FALSE(err.size() <= p.size() + 2);
}

TEST(PcapSource, TruncatedRecordIsAnErrorAfterTheGoodFrames) {
  std::string p = path("trunc.pcap");
  write_pcap(p, DLT_EN10MB, 3, 60);
  auto bytes = read_bytes(p);
  bytes.resize(bytes.size() - 10);  // cut into the last record's data
  write_bytes(p, bytes);
  std::string err;
  auto src = tg::open_capture_file(p, err);
  CHECK_TRUE(src != nullptr);
  tg::CapturedFrame f;
  CHECK(src->next(f) == tg::SourceResult::frame);
  CHECK(src->next(f) == tg::SourceResult::frame);
  CHECK(src->next(f) == tg::SourceResult::error);
  CHECK_TRUE(src->error().find("truncated") != std::string::npos);
  CHECK(src->next(f) == tg::SourceResult::error);
}

TEST(PcapSource, UnsupportedLinkTypeIsRefusedAtOpen) {
  std::string p = path("wifi.pcap");
  write_pcap(p, DLT_IEEE802_11_RADIO, 1, 40);
  std::string err;
  auto src = tg::open_capture_file(p, err);
  CHECK_TRUE(src == nullptr);
  CHECK_TRUE(err.find("unsupported link type") != std::string::npos);
}

TEST(PcapSource, LiveCaptureOnMissingInterfaceIsAClearError) {
  std::string err;
  auto src = tg::open_live_capture("tgnosuchif0", 100, err);
  CHECK_TRUE(src == nullptr);
  CHECK_TRUE(err.find("tgnosuchif0") == 0);
}

TEST_GROUP(MemorySource){};

TEST(MemorySource, ReplaysFramesThenEnds) {
  tg::MemorySource m;
  m.add({1, 2, 3}, 10);
  m.add({4}, 20, tg::LinkType::raw_ip);
  tg::CapturedFrame f;
  CHECK(m.next(f) == tg::SourceResult::frame);
  LONGS_EQUAL(3, f.data.size());
  CHECK_EQUAL(tg::TimeNs(10), f.ts);
  CHECK(m.next(f) == tg::SourceResult::frame);
  CHECK(f.link == tg::LinkType::raw_ip);
  CHECK(m.next(f) == tg::SourceResult::end);
}

TEST(MemorySource, CanFailAfterFrames) {
  tg::MemorySource m;
  m.add({1}, 1);
  m.fail_after_frames("disk on fire");
  tg::CapturedFrame f;
  CHECK(m.next(f) == tg::SourceResult::frame);
  CHECK(m.next(f) == tg::SourceResult::error);
  STRCMP_EQUAL("disk on fire", m.error().c_str());
}
