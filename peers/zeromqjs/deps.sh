#!/usr/bin/env bash
# Installs the zeromq.js peer's pinned packages (package-lock.json) when they are missing or
# stale, and says what it did. Idempotent. It never fails `make deps`: without Node.js or npm,
# or when the install does not work, it says "zeromqjs: not installed: <why>" and exits 0, and
# the peer itself then explains the same on start (`node peer.js` exits 1 with one stderr line).
#
# Stale means: package-lock.json changed since the last successful install (its hash is kept
# in node_modules/.zmqsuite-lock), or the zeromq package does not load.
set -uo pipefail

src="${BASH_SOURCE[0]}"
[[ "$src" == */* ]] && dir="${src%/*}" || dir=.
here="$(cd "$dir" && pwd)" || { echo "zeromqjs: not installed: cannot enter $dir"; exit 0; }
cd "$here" || exit 0
stamp=node_modules/.zmqsuite-lock
min_node=20.15 # zlib.crc32 (recv_batch digests) arrived in Node 20.15

not_installed() {
  echo "zeromqjs: not installed: $*"
  exit 0
}

command -v node >/dev/null 2>&1 || not_installed "node not found (install Node.js >= $min_node, e.g. apt-get install nodejs npm)"
command -v npm >/dev/null 2>&1 || not_installed "npm not found (install npm, e.g. apt-get install npm)"

node_version="$(node -p 'process.versions.node' 2>/dev/null)" || not_installed "node does not run"
if ! node -e "const [a,b]=process.versions.node.split('.').map(Number);const [x,y]='$min_node'.split('.').map(Number);process.exit(a>x||(a===x&&b>=y)?0:1)"; then
  not_installed "Node.js $node_version is older than $min_node"
fi

lock_hash="$(node -e "process.stdout.write(require('crypto').createHash('sha256').update(require('fs').readFileSync('package-lock.json')).digest('hex'))")" \
  || not_installed "cannot read package-lock.json"

loads() {
  node -e "const z=require('zeromq'); if(!z.version) process.exit(1)" >/dev/null 2>&1
}

if [[ -f "$stamp" && "$(cat "$stamp")" == "$lock_hash" ]] && loads; then
  echo "zeromqjs: zeromq $(node -p "require('zeromq/package.json').version") (libzmq $(node -p "require('zeromq').version")) already installed, Node.js $node_version"
  exit 0
fi

# --ignore-scripts: the package ships prebuilt addons (linux, macOS, Windows); its install
# script would only try to build one from source, which needs a toolchain and downloads.
echo "zeromqjs: npm ci (package-lock.json) in $here"
log="$(mktemp)"
if ! npm ci --ignore-scripts --no-audit --no-fund >"$log" 2>&1; then
  tail -n 5 "$log"
  rm -f "$log"
  not_installed "npm ci failed (see above)"
fi
rm -f "$log"
loads || not_installed "zeromq was installed but does not load here ($(node -e "try{require('zeromq')}catch(e){console.log(String(e.message).split('\n')[0])}"))"
echo "$lock_hash" >"$stamp"
echo "zeromqjs: installed zeromq $(node -p "require('zeromq/package.json').version") (libzmq $(node -p "require('zeromq').version")), Node.js $node_version"
