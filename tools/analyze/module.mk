# tg-analyze: offline (pcap/pcapng) and live analysis of SIP calls and RTP
# streams on the inspection core; text report for people, JSON for machines.
LIBS += tganalyze
tganalyze_SRCS := $(wildcard tools/analyze/*.cpp)

UNIT_TESTS += unit-analyze
unit-analyze_SRCS := $(wildcard tests/unit/tools/analyze/*_test.cpp)
unit-analyze_LIBS := tganalyze
