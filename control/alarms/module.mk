# Alarm model (X.733 / RFC 3877): types table, active list, dedup, history, storms.
LIBS += tgalarms
tgalarms_SRCS := $(wildcard control/alarms/*.cpp)

UNIT_TESTS += unit-alarms
unit-alarms_SRCS := $(wildcard tests/unit/control/alarms/*_test.cpp)
unit-alarms_LIBS := tgalarms tgcommon
