'use strict';
// Decoding a request line: every known field is checked for its type before anything runs, as
// Go's encoding/json decodes the Request struct of harness/peer. A field of the wrong type makes
// the line unreadable (Malformed): it cannot be trusted enough to answer by id, so the loop
// answers id 0 and stops. Missing fields read as their zero value (null too, as in Go); whether
// a zero value is acceptable is for the operation to say (a missing required field is a
// `protocol` error answered by id).

const { decodeBase64 } = require('./wire');

/** A request line that cannot be decoded. */
class Malformed extends Error {}

const INT64_MAX = 2 ** 63;

function int(v, what) {
  // Safe integers only: larger ones (ids, counts) would be rounded by JSON.parse already.
  if (!Number.isSafeInteger(v)) {
    if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < INT64_MAX) {
      throw new Malformed(`${what}: ${v} is beyond what this peer can count exactly`);
    }
    throw new Malformed(`${what}: want an integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function str(v, what) {
  if (typeof v !== 'string') throw new Malformed(`${what}: want a string, got ${JSON.stringify(v)}`);
  return v;
}

function bool(v, what) {
  if (typeof v !== 'boolean') throw new Malformed(`${what}: want a boolean, got ${JSON.stringify(v)}`);
  return v;
}

function list(v, what, item) {
  if (!Array.isArray(v)) throw new Malformed(`${what}: want an array, got ${JSON.stringify(v).slice(0, 40)}`);
  return v.map((x, i) => (x === null ? item.zero : item.decode(x, `${what}[${i}]`)));
}

function bytes(v, what) {
  const b = decodeBase64(str(v, what));
  if (b === null) throw new Malformed(`${what}: illegal base64 data`);
  return b;
}

const BYTES = { decode: bytes, zero: Buffer.alloc(0) };
const FRAMES = { decode: (v, what) => list(v, what, BYTES), zero: [] };
const INT = { decode: int, zero: 0 };

function object(v, what, spec) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new Malformed(`${what}: want an object, got ${JSON.stringify(v).slice(0, 40)}`);
  }
  return fields(v, what, spec);
}

/** Decodes the known fields of o by spec {name: [decoder, zero]}; present tells which were given. */
function fields(o, what, spec) {
  const out = { present: new Set() };
  for (const [name, [decode, zero]] of Object.entries(spec)) {
    const v = o[name];
    if (v === undefined || v === null) {
      out[name] = zero;
    } else {
      out[name] = decode(v, `${what}.${name}`);
      out.present.add(name);
    }
  }
  return out;
}

const PLAN = {
  count: [int, 0], start: [int, 0], frames: [int, 0], size: [int, 0],
  sizes: [(v, w) => list(v, w, INT), []], prefix: [(v, w) => list(v, w, BYTES), []],
};
const BENCH = {
  mode: [str, ''], size: [int, 0], duration_ms: [int, 0], first_timeout_ms: [int, 0], max_run_ms: [int, 0],
};
const ZAP_USER = { username: [bytes, Buffer.alloc(0)], password: [bytes, Buffer.alloc(0)] };
const ZAP = {
  domain: [str, ''],
  users: [(v, w) => list(v, w, { decode: (u, uw) => object(u, uw, ZAP_USER), zero: null }), []],
  curve_keys: [(v, w) => list(v, w, { decode: str, zero: '' }), []],
  allow_null: [bool, false],
};
const REQUEST = {
  id: [int, 0], op: [str, ''], async: [bool, false],
  socket: [str, ''], type: [str, ''], context: [str, ''], endpoint: [str, ''], name: [str, ''],
  value: [(v) => v, undefined],
  frames: [(v, w) => list(v, w, BYTES), []],
  timeout_ms: [int, null],
  messages: [(v, w) => list(v, w, FRAMES), []],
  plan: [(v, w) => object(v, w, PLAN), null],
  count: [int, 0],
  digest: [bool, false],
  bench: [(v, w) => object(v, w, BENCH), null],
  job: [int, 0],
  linger_ms: [int, null],
  zap: [(v, w) => object(v, w, ZAP), null],
};

/** Parses one line into a request, or throws Malformed. */
function decodeRequest(line) {
  let o;
  try {
    o = JSON.parse(line);
  } catch (e) {
    throw new Malformed(e.message);
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new Malformed('not a JSON object');
  return fields(o, 'request', REQUEST);
}

module.exports = { decodeRequest, Malformed };
