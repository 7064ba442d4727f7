#!/usr/bin/env bash
# crosscheck.sh: the checks that need no libzmq, no Python and no network peers, for the OSes
# this machine is not: lint the GitHub workflows, cross-build and vet everything for Windows
# and macOS without cgo (the libzmq peer is behind a build tag, so the module must build
# without it), compile every suite's test binary there, then run the unit tests of the ipc
# expectation table and of the report/baseline code. Called from .ci/run; runnable by hand.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*"; }
run() {
	printf '+ %s\n' "$*"
	"$@"
}

step "lint GitHub workflows (actionlint, pinned in go.mod; uses shellcheck when installed)"
if command -v shellcheck >/dev/null 2>&1; then
	echo "shellcheck: $(command -v shellcheck)"
else
	echo "shellcheck: not installed, actionlint skips the shell checks of run: steps"
fi
run go tool actionlint

for target in windows/amd64 darwin/arm64; do
	goos=${target%/*}
	goarch=${target#*/}
	step "cross-build for $goos/$goarch with CGO_ENABLED=0"
	export GOOS=$goos GOARCH=$goarch CGO_ENABLED=0
	run go build ./...
	run go vet ./...
	# What `make vet` runs on a runner without cgo (Windows without MSYS2): the libzmq
	# adapter's stub must build under -tags libzmq.
	run go vet -tags libzmq ./...
	run go build ./cmd/zmqpeer ./cmd/zmqsuite

	# Compile (not run) each suite's test binary: Ginkgo entries are built at run time, but
	# a file that only compiles on Linux fails here.
	suites=$(go list -e ./suites/... 2>/dev/null || true)
	if [[ -z $suites ]]; then
		echo "no packages under ./suites yet"
	fi
	for pkg in $suites; do
		run go test -c -o /dev/null "$pkg"
	done
	unset GOOS GOARCH CGO_ENABLED
done

step "unit tests: ipc expectation table (IPC.1)"
run go test -count=1 -run 'IPC' ./scenarios/

step "unit tests: reports (baseline selection, gate)"
if [[ -n $(go list ./reports/... 2>/dev/null || true) ]]; then
	run go test -count=1 ./reports/...
else
	echo "no reports package yet"
fi

step "crosscheck passed"
