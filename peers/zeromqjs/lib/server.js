'use strict';
// The operations of the peer protocol on zeromq.js sockets. handle(req) returns a promise of the
// reply (without its id); the loop (loop.js) writes replies in request order.
//
// Async requests start a job (a promise on the one event loop) and are answered at once with
// its number; the job's reply waits for "wait". Because every blocking call in a job is a
// promise, a job waiting for a message never keeps other requests from being served.

const { Category, WireError, encodeBase64 } = require('./wire');
const { Plan, DigestBuilder } = require('./content');
const { Sock, makeRawSocket } = require('./sock');
const { setOption, getOption } = require('./options');
const { runBench } = require('./bench');
const { hello } = require('./hello');
const { zapOp } = require('./zap');

const DEFAULT_TIMEOUT_MS = 10000; // a blocking request that names no timeout_ms
const ASYNC_OPS = new Set(['send', 'recv', 'send_batch', 'recv_batch', 'bench']);
const SOCKET_OPS = new Set(['bind', 'connect', 'unbind', 'disconnect', 'setopt', 'getopt', 'send', 'recv',
  'send_batch', 'recv_batch', 'bench', 'close']);

const protocolError = (message) => new WireError(Category.PROTOCOL, message);

/** A required field: missing (or its zero value, which the harness never sends) is `protocol`. */
function required(req, name, present = req[name] !== '' && req[name] !== 0 && req[name] !== null) {
  if (!present) throw protocolError(`${req.op}: missing "${name}"`);
  return req[name];
}

/** timeout_ms: missing = 10 s, negative = do not wait (as the Go server reads it). */
function timeoutOf(req) {
  if (req.timeout_ms === null) return DEFAULT_TIMEOUT_MS;
  return Math.max(0, req.timeout_ms);
}

const encodeMessage = (m) => m.map(encodeBase64);

function fail(err) {
  return { ok: false, error: { category: err.category, message: err.message } };
}

class Job {
  constructor(id, sock) {
    this.id = id;
    this.sock = sock;
    this.cancelled = false;
    this.done = false;
    this.reply = null;
    this.promise = null;
  }
}

class Server {
  constructor(zmq) {
    this.zmq = zmq;
    this.contexts = new Map([['', zmq.context]]); // "" is the binding's default context
    this.sockets = new Map();
    this.nextSocket = 0;
    this.jobs = new Map();
    this.nextJob = 0;
    this.zaps = new Map(); // context name -> ZapHandler (zap.js)
  }

  /** The reply to req, a request decoded by request.js. */
  async handle(req) {
    if (req.async) return this.startJob(req);
    try {
      switch (req.op) {
        case 'wait': return await this.wait(req);
        case 'cancel': return this.cancel(req);
        default: return await this.run(req, null);
      }
    } catch (e) {
      if (e instanceof WireError) return fail(e);
      throw e;
    }
  }

  startJob(req) {
    if (!ASYNC_OPS.has(req.op)) return fail(protocolError(`op ${JSON.stringify(req.op)} cannot run async`));
    const sock = this.sockets.get(req.socket);
    const job = new Job(++this.nextJob, sock);
    this.jobs.set(job.id, job);
    if (sock) sock.jobs.add(job);
    job.promise = this.run(req, job).catch((e) => {
      if (e instanceof WireError) return fail(e);
      throw e; // a bug of this peer: crash (loop.js turns unhandled rejections into exit)
    }).then((reply) => {
      job.reply = reply;
      job.done = true;
      if (sock) sock.jobs.delete(job);
      return reply;
    });
    return { ok: true, job: job.id };
  }

  findJob(req) {
    const id = required(req, 'job');
    const job = this.jobs.get(id);
    if (!job) throw new WireError(Category.INVAL, `no job ${id} (unknown, or already collected)`);
    return job;
  }

  async wait(req) {
    const job = this.findJob(req);
    const t = timeoutOf(req);
    if (!job.done) {
      let timer;
      const expired = new Promise((resolve) => { timer = setTimeout(resolve, t); });
      await Promise.race([job.promise, expired]);
      clearTimeout(timer);
    }
    if (!job.done) throw new WireError(Category.AGAIN, `job ${job.id} still running after ${t} ms`);
    this.jobs.delete(job.id);
    return job.reply;
  }

  cancel(req) {
    this.findJob(req).cancelled = true;
    return { ok: true };
  }

  context(name) {
    let ctx = this.contexts.get(name);
    if (!ctx) {
      // Kept for the life of the process: a zeromq.js Context that is garbage-collected shuts
      // its libzmq context down, which would terminate sockets created in it later.
      ctx = new this.zmq.Context();
      this.contexts.set(name, ctx);
    }
    return ctx;
  }

  socketOf(req) {
    const id = required(req, 'socket');
    const sock = this.sockets.get(id);
    if (!sock) throw protocolError(`${req.op}: unknown socket ${JSON.stringify(id)}`);
    return sock;
  }

  async run(req, job) {
    const op = req.op;
    switch (op) {
      case 'hello': return { ok: true, hello: await hello(this.zmq) };
      case 'ping': return { ok: true };
      case 'socket': return this.openSocket(req);
      case 'quit': await this.stopZaps(); this.closeAll(); return { ok: true };
      case 'zap':
      case 'zap_log':
      case 'zap_stop': return zapOp(this, req);
      default: break;
    }
    if (!SOCKET_OPS.has(op)) throw protocolError(`unknown op ${JSON.stringify(op)}`);
    const sock = this.socketOf(req);
    switch (op) {
      case 'bind': return { ok: true, endpoint: await sock.bind(required(req, 'endpoint')) };
      case 'connect': sock.connect(required(req, 'endpoint')); return { ok: true };
      case 'unbind': await sock.unbind(required(req, 'endpoint')); return { ok: true };
      case 'disconnect': sock.disconnect(required(req, 'endpoint')); return { ok: true };
      case 'setopt': return this.setopt(sock, req);
      case 'getopt': return this.getopt(sock, req);
      case 'send': await sock.send(required(req, 'frames', req.frames.length > 0), timeoutOf(req)); return { ok: true };
      case 'recv': return { ok: true, frames: encodeMessage(await sock.recv(timeoutOf(req))) };
      case 'send_batch': return this.sendBatch(sock, req, job);
      case 'recv_batch': return this.recvBatch(sock, req, job);
      case 'bench': return { ok: true, bench: await runBench(sock, required(req, 'bench'), job || new Job(0, sock)) };
      case 'close': return this.closeSocket(sock, req);
      default: throw protocolError(`unknown op ${JSON.stringify(op)}`);
    }
  }

  openSocket(req) {
    const type = required(req, 'type');
    const ctx = this.context(req.context);
    const z = makeRawSocket(this.zmq, type, ctx);
    const id = `s${++this.nextSocket}`;
    this.sockets.set(id, new Sock(id, type, z));
    return { ok: true, socket: id };
  }

  setopt(sock, req) {
    const name = required(req, 'name');
    const v = setOption(sock.z, name, required(req, 'value', req.present.has('value')));
    // The peer sets the real timeouts per request; getopt reports what the harness asked for.
    if (name === 'sndtimeo') { sock.userSnd = v; sock.curSnd = v; }
    if (name === 'rcvtimeo') { sock.userRcv = v; sock.curRcv = v; }
    return { ok: true };
  }

  getopt(sock, req) {
    const name = required(req, 'name');
    if (name === 'sndtimeo') return { ok: true, value: sock.userSnd };
    if (name === 'rcvtimeo') return { ok: true, value: sock.userRcv };
    return { ok: true, value: getOption(sock.z, name) };
  }

  async sendBatch(sock, req, job) {
    if (req.plan && req.present.has('messages')) throw protocolError('send_batch: both "messages" and "plan"');
    const plan = req.plan ? new Plan(req.plan) : null;
    const explicit = plan ? null : req.messages;
    const n = plan ? plan.count : explicit.length;
    const t = timeoutOf(req);
    for (let i = 0; i < n; i++) {
      if (job && job.cancelled) {
        return { ...fail(new WireError(Category.OTHER, `send_batch cancelled after ${i}`)), sent: i };
      }
      try {
        await sock.send(plan ? plan.message(i) : explicit[i], t);
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
        return { ...fail(new WireError(e.category, `message ${i} of ${n}: ${e.message}`)), sent: i };
      }
    }
    return { ok: true, sent: n };
  }

  async recvBatch(sock, req, job) {
    const count = req.count;
    const t = timeoutOf(req);
    // Digest mode keeps 16 bytes a message, never the messages.
    const digest = req.digest ? new DigestBuilder(count) : null;
    const messages = [];
    let got = 0;
    const partial = (reply) => {
      if (digest) {
        if (got > 0) reply.digest = digest.toBase64();
      } else if (got > 0) {
        reply.messages = messages;
      }
      return reply;
    };
    while (got < count) {
      if (job && job.cancelled) {
        return partial(fail(new WireError(Category.AGAIN, `recv_batch cancelled after ${got}`)));
      }
      let m;
      try {
        m = await sock.recv(t);
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
        return partial(fail(new WireError(e.category, `after ${got} of ${count} messages: ${e.message}`)));
      }
      if (digest) digest.add(m);
      else messages.push(encodeMessage(m));
      got++;
    }
    return partial({ ok: true });
  }

  closeSocket(sock, req) {
    const linger = req.linger_ms;
    // A job still using the socket is told to stop; closing under it is safe in zeromq.js (its
    // pending send/receive settles at once), and the job answers "cancelled" when waited for.
    for (const j of sock.jobs) j.cancelled = true;
    this.sockets.delete(sock.id);
    sock.close(linger);
    return { ok: true };
  }

  /** Stops every ZAP handler (quit). */
  async stopZaps() {
    const hs = [...this.zaps.values()];
    this.zaps.clear();
    for (const h of hs) await h.stop();
  }

  /** quit and end of input: stop every job, close every socket without lingering. */
  closeAll() {
    for (const j of this.jobs.values()) j.cancelled = true;
    for (const sock of this.sockets.values()) {
      try {
        sock.close(0);
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
      }
    }
    this.sockets.clear();
  }
}

module.exports = { Server, DEFAULT_TIMEOUT_MS };
