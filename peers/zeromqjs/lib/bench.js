'use strict';
// Benchmark loops (the protocol's "bench" op), run inside the peer so that the control channel
// is never timed. The loops follow the reference peers' rules: thr_send until cancelled, the run
// limit, or a send error other than would-block; thr_recv from the first message for the window,
// reading the clock every 64 messages (every message once they are 1 KiB or more); lat_ping with
// one untimed round trip first; lat_pong echoing until cancelled.
//
// A loop sees `cancel` only when the event loop has read it from stdin. zeromq.js resolves at
// most 512 operations synchronously before it defers one to the event loop, and the loops yield
// explicitly at every check as well, so a cancel is never starved.

const { Category, WireError } = require('./wire');

const POLL_SLICE_MS = 100; // how long a blocked loop waits before it looks at its cancel flag
const QUIET_MS = 1000; // thr_recv: a sender silent this long has stopped
const STEP_MS = 5000; // lat_ping/lat_pong: one send or receive inside the timed loop
const FIRST_DEFAULT_MS = 10000;
const MAX_RUN_EXTRA_MS = 30000;

const now = () => process.hrtime.bigint();
const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));

function intField(spec, name) {
  const v = spec[name];
  if (v === undefined || v === null) return 0;
  if (!Number.isSafeInteger(v)) throw new WireError(Category.PROTOCOL, `bench.${name}: want an integer, got ${JSON.stringify(v)}`);
  return v;
}

function wrapFirst(what, err) {
  if (!(err instanceof WireError)) throw err;
  return new WireError(err.category, `bench: waiting for ${what}: ${err.message}`);
}

/** Exact percentiles from the sorted samples (as the reference peers' exact recorder). */
function latencySummary(samples) {
  const zero = { count: 0, mean_ns: 0, p50_ns: 0, p90_ns: 0, p99_ns: 0, p999_ns: 0, max_ns: 0, min_ns: 0 };
  const n = samples.length;
  if (n === 0) return zero;
  const s = Float64Array.from(samples).sort();
  const q = (p) => s[Math.floor(p * (n - 1))];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += s[i];
  return { count: n, mean_ns: sum / n, p50_ns: q(0.5), p90_ns: q(0.9), p99_ns: q(0.99), p999_ns: q(0.999), max_ns: s[n - 1], min_ns: s[0] };
}

const sizeOf = (m) => m.reduce((a, f) => a + f.length, 0);

async function thrSend(sock, size, job, deadline) {
  const msg = [Buffer.alloc(size)];
  let n = 0;
  for (;;) {
    if ((n & 255) === 0) {
      await yieldToLoop();
      if (job.cancelled || now() > deadline) break;
    }
    try {
      await sock.send(msg, POLL_SLICE_MS);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      if (e.category === Category.AGAIN) {
        if (job.cancelled || now() > deadline) break;
        continue;
      }
      return { messages: n, bytes: n * size, elapsed_ns: 0, stopped: e.text() };
    }
    n++;
  }
  return { messages: n, bytes: n * size, elapsed_ns: 0, stopped: 'cancelled' };
}

async function thrRecv(sock, windowMs, firstMs) {
  let m;
  try {
    m = await sock.recv(firstMs);
  } catch (e) {
    throw wrapFirst('first message', e);
  }
  const start = now();
  const end = start + BigInt(windowMs) * 1000000n;
  const every = sizeOf(m) >= 1024 ? 1 : 64;
  let messages = 1;
  let bytes = sizeOf(m);
  let timed = { messages, bytes }; // the count at the last clock reading
  let last = start;
  let stopped;
  for (;;) {
    try {
      m = await sock.recv(QUIET_MS);
    } catch (e) {
      if (e instanceof WireError && e.category === Category.AGAIN) {
        stopped = `sender went quiet after ${messages} messages (none for 1 s)`;
        break;
      }
      throw e;
    }
    messages++;
    bytes += sizeOf(m);
    if (messages % every === 0) {
      last = now();
      timed = { messages, bytes };
      if (last > end) break;
      if ((messages & 255) === 0) await yieldToLoop();
    }
  }
  const res = { messages: timed.messages, bytes: timed.bytes, elapsed_ns: Number(last - start) };
  if (stopped) res.stopped = stopped;
  return res;
}

async function latPing(sock, size, windowMs, firstMs) {
  const msg = [Buffer.alloc(size)];
  try {
    await sock.send(msg, firstMs);
  } catch (e) {
    throw wrapFirst('first request', e);
  }
  try {
    await sock.recv(firstMs);
  } catch (e) {
    throw wrapFirst('first reply', e);
  }
  const samples = [];
  const start = now();
  const end = start + BigInt(windowMs) * 1000000n;
  let t0 = start;
  let messages = 0;
  for (;;) {
    await sock.send(msg, STEP_MS);
    await sock.recv(STEP_MS);
    const t1 = now();
    samples.push(Number(t1 - t0) / 2);
    messages++;
    t0 = t1;
    if (t1 > end) break;
  }
  return {
    messages, bytes: messages * 2 * size, elapsed_ns: Number(t0 - start), latency: latencySummary(samples),
  };
}

async function latPong(sock, job, deadline) {
  let messages = 0;
  while (!job.cancelled && now() < deadline) {
    let m;
    try {
      m = await sock.recv(POLL_SLICE_MS);
    } catch (e) {
      if (e instanceof WireError && e.category === Category.AGAIN) continue;
      if (!(e instanceof WireError)) throw e;
      return { messages, bytes: 0, elapsed_ns: 0, stopped: e.text() };
    }
    try {
      await sock.send(m, STEP_MS); // all frames: a ROUTER echoes the envelope back
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      return { messages, bytes: 0, elapsed_ns: 0, stopped: e.text() };
    }
    messages++;
  }
  return { messages, bytes: 0, elapsed_ns: 0, stopped: 'cancelled' };
}

/** Runs one bench loop on sock; job.cancelled stops the loops that run until cancelled. */
async function runBench(sock, spec, job) {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new WireError(Category.PROTOCOL, 'bench: missing "bench" spec');
  }
  const size = intField(spec, 'size');
  const windowMs = intField(spec, 'duration_ms');
  if (size < 0 || windowMs < 0) throw new WireError(Category.INVAL, 'bench: negative size or duration');
  let firstMs = intField(spec, 'first_timeout_ms');
  if (firstMs <= 0) firstMs = FIRST_DEFAULT_MS;
  let maxRunMs = intField(spec, 'max_run_ms');
  if (maxRunMs <= 0) maxRunMs = windowMs + MAX_RUN_EXTRA_MS;
  const deadline = now() + BigInt(maxRunMs) * 1000000n;
  switch (spec.mode) {
    case 'thr_send': return thrSend(sock, size, job, deadline);
    case 'thr_recv': return thrRecv(sock, windowMs, firstMs);
    case 'lat_ping': return latPing(sock, size, windowMs, firstMs);
    case 'lat_pong': return latPong(sock, job, deadline);
    default:
      throw new WireError(Category.INVAL, `bench: unknown mode ${JSON.stringify(spec.mode)} (want thr_send, thr_recv, lat_ping, lat_pong)`);
  }
}

module.exports = { runBench, latencySummary };
