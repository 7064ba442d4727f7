'use strict';
// A minimal harness for the tests: starts peer.js, sends requests, reads replies, with every
// wait bounded.

const { spawn } = require('child_process');
const path = require('path');

const PEER = path.join(__dirname, '..', 'peer.js');

class PeerProcess {
  constructor(args = [], opts = {}) {
    this.child = spawn(process.execPath, [opts.script || PEER, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: opts.cwd,
      env: { ...process.env, ...(opts.env || {}) },
    });
    this.nextId = 0;
    this.replies = [];
    this.waiters = [];
    this.stderr = '';
    this.buf = '';
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => resolve({ code, signal }));
    });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (d) => {
      this.buf += d;
      let nl;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        const w = this.waiters.shift();
        if (w) w(line);
        else this.replies.push(line);
      }
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (d) => { this.stderr += d; });
  }

  /** The next stdout line, parsed; rejects after ms. */
  nextLine(ms) {
    if (this.replies.length) return Promise.resolve(JSON.parse(this.replies.shift()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no reply within ${ms} ms; stderr: ${this.stderr}`));
      }, ms);
      const waiter = (line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line));
      };
      this.waiters.push(waiter);
    });
  }

  writeLine(s) {
    this.child.stdin.write(`${s}\n`);
  }

  /** Sends req (an id is added) and returns its reply; ms bounds the wait. */
  async call(req, ms = 15000) {
    const id = ++this.nextId;
    this.writeLine(JSON.stringify({ id, ...req }));
    const rep = await this.nextLine(ms);
    if (rep.id !== id) throw new Error(`reply id ${rep.id} for request ${id}: ${JSON.stringify(rep)}`);
    return rep;
  }

  /** call() that must succeed. */
  async ok(req, ms) {
    const rep = await this.call(req, ms);
    if (!rep.ok) throw new Error(`${req.op} failed: ${JSON.stringify(rep.error)}`);
    return rep;
  }

  /** Waits for the process to exit, killing it after ms. */
  async exit(ms = 5000) {
    let timer;
    const killed = new Promise((resolve) => {
      timer = setTimeout(() => { this.child.kill('SIGKILL'); resolve({ code: null, signal: 'SIGKILL (test timeout)' }); }, ms);
    });
    const r = await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    return r;
  }

  async quit() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        await this.call({ op: 'quit' }, 5000);
      } catch (_) {
        // already gone
      }
    }
    return this.exit();
  }
}

const b64 = (s) => Buffer.from(s).toString('base64');
const unb64 = (s) => Buffer.from(s, 'base64').toString();

/** A bound and a connected socket of the given types in one peer, connected over endpoint. */
async function pair(p, bindType, connectType, endpoint) {
  const a = (await p.ok({ op: 'socket', type: bindType })).socket;
  const c = (await p.ok({ op: 'socket', type: connectType })).socket;
  const ep = (await p.ok({ op: 'bind', socket: a, endpoint })).endpoint;
  await p.ok({ op: 'connect', socket: c, endpoint: ep });
  return { a, c, ep };
}

module.exports = { PeerProcess, PEER, b64, unb64, pair };
