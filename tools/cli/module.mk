# tg-cli: the technician's console (serial console, any terminal, one-shot).
LIBS += tgcli
tgcli_SRCS := tools/cli/cli.cpp tools/cli/grammar.cpp tools/cli/line_editor.cpp

BINS += tg-cli
tg-cli_SRCS := tools/cli/main.cpp
tg-cli_LIBS := tgcli tgcontrold tgmgmt tgconfig tgipc tgcore
tg-cli_LDLIBS := -lboost_program_options -lrt

UNIT_TESTS += unit-cli
unit-cli_SRCS := $(wildcard tests/unit/tools/cli/*_test.cpp)
unit-cli_LIBS := tgcli tgconfig tgcore
unit-cli_LDLIBS := -lboost_program_options
