# Benchmarks (`make bench` runs tests/bench/*.bench scripts).
BENCHES += bench-parsers
bench-parsers_SRCS := tests/bench/bench_parsers.cpp tests/bench/alloc_count.cpp
bench-parsers_LIBS := tgcapture tgcore tgcommon

BENCHES += bench-streams
bench-streams_SRCS := tests/bench/bench_streams.cpp tests/bench/alloc_count.cpp
bench-streams_LIBS := tgcore tgcommon
bench-streams_LDLIBS := -lpcap

BENCHES += bench-calls
bench-calls_SRCS := tests/bench/bench_calls.cpp tests/bench/alloc_count.cpp
bench-calls_LIBS := tgcore tgcommon
