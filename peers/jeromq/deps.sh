#!/usr/bin/env bash
# Idempotent set-up of the JeroMQ peer: installs Debian's libjeromq-java (and a JDK) where
# apt-get exists and they are missing, then compiles the peer. Where that cannot be done it
# says why and exits 0: the suite then reports jeromq as unavailable, the run goes on.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jar="${JEROMQ_JAR:-/usr/share/java/jeromq.jar}"

need=()
[ -r "$jar" ] || need+=(libjeromq-java)
command -v javac >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "jeromq: not installed: no apt-get here to install ${need[*]}"
    exit 0
  fi
  if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null 2>&1; then
    echo "jeromq: not installed: ${need[*]} missing and not root"
    exit 0
  fi
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "jeromq: installing ${need[*]} with apt-get"
  log="$(mktemp "${TMPDIR:-/tmp}/jeromq-deps.XXXXXX")"
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$log" 2>&1; then
    echo "jeromq: not installed: apt-get install ${need[*]} failed (see $log): $(tail -n 1 "$log")"
    exit 0
  fi
  rm -f "$log"
else
  echo "jeromq: $jar and javac present"
fi
if ! bash "$here/build.sh"; then
  echo "jeromq: not installed: the peer did not compile (above)"
  exit 0
fi
