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
classes="$here/build/classes"
stamp="$classes/.built"
# Up to date: nothing to do (a running suite may be starting peers from these classes).
if [ -f "$stamp" ] && [ -z "$(find "$here/src" "$jar" -newer "$stamp" -print -quit)" ]; then
  echo "jeromq: peer classes up to date in $classes"
  exit 0
fi
# Compile aside, then swap, so a peer starting meanwhile sees the old classes or the new ones.
tmp="$here/build/classes.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
# --release 11: the jar targets Java 7+, and nothing here needs newer language features.
javac --release 11 -Xlint:all -Werror -encoding UTF-8 -cp "$jar" -d "$tmp" \
  $(find "$here/src" -name '*.java' | sort)
touch "$tmp/.built"
rm -rf "$classes.old"
[ -d "$classes" ] && mv "$classes" "$classes.old"
mv "$tmp" "$classes"
rm -rf "$classes.old"
echo "jeromq: peer compiled into $classes (against $jar)"
