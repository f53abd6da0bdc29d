#!/usr/bin/env bash
# timeout: 600
# Builds every libFuzzer target (clang, ASan+UBSan) and runs each for a
# bounded time over its seed corpus, so CI exercises the parsers with
# malformed input on every run. Fails on any crash, out-of-bounds read,
# UBSan report, leak or broken invariant (see tests/fuzz/fuzz_check.hpp).
#   FUZZ_SMOKE_SECONDS  seconds per target (default 10; `make fuzz` runs longer)
# The timeout leaves room for a clean clang build of tgcore on a busy 2-core
# machine (minutes) plus 10 s for each target declared in any module.mk.
set -u
. "$(dirname "$0")/lib/common.sh"
cd "$top"
seconds=${FUZZ_SMOKE_SECONDS:-10}
build=${BUILD:-build}/fuzz
temp_dir tmp tgfuzz
need_cmd clang++
# libFuzzer comes with clang's compiler-rt; without it nothing can link.
printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' >"$tmp/probe.cpp"
if ! clang++ -fsanitize=fuzzer "$tmp/probe.cpp" -o "$tmp/probe" 2>"$tmp/probe.log"; then
  cat "$tmp/probe.log"; fail "clang++ cannot link libFuzzer (make deps installs libclang-rt-14-dev)"
fi

fuzzers=$(make --no-print-directory -f Makefile -f - print-fuzzers <<<'print-fuzzers: ; @echo $(FUZZERS)')
if [ -z "$fuzzers" ]; then
  echo "FAIL: no FUZZERS declared in any module.mk"; exit 1
fi
echo "fuzzers: $fuzzers"

# Same flags as `make fuzz`, in this test's build tree.
if ! make --no-print-directory -j2 BUILD="$build" CXX=clang++ OPT=-O1 \
     SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" fuzz-build >"$tmp/build.log" 2>&1; then
  echo "FAIL: fuzz build"; tail -n 40 "$tmp/build.log"; exit 1
fi

# shellcheck disable=SC2086  # word splitting of the target list is intended
tests/run-fuzz --build "$build" --seconds "$seconds" $fuzzers
