'use strict';
// The bench loops, briefly (a fraction of a second each), on inproc.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { PeerProcess, pair } = require('./helpers');
const { latencySummary } = require('../lib/bench');

test('latency summary: exact percentiles of the sorted samples', () => {
  const s = latencySummary([5, 1, 4, 2, 3]);
  assert.deepEqual(s, { count: 5, mean_ns: 3, p50_ns: 3, p90_ns: 4, p99_ns: 4, p999_ns: 4, max_ns: 5, min_ns: 1 });
  assert.equal(latencySummary([]).count, 0);
});

describe('bench loops', { timeout: 60000 }, () => {
  let p;
  before(() => { p = new PeerProcess(); });
  after(async () => { await p.quit(); });

  test('thr_send/thr_recv: counted from the first message, sender stopped by cancel', async () => {
    const { a: pull, c: push } = await pair(p, 'PULL', 'PUSH', 'inproc://thr');
    const recv = (await p.ok({ op: 'bench', socket: pull, async: true, bench: { mode: 'thr_recv', size: 64, duration_ms: 300 } })).job;
    const send = (await p.ok({ op: 'bench', socket: push, async: true, bench: { mode: 'thr_send', size: 64, duration_ms: 300 } })).job;
    const r = (await p.ok({ op: 'wait', job: recv, timeout_ms: 10000 })).bench;
    assert.ok(r.messages > 64, `received ${r.messages}`);
    assert.equal(r.bytes, r.messages * 64);
    assert.ok(r.elapsed_ns >= 300e6 && r.elapsed_ns < 5e9, `elapsed ${r.elapsed_ns}`);
    await p.ok({ op: 'cancel', job: send });
    const s = (await p.ok({ op: 'wait', job: send, timeout_ms: 10000 })).bench;
    assert.equal(s.stopped, 'cancelled');
    assert.ok(s.messages >= r.messages, `sent ${s.messages}, received ${r.messages}`);
    await p.ok({ op: 'close', socket: pull, linger_ms: 0 });
    await p.ok({ op: 'close', socket: push, linger_ms: 0 });
  });

  test('thr_recv reports a sender that went quiet', async () => {
    const { a: pull, c: push } = await pair(p, 'PULL', 'PUSH', 'inproc://quiet');
    const recv = (await p.ok({ op: 'bench', socket: pull, async: true, bench: { mode: 'thr_recv', size: 8, duration_ms: 60000 } })).job;
    await p.ok({ op: 'send_batch', socket: push, plan: { count: 100, size: 8 }, timeout_ms: 1000 });
    const r = (await p.ok({ op: 'wait', job: recv, timeout_ms: 10000 })).bench;
    assert.match(r.stopped, /went quiet after 100 messages/);
    assert.equal(r.messages, 64, 'only the messages up to the last clock reading count');
    await p.ok({ op: 'close', socket: pull, linger_ms: 0 });
    await p.ok({ op: 'close', socket: push, linger_ms: 0 });
  });

  test('lat_ping/lat_pong: half round trips recorded, the echo stopped by cancel', async () => {
    const { a: rep, c: req } = await pair(p, 'REP', 'REQ', 'inproc://lat');
    const pong = (await p.ok({ op: 'bench', socket: rep, async: true, bench: { mode: 'lat_pong', size: 32 } })).job;
    const ping = (await p.ok({ op: 'bench', socket: req, async: true, bench: { mode: 'lat_ping', size: 32, duration_ms: 300 } })).job;
    const r = (await p.ok({ op: 'wait', job: ping, timeout_ms: 10000 })).bench;
    assert.ok(r.messages > 10, `round trips ${r.messages}`);
    assert.equal(r.bytes, r.messages * 64);
    const l = r.latency;
    assert.equal(l.count, r.messages);
    assert.ok(l.min_ns > 0 && l.min_ns <= l.p50_ns && l.p50_ns <= l.p99_ns && l.p99_ns <= l.max_ns, JSON.stringify(l));
    await p.ok({ op: 'cancel', job: pong });
    const e = (await p.ok({ op: 'wait', job: pong, timeout_ms: 10000 })).bench;
    assert.equal(e.stopped, 'cancelled');
    assert.equal(e.messages, r.messages + 1, 'every round trip, and the untimed first one');
    await p.ok({ op: 'close', socket: rep, linger_ms: 0 });
    await p.ok({ op: 'close', socket: req, linger_ms: 0 });
  });

  test('bench refusals: unknown mode, missing spec, no first message', async () => {
    const s = (await p.ok({ op: 'socket', type: 'PULL' })).socket;
    assert.equal((await p.call({ op: 'bench', socket: s, bench: { mode: 'warp' } })).error.category, 'inval');
    assert.equal((await p.call({ op: 'bench', socket: s })).error.category, 'protocol');
    const r = await p.call({ op: 'bench', socket: s, bench: { mode: 'thr_recv', size: 1, duration_ms: 10, first_timeout_ms: 200 } });
    assert.equal(r.error.category, 'again');
    assert.match(r.error.message, /waiting for first message/);
    await p.ok({ op: 'close', socket: s, linger_ms: 0 });
  });
});
