'use strict';
// Error categories and byte strings of the peer protocol (docs/peer-protocol.md).
//
// Errors are compared by category, never by text, so every refusal the binding gives must land
// in the category its libzmq errno means. zeromq.js reports errors as Error objects with a
// string `code` ("EAGAIN", "EFSM", ...) and a numeric `errno`; it adds a few of its own:
//   EBADF  "Socket is closed"                       - any I/O on a closed socket;
//   EBUSY  "Socket is busy reading/writing ..."     - a second receive/send while one is pending
//          "Socket is blocked by a bind or unbind"  - any call during an async bind/unbind.

const Category = Object.freeze({
  AGAIN: 'again',
  EFSM: 'efsm',
  HOSTUNREACH: 'hostunreach',
  TERM: 'term',
  CLOSED: 'closed',
  INVAL: 'inval',
  NAMETOOLONG: 'nametoolong',
  UNSUPPORTED: 'unsupported',
  PROTOCOL: 'protocol',
  OTHER: 'other',
});

// errno code -> category. ENOTSUP, EPROTONOSUPPORT and ENOCOMPATPROTO are "the binding lacks
// this", as the libzmq (pebbe) peer maps them; EBADF is zeromq.js's "Socket is closed".
const CODE_CATEGORY = Object.freeze({
  EAGAIN: Category.AGAIN,
  EFSM: Category.EFSM,
  EHOSTUNREACH: Category.HOSTUNREACH,
  ETERM: Category.TERM,
  ENOTSOCK: Category.CLOSED,
  EBADF: Category.CLOSED,
  EINVAL: Category.INVAL,
  ENAMETOOLONG: Category.NAMETOOLONG,
  ENOTSUP: Category.UNSUPPORTED,
  EPROTONOSUPPORT: Category.UNSUPPORTED,
  ENOCOMPATPROTO: Category.UNSUPPORTED,
  // Two operations overlapped on one socket. The harness never does that (it never uses one
  // socket from two jobs) and this peer never leaves an operation pending, so it means the
  // request sequence broke the protocol's rules.
  EBUSY: Category.PROTOCOL,
});

/** A refusal with a category: {"category":..., "message":...} on the wire. */
class WireError extends Error {
  constructor(category, message) {
    super(message);
    this.category = category;
  }

  /** "category: message", as Go's WireError.Error() prints it (bench `stopped`). */
  text() {
    return `${this.category}: ${this.message}`;
  }
}

/** Whether err came from the binding (it carries an errno code), not from a bug here. */
function isBindingError(err) {
  return err instanceof Error && typeof err.code === 'string' && typeof err.errno === 'number';
}

/**
 * Turns an error thrown by zeromq.js into a WireError naming what was being done. Anything that
 * is neither a WireError nor a binding error is a bug of this peer and is rethrown, so that the
 * peer crashes loudly instead of answering "other" for its own mistakes.
 */
function fromBinding(err, what) {
  if (err instanceof WireError) return err;
  if (!isBindingError(err)) throw err;
  const category = CODE_CATEGORY[err.code] || Category.OTHER;
  return new WireError(category, `zeromq.js: ${what}: ${err.code} (${err.message})`);
}

// Standard base64 with padding, as Go's encoding/json writes []byte. Node's decoder accepts
// anything (it skips invalid characters), so requests are checked first: a frame that does not
// decode exactly must be refused, not silently changed.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes a standard base64 string, or returns null if it is not one. */
function decodeBase64(s) {
  if (typeof s !== 'string') return null;
  // Go's decoder ignores \r and \n; a sender that wraps lines is still understood.
  const flat = s.includes('\n') || s.includes('\r') ? s.replace(/[\r\n]/g, '') : s;
  if (!BASE64.test(flat)) return null;
  return Buffer.from(flat, 'base64');
}

function encodeBase64(buf) {
  return Buffer.isBuffer(buf) ? buf.toString('base64') : Buffer.from(buf).toString('base64');
}

module.exports = { Category, CODE_CATEGORY, WireError, fromBinding, isBindingError, decodeBase64, encodeBase64 };
