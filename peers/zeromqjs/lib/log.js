'use strict';
// Diagnostics go to stderr, one line each: the harness quotes the last line when a peer dies.

const fs = require('fs');

function log(line) {
  try {
    fs.writeSync(2, `zeromqjs: ${line}\n`);
  } catch (_) {
    // stderr is gone: nothing useful is left to do with the message
  }
}

module.exports = { log };
