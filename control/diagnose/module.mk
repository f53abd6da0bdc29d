# Call diagnosis: per-call record (dataplane/api/calls.hpp) -> verdict,
# explanation and advice. Pure; used by tg-controld and tg-cli.
LIBS += tgdiagnose
tgdiagnose_SRCS := $(wildcard control/diagnose/*.cpp)

UNIT_TESTS += unit-diagnose
unit-diagnose_SRCS := $(wildcard tests/unit/control/diagnose/*_test.cpp)
unit-diagnose_LIBS := tgdiagnose tgcore tgcommon
