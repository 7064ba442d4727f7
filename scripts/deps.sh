#!/usr/bin/env bash
# Installs what zmqsuite needs and is missing — libzmq with pkg-config (for the cgo libzmq
# peer), a Python that imports zmq (for the pyzmq peer), and each peer under peers/ through
# its own deps.sh (zeromq.js with npm, JeroMQ from Debian's package) — and says what it did.
# Idempotent: a second run installs nothing. ZMQSUITE_WITH_CHROMIUM=1 also installs headless
# Chromium for the report's browser test (Debian/Ubuntu only).
set -euo pipefail
source "$(dirname "$0")/python.sh"

say() { printf 'deps: %s\n' "$*"; }

have_libzmq() { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libzmq; }

python_with_zmq() { find_python 2>/dev/null; }
have_chromium() { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; }

sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# The peers under peers/<name>/ install their own dependencies (each says what it did, and
# never fails this script: a peer that cannot be installed is reported unavailable by doctor
# and the run, which decide whether that is red).
peer_deps() {
  local d
  for d in "$(dirname "$0")"/../peers/*/deps.sh; do
    [ -f "$d" ] && bash "$d"
  done
  return 0
}

system_deps() {
pkgs=()
have_libzmq || pkgs+=(libzmq)
python_with_zmq >/dev/null || pkgs+=(pyzmq)
if [ "${ZMQSUITE_WITH_CHROMIUM:-0}" = 1 ] && ! have_chromium; then pkgs+=(chromium); fi

if [ ${#pkgs[@]} -eq 0 ]; then
  say "nothing to install: libzmq $(pkg-config --modversion libzmq), python with zmq: $(python_with_zmq)"
  return 0
fi
say "missing: ${pkgs[*]}"

case "$(uname -s)" in
Linux)
  if ! command -v apt-get >/dev/null 2>&1; then
    say "not a Debian/Ubuntu system: install libzmq (with its pkg-config file) and pyzmq yourself"; return 1
  fi
  apt_pkgs=()
  for p in "${pkgs[@]}"; do
    case $p in
    libzmq) apt_pkgs+=(libzmq3-dev pkg-config) ;;
    pyzmq) apt_pkgs+=(python3-zmq) ;;
    chromium) apt_pkgs+=(chromium) ;;
    esac
  done
  say "apt-get install ${apt_pkgs[*]}"
  sudo_if_needed apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}" >/dev/null
  ;;
Darwin)
  for p in "${pkgs[@]}"; do
    case $p in
    libzmq) say "brew install zeromq pkgconf"; brew install zeromq pkgconf ;;
    pyzmq) say "python3 -m pip install pyzmq"; python3 -m pip install --user pyzmq ;;
    esac
  done
  ;;
MINGW* | MSYS* | CYGWIN*)
  cat <<'MSG'
deps: on Windows, install in an MSYS2 UCRT64 shell:
  pacman -S --needed mingw-w64-ucrt-x86_64-zeromq mingw-w64-ucrt-x86_64-gcc mingw-w64-ucrt-x86_64-pkgconf
  export CGO_ENABLED=1 PATH="/ucrt64/bin:$PATH"
and pyzmq for your Python: python -m pip install pyzmq (Windows wheels have no ipc transport).
Without them the libzmq and pyzmq peers are reported unavailable; go-zeromq still runs.
MSG
  return 0
  ;;
esac

have_libzmq && say "libzmq $(pkg-config --modversion libzmq) ready" || say "libzmq still missing"
py=$(python_with_zmq) && say "python with zmq: $py" || say "no python with zmq"
}

status=0
system_deps || status=$?
peer_deps
exit $status
