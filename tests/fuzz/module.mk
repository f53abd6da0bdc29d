# libFuzzer targets (`make fuzz`, clang): one per parser plus the whole
# per-packet path. Seeds in tests/fuzz/corpus/<name without fuzz->/.
FUZZERS += fuzz-packet fuzz-sip fuzz-sdp fuzz-rtp
fuzz-packet_SRCS := tests/fuzz/fuzz_packet.cpp
fuzz-packet_LIBS := tgcore tgcommon
fuzz-sip_SRCS := tests/fuzz/fuzz_sip.cpp
fuzz-sip_LIBS := tgcore tgcommon
fuzz-sdp_SRCS := tests/fuzz/fuzz_sdp.cpp
fuzz-sdp_LIBS := tgcore tgcommon
fuzz-rtp_SRCS := tests/fuzz/fuzz_rtp.cpp
fuzz-rtp_LIBS := tgcore tgcommon

# The RTP stream table driven by a script of operations (stateful).
FUZZERS += fuzz-streams
fuzz-streams_SRCS := tests/fuzz/fuzz_streams.cpp
fuzz-streams_LIBS := tgcore tgcommon

# The call table driven by scripts of SIP messages and timer/SSRC operations.
FUZZERS += fuzz-calls
fuzz-calls_SRCS := tests/fuzz/fuzz_calls.cpp
fuzz-calls_LIBS := tgcore tgcommon

# The fast path's per-packet decisions (ARP, ND, IPv4/IPv6 SNAT, echo) over
# a sequence of frames; only the DPDK-free sources of tgfastpath.
FUZZERS += fuzz-forwarder
fuzz-forwarder_SRCS := tests/fuzz/fuzz_forwarder.cpp dataplane/fastpath/forwarder.cpp dataplane/fastpath/nat.cpp \
  dataplane/fastpath/neighbor.cpp dataplane/fastpath/frame.cpp dataplane/fastpath/disposition.cpp
fuzz-forwarder_LIBS := tgcore tgcommon
