'use strict';
// How the peer starts and ends: quit, end of input, an unreadable line, a missing package.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { PeerProcess } = require('./helpers');

test('quit answers, closes everything and exits 0', { timeout: 20000 }, async () => {
  const p = new PeerProcess();
  await p.ok({ op: 'socket', type: 'PUSH' });
  await p.ok({ op: 'connect', socket: 's1', endpoint: 'tcp://127.0.0.1:9' }); // nobody there
  await p.ok({ op: 'send', socket: 's1', frames: ['eA=='], timeout_ms: 0 }); // queued for ever
  await p.ok({ op: 'recv_batch', socket: 's1', count: 1, timeout_ms: 5000, async: true });
  const r = await p.call({ op: 'quit' });
  assert.equal(r.ok, true);
  assert.deepEqual(await p.exit(5000), { code: 0, signal: null });
});

test('end of input means quit, without a reply', { timeout: 20000 }, async () => {
  const p = new PeerProcess();
  await p.ok({ op: 'ping' });
  p.child.stdin.end();
  assert.deepEqual(await p.exit(5000), { code: 0, signal: null });
  assert.equal(p.replies.length, 0);
});

test('an unreadable line is answered once with id 0, then the peer stops', { timeout: 20000 }, async () => {
  const p = new PeerProcess();
  p.writeLine('{"id": 1, "op": "pi');
  const r = await p.nextLine(5000);
  assert.equal(r.id, 0);
  assert.equal(r.error.category, 'protocol');
  assert.equal((await p.exit(5000)).code, 1);
  assert.match(p.stderr, /unreadable request/);
});

test('a field of the wrong type makes the line unreadable: id 0, protocol, exit 1', { timeout: 30000 }, async () => {
  const bad = [
    { id: 5, op: 'recv', socket: 's1', timeout_ms: 'soon' },
    { id: 5, op: 'send', socket: 's1', frames: ['not base64!'] },
    { id: 5, op: 'send', socket: 's1', frames: 'QQ==' },
    { id: 'five', op: 'ping' },
    { id: 5, op: 'ping', async: 'yes' },
    { id: 5, op: 'send_batch', socket: 's1', plan: { count: 1.5 } },
  ];
  for (const req of bad) {
    const p = new PeerProcess();
    p.writeLine(JSON.stringify(req));
    const r = await p.nextLine(5000);
    assert.equal(r.id, 0, JSON.stringify(req));
    assert.equal(r.error.category, 'protocol');
    assert.equal((await p.exit(5000)).code, 1, JSON.stringify(req));
  }
});

test('hello comes fast', { timeout: 20000 }, async () => {
  const t0 = Date.now();
  const p = new PeerProcess();
  await p.ok({ op: 'hello' }, 10000);
  const took = Date.now() - t0;
  await p.quit();
  // Start-up and the three transport probes; generous for a loaded 2-core machine.
  assert.ok(took < 5000, `hello took ${took} ms`);
});

test('without the zeromq package: one line on stderr and exit 1', { timeout: 20000 }, async () => {
  // A copy of the peer where no node_modules can be found.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zjs-noload-'));
  try {
    const src = path.join(__dirname, '..');
    fs.copyFileSync(path.join(src, 'peer.js'), path.join(dir, 'peer.js'));
    fs.cpSync(path.join(src, 'lib'), path.join(dir, 'lib'), { recursive: true });
    const p = new PeerProcess([], { script: path.join(dir, 'peer.js'), cwd: dir, env: { NODE_PATH: '' } });
    const { code } = await p.exit(10000);
    assert.equal(code, 1);
    const lines = p.stderr.trim().split('\n');
    assert.equal(lines.length, 1, p.stderr);
    assert.match(lines[0], /^zeromqjs: cannot load the zeromq package: run make deps \(.+\)$/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
