# tg-calls: reads the fast path's per-call export from shared memory (live
# calls table, CDR ring) and prints JSON; for scripts, tests and field checks.
BINS += tg-calls
tg-calls_SRCS := tools/calls/calls.cpp
tg-calls_LIBS := tgapi tgcore tgcommon
tg-calls_LDLIBS := -lboost_program_options -lrt
