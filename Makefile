# Liaison: a plain GNU Makefile; the knobs are in config.mk.
#   make            build bin/liaison-server and bin/liaison
#   make deps       install the Debian packages that are missing (DESIGN.md §2)
#   make run        deps, build, start a relay on ./var/server (127.0.0.1:7443)
#   make test       deps, build, the whole suite; ends with "N passed, N failed"
#   make test SAN=1 the same under AddressSanitizer and UBSan
#   make bench      benchmarks (tests/bench), figures on stdout and var/bench/
#   make fuzz       the libFuzzer targets at length
include config.mk

CFLAGS  = $(CSTD) $(WARN) $(OPT) $(HARDEN) $(SANFLAGS) -I. -I$(BUILD)/gen $(PKG_CFLAGS)
GENFLAGS = $(CSTD) $(OPT) $(HARDEN) $(SANFLAGS) -I. -I$(BUILD)/gen $(PKG_CFLAGS)
LDFLAGS = -pie $(SANFLAGS)

PROTO   = protocol/wire.proto
GEN_C   = $(BUILD)/gen/protocol/wire.pb-c.c
GEN_H   = $(BUILD)/gen/protocol/wire.pb-c.h

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

PROTOCOL_SRC  := $(wildcard protocol/*.c)
DIRECTORY_SRC := $(wildcard directory/*.c)
SERVER_SRC    := $(filter-out server/main.c,$(wildcard server/*.c))
CORE_SRC      := $(wildcard client-tui/core/*.c)
CLI_SRC       := $(wildcard client-tui/cli/*.c)
TUI_SRC       := $(wildcard client-tui/tui/*.c)
UNIT_SRC      := $(wildcard tests/unit/test_*.c)
BENCH_SRC     := $(wildcard tests/bench/bench_*.c)
FUZZ_SRC      := $(wildcard tests/fuzz/fuzz_*.c)
TESTLIB_SRC   := $(wildcard tests/lib/*.c)
TOOLS_SRC     := $(wildcard tests/tools/*.c)

LIB_PROTOCOL  = $(BUILD)/libliaison-protocol.a
LIB_DIRECTORY = $(BUILD)/libliaison-directory.a
LIB_SERVER    = $(BUILD)/libliaison-server.a
LIB_CORE      = $(BUILD)/libliaison-core.a
LIB_TEST      = $(BUILD)/libliaison-test.a

UNIT_BIN  = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
BENCH_BIN = $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
TOOLS_BIN = $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOLS_SRC))

.PHONY: all deps run test unit tools bench fuzz fuzz-build clean install
# The binaries are linked in $(BUILD)/bin (build/ or build-san/) and copied to
# bin/ whenever they differ, so bin/ always holds the flavour last built.
all: $(BUILD)/bin/liaison-server $(BUILD)/bin/liaison
	@mkdir -p bin
	@for b in liaison-server liaison; do \
	  cmp -s $(BUILD)/bin/$$b bin/$$b || { cp $(BUILD)/bin/$$b bin/.$$b.new && mv bin/.$$b.new bin/$$b; }; \
	done

deps:
	@tools/deps.sh

$(GEN_C) $(GEN_H): $(PROTO)
	@mkdir -p $(BUILD)/gen
	protoc-c --proto_path=. --c_out=$(BUILD)/gen $(PROTO)

# Generated code is compiled without our warning set: it is not ours to edit.
$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(GENFLAGS) -c $< -o $@

$(BUILD)/%.o: %.c $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB_PROTOCOL): $(call obj,$(PROTOCOL_SRC)) $(BUILD)/gen/protocol/wire.pb-c.o
	$(AR) rcs $@ $^
$(LIB_DIRECTORY): $(call obj,$(DIRECTORY_SRC)) | $(BUILD)
	$(AR) rcs $@ $^
$(LIB_SERVER): $(call obj,$(SERVER_SRC)) | $(BUILD)
	$(AR) rcs $@ $^
$(LIB_CORE): $(call obj,$(CORE_SRC)) | $(BUILD)
	$(AR) rcs $@ $^
$(LIB_TEST): $(call obj,$(TESTLIB_SRC)) | $(BUILD)
	$(AR) rcs $@ $^
$(BUILD):
	@mkdir -p $@

LIBS_ALL = $(LIB_CORE) $(LIB_SERVER) $(LIB_DIRECTORY) $(LIB_PROTOCOL)

$(BUILD)/bin/liaison-server: $(call obj,server/main.c) $(LIB_SERVER) $(LIB_DIRECTORY) $(LIB_PROTOCOL)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/bin/liaison: $(call obj,$(CLI_SRC) $(TUI_SRC)) $(LIB_CORE) $(LIB_DIRECTORY) $(LIB_PROTOCOL)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(CURSES_LIBS) $(PKG_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(LIBS_ALL) $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-missing-prototypes $(LDFLAGS) -o $@ $< $(LIBS_ALL) $(CMOCKA_LIBS) $(CURSES_LIBS) $(PKG_LIBS)

$(BUILD)/bench/%: tests/bench/%.c $(LIB_TEST) $(LIBS_ALL) $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_TEST) $(LIBS_ALL) $(PKG_LIBS) -lm

# Test-only programs the end-to-end scripts drive (never installed).
$(BUILD)/tools/%: tests/tools/%.c $(LIB_TEST) $(LIBS_ALL) $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_TEST) $(LIBS_ALL) $(PKG_LIBS)

unit: $(UNIT_BIN)
tools: $(TOOLS_BIN)

# The whole suite: unit, end-to-end, TUI and short fuzz runs (tests/run.sh
# adds up the results and prints the closing "N passed, N failed").
test: deps
	@$(MAKE) --no-print-directory all unit tools fuzz-build
	@BUILD=$(BUILD) SAN=$(SAN) tests/run.sh

run: deps
	@$(MAKE) --no-print-directory all
	@tools/run-relay.sh

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@BUILD=$(BUILD) tests/bench/run.sh

# libFuzzer targets: clang, with the protocol and directory code instrumented.
FUZZ_CC     = clang
FUZZ_BUILD  = $(BUILD)/fuzz
FUZZ_FLAGS  = $(CSTD) -g -O1 -fsanitize=fuzzer-no-link,address,undefined -I. -I$(BUILD)/gen $(PKG_CFLAGS)
FUZZ_OBJ    = $(patsubst %.c,$(FUZZ_BUILD)/%.o,$(PROTOCOL_SRC) $(DIRECTORY_SRC)) $(FUZZ_BUILD)/gen/wire.pb-c.o
FUZZ_BIN    = $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(FUZZ_SRC))

$(FUZZ_BUILD)/gen/wire.pb-c.o: $(GEN_C)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -c $< -o $@
$(FUZZ_BUILD)/%.o: %.c $(GEN_H)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -c $< -o $@
$(FUZZ_BUILD)/%: tests/fuzz/%.c $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS)

# Keep the instrumented objects between runs; fuzz_qr includes the QR code
# of the client core in its own translation unit.
.SECONDARY: $(FUZZ_OBJ)
$(FUZZ_BUILD)/fuzz_qr: client-tui/core/qr.c client-tui/core/qr.h

fuzz-build: $(FUZZ_BIN)
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@BUILD=$(BUILD) FUZZ_SECONDS=$${FUZZ_SECONDS:-300} tests/fuzz/run.sh

install: all
	install -d $(DESTDIR)/usr/local/bin
	install -m 0755 bin/liaison-server bin/liaison $(DESTDIR)/usr/local/bin/

clean:
	rm -rf build build-san bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
