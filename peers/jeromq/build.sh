#!/usr/bin/env bash
# Compiles the JeroMQ peer with plain javac against Debian's jar into peers/jeromq/build/.
# No Maven, no Gradle: the only dependency is the jar libjeromq-java installs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jar="${JEROMQ_JAR:-/usr/share/java/jeromq.jar}"
if ! command -v javac >/dev/null 2>&1; then
  echo "jeromq: javac not found (install a JDK, e.g. openjdk-17-jdk-headless)" >&2
  exit 1
fi
if [ ! -r "$jar" ]; then
  echo "jeromq: $jar missing: run make deps (or bash peers/jeromq/deps.sh)" >&2
  exit 1
fi
rm -rf "$here/build/classes"
mkdir -p "$here/build/classes"
# --release 11: the jar targets Java 7+, and nothing here needs newer language features.
javac --release 11 -Xlint:all -Werror -encoding UTF-8 -cp "$jar" -d "$here/build/classes" \
  $(find "$here/src" -name '*.java' | sort)
echo "jeromq: peer compiled into $here/build/classes (against $jar)"
