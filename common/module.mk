# Shared vocabulary of every layer: addresses and endpoints, byte views and
# times, a captured frame, the name-table helper. Depends on nothing else.
LIBS += tgcommon
tgcommon_SRCS := $(wildcard common/*.cpp)

UNIT_TESTS += unit-common
unit-common_SRCS := $(wildcard tests/unit/common/*_test.cpp)
unit-common_LIBS := tgcommon
