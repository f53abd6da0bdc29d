# Event, alarm and call-record store (SQLite) with fault reports and CSV/JSON export.
LIBS += tgstore
tgstore_SRCS := $(wildcard control/store/*.cpp)

UNIT_TESTS += unit-store
unit-store_SRCS := $(wildcard tests/unit/control/store/*_test.cpp)
unit-store_LIBS := tgstore tgalarms tgsqlite tgcommon
