'use strict';
// The JSON-lines loop: one request per line on stdin, one reply per line on stdout, in request
// order. Requests are handled one after the other (the harness waits for each reply anyway);
// async jobs run beside the loop and never write to stdout themselves.

const fs = require('fs');
const { Category } = require('./wire');
const { Server } = require('./server');
const { decodeRequest, Malformed } = require('./request');
const { log } = require('./log');

/**
 * Writes all of buf to fd 1. The harness's pipe is blocking (it is never touched through
 * process.stdout, which could make it non-blocking), but EAGAIN is retried all the same: a
 * reply must never be half-written.
 */
function writeAll(buf) {
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(1, buf, off, buf.length - off);
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1); // 1 ms, then retry
    }
  }
}

function writeReply(id, reply) {
  writeAll(Buffer.from(`${JSON.stringify({ id, ...reply })}\n`));
}

/** Splits a byte stream into lines without copying the parts that are not a full line yet. */
class LineSplitter {
  constructor(onLine) {
    this.onLine = onLine;
    this.parts = [];
  }

  push(chunk) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl);
      const line = this.parts.length ? Buffer.concat([...this.parts, piece]) : piece;
      this.parts = [];
      this.onLine(line);
      start = nl + 1;
    }
    if (start < chunk.length) this.parts.push(chunk.subarray(start));
  }

  /** What is left at end of input (a last line without a newline). */
  rest() {
    return this.parts.length ? Buffer.concat(this.parts) : null;
  }
}

function exit(code) {
  process.exit(code);
}

function main(zmq) {
  // zeromq.js warns through process.emitWarning ("Socket option will not take effect until next
  // connect/bind"); Node would print three lines for each. One line on stderr is enough.
  process.removeAllListeners('warning');
  process.on('warning', (w) => log(`warning: ${w.message}`));
  // A bug of this peer (anything that is not a refusal by the binding) must crash it loudly:
  // the harness records a crash with the last stderr line, where a reply of "other" would
  // hide it.
  const crash = (err) => {
    log(`crashed: ${err && err.stack ? err.stack : err}`);
    log(`crashed: ${err && err.message ? err.message : err}`);
    exit(70);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);

  const server = new Server(zmq);
  let chain = Promise.resolve();
  let stopping = false;

  const onLine = (line) => {
    if (stopping) return;
    if (line.length < 64 && /^\s*$/.test(line.toString('latin1'))) return; // blank lines are not requests
    let req;
    let error;
    try {
      req = decodeRequest(line.toString('utf8'));
    } catch (e) {
      if (!(e instanceof Malformed)) throw e;
      error = e.message;
    }
    if (!req) {
      // A line that is not a request (not JSON, or a field of the wrong type) cannot be
      // answered by id: say so once and stop, as the stream can no longer be trusted (as the
      // Go and Python peers do).
      stopping = true;
      chain = chain.then(() => {
        writeReply(0, { ok: false, error: { category: Category.PROTOCOL, message: `unreadable request: ${error}` } });
        log(`unreadable request: ${error}`);
        exit(1);
      });
      return;
    }
    const isQuit = req.op === 'quit' && !req.async;
    if (isQuit) stopping = true;
    chain = chain
      .then(() => server.handle(req))
      .then((reply) => {
        writeReply(req.id, reply);
        if (isQuit) exit(0);
      })
      .catch(crash);
  };

  const splitter = new LineSplitter(onLine);
  process.stdin.on('data', (chunk) => splitter.push(chunk));
  process.stdin.on('end', () => {
    const last = splitter.rest();
    if (last) onLine(last);
    // End of input means quit, without a reply.
    chain = chain.then(() => {
      server.closeAll();
      exit(0);
    }).catch(crash);
  });
  process.stdin.on('error', (e) => crash(e));
}

module.exports = { main, LineSplitter };
