'use strict';
// Z85 (RFC 32), the text form of CURVE keys: every 4 bytes, big-endian, become 5 characters.

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';

/** Encodes a Buffer whose length is a multiple of 4. */
function z85Encode(buf) {
  if (buf.length % 4 !== 0) throw new Error('z85: length is not a multiple of 4');
  let out = '';
  for (let i = 0; i < buf.length; i += 4) {
    let v = buf.readUInt32BE(i);
    const chunk = new Array(5);
    for (let j = 4; j >= 0; j--) {
      chunk[j] = ALPHABET[v % 85];
      v = Math.floor(v / 85);
    }
    out += chunk.join('');
  }
  return out;
}

module.exports = { z85Encode };
