# The board-data parser (board/<board>/ports): no DPDK; tg-dataplane and
# tg-controld's kernel sync both read the port file with it.
LIBS += tgboard
tgboard_SRCS := board/board.cpp

UNIT_TESTS += unit-board
unit-board_SRCS := $(wildcard tests/unit/board/*_test.cpp)
unit-board_LIBS := tgboard tgcommon
