# tg-probe: SIP OPTIONS probing of one trunk from one local address, one JSON
# line per probe (one-shot or loop); the daemon's prober and state machine.
BINS += tg-probe
tg-probe_SRCS := tools/probe/probe.cpp
tg-probe_LIBS := tgprobe tgcommon
