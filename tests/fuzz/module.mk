# libFuzzer targets (`make fuzz`, clang): one per parser plus the whole
# per-packet path. Seeds in tests/fuzz/corpus/<name without fuzz->/.
FUZZERS += fuzz-packet fuzz-sip fuzz-sdp fuzz-rtp
fuzz-packet_SRCS := tests/fuzz/fuzz_packet.cpp
fuzz-packet_LIBS := tgcore
fuzz-sip_SRCS := tests/fuzz/fuzz_sip.cpp
fuzz-sip_LIBS := tgcore
fuzz-sdp_SRCS := tests/fuzz/fuzz_sdp.cpp
fuzz-sdp_LIBS := tgcore
fuzz-rtp_SRCS := tests/fuzz/fuzz_rtp.cpp
fuzz-rtp_LIBS := tgcore

# The RTP stream table driven by a script of operations (stateful).
FUZZERS += fuzz-streams
fuzz-streams_SRCS := tests/fuzz/fuzz_streams.cpp
fuzz-streams_LIBS := tgcore

# The call table driven by scripts of SIP messages and timer/SSRC operations.
FUZZERS += fuzz-calls
fuzz-calls_SRCS := tests/fuzz/fuzz_calls.cpp
fuzz-calls_LIBS := tgcore
