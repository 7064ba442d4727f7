// Package z85 is RFC 32's Z85, the printable form CURVE keys take in ZeroMQ options and in
// the peer protocol. One codec for the whole suite: the peer library (ZAP records) and the
// ZMTP engine (CURVE keys) both use it.
package z85

import (
	"encoding/binary"
	"fmt"
)

// z85Alphabet is the RFC 32 §Formal Specification table, values 0 to 84 in order.
const z85Alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"

var z85Values = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(z85Alphabet); i++ {
		t[z85Alphabet[i]] = int8(i)
	}
	return
}()

// Encode encodes b (RFC 32: "The binary frame SHALL have a length that is divisible by 4
// with no remainder"), four octets at a time as a big-endian integer, five characters most
// significant first.
func Encode(b []byte) (string, error) {
	if len(b)%4 != 0 {
		return "", fmt.Errorf("z85: encode: %d octets is not a multiple of 4", len(b))
	}
	out := make([]byte, 0, len(b)/4*5)
	for i := 0; i < len(b); i += 4 {
		v := binary.BigEndian.Uint32(b[i:])
		var chunk [5]byte
		for j := 4; j >= 0; j-- {
			chunk[j] = z85Alphabet[v%85]
			v /= 85
		}
		out = append(out, chunk[:]...)
	}
	return string(out), nil
}

// Decode decodes s ("The string frame SHALL have a length that is divisible by 5"). It
// refuses characters outside the alphabet and five-character groups whose value exceeds
// 2^32-1 (RFC 32 §Security Considerations: "a properly-crafted encoded string can create any
// arbitrary binary sequence").
func Decode(s string) ([]byte, error) {
	if len(s)%5 != 0 {
		return nil, fmt.Errorf("z85: decode: %d characters is not a multiple of 5", len(s))
	}
	out := make([]byte, 0, len(s)/5*4)
	for i := 0; i < len(s); i += 5 {
		var v uint64
		for j := 0; j < 5; j++ {
			d := z85Values[s[i+j]]
			if d < 0 {
				return nil, fmt.Errorf("z85: decode: character %q at %d is not in the alphabet", s[i+j], i+j)
			}
			v = v*85 + uint64(d)
		}
		if v > 0xFFFFFFFF {
			return nil, fmt.Errorf("z85: decode: group %q at %d exceeds 32 bits", s[i:i+5], i)
		}
		out = binary.BigEndian.AppendUint32(out, uint32(v))
	}
	return out, nil
}
