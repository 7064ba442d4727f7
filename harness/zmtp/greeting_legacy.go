package zmtp

import (
	"encoding/binary"
	"fmt"
)

// Revision is the protocol family a peer's first octets reveal (RFC 37 §Backwards
// Interoperability, "Detecting ZMTP 1.0 and 2.0 Peers").
type Revision int

const (
	Rev10 Revision = 1 // ZMTP 1.0 (RFC 13): no signature; the first octets are an identity frame
	Rev20 Revision = 2 // ZMTP 2.0 (RFC 15): signature, then revision %x01 (or 2)
	Rev3  Revision = 3 // ZMTP 3.x (RFC 23/37): signature, then major version >= 3
)

func (r Revision) String() string {
	switch r {
	case Rev10:
		return "ZMTP 1.0"
	case Rev20:
		return "ZMTP 2.0"
	case Rev3:
		return "ZMTP 3.x"
	}
	return fmt.Sprintf("revision(%d)", int(r))
}

// DetectRevision applies the RFC 37 detection steps to the first octets a peer sent: "If
// this first octet is not %FF, then the other peer is using ZMTP 1.0"; else "inspect the
// last octet (the 10th in total). If the least significant bit is 0, then the other peer
// is using ZMTP 1.0"; else octet 10 "indicates the ZMTP version. If this is 1 or 2, we have
// a ZMTP 2.0 peer. If this is 3, we have a ZMTP 3.x peer" (and higher: "MUST accept higher
// protocol versions"). It returns ErrShort until it has enough octets (1, 10 or 11). A
// version octet of 0 fits none of the cases and is a DecodeError at offset 10.
func DetectRevision(b []byte) (Revision, error) {
	if len(b) < 1 {
		return 0, ErrShort
	}
	if b[0] != 0xFF {
		return Rev10, nil
	}
	if len(b) < 10 {
		return 0, ErrShort
	}
	if b[9]&1 == 0 {
		return Rev10, nil
	}
	if len(b) < 11 {
		return 0, ErrShort
	}
	switch v := b[10]; {
	case v == 1 || v == 2:
		return Rev20, nil
	case v >= 3:
		return Rev3, nil
	default:
		return 0, decodeErr(10, "greeting", "version octet is 0: neither ZMTP 2.0 (1, 2) nor 3.x (>= 3)")
	}
}

// Socket type codes of the ZMTP 2.0 greeting (RFC 15 §Formal Grammar, socket-type).
var v2SocketTypes = []string{"PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH"}

// V2SocketTypeCode is the RFC 15 code of a socket type name, or -1.
func V2SocketTypeCode(name string) int {
	for i, n := range v2SocketTypes {
		if n == name {
			return i
		}
	}
	return -1
}

// V2SocketTypeName is the name of an RFC 15 socket type code, or "type(N)".
func V2SocketTypeName(code byte) string {
	if int(code) < len(v2SocketTypes) {
		return v2SocketTypes[code]
	}
	return fmt.Sprintf("type(%d)", code)
}

// V2Greeting is a whole ZMTP 2.0 greeting, the way a 2.0 peer sends it (RFC 15: greeting =
// signature revision socket-type identity; signature = %xFF 8%x00 %x7F; revision = %x01;
// identity = final-short body). A socket type unknown to RFC 15 is sent as code 0xFF.
func V2Greeting(socketType string, identity []byte) []byte {
	b := []byte{0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 0x01}
	code := V2SocketTypeCode(socketType)
	if code < 0 {
		code = 0xFF
	}
	b = append(b, byte(code))
	return AppendFrame(b, 0, identity)
}

// V1Greeting is a ZMTP 1.0 greeting (RFC 13: greeting = anonymous / identity; anonymous =
// %x01 idflags; identity = length idflags *OCTET, where length counts the flags octet).
func V1Greeting(identity []byte) []byte {
	return AppendV1Frame(nil, false, identity)
}

// AppendV1Frame appends a ZMTP 1.0 frame (RFC 13: length = OCTET / (%xFF 8OCTET), where the
// length includes the flags octet; more = %x01, final = %x00).
func AppendV1Frame(dst []byte, more bool, body []byte) []byte {
	n := uint64(len(body)) + 1
	if n < 0xFF {
		dst = append(dst, byte(n))
	} else {
		dst = append(dst, 0xFF)
		dst = binary.BigEndian.AppendUint64(dst, n)
	}
	flags := byte(0)
	if more {
		flags = 1
	}
	return append(append(dst, flags), body...)
}

// PseudoSignature is the 10-octet signature a peer that wants to detect ZMTP 1.0 sends (RFC
// 37: "%xFF size %x7F" where size is the identity length plus 1 in 8 octets, network order).
func PseudoSignature(identityLen int) []byte {
	b := []byte{0xFF}
	b = binary.BigEndian.AppendUint64(b, uint64(identityLen)+1)
	return append(b, 0x7F)
}
