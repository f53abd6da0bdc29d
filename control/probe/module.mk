# Trunk health: the OPTIONS state machine (pure, injected time) and the
# sofia-sip (nta) prober that feeds it, one agent bound per uplink.
LIBS += tgprobe
tgprobe_SRCS := $(wildcard control/probe/*.cpp)
# -isystem: sofia's inline helpers do not build under our -Wextra -Werror.
tgprobe_CXXFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags sofia-sip-ua 2>/dev/null))
tgprobe_LDLIBS := $(shell pkg-config --libs sofia-sip-ua 2>/dev/null)

UNIT_TESTS += unit-probe
unit-probe_SRCS := $(wildcard tests/unit/control/probe/*_test.cpp)
unit-probe_LIBS := tgprobe tgcommon
