# RAII wrapper over SQLite shared by the notification queue and the event store.
LIBS += tgsqlite
tgsqlite_SRCS := $(wildcard control/sqlite/*.cpp)
tgsqlite_LDLIBS := -lsqlite3
