# tg-cli: the technician's console (serial tty, any terminal, one-shot -c).
LIBS += tgcli
tgcli_SRCS := tools/cli/commands.cpp tools/cli/render.cpp tools/cli/line_editor.cpp

UNIT_TESTS += unit-cli
unit-cli_SRCS := $(wildcard tests/unit/tools/cli/*_test.cpp)
unit-cli_LIBS := tgcli tgcommon

BINS += tg-cli
tg-cli_SRCS := tools/cli/main.cpp
tg-cli_LIBS := tgcli tgmgmt tgdiagnose tgcore tgapi tgcommon
tg-cli_LDLIBS := -lboost_program_options -lrt
