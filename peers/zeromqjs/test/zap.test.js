'use strict';
// docs/peer-protocol.md "Security": the peer's own ZAP handler decides by the suite's spec, and
// Z85 matches RFC 32's test vector.

const test = require('node:test');
const assert = require('node:assert/strict');
const { decide, reply } = require('../lib/zap');
const { z85Encode } = require('../lib/z85');

test('z85 encodes the RFC 32 test vector', () => {
  assert.equal(z85Encode(Buffer.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b])), 'HelloWorld');
  assert.throws(() => z85Encode(Buffer.alloc(3)));
});

test('the handler allows exactly the listed credentials in its domain', () => {
  const spec = {
    domain: 'd',
    users: [{ username: Buffer.from('u'), password: Buffer.from('p') }],
    curve_keys: ['0'.repeat(40)],
    allow_null: false,
  };
  assert.equal(decide(spec, 'PLAIN', 'd', [Buffer.from('u'), Buffer.from('p')]).status, '200');
  assert.equal(decide(spec, 'PLAIN', 'd', [Buffer.from('u'), Buffer.from('x')]).status, '400');
  assert.equal(decide(spec, 'PLAIN', 'e', [Buffer.from('u'), Buffer.from('p')]).status, '400');
  assert.equal(decide(spec, 'CURVE', 'd', [Buffer.alloc(32)]).status, '200');
  assert.equal(decide(spec, 'NULL', 'd', []).status, '400');
  const [frames] = reply(spec, ['1.0', '7', 'd', 'a', '', 'PLAIN', 'u', 'p'].map((s) => Buffer.from(s)));
  assert.equal(frames[2], '200');
  assert.equal(frames[1].toString(), '7');
  const [bad] = reply(spec, [Buffer.from('2.0'), Buffer.from('7')]);
  assert.equal(bad[2], '500');
});
