'use strict';
// The operations of docs/peer-protocol.md, driven through a real peer process.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { PeerProcess, b64, unb64, pair } = require('./helpers');

describe('peer protocol', { timeout: 60000 }, () => {
  let p;
  before(() => { p = new PeerProcess(); });
  after(async () => { await p.quit(); });

  test('hello says who it is and what it probed', async () => {
    const h = (await p.ok({ op: 'hello' })).hello;
    assert.equal(h.name, 'zeromqjs');
    assert.equal(h.version, require('zeromq/package.json').version);
    assert.equal(h.libzmq, require('zeromq').version);
    assert.match(h.libzmq, /^\d+\.\d+\.\d+$/);
    assert.equal(h.protocol, 1);
    assert.equal(h.os, 'linux');
    assert.equal(h.language, 'javascript');
    assert.equal(h.pid, p.child.pid);
    assert.match(h.runtime, /^Node\.js \d+\./);
    const caps = h.capabilities;
    assert.deepEqual(caps.socket_types, ['PAIR', 'PUB', 'SUB', 'REQ', 'REP', 'DEALER', 'ROUTER', 'PULL', 'PUSH', 'XPUB', 'XSUB']);
    assert.deepEqual(caps.transports, ['tcp', 'ipc', 'inproc'], JSON.stringify(caps.probe_errors));
    for (const t of ['tcp', 'ipc', 'inproc']) assert.ok(caps.declared.includes(t));
    for (const o of ['subscribe', 'sndhwm', 'rcvtimeo', 'router_mandatory', 'last_endpoint', 'topics_count']) {
      assert.ok(caps.options.includes(o), `option ${o}`);
    }
    assert.equal(caps.bench, true);
  });

  test('ping answers ok and is not an async op', async () => {
    assert.deepEqual(await p.call({ op: 'ping' }), { id: p.nextId, ok: true });
    const r = await p.call({ op: 'ping', async: true });
    assert.equal(r.error.category, 'protocol');
  });

  test('well-formed requests the peer cannot serve are protocol errors, answered by id', async () => {
    assert.equal((await p.call({ op: 'frobnicate' })).error.category, 'protocol');
    assert.equal((await p.call({ op: 'recv', socket: 's999', timeout_ms: 0 })).error.category, 'protocol');
    assert.equal((await p.call({ op: 'send' })).error.category, 'protocol', 'no socket');
    assert.equal((await p.call({ op: 'socket' })).error.category, 'protocol', 'no type');
    assert.equal((await p.call({ op: 'socket', type: 'STREAMY' })).error.category, 'unsupported');
    const s = (await p.ok({ op: 'socket', type: 'PAIR' })).socket;
    // Missing required fields are never passed on to the binding (an empty endpoint would come
    // back as the binding's inval).
    assert.equal((await p.call({ op: 'bind', socket: s })).error.category, 'protocol');
    assert.equal((await p.call({ op: 'connect', socket: s, endpoint: '' })).error.category, 'protocol');
    assert.equal((await p.call({ op: 'send', socket: s, timeout_ms: 0 })).error.category, 'protocol', 'no frames');
    assert.equal((await p.call({ op: 'send', socket: s, frames: [], timeout_ms: 0 })).error.category, 'protocol', 'empty frames');
    assert.equal((await p.call({ op: 'setopt', socket: s, name: 'linger' })).error.category, 'protocol', 'no value');
    assert.equal((await p.call({ op: 'getopt', socket: s })).error.category, 'protocol', 'no name');
    assert.equal((await p.call({ op: 'send_batch', socket: s, messages: [[b64('x')]], plan: { count: 1, size: 1 } })).error.category, 'protocol');
    assert.equal((await p.call({ op: 'bench', socket: s })).error.category, 'protocol', 'no bench spec');
    assert.equal((await p.call({ op: 'wait' })).error.category, 'protocol', 'no job');
    assert.equal((await p.call({ op: 'wait', job: 12345 })).error.category, 'inval', 'unknown job');
    assert.equal((await p.call({ op: 'close', socket: s, async: true })).error.category, 'protocol', 'close cannot be async');
    // 0 and false are values
    await p.ok({ op: 'setopt', socket: s, name: 'linger', value: 0 });
    await p.ok({ op: 'close', socket: s, linger_ms: 0 });
  });

  test('tcp bind reports the real port; multipart messages keep every frame', async () => {
    const { a, c, ep } = await pair(p, 'PAIR', 'PAIR', 'tcp://127.0.0.1:*');
    assert.match(ep, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(ep, 'tcp://127.0.0.1:*');
    const frames = [b64('head'), '', Buffer.from([0, 255, 1]).toString('base64'), b64('x'.repeat(70000))];
    await p.ok({ op: 'send', socket: c, frames, timeout_ms: 5000 });
    assert.deepEqual((await p.ok({ op: 'recv', socket: a, timeout_ms: 5000 })).frames, frames);
    assert.equal((await p.ok({ op: 'getopt', socket: a, name: 'last_endpoint' })).value, ep);
    await p.ok({ op: 'close', socket: a, linger_ms: 0 });
    await p.ok({ op: 'close', socket: c, linger_ms: 0 });
  });

  test('timeouts: 0 does not wait, t > 0 waits about t, and a timed-out receive steals nothing', async () => {
    const { a, c } = await pair(p, 'PAIR', 'PAIR', 'inproc://timeouts');
    let t0 = Date.now();
    assert.equal((await p.call({ op: 'recv', socket: a, timeout_ms: 0 })).error.category, 'again');
    assert.ok(Date.now() - t0 < 500, `DONTWAIT took ${Date.now() - t0} ms`);
    t0 = Date.now();
    assert.equal((await p.call({ op: 'recv', socket: a, timeout_ms: 300 })).error.category, 'again');
    const took = Date.now() - t0;
    assert.ok(took >= 280 && took < 2500, `a 300 ms receive gave up after ${took} ms`);
    await p.ok({ op: 'send', socket: c, frames: [b64('after')], timeout_ms: 1000 });
    assert.deepEqual((await p.ok({ op: 'recv', socket: a, timeout_ms: 1000 })).frames, [b64('after')]);
    // A negative timeout is "do not wait", as the Go peers read it.
    assert.equal((await p.call({ op: 'recv', socket: a, timeout_ms: -5 })).error.category, 'again');
    await p.ok({ op: 'close', socket: a, linger_ms: 0 });
    await p.ok({ op: 'close', socket: c, linger_ms: 0 });
  });

  test('a job blocked in a receive never holds up other requests; wait collects it once', async () => {
    const { a, c } = await pair(p, 'PAIR', 'PAIR', 'inproc://jobs');
    const job = (await p.ok({ op: 'recv', socket: a, timeout_ms: 5000, async: true })).job;
    const t0 = Date.now();
    await p.ok({ op: 'ping' });
    assert.ok(Date.now() - t0 < 1000, 'ping waited for the job');
    const still = await p.call({ op: 'wait', job, timeout_ms: 0 });
    assert.equal(still.error.category, 'again');
    assert.match(still.error.message, /still running/);
    await p.ok({ op: 'send', socket: c, frames: [b64('to the job')], timeout_ms: 1000 });
    assert.deepEqual((await p.ok({ op: 'wait', job, timeout_ms: 5000 })).frames, [b64('to the job')]);
    assert.equal((await p.call({ op: 'wait', job, timeout_ms: 0 })).error.category, 'inval', 'a job is collected once');
    await p.ok({ op: 'close', socket: a, linger_ms: 0 });
    await p.ok({ op: 'close', socket: c, linger_ms: 0 });
  });

  test('requests written at once are answered in order', async () => {
    const s = (await p.ok({ op: 'socket', type: 'PULL' })).socket;
    const base = p.nextId;
    const reqs = [
      { id: base + 1, op: 'recv', socket: s, timeout_ms: 200 },
      { id: base + 2, op: 'ping' },
      { id: base + 3, op: 'getopt', socket: s, name: 'rcvhwm' },
      { id: base + 4, op: 'recv', socket: s, timeout_ms: 0 },
    ];
    p.nextId += reqs.length;
    p.writeLine(reqs.map((r) => JSON.stringify(r)).join('\n'));
    const got = [];
    for (let i = 0; i < reqs.length; i++) got.push(await p.nextLine(5000));
    assert.deepEqual(got.map((r) => r.id), reqs.map((r) => r.id));
    assert.equal(got[0].error.category, 'again');
    assert.equal(got[1].ok, true);
    assert.equal(got[2].value, 1000);
    await p.ok({ op: 'close', socket: s, linger_ms: 0 });
  });

  test('batches: explicit messages, partial results on timeout, digest instead of messages', async () => {
    const { a, c } = await pair(p, 'PULL', 'PUSH', 'inproc://batches');
    const msgs = [[b64('m0')], [b64('m1'), '']];
    assert.equal((await p.ok({ op: 'send_batch', socket: c, messages: msgs, timeout_ms: 1000 })).sent, 2);
    const r = await p.call({ op: 'recv_batch', socket: a, count: 3, timeout_ms: 300 });
    assert.equal(r.ok, false);
    assert.equal(r.error.category, 'again');
    assert.deepEqual(r.messages, msgs);
    await p.ok({ op: 'send_batch', socket: c, messages: msgs, timeout_ms: 1000 });
    const d = await p.call({ op: 'recv_batch', socket: a, count: 3, timeout_ms: 300, digest: true });
    assert.equal(d.error.category, 'again');
    assert.equal(d.messages, undefined);
    assert.equal(Buffer.from(d.digest, 'base64').length, 32);
    const none = await p.call({ op: 'recv_batch', socket: a, count: 1, timeout_ms: 0, digest: true });
    assert.equal(none.error.category, 'again');
    assert.equal(none.digest, undefined, 'no message, no digest');
    await p.ok({ op: 'close', socket: a, linger_ms: 0 });
    await p.ok({ op: 'close', socket: c, linger_ms: 0 });
  });

  test('cancel stops a batch at its next check and keeps what arrived', async () => {
    const { a, c } = await pair(p, 'PULL', 'PUSH', 'inproc://cancel');
    const job = (await p.ok({ op: 'recv_batch', socket: a, count: 10, timeout_ms: 300, async: true })).job;
    await p.ok({ op: 'send', socket: c, frames: [b64('one')], timeout_ms: 1000 });
    await p.ok({ op: 'cancel', job });
    const r = await p.call({ op: 'wait', job, timeout_ms: 5000 });
    assert.equal(r.ok, false);
    assert.equal(r.error.category, 'again');
    assert.deepEqual(r.messages, [[b64('one')]]);
    assert.equal((await p.call({ op: 'cancel', job: 987654 })).error.category, 'inval');
    await p.ok({ op: 'close', socket: a, linger_ms: 0 });
    await p.ok({ op: 'close', socket: c, linger_ms: 0 });
  });

  test('options: values round-trip, timeouts report what was set, unknown ones are unsupported', async () => {
    const s = (await p.ok({ op: 'socket', type: 'DEALER' })).socket;
    await p.ok({ op: 'setopt', socket: s, name: 'sndhwm', value: 5 });
    assert.equal((await p.ok({ op: 'getopt', socket: s, name: 'sndhwm' })).value, 5);
    await p.ok({ op: 'setopt', socket: s, name: 'rcvtimeo', value: 200 });
    assert.equal((await p.ok({ op: 'getopt', socket: s, name: 'rcvtimeo' })).value, 200);
    // the per-request timeouts change the real option, not what getopt reports
    await p.call({ op: 'recv', socket: s, timeout_ms: 0 });
    assert.equal((await p.ok({ op: 'getopt', socket: s, name: 'rcvtimeo' })).value, 200);
    await p.ok({ op: 'setopt', socket: s, name: 'immediate', value: 1 });
    assert.equal((await p.ok({ op: 'getopt', socket: s, name: 'immediate' })).value, true);
    await p.ok({ op: 'setopt', socket: s, name: 'immediate', value: false });
    assert.equal((await p.ok({ op: 'getopt', socket: s, name: 'immediate' })).value, false);
    await p.ok({ op: 'setopt', socket: s, name: 'maxmsgsize', value: 2 ** 40 });
    assert.equal((await p.ok({ op: 'getopt', socket: s, name: 'maxmsgsize' })).value, 2 ** 40);
    await p.ok({ op: 'setopt', socket: s, name: 'routing_id', value: b64('me') });
    assert.equal((await p.call({ op: 'getopt', socket: s, name: 'routing_id' })).error.category, 'unsupported');
    assert.equal((await p.ok({ op: 'getopt', socket: s, name: 'rcvmore' })).value, false);
    assert.equal((await p.call({ op: 'setopt', socket: s, name: 'no_such_option', value: 1 })).error.category, 'unsupported');
    assert.equal((await p.call({ op: 'getopt', socket: s, name: 'no_such_option' })).error.category, 'unsupported');
    assert.equal((await p.call({ op: 'setopt', socket: s, name: 'sndhwm', value: 'five' })).error.category, 'inval');
    assert.equal((await p.call({ op: 'setopt', socket: s, name: 'sndhwm', value: 1.5 })).error.category, 'inval');
    assert.equal((await p.call({ op: 'setopt', socket: s, name: 'sndhwm', value: 2 ** 31 })).error.category, 'inval');
    assert.equal((await p.call({ op: 'setopt', socket: s, name: 'last_endpoint', value: 'x' })).error.category, 'inval');
    assert.equal((await p.call({ op: 'setopt', socket: s, name: 'routing_id', value: '***' })).error.category, 'inval');
    assert.equal((await p.call({ op: 'setopt', socket: s, name: 'sndhwm', value: -1 })).error.category, 'inval', 'libzmq refuses it');
    await p.ok({ op: 'close', socket: s, linger_ms: 0 });
  });

  test('contexts: inproc works within one and never across two', async () => {
    const a = (await p.ok({ op: 'socket', type: 'PAIR', context: 'one' })).socket;
    const same = (await p.ok({ op: 'socket', type: 'PAIR', context: 'one' })).socket;
    const other = (await p.ok({ op: 'socket', type: 'PAIR', context: 'two' })).socket;
    await p.ok({ op: 'bind', socket: a, endpoint: 'inproc://ctx' });
    await p.ok({ op: 'connect', socket: other, endpoint: 'inproc://ctx' }); // pending for ever: not that context
    await p.ok({ op: 'send', socket: other, frames: [b64('wrong context')], timeout_ms: 0 });
    assert.equal((await p.call({ op: 'recv', socket: a, timeout_ms: 300 })).error.category, 'again');
    await p.ok({ op: 'connect', socket: same, endpoint: 'inproc://ctx' });
    await p.ok({ op: 'send', socket: same, frames: [b64('same context')], timeout_ms: 1000 });
    assert.deepEqual((await p.ok({ op: 'recv', socket: a, timeout_ms: 1000 })).frames, [b64('same context')]);
    for (const s of [a, same, other]) await p.ok({ op: 'close', socket: s, linger_ms: 0 });
  });

  test('unbind really unbinds (the endpoint can be bound again), disconnect detaches', async () => {
    const s = (await p.ok({ op: 'socket', type: 'PULL' })).socket;
    const ep = (await p.ok({ op: 'bind', socket: s, endpoint: 'tcp://127.0.0.1:*' })).endpoint;
    await p.ok({ op: 'unbind', socket: s, endpoint: ep });
    assert.equal((await p.call({ op: 'unbind', socket: s, endpoint: ep })).ok, false, 'a second unbind');
    const s2 = (await p.ok({ op: 'socket', type: 'PULL' })).socket;
    // libzmq closes the listener in its I/O thread after zmq_unbind returns: allow it a moment.
    let bound;
    for (let i = 0; i < 40 && !(bound = await p.call({ op: 'bind', socket: s2, endpoint: ep })).ok; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(bound.endpoint, ep, JSON.stringify(bound));
    const push = (await p.ok({ op: 'socket', type: 'PUSH' })).socket;
    await p.ok({ op: 'connect', socket: push, endpoint: ep });
    await p.ok({ op: 'send', socket: push, frames: [b64('x')], timeout_ms: 2000 });
    assert.deepEqual((await p.ok({ op: 'recv', socket: s2, timeout_ms: 2000 })).frames, [b64('x')]);
    await p.ok({ op: 'disconnect', socket: push, endpoint: ep });
    assert.equal((await p.call({ op: 'send', socket: push, frames: [b64('y')], timeout_ms: 0 })).error.category, 'again');
    for (const x of [s, s2, push]) await p.ok({ op: 'close', socket: x, linger_ms: 0 });
  });

  test('close forgets the handle and stops a job that still uses the socket', async () => {
    const s = (await p.ok({ op: 'socket', type: 'PULL' })).socket;
    const job = (await p.ok({ op: 'recv_batch', socket: s, count: 5, timeout_ms: 5000, async: true })).job;
    const t0 = Date.now();
    await p.ok({ op: 'close', socket: s, linger_ms: 0 });
    const r = await p.call({ op: 'wait', job, timeout_ms: 3000 });
    assert.equal(r.ok, false);
    assert.ok(Date.now() - t0 < 2000, 'the job ended with its socket');
    assert.equal((await p.call({ op: 'recv', socket: s, timeout_ms: 0 })).error.category, 'protocol');
    assert.equal((await p.call({ op: 'close', socket: s })).error.category, 'protocol');
  });
});
