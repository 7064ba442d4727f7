'use strict';
// The peer's own ZAP handler (RFC 27), one per context: a Reply socket bound at
// inproc://zeromq.zap.01 in that context, answering by the suite's spec (docs/peer-protocol.md
// "Security") and logging every request. libzmq's PLAIN and CURVE servers let everyone in when no
// handler is bound, so the suite never relies on that default: it installs this handler with the
// exact credentials to allow. Mirrors harness/peer/security.go (ZAPSpec.Decide, ZAPReply).

const { Category, WireError, fromBinding, encodeBase64 } = require('./wire');
const { z85Encode } = require('./z85');

const ZAP_ENDPOINT = 'inproc://zeromq.zap.01'; // RFC 27: "The ZAP handler SHALL bind to ..."
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** The record of one request, with the status answered: 200 only for the spec's credentials. */
function decide(spec, mechanism, domain, creds) {
  const rec = { mechanism, domain, status: '400' };
  let key = null;
  if (mechanism === 'PLAIN' && creds.length >= 1) rec.username = encodeBase64(creds[0]);
  if (mechanism === 'CURVE' && creds.length >= 1 && creds[0].length === 32) {
    key = z85Encode(creds[0]);
    rec.key = key;
  }
  if (domain !== spec.domain) return rec;
  if (mechanism === 'NULL' && spec.allow_null) rec.status = '200';
  if (mechanism === 'PLAIN' && creds.length === 2
    && spec.users.some((u) => u.username.equals(creds[0]) && u.password.equals(creds[1]))) rec.status = '200';
  if (mechanism === 'CURVE' && key !== null && spec.curve_keys.includes(key)) rec.status = '200';
  return rec;
}

/** The RFC 27 reply frames to a request's frames, and the request's record. */
function reply(spec, req) {
  if (req.length < 6 || req[0].toString() !== '1.0') {
    const id = req.length > 1 ? req[1] : Buffer.alloc(0);
    return [['1.0', id, '500', 'malformed ZAP request', '', ''], { mechanism: '?', domain: '', status: '500' }];
  }
  const rec = decide(spec, req[5].toString(), req[2].toString(), req.slice(6));
  if (rec.status !== '200') return [['1.0', req[1], '400', 'refused', '', ''], rec];
  const user = rec.mechanism === 'PLAIN' ? req[6] : (rec.key || '');
  return [['1.0', req[1], '200', 'OK', user, ''], rec];
}

class ZapHandler {
  constructor(zmq, context, spec) {
    this.spec = spec;
    this.log = [];
    this.sock = new zmq.Reply({ context });
    this.sock.linger = 0;
    this.loop = null;
  }

  /** Binds (retrying while a handler stopped a moment ago still holds the endpoint) and serves. */
  async start() {
    const end = Date.now() + 2000;
    for (;;) {
      try {
        await this.sock.bind(ZAP_ENDPOINT);
        break;
      } catch (e) {
        if (Date.now() > end) {
          this.sock.close();
          throw fromBinding(e, `zap: bind ${ZAP_ENDPOINT}`);
        }
        await sleep(20);
      }
    }
    this.loop = this.serve();
  }

  async serve() {
    for (;;) {
      let req;
      try {
        req = await this.sock.receive();
      } catch (e) {
        return; // closed by stop
      }
      const [frames, rec] = reply(this.spec, req);
      this.log.push(rec);
      try {
        await this.sock.send(frames);
      } catch (e) {
        return;
      }
    }
  }

  rearm(spec) {
    this.spec = spec;
    this.log = [];
  }

  records() { return this.log.slice(); }

  async stop() {
    this.sock.close(); // a pending receive rejects, and serve returns
    if (this.loop) await this.loop;
  }
}

/** zap, zap_log and zap_stop for a Server (its contexts and handlers). */
async function zapOp(server, req) {
  const name = req.context;
  const h = server.zaps.get(name);
  switch (req.op) {
    case 'zap_log':
      if (!h) throw new WireError(Category.INVAL, `zap_log: no ZAP handler in context ${JSON.stringify(name)}`);
      return { ok: true, zap_log: h.records() };
    case 'zap_stop':
      if (!h) return { ok: true };
      server.zaps.delete(name);
      await h.stop();
      return { ok: true, zap_log: h.records() };
    default:
      break;
  }
  if (!req.zap) throw new WireError(Category.PROTOCOL, 'zap: missing "zap"');
  if (h) {
    h.rearm(req.zap);
    return { ok: true };
  }
  const handler = new ZapHandler(server.zmq, server.context(name), req.zap);
  await handler.start();
  server.zaps.set(name, handler);
  return { ok: true };
}

module.exports = { zapOp, decide, reply, ZAP_ENDPOINT };
