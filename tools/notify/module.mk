# tg-notify: send a test alarm, raise/clear by hand, drain the durable notification queue.
BINS += tg-notify
tg-notify_SRCS := tools/notify/notify.cpp
tg-notify_LIBS := tgnotify tgalarms tgsqlite tgcommon
tg-notify_LDLIBS := -lboost_program_options
