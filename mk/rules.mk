# Build templates. A module.mk appends names to these lists and sets per-name
# variables; the templates below turn them into rules.
#
#   LIBS        += foo           foo_SRCS := a.cpp b.cpp   (static lib build/lib/libfoo.a)
#   BINS        += tg-bar        tg-bar_SRCS, tg-bar_LIBS := foo, tg-bar_LDLIBS := -lpcap
#   UNIT_TESTS  += unit-foo      same variables; linked with CppUTest and tests/unit/main.cpp
#   FUZZERS     += fuzz-foo      same variables; built with clang -fsanitize=fuzzer
#                                fuzz-foo_CORPUS := dir with seed inputs
#   BENCHES     += bench-foo     same variables; built with the normal flags
#   *_PKGS      := libdpdk       pkg-config packages for cflags and libs
#   *_CXXFLAGS                   extra compile flags for that target's sources

define obj_of
$(patsubst %.cpp,$(BUILD)/obj/$(2)/%.o,$(1))
endef

# $(1)=target name, $(2)=kind folder
define compile_template
$(1)_OBJS := $$(call obj_of,$$($(1)_SRCS),$(1))
$(1)_PKG_CFLAGS := $$(if $$($(1)_PKGS),$$(shell pkg-config --cflags $$($(1)_PKGS)))
$(1)_PKG_LIBS := $$(if $$($(1)_PKGS),$$(shell pkg-config --libs $$($(1)_PKGS)))
$$($(1)_OBJS): $(BUILD)/obj/$(1)/%.o: %.cpp
	@mkdir -p $$(dir $$@)
	$$(CXX) $$(CPPFLAGS) $$($(1)_PKG_CFLAGS) $$(CXXFLAGS) $$($(1)_CXXFLAGS) -c $$< -o $$@
-include $$($(1)_OBJS:.o=.d)
endef

define lib_template
$(call compile_template,$(1))
$(BUILD)/lib/lib$(1).a: $$($(1)_OBJS)
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
endef

# Libraries a target links, with their own pkg-config libs and LDLIBS.
define link_inputs
$(foreach l,$($(1)_LIBS),$(BUILD)/lib/lib$(l).a) $(foreach l,$($(1)_LIBS),$($(l)_LDLIBS))
endef

define bin_template
$(call compile_template,$(1))
$(BUILD)/$(2)/$(1): $$($(1)_OBJS) $$(foreach l,$$($(1)_LIBS),$(BUILD)/lib/lib$$(l).a)
	@mkdir -p $$(dir $$@)
	$$(CXX) $$(LDFLAGS) -o $$@ $$($(1)_OBJS) $$(call link_inputs,$(1)) $$($(1)_PKG_LIBS) $$($(1)_LDLIBS) $(3)
endef
