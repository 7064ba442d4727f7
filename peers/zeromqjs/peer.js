#!/usr/bin/env node
'use strict';
// zmqsuite peer for zeromq.js (the Node.js binding of libzmq): speaks docs/peer-protocol.md on
// stdin/stdout. Run as `node peers/zeromqjs/peer.js`; `make deps` installs the pinned package.

let zmq;
try {
  zmq = require('zeromq');
} catch (e) {
  const why = String((e && e.message) || e).split('\n')[0];
  process.stderr.write(`zeromqjs: cannot load the zeromq package: run make deps (${why})\n`);
  process.exit(1);
}

require('./lib/loop').main(zmq);
