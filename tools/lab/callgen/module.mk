# tg-callgen: SIP/RTP call generator over UDP sockets (lab, tests, benchmarks).
BINS += tg-callgen
tg-callgen_SRCS := tools/lab/callgen/callgen.cpp
tg-callgen_LIBS := tgcore tgcommon
tg-callgen_LDLIBS := -lboost_program_options

UNIT_TESTS += unit-callgen
unit-callgen_SRCS := $(wildcard tests/unit/tools/lab/callgen/*_test.cpp)
