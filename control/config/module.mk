# Configuration of tg-controld: INI reader with FILE:LINE, schema, typed load
# through Boost.Program_options, validation, candidate/commit/rollback store.
LIBS += tgconfig
# The failover timer rule is the fast path's published one
# (dataplane/api/timers.hpp): users of tgconfig link tgapi.
tgconfig_SRCS := $(wildcard control/config/*.cpp)
tgconfig_LDLIBS := -lboost_program_options

UNIT_TESTS += unit-config
unit-config_SRCS := $(wildcard tests/unit/control/config/*_test.cpp)
unit-config_LIBS := tgconfig tgapi tgcore tgcommon
