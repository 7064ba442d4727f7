# zmqsuite — one command runs the main job (make run), one passes the tests (make test).
# Both do their own set-up (make deps). Outputs go under out/.

SHELL := bash
.SHELLFLAGS := -o pipefail -ec
GO ?= go
OUT ?= out
# OUT may be relative (to this directory) or absolute; everything that leaves make's own
# working directory (peers, test binaries, the report path) gets the absolute form.
OUT_ABS := $(abspath $(OUT))
FILTER ?=
PROCS ?=
SHARD ?=
QUICK ?=
FULL ?=
GRID ?=
export ZMQSUITE_ROOT := $(CURDIR)
export ZMQSUITE_OUT := $(OUT_ABS)
export GO

# The libzmq peer needs cgo and libzmq's pkg-config file; without them zmqpeer is built
# without it, and doctor and the matrix report libzmq as unavailable (red unless
# ZMQSUITE_OPTIONAL names it). Evaluated when a recipe runs, never when make reads this file:
# `make test` on a fresh machine installs libzmq in its deps step, after parsing.
PEER_TAGS = $$(bash scripts/peer-tags.sh)
EXE := $(shell $(GO) env GOEXE)
ZMQPEER := $(OUT_ABS)/bin/zmqpeer$(EXE)
ZMQSUITE := $(OUT_ABS)/bin/zmqsuite$(EXE)
export ZMQSUITE_ZMQPEER := $(ZMQPEER)
SUITE_FLAGS = $(if $(FILTER),--filter '$(FILTER)') $(if $(PROCS),--procs $(PROCS)) $(if $(SHARD),--shard $(SHARD))

.PHONY: all deps build test unit pytest check-peers suites conformance wire faults fuzz soak hosts bench bench-hosts bench-check report run doctor vet clean
all: test

deps:
	@bash scripts/deps.sh

build:
	@mkdir -p $(OUT)/bin
	$(GO) build $(PEER_TAGS) -o $(ZMQPEER) ./cmd/zmqpeer
	$(GO) build -o $(ZMQSUITE) ./cmd/zmqsuite

doctor: deps build
	@$(ZMQSUITE) doctor

vet:
	gofmt -l . | (! grep .) || (echo "gofmt: files above need formatting"; exit 1)
	$(GO) vet ./...
	tags=$(PEER_TAGS); [ -z "$$tags" ] || $(GO) vet $$tags ./...

# Unit tests of the harness, peers, scenarios and reports, and the suites' own TestUnit* tests
# (the suites themselves run below).
unit: build
	$(GO) test $(PEER_TAGS) -count=1 $$($(GO) list ./... | grep -v /suites/)
	$(GO) test -count=1 -run '^TestUnit' ./suites/...

pytest:
	@py=$$(source scripts/python.sh && find_python) && echo "pyclients tests with $$py" && \
	  "$$py" -m unittest discover -s pyclients -t . -v 2>&1 | tail -n 5

# The conformance matrix: every case × transport × pairing. FILTER='transport:ipc && bind:pyzmq'
# selects a slice by labels, SHARD=2/4 one deterministic quarter.
conformance: build
	@$(ZMQSUITE) suite conformance $(SUITE_FLAGS)

# The peer contract check (docs/peer-protocol.md) on every implementation's peer.
check-peers: build
	@$(ZMQSUITE) check-peer -impls all

# The other suites on the same engine: the wire level (our own ZMTP peer against each
# implementation), faults and load, and conformance's tcp cells across two simulated hosts.
wire: build
	@$(ZMQSUITE) suite wire $(SUITE_FLAGS)

faults: build
	@$(ZMQSUITE) suite faults $(SUITE_FLAGS)

# Every suite of one machine, each to its end even when another is red (a red cell is a
# result, not the end of the run); the status says whether any was red. faults runs beside
# the others (its cells mostly wait; its lines carry "[faults] "); SERIAL=1 runs them one
# after another (scripts/suites.sh says why).
SUITES := conformance wire faults
SERIAL ?=
suites: build
	@SERIAL=$(SERIAL) MAKE='$(MAKE)' bash scripts/suites.sh $(SUITES)

# The wire suite's mutation run for DURATION (default 10m) on every implementation, saving
# each new kind of crash, minimized, as a reproducer that W.REPRO.n replays from then on
# (suites/wire/testdata/reproducers). `make wire` runs a short one (300 mutations each).
DURATION ?= 10m
fuzz: build
	@ZMQSUITE_FUZZ_DURATION=$(DURATION) ZMQSUITE_FUZZ_COUNT=0 ZMQSUITE_FUZZ_MINIMIZE=1 \
	  ZMQSUITE_FUZZ_SAVE=$(CURDIR)/suites/wire/testdata/reproducers \
	  $(ZMQSUITE) suite wire --filter 'case:W.FUZZ$(if $(FILTER), && ($(FILTER)))' $(if $(PROCS),--procs $(PROCS))

# The load and leak cases (LOAD.1, LEAK.1) repeated for DURATION (say 1h) on each
# implementation; the record's rounds metric says how many rounds ran. The suite's bound grows
# with the duration.
soak: build
	@ZMQSUITE_SOAK_DURATION=$(DURATION) $(ZMQSUITE) suite faults --filter 'pattern:load$(if $(FILTER), && ($(FILTER)))' \
	  $(if $(PROCS),--procs $(PROCS))

# Conformance's tcp cells between two simulated hosts (network namespaces joined by a shaping
# router: docs/hosts.md), one run per scenario; needs root. NET='20ms,mtu1280' picks scenarios;
# with a placement of your own (ZMQSUITE_HOST_BIND, ZMQSUITE_HOST_CONNECT) there is no netsim.
NET ?= $(if $(ZMQSUITE_HOST_BIND),,20ms,20ms-1%,mtu1280)
hosts: build
	@$(ZMQSUITE) suite hosts $(if $(NET),--net '$(NET)') --filter 'transport:tcp$(if $(FILTER), && ($(FILTER)))' \
	  $(if $(PROCS),--procs $(PROCS)) $(if $(SHARD),--shard $(SHARD))

# The benchmarks over the same simulated paths, each run beside loopback and the unshaped
# path (none), whatever NET names, so every figure has a loopback one from the same run to
# stand beside in the report (the ceiling is measured over each path too);
# out/bench-hosts/results.json. With a placement of your own there is no netsim and no
# loopback part.
comma := ,
empty :=
space := $(empty) $(empty)
BENCH_NET = $(subst $(space),$(comma),$(strip loopback none $(filter-out loopback none,$(subst $(comma), ,$(NET)))))
bench-hosts: build
	@ZMQSUITE_QUICK=$(QUICK) ZMQSUITE_BENCH_PROFILE=$(if $(FULL),full) ZMQSUITE_BENCH_GRID=$(GRID) \
	  $(ZMQSUITE) suite bench $(if $(ZMQSUITE_HOST_BIND),,--net '$(BENCH_NET)') \
	  --filter 'kind:bench && transport:tcp $(if $(FILTER),&& ($(FILTER)))'
# The tests: set-up, vet, unit tests, the pyzmq peer's tests, the peer contract on every
# peer, then every suite of one machine (conformance, wire, faults).
test: deps vet unit pytest check-peers suites

# Benchmarks: the default profile (linear pairings: each implementation with itself and both
# ways with libzmq; 3–5 repetitions until ±10 %), QUICK=1 (CI: 64 B, 3 × 200 ms), FULL=1 (the
# published report's: every pairing, five sizes, 3 × 500 ms); GRID=1 measures every pairing
# in any profile.
bench: build
	@ZMQSUITE_QUICK=$(QUICK) ZMQSUITE_BENCH_PROFILE=$(if $(FULL),full) ZMQSUITE_BENCH_GRID=$(GRID) \
	  $(ZMQSUITE) suite bench --filter 'kind:bench $(if $(FILTER),&& ($(FILTER)))' $(if $(SHARD),--shard $(SHARD))

bench-check: build
	@$(ZMQSUITE) suite bench --filter 'kind:fidelity || kind:gatecheck' --timeout 30m

report: build
	$(ZMQSUITE) report --results $(OUT) --out $(OUT)/report

# The main job. Red conformance cells are results, not the end of the run: the benchmarks and
# the report still happen, and the exit status says whether anything was red.
run: deps build
	@status=0; $(MAKE) --no-print-directory suites || status=$$?; \
	$(MAKE) --no-print-directory bench && $(MAKE) --no-print-directory report || status=1; \
	echo "report: $(OUT_ABS)/report/index.html"; \
	[ $$status = 0 ] || echo "run: some cells are red (see the report)"; exit $$status

clean:
	rm -rf $(OUT)
