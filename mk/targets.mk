# Top-level goals, after every module.mk has been read.
CPPUTEST_LIBS := -lCppUTest -lCppUTestExt

$(foreach l,$(LIBS),$(eval $(call lib_template,$(l))))
$(foreach b,$(BINS),$(eval $(call bin_template,$(b),bin,)))
$(foreach t,$(UNIT_TESTS),$(eval $(t)_SRCS += tests/unit/main.cpp))
$(foreach t,$(UNIT_TESTS),$(eval $(call bin_template,$(t),tests,$(CPPUTEST_LIBS))))
$(foreach t,$(BENCHES),$(eval $(call bin_template,$(t),bench,)))

BIN_PATHS   := $(addprefix $(BUILD)/bin/,$(BINS))
TEST_PATHS  := $(addprefix $(BUILD)/tests/,$(UNIT_TESTS))
BENCH_PATHS := $(addprefix $(BUILD)/bench/,$(BENCHES))

.PHONY: all unit test asan fuzz fuzz-build bench deps run clean lab-clean image qemu
all: $(BIN_PATHS) $(TEST_PATHS) $(BENCH_PATHS)

unit: $(TEST_PATHS)
	tests/run-tests --build $(BUILD) --unit-only

test: all
	tests/run-tests --build $(BUILD)

# Same unit tests, separate build tree, ASan + UBSan, no optimisation surprises.
asan:
	$(MAKE) BUILD=build/asan OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" unit

# libFuzzer targets: clang, their own build tree, each run for FUZZ_SECONDS.
fuzz:
	$(MAKE) BUILD=build/fuzz CXX=clang++ OPT=-O1 \
	  SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" fuzz-build
	tests/run-fuzz --build build/fuzz --seconds $(FUZZ_SECONDS) $(FUZZERS)

$(foreach f,$(FUZZERS),$(eval $(call bin_template,$(f),fuzz,-fsanitize=fuzzer)))
fuzz-build: $(addprefix $(BUILD)/fuzz/,$(FUZZERS))

bench: all
	tests/bench/run-bench --build $(BUILD)

deps:
	tools/install-deps

# On a fresh machine: what is missing gets installed, then built, then run.
run:
	tools/install-deps
	$(MAKE) all
	tools/lab/run

# Bootable disk image of the current build for a board (BOARD=qemu by
# default): build/image/trunkguard-BOARD-VERSION.img, and
# build/image/trunkguard-BOARD.img pointing at the newest one.
IMAGE_BOARD = $(or $(BOARD),qemu)
image: all
	firmware/mkimage --build $(BUILD) --board $(IMAGE_BOARD)

# Boots that image under qemu with its serial console on this terminal.
qemu:
	@[ -x board/$(IMAGE_BOARD)/qemu ] || { echo "make qemu: board '$(IMAGE_BOARD)' does not run under qemu (try BOARD=qemu)" >&2; exit 2; }
	$(MAKE) image BOARD=$(IMAGE_BOARD)
	board/$(IMAGE_BOARD)/qemu --snapshot $(BUILD)/image/trunkguard-$(IMAGE_BOARD).img

lab-clean:
	tools/lab/lab clean

clean:
	rm -rf build
