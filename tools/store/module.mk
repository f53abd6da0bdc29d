# tg-store: export call records / events (CSV, JSON), fault reports and alarm history from the store.
BINS += tg-store
tg-store_SRCS := tools/store/store.cpp
tg-store_LIBS := tgstore tgalarms tgsqlite tgcommon
tg-store_LDLIBS := -lboost_program_options
