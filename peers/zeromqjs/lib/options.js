'use strict';
// Socket options of the protocol, mapped onto zeromq.js.
//
// zeromq.js names most options as properties (`sendHighWaterMark`, `mandatory`, ...), each a
// thin wrapper that calls the socket's typed accessor (get/set{Bool,Int32,Int64,String}Option)
// with the libzmq option number (lib/index.js, defineOpt). The properties exist only on the
// classes zeromq.js thinks they belong to, and some options have none at all (ZMQ_ROUTER_NOTIFY
// and ZMQ_TOPICS_COUNT are draft; ZMQ_RCVMORE is meaningless when whole messages are read), so
// this peer calls the same accessors with the same numbers for every option: libzmq, not the JS
// layer, decides which socket types accept which option, as it does for the other peers.
//
// Option numbers are libzmq's (zmq.h 4.3; router_notify and topics_count from the draft API).

const { Category, WireError, fromBinding, isBindingError, decodeBase64 } = require('./wire');

// kind: bytes | int32 | int64 | bool | string; access: rw | ro | wo;
// probe: [socket type, "get" | "set"] used by hello to find out whether libzmq takes it.
const OPTIONS = [
  { name: 'subscribe', id: 6, kind: 'bytes', access: 'wo', probe: ['SUB', 'set'] },
  { name: 'unsubscribe', id: 7, kind: 'bytes', access: 'wo', probe: ['SUB', 'set'] },
  { name: 'routing_id', id: 5, kind: 'bytes', access: 'rw', probe: ['DEALER', 'set'] },
  { name: 'connect_routing_id', id: 61, kind: 'bytes', access: 'wo', probe: ['ROUTER', 'set'] },
  { name: 'sndhwm', id: 23, kind: 'int32', access: 'rw', probe: ['DEALER', 'get'] },
  { name: 'rcvhwm', id: 24, kind: 'int32', access: 'rw', probe: ['DEALER', 'get'] },
  { name: 'linger', id: 17, kind: 'int32', access: 'rw', probe: ['DEALER', 'get'] },
  { name: 'sndtimeo', id: 28, kind: 'int32', access: 'rw', probe: ['DEALER', 'get'] },
  { name: 'rcvtimeo', id: 27, kind: 'int32', access: 'rw', probe: ['DEALER', 'get'] },
  { name: 'router_mandatory', id: 33, kind: 'bool', access: 'rw', probe: ['ROUTER', 'set'] },
  { name: 'probe_router', id: 51, kind: 'bool', access: 'rw', probe: ['DEALER', 'set'] },
  { name: 'req_relaxed', id: 53, kind: 'bool', access: 'rw', probe: ['REQ', 'set'] },
  { name: 'req_correlate', id: 52, kind: 'bool', access: 'rw', probe: ['REQ', 'set'] },
  { name: 'xpub_verbose', id: 40, kind: 'bool', access: 'rw', probe: ['XPUB', 'set'] },
  { name: 'xpub_verboser', id: 78, kind: 'bool', access: 'rw', probe: ['XPUB', 'set'] },
  { name: 'xpub_nodrop', id: 69, kind: 'bool', access: 'rw', probe: ['XPUB', 'set'] },
  { name: 'xpub_manual', id: 71, kind: 'bool', access: 'rw', probe: ['XPUB', 'set'] },
  { name: 'xpub_welcome_msg', id: 72, kind: 'bytes', access: 'wo', probe: ['XPUB', 'set'] },
  { name: 'invert_matching', id: 74, kind: 'bool', access: 'rw', probe: ['SUB', 'get'] },
  { name: 'conflate', id: 54, kind: 'bool', access: 'rw', probe: ['PULL', 'set'] },
  { name: 'immediate', id: 39, kind: 'bool', access: 'rw', probe: ['DEALER', 'get'] },
  { name: 'maxmsgsize', id: 22, kind: 'int64', access: 'rw', probe: ['DEALER', 'get'] },
  { name: 'heartbeat_ivl', id: 75, kind: 'int32', access: 'rw', probe: ['DEALER', 'get'] },
  { name: 'heartbeat_timeout', id: 77, kind: 'int32', access: 'rw', probe: ['DEALER', 'get'] },
  { name: 'heartbeat_ttl', id: 76, kind: 'int32', access: 'rw', probe: ['DEALER', 'get'] },
  { name: 'router_notify', id: 97, kind: 'int32', access: 'rw', probe: ['ROUTER', 'get'] },
  { name: 'last_endpoint', id: 32, kind: 'string', access: 'ro', probe: ['DEALER', 'get'] },
  { name: 'rcvmore', id: 13, kind: 'bool', access: 'ro', probe: ['DEALER', 'get'] },
  { name: 'topics_count', id: 116, kind: 'int32', access: 'ro', probe: ['XPUB', 'get'] },
  // Security (docs/peer-protocol.md "Security"). z85: 40 characters of Z85 text, handed to libzmq
  // unchanged (as its bytes), so that libzmq decides which key sizes it takes (CRV.6).
  { name: 'plain_server', id: 44, kind: 'bool', access: 'rw', probe: ['DEALER', 'get'] },
  { name: 'plain_username', id: 45, kind: 'bytes', access: 'rw', probe: ['DEALER', 'set'] },
  { name: 'plain_password', id: 46, kind: 'bytes', access: 'rw', probe: ['DEALER', 'set'] },
  { name: 'curve_server', id: 47, kind: 'bool', access: 'rw', probe: ['DEALER', 'set'] },
  { name: 'curve_publickey', id: 48, kind: 'z85', access: 'rw', probe: ['DEALER', 'set'] },
  { name: 'curve_secretkey', id: 49, kind: 'z85', access: 'rw', probe: ['DEALER', 'set'] },
  { name: 'curve_serverkey', id: 50, kind: 'z85', access: 'rw', probe: ['DEALER', 'set'] },
  { name: 'zap_domain', id: 55, kind: 'text', access: 'rw', probe: ['DEALER', 'get'] },
  { name: 'handshake_ivl', id: 66, kind: 'int32', access: 'rw', probe: ['DEALER', 'get'] },
  { name: 'mechanism', id: 43, kind: 'mechanism', access: 'ro', probe: ['DEALER', 'get'] },
];
const BY_NAME = new Map(OPTIONS.map((o) => [o.name, o]));

// A value that libzmq's probe accepts: its default, except where the default is refused
// (libzmq refuses an empty CONNECT_ROUTING_ID and an empty ROUTING_ID is meaningless).
// A CURVE key probe writes a valid key (Z85 of 32 zero bytes): libzmq refuses an empty one.
const ZERO_KEY = '0'.repeat(40);
const PROBE_VALUE = {
  routing_id: Buffer.from('probe'),
  connect_routing_id: Buffer.from('probe'),
  curve_publickey: ZERO_KEY,
  curve_secretkey: ZERO_KEY,
  curve_serverkey: ZERO_KEY,
};
const MECHANISMS = ['NULL', 'PLAIN', 'CURVE', 'GSSAPI'];

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

// Value decoding, as the Go peers' DecodeBytes/DecodeInt/DecodeBool: bytes arrive as base64
// (null = empty), ints as JSON numbers (bools count as 0/1), bools as true/false or numbers.
function decodeBytes(v) {
  if (v === null || v === undefined) return Buffer.alloc(0);
  const b = decodeBase64(v);
  if (b === null) throw new WireError(Category.INVAL, `value ${JSON.stringify(v)} is not a base64 string`);
  return b;
}

function decodeInt(v, min, max) {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new WireError(Category.INVAL, `value ${JSON.stringify(v)} is not an integer`);
  }
  if (v < min || v > max) throw new WireError(Category.INVAL, `value ${v} is out of range [${min}, ${max}]`);
  return v;
}

function decodeBool(v) {
  if (typeof v === 'boolean') return v;
  return decodeInt(v, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) !== 0;
}

function lookup(name, op) {
  const o = BY_NAME.get(name);
  if (!o) throw new WireError(Category.UNSUPPORTED, `${op}: unknown option ${JSON.stringify(name)}`);
  return o;
}

/** Writes option `o` on zeromq.js socket z (value already decoded). */
function rawSet(z, o, value) {
  switch (o.kind) {
    case 'bytes':
    case 'z85':
    case 'text': return z.setStringOption(o.id, value);
    case 'int32': return z.setInt32Option(o.id, value);
    case 'int64': return z.setInt64Option(o.id, value);
    case 'bool': return z.setBoolOption(o.id, value);
    default: throw new Error(`option ${o.name}: no setter for kind ${o.kind}`);
  }
}

/** Reads option `o` from zeromq.js socket z. */
function rawGet(z, o) {
  switch (o.kind) {
    case 'bytes':
    case 'z85':
    case 'text':
    case 'string': return z.getStringOption(o.id);
    case 'mechanism': return MECHANISMS[z.getInt32Option(o.id)] || String(z.getInt32Option(o.id));
    case 'int32': return z.getInt32Option(o.id);
    case 'int64': return z.getInt64Option(o.id);
    case 'bool': return z.getBoolOption(o.id); // an int in libzmq, != 0
    default: throw new Error(`option ${o.name}: no getter for kind ${o.kind}`);
  }
}

function decodeFor(o, value) {
  switch (o.kind) {
    case 'bytes': return decodeBytes(value);
    case 'int32': return decodeInt(value, INT32_MIN, INT32_MAX);
    case 'int64': return decodeInt(value, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    case 'bool': return decodeBool(value);
    case 'z85':
    case 'text':
      if (typeof value !== 'string') throw new WireError(Category.INVAL, `value ${JSON.stringify(value)} is not a string`);
      return value;
    default: throw new WireError(Category.INVAL, `setopt: ${o.name} is read-only`);
  }
}

/** setopt: decodes value for option `name` and writes it; returns the decoded value. */
function setOption(z, name, value) {
  const o = lookup(name, 'setopt');
  if (o.access === 'ro') throw new WireError(Category.INVAL, `setopt: ${name} is read-only`);
  const v = decodeFor(o, value);
  try {
    rawSet(z, o, v);
  } catch (e) {
    throw fromBinding(e, `setopt ${name}`);
  }
  return v;
}

/** getopt: the value of option `name` as the protocol carries it (JSON number, bool, string). */
function getOption(z, name) {
  const o = lookup(name, 'getopt');
  if (o.access === 'wo') {
    // libzmq itself has no getter for these (zmq_getsockopt gives EINVAL).
    throw new WireError(Category.INVAL, `getopt: ${name} can only be set`);
  }
  let v;
  try {
    v = rawGet(z, o);
  } catch (e) {
    throw fromBinding(e, `getopt ${name}`);
  }
  if (o.kind === 'bytes') {
    // zeromq.js reads every string/bytes option into a NUL-terminated C string and returns a JS
    // string (Socket::GetSockOpt<char*>): a routing id with a zero byte or non-UTF-8 bytes comes
    // back cut or altered, so no value can be returned that is known to be the real one.
    throw new WireError(Category.UNSUPPORTED,
      `getopt: zeromq.js returns ${name} as a NUL-terminated string, so bytes cannot be read back faithfully`);
  }
  if (o.kind === 'string' || o.kind === 'z85' || o.kind === 'text') return v === null ? '' : v;
  return v;
}

/**
 * The options libzmq under this zeromq.js accepts: each is tried once on a throwaway socket of
 * a type it applies to (the draft ones depend on how libzmq was built).
 */
function probeOptions(makeSocket) {
  const ok = [];
  for (const o of OPTIONS) {
    const [type, how] = o.probe;
    let z = null;
    try {
      z = makeSocket(type);
      if (how === 'get') rawGet(z, o);
      else rawSet(z, o, PROBE_VALUE[o.name] || defaultValue(o));
      ok.push(o.name);
    } catch (e) {
      if (!isBindingError(e)) throw e; // a bug here, not a refusal by libzmq
    } finally {
      if (z) {
        z.linger = 0;
        z.close();
      }
    }
  }
  return ok;
}

function defaultValue(o) {
  switch (o.kind) {
    case 'bytes': return Buffer.alloc(0);
    case 'bool': return false;
    default: return 0;
  }
}

module.exports = { OPTIONS, setOption, getOption, probeOptions, decodeInt, decodeBool, decodeBytes };
