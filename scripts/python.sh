# Sourced: find_python prints the first Python that imports zmq. An explicit $ZMQSUITE_PYTHON is
# the only candidate (a named interpreter that lacks zmq is an error, never a silent fall-back);
# otherwise the usual names (the python3 first on PATH may lack zmq; Debian's is /usr/bin/python3).
find_python() {
  local c candidates
  if [ -n "${ZMQSUITE_PYTHON:-}" ]; then
    candidates=("$ZMQSUITE_PYTHON")
  else
    candidates=(python3 /usr/bin/python3 /usr/local/bin/python3 /opt/homebrew/bin/python3 python)
  fi
  for c in "${candidates[@]}"; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import zmq' >/dev/null 2>&1; then
      command -v "$c"; return 0
    fi
  done
  if [ -n "${ZMQSUITE_PYTHON:-}" ]; then
    echo "ZMQSUITE_PYTHON=$ZMQSUITE_PYTHON does not run or does not import zmq (unset it to let the suite find one)" >&2
  else
    echo "no Python with zmq: tried ${candidates[*]} (run make deps)" >&2
  fi
  return 1
}
