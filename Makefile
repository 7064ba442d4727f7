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
PROCS ?= 2
QUICK ?=
export ZMQSUITE_ROOT := $(CURDIR)
export ZMQSUITE_OUT := $(OUT_ABS)

# The libzmq peer needs cgo and libzmq's pkg-config file; without them zmqpeer is built
# without it, and doctor and the matrix report libzmq as unavailable.
PEER_TAGS := $(shell pkg-config --exists libzmq 2>/dev/null && [ "$$($(GO) env CGO_ENABLED)" = 1 ] && echo -tags libzmq)
EXE := $(shell $(GO) env GOEXE)
ZMQPEER := $(OUT_ABS)/bin/zmqpeer$(EXE)
export ZMQSUITE_ZMQPEER := $(ZMQPEER)
GINKGO := $(GO) tool ginkgo

.PHONY: all deps build test unit pytest conformance bench bench-check report run doctor vet clean
all: test

deps:
	@bash scripts/deps.sh

build:
	@mkdir -p $(OUT)/bin
	$(GO) build $(PEER_TAGS) -o $(ZMQPEER) ./cmd/zmqpeer
	$(GO) build -o $(OUT)/bin/zmqsuite$(EXE) ./cmd/zmqsuite

doctor: deps build
	@$(OUT)/bin/zmqsuite$(EXE) doctor

vet:
	gofmt -l . | (! grep .) || (echo "gofmt: files above need formatting"; exit 1)
	$(GO) vet ./...
	$(if $(PEER_TAGS),$(GO) vet $(PEER_TAGS) ./...)

# Unit tests of the harness, peers, scenarios and reports (the suites run below).
unit: build
	$(GO) test $(PEER_TAGS) -count=1 $$($(GO) list ./... | grep -v /suites/)

pytest:
	@py=$$(source scripts/python.sh && find_python) && echo "pyclients tests with $$py" && \
	  "$$py" -m unittest discover -s pyclients -t . -v 2>&1 | tail -n 5

# The conformance matrix: every case × transport × pairing. FILTER='transport:ipc && bind:pyzmq'
# selects a slice by labels.
conformance: build
	@mkdir -p $(OUT)/conformance
	$(GINKGO) -p --procs=$(PROCS) --keep-going --timeout=40m --poll-progress-after=60s \
	  --output-dir=$(OUT)/conformance --json-report=ginkgo.json --junit-report=junit.xml \
	  $(if $(FILTER),--label-filter='$(FILTER)') ./suites/conformance

test: deps vet unit pytest conformance

bench: build
	@mkdir -p $(OUT)/bench
	ZMQSUITE_QUICK=$(QUICK) $(GINKGO) --timeout=3h --output-dir=$(OUT)/bench --json-report=ginkgo.json \
	  --label-filter='kind:bench $(if $(FILTER),&& ($(FILTER)))' ./suites/bench

bench-check: build
	$(GINKGO) --timeout=30m --label-filter='kind:fidelity || kind:gatecheck' ./suites/bench

report: build
	$(OUT)/bin/zmqsuite$(EXE) report --conformance $(OUT)/conformance/results.json --bench $(OUT)/bench/results.json --out $(OUT)/report

# The main job. Red conformance cells are results, not the end of the run: the benchmarks and
# the report still happen, and the exit status says whether anything was red.
run: deps build
	@status=0; $(MAKE) --no-print-directory conformance || status=$$?; \
	$(MAKE) --no-print-directory bench && $(MAKE) --no-print-directory report || status=1; \
	echo "report: $(OUT_ABS)/report/index.html"; \
	[ $$status = 0 ] || echo "run: some conformance cells are red (see the report)"; exit $$status

clean:
	rm -rf $(OUT)
