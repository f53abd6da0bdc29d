# Management socket of tg-controld (server, access control, protocol) and
# its client (tg-cli, tests).
LIBS += tgmgmt

tgmgmt_SRCS := $(wildcard control/mgmt/*.cpp)

UNIT_TESTS += unit-mgmt
unit-mgmt_SRCS := $(wildcard tests/unit/control/mgmt/*_test.cpp)
unit-mgmt_LIBS := tgmgmt tgcommon
