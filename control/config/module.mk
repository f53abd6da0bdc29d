# Configuration of tg-controld: INI reader with FILE:LINE, schema, typed load
# through Boost.Program_options, validation, candidate/commit/rollback store.
LIBS += tgconfig
# The failover timer rule is the fast path's own (check_timers), compiled in
# from its source so every user of tgconfig validates with it without
# changing its link line.
tgconfig_SRCS := $(wildcard control/config/*.cpp) dataplane/failover/config.cpp
tgconfig_LDLIBS := -lboost_program_options

UNIT_TESTS += unit-config
unit-config_SRCS := $(wildcard tests/unit/control/config/*_test.cpp)
unit-config_LIBS := tgconfig tgapi tgcore
