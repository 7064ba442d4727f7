'use strict';
// Message content: the plan pattern every peer generates byte for byte, and the digest of
// received messages (docs/peer-protocol.md, "Plans and the content pattern"; recv_batch with
// "digest": true).

const zlib = require('zlib');
const { Category, WireError, decodeBase64 } = require('./wire');

const HEADER_LEN = 12;

// RING[i] = i mod 256 over two turns, so that any 256-byte run of the pattern starting at any
// offset is one contiguous slice: the byte at k is (base + k) mod 256, which repeats every 256.
const RING = Buffer.alloc(512);
for (let i = 0; i < RING.length; i++) RING[i] = i & 255;

/** Frame `frame` of the message with sequence number `seq`, `size` bytes long. */
function fill(size, seq, frame) {
  const b = Buffer.allocUnsafe(size);
  let start = 0;
  if (size >= HEADER_LEN) {
    // seq as a big-endian uint64, written as two uint32 halves (seq stays below 2^53).
    b.writeUInt32BE(Math.floor(seq / 0x100000000), 0);
    b.writeUInt32BE(seq >>> 0, 4);
    b.writeUInt32BE(frame >>> 0, 8);
    start = HEADER_LEN;
  }
  const off = (seq * 131 + frame * 17 + start) % 256;
  for (let pos = start; pos < size; pos += 256) {
    const n = Math.min(256, size - pos);
    RING.copy(b, pos, off, off + n);
  }
  return b;
}

function nonNegativeInt(v, what) {
  if (v === undefined || v === null) return 0;
  if (!Number.isSafeInteger(v)) throw new WireError(Category.PROTOCOL, `plan.${what}: want an integer, got ${JSON.stringify(v)}`);
  if (v < 0) throw new WireError(Category.INVAL, `plan: negative ${what} ${v}`);
  return v;
}

/** A validated plan: {count, start, frames, size} or {sizes}, with optional prefix frames. */
class Plan {
  constructor(spec) {
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
      throw new WireError(Category.PROTOCOL, 'plan: want an object');
    }
    this.count = nonNegativeInt(spec.count, 'count');
    this.start = nonNegativeInt(spec.start, 'start');
    const frames = nonNegativeInt(spec.frames, 'frames');
    const size = nonNegativeInt(spec.size, 'size');
    if (spec.sizes !== undefined && spec.sizes !== null && !Array.isArray(spec.sizes)) {
      throw new WireError(Category.PROTOCOL, 'plan.sizes: want an array');
    }
    const sizes = (spec.sizes || []).map((n, i) => nonNegativeInt(n, `sizes[${i}]`));
    // "sizes" overrides frames/size; frames 0 means one frame (Go's FrameSizes).
    this.sizes = sizes.length > 0 ? sizes : new Array(frames > 0 ? frames : 1).fill(size);
    if (spec.prefix !== undefined && spec.prefix !== null && !Array.isArray(spec.prefix)) {
      throw new WireError(Category.PROTOCOL, 'plan.prefix: want an array of base64 frames');
    }
    // Prefix frames arrive decoded (request.js) or, from tests, as base64.
    this.prefix = (spec.prefix || []).map((f, i) => {
      if (Buffer.isBuffer(f)) return f;
      const b = decodeBase64(f === null ? '' : f);
      if (b === null) throw new WireError(Category.PROTOCOL, `plan.prefix[${i}]: not standard base64`);
      return b;
    });
  }

  /** Message i (0-based) of the plan: the prefix frames, then the data frames. */
  message(i) {
    const seq = this.start + i;
    const m = this.prefix.slice();
    for (let j = 0; j < this.sizes.length; j++) m.push(fill(this.sizes[j], seq, j));
    return m;
  }
}

const NO_SEQ = Buffer.alloc(8, 0xff);

/**
 * The 16-byte digest of one received message: bytes 0-7 the seq of the first frame of at least
 * 12 bytes (its bytes 0-7 as they are; all ones when no frame is that long), bytes 8-11 the
 * CRC-32 (IEEE) of every frame's big-endian uint32 length followed by its bytes, bytes 12-15 the
 * frame count, big-endian.
 */
function digestOne(frames, out, at) {
  const head = frames.find((f) => f.length >= HEADER_LEN);
  (head || NO_SEQ).copy(out, at, 0, 8);
  const len = Buffer.allocUnsafe(4);
  let crc = 0;
  for (const f of frames) {
    len.writeUInt32BE(f.length, 0);
    crc = zlib.crc32(len, crc);
    // An empty frame adds nothing, and must not be passed: zeromq.js hands out empty frames
    // (received ones, and sent ones once it has taken them) with a NULL data pointer, and
    // Node 20's zlib.crc32(buf, value) then returns zlib's initial 0 instead of value.
    if (f.length > 0) crc = zlib.crc32(f, crc);
  }
  out.writeUInt32BE(crc >>> 0, at + 8);
  out.writeUInt32BE(frames.length, at + 12);
}

/**
 * The digest field of a recv_batch reply, built as messages arrive (base64 of 16 bytes per
 * message, in arrival order), so that a digest batch never holds the messages themselves.
 */
class DigestBuilder {
  constructor(expected) {
    this.buf = Buffer.allocUnsafe(16 * Math.max(1, Math.min(expected, 1 << 16)));
    this.count = 0;
  }

  add(frames) {
    if (16 * (this.count + 1) > this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, 16 * this.count);
      this.buf = bigger;
    }
    digestOne(frames, this.buf, 16 * this.count);
    this.count++;
  }

  toBase64() {
    return this.buf.subarray(0, 16 * this.count).toString('base64');
  }
}

/** The digest of a list of messages at once (tests, and anyone holding the messages). */
function digestMessages(messages) {
  const d = new DigestBuilder(messages.length);
  for (const m of messages) d.add(m);
  return d.toBase64();
}

module.exports = { HEADER_LEN, fill, Plan, digestOne, DigestBuilder, digestMessages };
