#!/usr/bin/env bash
# make suites (and so make test and make run): every cell suite of one machine, each to its
# end even when another is red (a red cell is a result, not the end of the run); exit 1 if
# any suite was red or unusable.
#
# The faults suite runs beside conformance and wire, not after them: its cells mostly wait
# (peers restarting, links stalled, reconnect intervals), conformance's mostly compute. Alone
# on 2 cores, faults used 254 CPU-s in 6 min 38 s (a third of the machine) and conformance
# 537 CPU-s in about 5 min 35 s; one after the other they took 13 min 31 s of make run. Its
# lines carry "[faults] " so the two can be told apart. SERIAL=1 runs the suites one after
# another, as before (to time one alone, or on a machine with one core).
#
# Usage: scripts/suites.sh SUITE... (run by make, with MAKE set); the last of faults' lines
# to print are its tally and results path.
set -uo pipefail
make=${MAKE:-make}
status=0
beside=""
serial=()
for s in "$@"; do
  if [[ $s == faults && -z ${SERIAL:-} ]]; then
    beside=faults
  else
    serial+=("$s")
  fi
done

pid=""
if [[ -n $beside ]]; then
  # awk rather than sed -u: macOS's sed has no -u, and each line must appear as it comes.
  ( "$make" --no-print-directory "$beside" 2>&1 | awk -v p="[$beside] " '{ print p $0; fflush() }' ) &
  pid=$!
fi
for s in "${serial[@]}"; do
  "$make" --no-print-directory "$s" || status=1
done
if [[ -n $pid ]]; then
  wait "$pid" || status=1
fi
if [[ $status != 0 ]]; then
  echo "suites: some cells are red (above, and in out/<suite>/results.json)"
fi
exit $status
