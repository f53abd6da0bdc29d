# TrunkGuard: the one top-level entry point.
#   make deps    install every Debian package the project needs (idempotent)
#   make         build everything with -Wall -Wextra -Werror, C++20
#   make test    build and run unit + integration tests; last line "N passed, N failed"
#   make asan    unit tests under ASan+UBSan
#   make fuzz    libFuzzer targets (clang), each for FUZZ_SECONDS
#   make bench   benchmarks (speed is measured here only, never in unit tests)
#   make run     the appliance on the virtual board
#
# Each folder declares what it builds in a module.mk (see mk/rules.mk for the
# variables); this file only includes them, so a new module never edits it.

BUILD      ?= build
CXX        ?= g++
OPT        ?= -O2
SAN        ?=
CPPFLAGS   += -I. -MMD -MP
CXXFLAGS   ?= $(OPT) -g -std=c++20 -Wall -Wextra -Werror -fno-strict-aliasing $(SAN)
LDFLAGS    += $(SAN)
FUZZ_SECONDS ?= 30
# Build on every core unless told otherwise (JOBS=1 for a readable log).
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
MAKEFLAGS += -j$(JOBS)

.DEFAULT_GOAL := all

include mk/rules.mk
MODULES := $(sort $(shell find . -name module.mk -not -path './build/*' -not -path './.git/*'))
include $(MODULES)
include mk/targets.mk
