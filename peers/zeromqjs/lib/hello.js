'use strict';
// The hello reply: who this peer is and what it can do here, found out now (transports are
// probed by carrying a message, never taken from what the binding claims).

const fs = require('fs');
const os = require('os');
const path = require('path');
const { Category, WireError } = require('./wire');
const { Sock, SOCKET_TYPES, makeRawSocket } = require('./sock');
const { probeOptions } = require('./options');

const PROTOCOL_VERSION = 1;
const PROBE_TIMEOUT_MS = 2000;

/** Go's GOOS name for this platform. */
function goos() {
  const map = { win32: 'windows', sunos: 'solaris' };
  return map[process.platform] || process.platform;
}

function packageVersion() {
  try {
    return require('zeromq/package.json').version;
  } catch (_) {
    return 'unknown';
  }
}

/** The socket types this zeromq.js creates (each is created once and closed). */
function probeSocketTypes(zmq, context) {
  return SOCKET_TYPES.filter((type) => {
    try {
      const z = makeRawSocket(zmq, type, context);
      z.linger = 0;
      z.close();
      return true;
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      return false;
    }
  });
}

/** Binds a PAIR, connects a PAIR, carries one message; throws WireError saying what failed. */
async function probeTransport(zmq, context, endpoint) {
  const a = new Sock('probe-a', 'PAIR', makeRawSocket(zmq, 'PAIR', context));
  const c = new Sock('probe-c', 'PAIR', makeRawSocket(zmq, 'PAIR', context));
  const step = async (what, fn) => {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      throw new WireError(e.category, `${what}: ${e.text()}`);
    }
  };
  try {
    const real = await step(`bind ${endpoint}`, () => a.bind(endpoint));
    await step(`connect ${real}`, () => c.connect(real));
    await step(`send over ${real}`, () => c.send([Buffer.from('probe')], PROBE_TIMEOUT_MS));
    const got = await step(`recv over ${real}`, () => a.recv(PROBE_TIMEOUT_MS));
    if (got.length !== 1 || got[0].toString() !== 'probe') {
      throw new WireError(Category.OTHER, `probe over ${real}: got ${JSON.stringify(got.map(String))}`);
    }
  } finally {
    for (const s of [a, c]) s.close(0);
  }
}

/** Probes tcp, ipc and inproc; returns {transports, probeErrors}. */
async function probeTransports(zmq, context) {
  // A short ipc path: sun_path holds about 100 bytes, and the harness's TMPDIR may be long.
  const tmp = os.tmpdir();
  const base = tmp.length > 60 && process.platform !== 'win32' && fs.existsSync('/tmp') ? '/tmp' : tmp;
  const transports = [];
  const probeErrors = {};
  let dir;
  try {
    dir = fs.mkdtempSync(path.join(base, 'zp'));
  } catch (e) {
    probeErrors.ipc = `cannot make a directory for the ipc probe: ${e.message}`;
  }
  try {
    const endpoints = [['tcp', 'tcp://127.0.0.1:*'], ['ipc', dir && `ipc://${path.join(dir, 'probe')}`], ['inproc', 'inproc://zmqsuite-probe']];
    for (const [name, ep] of endpoints) {
      if (!ep) continue;
      try {
        await probeTransport(zmq, context, ep);
        transports.push(name);
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
        probeErrors[name] = e.message;
      }
    }
  } finally {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
  return { transports, probeErrors };
}

let cachedStatic = null; // socket types and options do not change while the process lives

async function hello(zmq) {
  const context = zmq.context; // the binding's default context, as the "" context of requests
  if (!cachedStatic) {
    cachedStatic = {
      socketTypes: probeSocketTypes(zmq, context),
      options: probeOptions((type) => makeRawSocket(zmq, type, context)),
    };
  }
  const { transports, probeErrors } = await probeTransports(zmq, context);
  // What zeromq.js claims (zmq_has underneath). Its capability object has no entry for tcp
  // and inproc, which libzmq always has; epgm comes with pgm.
  const cap = zmq.capability;
  const declared = ['tcp'];
  if (cap.ipc) declared.push('ipc');
  declared.push('inproc');
  if (cap.pgm) declared.push('pgm', 'epgm');
  if (cap.tipc) declared.push('tipc');
  if (cap.norm) declared.push('norm');
  const caps = {
    socket_types: cachedStatic.socketTypes,
    options: cachedStatic.options,
    transports,
    declared,
  };
  if (Object.keys(probeErrors).length > 0) caps.probe_errors = probeErrors;
  caps.bench = true;
  const draft = zmq.capability.draft ? 'on' : 'off';
  return {
    name: 'zeromqjs',
    version: packageVersion(),
    libzmq: zmq.version,
    runtime: `Node.js ${process.versions.node}`,
    protocol: PROTOCOL_VERSION,
    os: goos(),
    language: 'javascript',
    binding: 'zeromq',
    pid: process.pid,
    notes: `libzmq bundled with zeromq.js's prebuilt addon (draft API ${draft}); ` +
      'routing_id can be set but not read (zeromq.js reads byte options as C strings); bench latency from exact samples',
    capabilities: caps,
  };
}

module.exports = { hello, goos, PROTOCOL_VERSION };
