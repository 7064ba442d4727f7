'use strict';
// The content pattern and the digest, against the protocol document's example, against Go's
// harness/peer (Plan.Message / Fill, the normative code), and through the peer itself.

const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { fill, Plan, digestMessages } = require('../lib/content');
const { PeerProcess, pair } = require('./helpers');

const REPO = path.resolve(__dirname, '..', '..', '..');

test('the document example: seq 1, frame 0, 14 bytes', () => {
  assert.equal(fill(14, 1, 0).toString('hex'), '0000000000000001000000008f90');
});

test('frames shorter than the header are pattern only', () => {
  // byte k = (seq*131 + j*17 + k) mod 256
  const b = fill(11, 7, 2);
  for (let k = 0; k < 11; k++) assert.equal(b[k], (7 * 131 + 2 * 17 + k) % 256);
  assert.equal(fill(0, 3, 0).length, 0);
});

test('long frames repeat the pattern every 256 bytes and keep the header', () => {
  const seq = 2 ** 40 + 77; // beyond 32 bits: both halves of the uint64 matter
  const b = fill(1000, seq, 5);
  assert.equal(b.readBigUInt64BE(0), BigInt(seq));
  assert.equal(b.readUInt32BE(8), 5);
  for (let k = 12; k < 1000; k++) assert.equal(b[k], Number((BigInt(seq) * 131n + 85n + BigInt(k)) % 256n), `byte ${k}`);
});

test('plan shapes: frames default to one, sizes override, prefix first', () => {
  assert.deepEqual(new Plan({ count: 1, size: 3 }).message(0).map((f) => f.length), [3]);
  assert.deepEqual(new Plan({ count: 1, frames: 3, size: 2 }).message(0).map((f) => f.length), [2, 2, 2]);
  const p = new Plan({ count: 1, frames: 3, size: 2, sizes: [1, 20], prefix: ['dG9waWM='] });
  assert.deepEqual(p.message(0).map((f) => f.length), [5, 1, 20]);
  assert.equal(p.message(0)[0].toString(), 'topic');
  assert.throws(() => new Plan({ count: -1 }), { category: 'inval' });
  assert.throws(() => new Plan({ count: 1, sizes: [-2] }), { category: 'inval' });
  assert.throws(() => new Plan({ count: 1.5 }), { category: 'protocol' });
});

const PLANS = [
  { count: 3, start: 0, size: 14 },
  { count: 4, start: 41205, frames: 3, size: 300 },
  { count: 2, start: 9, sizes: [0, 1, 11, 12, 13, 255, 256, 257, 4097], prefix: ['dG9waWM=', ''] },
  { count: 2, start: 2 ** 33 + 1, size: 40 },
];

// Go's output for PLANS, built once (go build takes a while on a busy machine).
let goMessages = null;
function goReference(t) {
  if (goMessages) return goMessages;
  const go = spawnSync('go', ['version'], { encoding: 'utf8', timeout: 30000 });
  if (go.error || go.status !== 0) {
    t.skip('go is not installed: cannot compare with harness/peer');
    return null;
  }
  const bin = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'zjs-gofill-')), 'gofill');
  execFileSync('go', ['build', '-o', bin, './peers/zeromqjs/test/gofill'], { cwd: REPO, timeout: 240000, stdio: ['ignore', 'ignore', 'inherit'] });
  // Go encodes an empty frame it holds as a nil slice as null, not "": the same bytes.
  const frames = (msgs) => msgs.map((m) => m.map((f) => (f === null ? '' : f)));
  goMessages = PLANS.map((plan) => frames(JSON.parse(execFileSync(bin, { input: JSON.stringify(plan), timeout: 30000 }).toString())));
  fs.rmSync(path.dirname(bin), { recursive: true, force: true });
  return goMessages;
}

test('content matches Go harness/peer byte for byte', { timeout: 300000 }, (t) => {
  const ref = goReference(t);
  if (!ref) return;
  PLANS.forEach((plan, n) => {
    const p = new Plan(plan);
    const mine = Array.from({ length: plan.count }, (_, i) => p.message(i).map((f) => f.toString('base64')));
    assert.deepEqual(mine, ref[n], `plan ${JSON.stringify(plan)}`);
  });
});

test('a plan sent through the peer arrives as Go generates it, and digests as computed here', { timeout: 300000 }, async (t) => {
  const ref = goReference(t);
  if (!ref) return;
  const p = new PeerProcess();
  try {
    await p.ok({ op: 'hello' });
    const { a, c } = await pair(p, 'PAIR', 'PAIR', 'inproc://content-test');
    for (let n = 0; n < PLANS.length; n++) {
      const plan = PLANS[n];
      const recv = await p.ok({ op: 'recv_batch', socket: a, count: plan.count, timeout_ms: 5000, async: true });
      const send = await p.ok({ op: 'send_batch', socket: c, plan, timeout_ms: 5000, async: true });
      assert.equal((await p.ok({ op: 'wait', job: send.job, timeout_ms: 10000 })).sent, plan.count);
      const got = await p.ok({ op: 'wait', job: recv.job, timeout_ms: 10000 });
      assert.deepEqual(got.messages, ref[n], `plan ${n} through the peer`);
      // The same messages again, received as a digest.
      const drecv = await p.ok({ op: 'recv_batch', socket: a, count: plan.count, timeout_ms: 5000, digest: true, async: true });
      await p.ok({ op: 'wait', job: (await p.ok({ op: 'send_batch', socket: c, plan, timeout_ms: 5000, async: true })).job, timeout_ms: 10000 });
      const dgot = await p.ok({ op: 'wait', job: drecv.job, timeout_ms: 10000 });
      assert.equal(dgot.messages, undefined, 'digest mode carries no messages');
      const frames = ref[n].map((m) => m.map((f) => Buffer.from(f, 'base64')));
      assert.equal(dgot.digest, referenceDigest(frames).toString('base64'), `digest of plan ${n}`);
    }
  } finally {
    await p.quit();
  }
});

// An independent digest: bit-by-bit CRC-32 (IEEE, reflected, polynomial 0xEDB88320), so the
// test does not check zlib.crc32 against itself.
function crc32(bytes) {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function referenceDigest(messages) {
  const out = [];
  for (const m of messages) {
    const head = m.find((f) => f.length >= 12);
    const seq = head ? [...head.subarray(0, 8)] : new Array(8).fill(0xff);
    const all = [];
    for (const f of m) all.push(f.length >>> 24, (f.length >>> 16) & 255, (f.length >>> 8) & 255, f.length & 255, ...f);
    const c = crc32(all);
    const n = m.length;
    out.push(...seq, c >>> 24, (c >>> 16) & 255, (c >>> 8) & 255, c & 255, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  }
  return Buffer.from(out);
}

test('digest: seq from the first long frame, CRC over lengths and bytes, frame count', () => {
  const msgs = [
    [Buffer.from('short')], // no frame of 12 bytes: seq all ones
    [Buffer.from('topic'), fill(20, 42, 0), fill(12, 43, 1)], // seq from the first long frame
    [Buffer.alloc(0)],
    [Buffer.from('ab'), Buffer.from('c')], // lengths make "ab"+"c" differ from "a"+"bc"
    [Buffer.from('a'), Buffer.from('bc')],
  ];
  const d = Buffer.from(digestMessages(msgs), 'base64');
  assert.equal(d.length, 16 * msgs.length);
  assert.deepEqual(d, referenceDigest(msgs));
  assert.equal(d.subarray(0, 8).toString('hex'), 'ffffffffffffffff');
  assert.equal(d.readBigUInt64BE(16), 42n);
  assert.equal(d.readUInt32BE(16 + 12), 3);
  assert.notEqual(d.readUInt32BE(48 + 8), d.readUInt32BE(64 + 8));
  // CRC-32 of the 4 length bytes of one empty frame, a known value of the IEEE polynomial.
  assert.equal(d.readUInt32BE(32 + 8), crc32([0, 0, 0, 0]));
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926); // the CRC-32 check value
});

test('digest: the examples of the digest-mode addition to the protocol', () => {
  const hex = (m) => Buffer.from(digestMessages([m]), 'base64').toString('hex');
  assert.equal(hex([Buffer.from('topic'), fill(20, 41207, 3)]), '000000000000a0f727c3313c00000002');
  assert.equal(hex([Buffer.from(''), Buffer.from('ab')]), 'ffffffffffffffff3f54e68a00000002');
  assert.equal(hex([Buffer.from('ab'), Buffer.from('c')]), 'ffffffffffffffff8cff5e3200000002');
  assert.equal(hex([Buffer.from('a'), Buffer.from('bc')]), 'ffffffffffffffff0a181b8a00000002');
  assert.equal(hex([]), 'ffffffffffffffff0000000000000000');
});
