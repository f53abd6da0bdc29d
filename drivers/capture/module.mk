# libpcap boundary: capture files and live capture behind PacketSource.
LIBS += tgcapture
tgcapture_SRCS := $(wildcard drivers/capture/*.cpp)
tgcapture_LDLIBS := -lpcap

UNIT_TESTS += unit-capture
unit-capture_SRCS := $(wildcard tests/unit/drivers/capture/*_test.cpp)
unit-capture_LIBS := tgcapture tgcore tgcommon
unit-capture_LDLIBS := -lpcap
