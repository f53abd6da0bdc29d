# Failover decision figures on the simulated network of the unit tests.
BENCHES += bench-failover
bench-failover_SRCS := tests/bench/failover/bench_failover.cpp
bench-failover_LIBS := tgfailover tgapi tgcore tgcommon
