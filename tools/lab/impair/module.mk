# tg-impair: delay/jitter/loss through NFQUEUE for the lab (the kernel here has no netem).
BINS += tg-impair
tg-impair_SRCS := tools/lab/impair/impair.cpp
tg-impair_LDLIBS := -lnetfilter_queue -lboost_program_options
