#!/usr/bin/env bash
# Prints the build tags of zmqpeer: "-tags libzmq" when cgo is on and libzmq's pkg-config file
# is found, else nothing (zmqpeer then says "built without libzmq" in its hello, and a run that
# requires libzmq is red with that reason). The Makefile calls this when a recipe runs, so
# that libzmq installed by `make deps` a moment earlier counts.
set -u
go=${GO:-go}
if [ "$("$go" env CGO_ENABLED 2>/dev/null)" = 1 ] && command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libzmq; then
  echo "-tags libzmq"
fi
