# Makefile - builds cgoscope (BPF object, skeleton, agent), its test programs and tests.
OUTPUT ?= .output
CLANG ?= clang
BPFTOOL ?= bpftool
PROTOC_C ?= protoc-c
GO ?= /usr/local/go/bin/go
GO119 ?= /usr/lib/go-1.19/bin/go
ARCH := x86
VERSION := 0.1.0

SANITIZE ?=
CFLAGS ?= -g -O2
WARN := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2 -Wstrict-prototypes
# The agent's rooms (agent/*/README.md): each folder's headers are on the include path.
AGENT_DIRS := $(patsubst %/,%,$(sort $(dir $(wildcard agent/*/*.c agent/*/*.h))))
CPPFLAGS := -D_GNU_SOURCE -DCGOSCOPE_VERSION='"$(VERSION)"' -I$(OUTPUT) -I$(OUTPUT)/proto -Ibpf \
	$(addprefix -I,$(AGENT_DIRS))
LIBS := -lbpf -lelf -lz -ljansson -lmicrohttpd -lgnutls -lcrypt -lyaml -lcapstone -lprotobuf-c -lm -lpthread
ifneq ($(SANITIZE),)
CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif
# The C objects record the flags they were built with: changing SANITIZE rebuilds them.
BUILD_FLAGS := $(CC) $(CFLAGS) $(LDFLAGS)

AGENT_SRCS := $(wildcard agent/*/*.c)
vpath %.c $(AGENT_DIRS)
# protobuf-c code generated from agent/output/proto/*.proto (the pprof profile schema).
PROTOS := $(notdir $(basename $(wildcard agent/output/proto/*.proto)))
PROTO_SRCS := $(patsubst %,$(OUTPUT)/proto/%.pb-c.c,$(PROTOS))
PROTO_HDRS := $(PROTO_SRCS:.c=.h)
PROTO_OBJS := $(patsubst %,$(OUTPUT)/proto/%.pb-c.o,$(PROTOS))
AGENT_OBJS := $(patsubst %.c,$(OUTPUT)/agent/%.o,$(notdir $(AGENT_SRCS))) $(PROTO_OBJS)
LIB_OBJS := $(filter-out $(OUTPUT)/agent/main.o,$(AGENT_OBJS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/unit/%,$(UNIT_SRCS))
UNIT_HELPERS := tests/unit/sample_snapshot.c tests/unit/testbin.c
GO_PROGS := $(notdir $(patsubst %/,%,$(dir $(wildcard tests/go/*/main.go))))
GO_BINS := $(addprefix $(OUTPUT)/go/,$(GO_PROGS))
GO_SHARED := $(wildcard tests/internal/*/*.go)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: all deps demo test test-unit test-matrix matrix realworld unit e2e bench soak clean gobins format fuzz fuzz-build FORCE
.DEFAULT_GOAL := all

all: $(OUTPUT)/cgoscope

deps:
	$(Q)./scripts/deps.sh

$(OUTPUT) $(OUTPUT)/agent $(OUTPUT)/proto $(OUTPUT)/unit $(OUTPUT)/go:
	$(Q)mkdir -p $@

# vmlinux.h from the running kernel's BTF; the committed copy when there is none.
$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)if [ -r /sys/kernel/btf/vmlinux ] && $(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp 2>/dev/null; \
	then mv $@.tmp $@; else rm -f $@.tmp; cp bpf/vmlinux/vmlinux_$(ARCH).h $@; fi

$(OUTPUT)/cgoscope.bpf.o: bpf/cgoscope.bpf.c bpf/cgoscope.h $(OUTPUT)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -Wall -target bpf -D__TARGET_ARCH_$(ARCH) -I$(OUTPUT) -Ibpf -c $< -o $@
	$(Q)llvm-strip -g $@ 2>/dev/null || true

$(OUTPUT)/cgoscope.skel.h: $(OUTPUT)/cgoscope.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name cgoscope_bpf > $@

$(OUTPUT)/.build-flags: FORCE | $(OUTPUT)
	$(Q)echo '$(BUILD_FLAGS)' | cmp -s - $@ || echo '$(BUILD_FLAGS)' > $@

# One protoc-c run makes both files (a pattern rule with two targets is one recipe); agent
# objects wait for the headers, and their .d files then track them.
.SECONDARY: $(PROTO_SRCS) $(PROTO_HDRS)
$(OUTPUT)/proto/%.pb-c.c $(OUTPUT)/proto/%.pb-c.h: agent/output/proto/%.proto | $(OUTPUT)/proto
	$(call msg,PROTOC-C,$@)
	$(Q)$(PROTOC_C) --proto_path=agent/output/proto --c_out=$(OUTPUT)/proto $<

# The generated code builds with the project's flags, warnings included.
$(OUTPUT)/proto/%.pb-c.o: $(OUTPUT)/proto/%.pb-c.c $(OUTPUT)/proto/%.pb-c.h $(OUTPUT)/.build-flags
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) -c $< -o $@

$(OUTPUT)/agent/%.o: %.c $(OUTPUT)/cgoscope.skel.h $(OUTPUT)/.build-flags \
		| $(OUTPUT)/agent $(PROTO_HDRS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) -MMD -MP -c $< -o $@

$(OUTPUT)/cgoscope: $(AGENT_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

$(OUTPUT)/unit/%: tests/unit/%.c $(UNIT_HELPERS) $(LIB_OBJS) $(PROTO_HDRS) $(OUTPUT)/.build-flags \
		| $(OUTPUT)/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) $(LDFLAGS) $< $(UNIT_HELPERS) $(LIB_OBJS) $(LIBS) -lcmocka -o $@

# Test workloads: Go programs that print their own ground truth.
gobins: $(GO_BINS) $(OUTPUT)/go/cgoload-stripped
$(OUTPUT)/go/%: tests/go/%/*.go $(GO_SHARED) tests/go.mod | $(OUTPUT)/go
	$(call msg,GO,$@)
	$(Q)cd tests && CGO_ENABLED=1 $(GO) build -o $(abspath $@) ./go/$*

# cgoload without .symtab and DWARF, like a stripped production binary.
$(OUTPUT)/go/cgoload-stripped: tests/go/cgoload/*.go $(GO_SHARED) tests/go.mod | $(OUTPUT)/go
	$(call msg,GO,$@)
	$(Q)cd tests && CGO_ENABLED=1 $(GO) build -ldflags='-s -w' -o $(abspath $@) ./go/cgoload

# Go binaries that test_gobin reads.
$(OUTPUT)/testbin/.stamp: tests/unit/make_testbins.sh $(wildcard tests/unit/testdata/*/*)
	$(Q)GO=$(GO) GO119=$(GO119) ./tests/unit/make_testbins.sh $(OUTPUT)/testbin

unit: $(UNIT_BINS) $(OUTPUT)/unit/prom_dump $(OUTPUT)/testbin/.stamp

# The e2e support matrix: cgoload per Go version and build mode (scripts/build_matrix.sh),
# its toolchains fetched once through the module proxy into the module cache (~1 min, 2 GB;
# OFFLINE=1: only those already cached), and workloads using real cgo modules from the module
# proxy (scripts/build_realworld.sh). Cells that cannot be built are skipped, loudly.
MATRIX_FETCH := $(if $(OFFLINE),,--fetch)
matrix:
	$(Q)GO=$(GO) GO119=$(GO119) ./scripts/build_matrix.sh $(MATRIX_FETCH) $(OUTPUT)/go/matrix
realworld:
	$(Q)GO=$(GO) ./scripts/build_realworld.sh $(OUTPUT)/go

test: deps
	$(Q)[ "$$(id -u)" -eq 0 ] || { echo "make test: the e2e tests need root (BPF, uprobes); run as root, or make test-unit for the unit tests only" >&2; exit 1; }
	$(Q)$(MAKE) --no-print-directory all unit gobins matrix realworld
	$(Q)./tests/run.sh

# The unit tests and shell checks alone (no root, no BPF): what a non-root developer runs.
test-unit: unit
	$(Q)E2E=0 ./tests/run.sh

# test, with the toolchains fetched even under OFFLINE=1.
test-matrix: deps
	$(Q)GO=$(GO) GO119=$(GO119) ./scripts/build_matrix.sh --fetch $(OUTPUT)/go/matrix
	$(Q)$(MAKE) --no-print-directory test

# Target-safety soak: tests/go/soak (GC, stack growth in callbacks, panics across cgo, locked
# threads, 2000 migrating goroutines, fork/exec) under the agent and under profile, SOAK_SECONDS
# each, with exact counts (tests/e2e/soak_test.go; `make test` runs it for 20 s).
SOAK_SECONDS ?= 300
soak: deps
	$(Q)$(MAKE) --no-print-directory all gobins
	$(Q)cd tests && CGOSCOPE=$(abspath $(OUTPUT))/cgoscope CGOSCOPE_GOBIN=$(abspath $(OUTPUT))/go \
		CGOSCOPE_SOAK_SECONDS=$(SOAK_SECONDS) GOTOOLCHAIN=local $(GO) test -count=1 -v -timeout 0 -run 'TestSoak$$' ./e2e/

demo: deps
	$(Q)$(MAKE) --no-print-directory all $(OUTPUT)/go/cgoload
	$(Q)./scripts/demo.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all gobins $(OUTPUT)/bench/prom_bench $(OUTPUT)/bench/census_bench
	$(Q)./scripts/bench.sh
	$(Q)./scripts/bench_accuracy.sh
	$(Q)./scripts/bench_census.sh
	$(Q)./scripts/bench_agent.sh

# Micro-benchmarks without BPF: /metrics render time (scripts/bench_agent.sh runs it), the
# census's cost per read (scripts/bench_census.sh).
$(OUTPUT)/bench/%: tests/bench/%.c $(LIB_OBJS) $(OUTPUT)/.build-flags
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) $(LDFLAGS) $< $(LIB_OBJS) $(LIBS) -o $@

# libFuzzer harnesses (clang): the ELF/pclntab/buildinfo readers, probe planning, x86
# decoding, demangling. `make fuzz` runs each for FUZZ_SECONDS; test_fuzz_short.sh runs briefly.
FUZZ_SECONDS ?= 60
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_OBJS := $(patsubst %,$(OUTPUT)/fuzz/obj/%.o,gobin buildinfo pclntab pcvalue gosym x86 cnames probeplan \
	census censio censm censg censmem censtack regflow)

$(OUTPUT)/fuzz/obj/%.o: %.c agent/*/*.h
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(CPPFLAGS) -c $< -o $@

$(OUTPUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	$(call msg,FUZZER,$@)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer $(FUZZ_SAN) $(CPPFLAGS) $^ -lbpf -lelf -lz -lcapstone -o $@

fuzz-build: $(FUZZ_OBJS) $(FUZZ_BINS)

fuzz: fuzz-build $(OUTPUT)/testbin/.stamp
	$(Q)OUTPUT=$(OUTPUT) ./tests/fuzz/run.sh $(FUZZ_SECONDS)

format:
	clang-format -i agent/*/*.c agent/*/*.h bpf/*.c bpf/cgoscope.h tests/unit/*.c

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf $(OUTPUT)

-include $(wildcard $(OUTPUT)/agent/*.d)
