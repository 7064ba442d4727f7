#!/usr/bin/env bash
# The JeroMQ peer's own tests: the JSON codec, the content pattern and the digest (plain Java
# mains, no JUnit), then the Go cross-check that pipes plans through the running peer and
# compares them with harness/peer's Fill. Every step is bounded in time.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="${JEROMQ_JAR:-/usr/share/java/jeromq.jar}"
bash "$here/build.sh"
out="$here/build/test-classes"
rm -rf "$out"
mkdir -p "$out"
javac --release 11 -Xlint:all -Werror -encoding UTF-8 -cp "$jar:$here/build/classes" -d "$out" \
  $(find "$here/test" -name '*.java' | sort)
cp="$jar:$here/build/classes:$out"
status=0
for t in JsonTest ContentTest; do
  timeout 60 java -cp "$cp" "zmqsuite.jeromq.$t" || status=1
done
# The Go side: ZMQSUITE_JEROMQ_REQUIRED makes a missing peer a failure, not a skip.
(cd "$root" && ZMQSUITE_JEROMQ_REQUIRED=1 timeout 180 go test -count=1 ./peers/jeromq/...) || status=1
exit $status
