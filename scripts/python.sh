# Sourced: find_python prints the first Python that imports zmq — $ZMQSUITE_PYTHON first,
# then the usual names (the python3 first on PATH may lack zmq; Debian's is /usr/bin/python3).
find_python() {
  local c
  for c in ${ZMQSUITE_PYTHON:-} python3 /usr/bin/python3 /usr/local/bin/python3 /opt/homebrew/bin/python3 python; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import zmq' >/dev/null 2>&1; then
      command -v "$c"; return 0
    fi
  done
  echo "no Python with zmq: tried ${ZMQSUITE_PYTHON:+\$ZMQSUITE_PYTHON, }python3, /usr/bin/python3, /usr/local/bin/python3, python (run make deps)" >&2
  return 1
}
