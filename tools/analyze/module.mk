# tg-analyze: offline (pcap/pcapng) and live analysis of SIP calls and RTP
# streams on the inspection core; text report for people, JSON for machines.
LIBS += tganalyze
tganalyze_SRCS := $(filter-out tools/analyze/main.cpp,$(wildcard tools/analyze/*.cpp))

BINS += tg-analyze
tg-analyze_SRCS := tools/analyze/main.cpp
tg-analyze_LIBS := tganalyze tgcapture tgcore tgcommon
tg-analyze_LDLIBS := -lboost_program_options

UNIT_TESTS += unit-analyze
unit-analyze_SRCS := $(wildcard tests/unit/tools/analyze/*_test.cpp)
unit-analyze_LIBS := tganalyze tgcapture tgcore tgcommon
unit-analyze_LDLIBS := -lpcap
unit-analyze_CXXFLAGS := -DTG_TEST_DATA='"$(CURDIR)/tests/data"'

# Packets/s of the inspection core over a capture in memory (tests/bench/analyze.bench).
BENCHES += bench-inspect
bench-inspect_SRCS := tests/bench/inspect_bench.cpp tests/bench/alloc_count.cpp
bench-inspect_LIBS := tgcapture tgcore tgcommon

# The whole per-packet path with state across frames, and the reports (make fuzz).
FUZZERS += fuzz-inspect
fuzz-inspect_SRCS := tests/fuzz/fuzz_inspect.cpp
fuzz-inspect_LIBS := tganalyze tgcore tgcommon
