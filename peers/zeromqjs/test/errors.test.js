'use strict';
// Refusals by libzmq/zeromq.js arrive in the categories their errno means, and deadlines hold
// where zeromq.js would give up early.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const os = require('os');
const path = require('path');
const { PeerProcess, b64, unb64, pair } = require('./helpers');

describe('error categories', { timeout: 60000 }, () => {
  let p;
  before(() => { p = new PeerProcess(); });
  after(async () => { await p.quit(); });

  const category = async (req) => {
    const r = await p.call(req);
    assert.equal(r.ok, false, `${req.op} should have been refused: ${JSON.stringify(r)}`);
    return r.error.category;
  };

  test('REQ/REP state: efsm at once with DONTWAIT', async () => {
    const { a: rep, c: req } = await pair(p, 'REP', 'REQ', 'inproc://efsm');
    assert.equal(await category({ op: 'recv', socket: req, timeout_ms: 0 }), 'efsm');
    assert.equal(await category({ op: 'send', socket: rep, frames: [b64('no request yet')], timeout_ms: 0 }), 'efsm');
    await p.ok({ op: 'send', socket: req, frames: [b64('q')], timeout_ms: 1000 });
    assert.equal(await category({ op: 'send', socket: req, frames: [b64('q2')], timeout_ms: 0 }), 'efsm');
    await p.ok({ op: 'close', socket: rep, linger_ms: 0 });
    await p.ok({ op: 'close', socket: req, linger_ms: 0 });
  });

  test('ROUTER_MANDATORY to an unknown routing id: hostunreach', async () => {
    const r = (await p.ok({ op: 'socket', type: 'ROUTER' })).socket;
    await p.ok({ op: 'setopt', socket: r, name: 'router_mandatory', value: true });
    assert.equal(await category({ op: 'send', socket: r, frames: [b64('nobody'), b64('x')], timeout_ms: 0 }), 'hostunreach');
    await p.ok({ op: 'close', socket: r, linger_ms: 0 });
  });

  test('endpoints: inval, nametoolong, unsupported transport, address in use', async () => {
    const s = (await p.ok({ op: 'socket', type: 'PAIR' })).socket;
    assert.equal(await category({ op: 'bind', socket: s, endpoint: 'tcp://nonsense' }), 'inval');
    assert.equal(await category({ op: 'connect', socket: s, endpoint: 'tcp://' }), 'inval');
    assert.equal(await category({ op: 'bind', socket: s, endpoint: `ipc://${path.join(os.tmpdir(), 'x'.repeat(200))}` }), 'nametoolong');
    assert.equal(await category({ op: 'bind', socket: s, endpoint: 'carrier-pigeon://coop' }), 'unsupported');
    const ep = (await p.ok({ op: 'bind', socket: s, endpoint: 'tcp://127.0.0.1:*' })).endpoint;
    const s2 = (await p.ok({ op: 'socket', type: 'PAIR' })).socket;
    assert.equal(await category({ op: 'bind', socket: s2, endpoint: ep }), 'other', 'EADDRINUSE has no category of its own');
    await p.ok({ op: 'close', socket: s, linger_ms: 0 });
    await p.ok({ op: 'close', socket: s2, linger_ms: 0 });
  });

  test('a socket type that cannot send or receive refuses (ENOTSUP)', async () => {
    const pull = (await p.ok({ op: 'socket', type: 'PULL' })).socket;
    assert.equal(await category({ op: 'send', socket: pull, frames: [b64('x')], timeout_ms: 0 }), 'unsupported');
    const push = (await p.ok({ op: 'socket', type: 'PUSH' })).socket;
    assert.equal(await category({ op: 'recv', socket: push, timeout_ms: 0 }), 'unsupported');
    await p.ok({ op: 'close', socket: pull, linger_ms: 0 });
    await p.ok({ op: 'close', socket: push, linger_ms: 0 });
  });

  test('a reply the REQ discards does not end the receive before its deadline', async () => {
    // zeromq.js rejects receive() with EAGAIN as soon as libzmq discards the message that woke
    // it (here a reply with the wrong request id); the peer waits on until timeout_ms.
    const router = (await p.ok({ op: 'socket', type: 'ROUTER' })).socket;
    const ep = (await p.ok({ op: 'bind', socket: router, endpoint: 'tcp://127.0.0.1:*' })).endpoint;
    const req = (await p.ok({ op: 'socket', type: 'REQ' })).socket;
    await p.ok({ op: 'setopt', socket: req, name: 'req_correlate', value: true });
    await p.ok({ op: 'connect', socket: req, endpoint: ep });
    await p.ok({ op: 'send', socket: req, frames: [b64('ABC')], timeout_ms: 2000 });
    const m = (await p.ok({ op: 'recv', socket: router, timeout_ms: 2000 })).frames;
    const wrong = Buffer.from(m[1], 'base64');
    wrong[3] ^= 0xff;
    const job = (await p.ok({ op: 'recv', socket: req, timeout_ms: 3000, async: true })).job;
    await p.ok({ op: 'send', socket: router, frames: [m[0], wrong.toString('base64'), '', b64('wrong id')], timeout_ms: 1000 });
    await new Promise((r) => setTimeout(r, 300));
    await p.ok({ op: 'send', socket: router, frames: [m[0], m[1], '', b64('right id')], timeout_ms: 1000 });
    const got = await p.ok({ op: 'wait', job, timeout_ms: 5000 });
    assert.deepEqual(got.frames.map(unb64), ['right id']);
    assert.match(p.stderr, /gave up a recv with EAGAIN/);
    await p.ok({ op: 'close', socket: req, linger_ms: 0 });
    await p.ok({ op: 'close', socket: router, linger_ms: 0 });
  });
});
