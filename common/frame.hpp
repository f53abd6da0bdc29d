// A captured frame as every layer sees it: its bytes, capture time and link
// type. The capture driver produces it; the inspection core parses it.
#pragma once
#include <cstdint>

#include "common/bytes.hpp"

namespace tg {

// pcap LINKTYPE_* values the parser accepts.
enum class LinkType : uint16_t {
  null_loopback = 0,   // BSD loopback: 4-byte host-order family
  ethernet = 1,
  raw_ip = 101,        // also DLT_RAW 12/14 mapped by the reader
  linux_sll = 113,
  linux_sll2 = 276,
};

struct CapturedFrame {
  Bytes data;              // valid until the source reads the next frame
  TimeNs ts = 0;           // capture time, ns since the epoch
  LinkType link = LinkType::ethernet;
  uint32_t wire_length = 0;  // original length (data may be cut by snaplen)
};

}  // namespace tg
