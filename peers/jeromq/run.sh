#!/usr/bin/env bash
# The JeroMQ peer command (ZMQSUITE_PEERS="jeromq=bash /abs/path/peers/jeromq/run.sh").
# exec: the harness kills a hung peer with SIGKILL, which must reach the JVM itself.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jar="${JEROMQ_JAR:-/usr/share/java/jeromq.jar}"
if [ ! -r "$jar" ]; then
  echo "jeromq: $jar missing: run make deps" >&2
  exit 1
fi
if [ ! -f "$here/build/classes/zmqsuite/jeromq/Main.class" ]; then
  echo "jeromq: peer classes missing in $here/build/classes: run make deps (or bash peers/jeromq/build.sh)" >&2
  exit 1
fi
if ! command -v java >/dev/null 2>&1; then
  echo "jeromq: java not found" >&2
  exit 1
fi
# A small initial heap and the serial collector start fastest; -Xshare:auto uses the JDK's
# class data archive; TieredStopAtLevel is not set (benchmarks need the optimising compiler).
# -Xmx1536m: room for a full 1 MiB x 1000 (RCVHWM) receive queue, but not for the ~2 GB frames
# JeroMQ allocates when it loses the framing (a length read from payload bytes): without a cap
# such an array is allocated, stays live while the connection lives, and its copying stalls
# every thread of the peer for seconds at each GC, in whatever case runs next. With it the
# I/O thread gets OutOfMemoryError, the peer halts with the stack, and that case records it.
# JEROMQ_PEER_JAVA_OPTS: extra JVM options for debugging (e.g. -Dzmqsuite.watchdog.late_ms=200).
exec java ${JEROMQ_PEER_JAVA_OPTS:-} -Xss512k -Xms32m -Xmx1536m -XX:+UseSerialGC -Xshare:auto -cp "$jar:$here/build/classes" zmqsuite.jeromq.Main "$@"
