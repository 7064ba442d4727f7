package zmtp

import "encoding/binary"

// Structure of the CurveZMQ command bodies (RFC 26 §High-level Grammar), without any
// cryptography: what a tap can check on an encrypted connection and what the CURVE state
// machines parse before they open a box. Every length is checked before it is used.

// Nonce prefixes (RFC 26 §CurveZMQ Commands). Short nonces are 8 octets after a 16-octet
// prefix, long nonces 16 octets after an 8-octet prefix; together 24 octets, NaCl's size.
const (
	noncePrefixHello    = "CurveZMQHELLO---"
	noncePrefixInitiate = "CurveZMQINITIATE"
	noncePrefixReady    = "CurveZMQREADY---"
	// "CurveZMQMESSAGES" (from server) or "CurveZMQMESSAGEC" (from client) in the MESSAGE
	// section; the grammar's comment says "CurveZMQMESSAGE-", which no implementation
	// uses: the section text is the one that interoperates.
	noncePrefixMessageC = "CurveZMQMESSAGEC"
	noncePrefixMessageS = "CurveZMQMESSAGES"
	noncePrefixWelcome  = "WELCOME-"
	noncePrefixCookie   = "COOKIE--"
	noncePrefixVouch    = "VOUCH---"
)

// Sizes from RFC 26 §High-level Grammar, counted over the whole command body (name with its
// length octet included), as the RFC counts them.
const (
	curveHelloSize       = 200 // "HELLO command, 200 octets"
	curveWelcomeSize     = 168 // "WELCOME command, 168 octets"
	curveInitiateMinSize = 257 // "INITIATE command, 257+ octets"
	curveReadyMinSize    = 30  // "READY command, 30+ octets"
	curveMessageMinSize  = 33  // "MESSAGE command, 33+ octets"
	boxOverhead          = 16  // "An encrypted box is always 16 octets larger than the clear-text data"
	cookieSize           = 96  // cookie-nonce 16 + cookie-box 80
	vouchSize            = 96  // vouch-nonce 16 + vouch-box 80
)

// Offsets of HELLO fields within the command body, for scripts that damage one on purpose
// (CRV.3): name 0-5, version 6-7, padding 8-79, C' 80-111, nonce 112-119, box 120-199.
// RFC 26's text says the padding is 70 octets, its grammar 72; only 72 makes 200.
const (
	HelloVersionOffset   = 6
	HelloPaddingOffset   = 8
	HelloClientKeyOffset = 80
	HelloNonceOffset     = 112
	HelloBoxOffset       = 120
)

// Offsets of INITIATE fields within the command body (CRV.4): name 0-8, cookie 9-104,
// nonce 105-112, box 113-.
const (
	InitiateCookieOffset = 9
	InitiateNonceOffset  = 105
	InitiateBoxOffset    = 113
)

// CurveHello is the clear part of a HELLO command.
type CurveHello struct {
	Version   [2]byte
	Padding   []byte // 72 octets, "all zero"
	ClientKey Key    // C', the client's transient public key
	Nonce     uint64 // short nonce
	Box       []byte // 80 octets: Box[64 * %x0](C'->S)
}

// ParseCurveHello decodes HELLO data (the command body after the name) and checks the
// fields RFC 26 fixes: "This command SHALL be 200 octets long", "The CurveZMQ version
// number, which SHALL be the two octets 1 and 0", the padding "all zero". Offsets are
// within the command body.
func ParseCurveHello(data []byte) (CurveHello, error) {
	const nameLen = 6
	if len(data)+nameLen != curveHelloSize {
		return CurveHello{}, decodeErr(0, "CURVE HELLO", "HELLO is %d octets, RFC 26 requires %d", len(data)+nameLen, curveHelloSize)
	}
	var h CurveHello
	copy(h.Version[:], data[0:2])
	h.Padding = data[2:74]
	copy(h.ClientKey[:], data[74:106])
	h.Nonce = binary.BigEndian.Uint64(data[106:114])
	h.Box = data[114:194]
	if h.Version != [2]byte{1, 0} {
		return h, decodeErr(HelloVersionOffset, "CURVE HELLO", "version %d.%d, RFC 26 requires 1.0", h.Version[0], h.Version[1])
	}
	for i, c := range h.Padding {
		if c != 0 {
			return h, decodeErr(int64(HelloPaddingOffset+i), "CURVE HELLO", "anti-amplification padding octet %#02x is not zero", c)
		}
	}
	return h, nil
}

// CurveWelcome is the clear part of a WELCOME command.
type CurveWelcome struct {
	Nonce [16]byte // long nonce after "WELCOME-"
	Box   []byte   // 144 octets: Box[S' + cookie](S->C')
}

// ParseCurveWelcome decodes WELCOME data: "This command SHALL be 168 octets long".
func ParseCurveWelcome(data []byte) (CurveWelcome, error) {
	const nameLen = 8
	if len(data)+nameLen != curveWelcomeSize {
		return CurveWelcome{}, decodeErr(0, "CURVE WELCOME", "WELCOME is %d octets, RFC 26 requires %d", len(data)+nameLen, curveWelcomeSize)
	}
	var w CurveWelcome
	copy(w.Nonce[:], data[:16])
	w.Box = data[16:]
	return w, nil
}

// CurveInitiate is the clear part of an INITIATE command.
type CurveInitiate struct {
	Cookie []byte // 96 octets, as the server sent it
	Nonce  uint64
	Box    []byte // 144+ octets: Box[C + vouch + metadata](C'->S')
}

// ParseCurveInitiate decodes INITIATE data: "This command SHALL be at least 257 octets long".
func ParseCurveInitiate(data []byte) (CurveInitiate, error) {
	const nameLen = 9
	if len(data)+nameLen < curveInitiateMinSize {
		return CurveInitiate{}, decodeErr(0, "CURVE INITIATE", "INITIATE is %d octets, RFC 26 requires at least %d", len(data)+nameLen, curveInitiateMinSize)
	}
	return CurveInitiate{
		Cookie: data[:cookieSize],
		Nonce:  binary.BigEndian.Uint64(data[cookieSize : cookieSize+8]),
		Box:    data[cookieSize+8:],
	}, nil
}

// CurveBoxed is the clear part of READY and MESSAGE: a short nonce and a box.
type CurveBoxed struct {
	Nonce uint64
	Box   []byte
}

// ParseCurveReady decodes READY data under CURVE ("READY command, 30+ octets").
func ParseCurveReady(data []byte) (CurveBoxed, error) {
	return parseBoxed(data, 6, curveReadyMinSize, "CURVE READY")
}

// ParseCurveMessage decodes MESSAGE data ("MESSAGE command, 33+ octets": nonce 8, box of the
// flags octet and payload, 17+).
func ParseCurveMessage(data []byte) (CurveBoxed, error) {
	return parseBoxed(data, 8, curveMessageMinSize, "CURVE MESSAGE")
}

func parseBoxed(data []byte, nameLen, min int, what string) (CurveBoxed, error) {
	if len(data)+nameLen < min {
		return CurveBoxed{}, decodeErr(0, what, "%d octets, RFC 26 requires at least %d", len(data)+nameLen, min)
	}
	return CurveBoxed{Nonce: binary.BigEndian.Uint64(data[:8]), Box: data[8:]}, nil
}

// CURVE MESSAGE payload flags (RFC 26 §The MESSAGE Command: "Bit 0 (MORE)", "Bits 7-1:
// Reserved ... MUST be zero"). libzmq 4.2+ also sets bit 1 on a ZMTP command carried in a
// MESSAGE (PING, PONG, SUBSCRIBE, CANCEL after the handshake): RFC 37 requires message data
// on an encrypted connection to be "encoded as commands", and CurveZMQ predates ZMTP 3.1
// commands, so bit 1 is how they cross an encrypted link. Bits 7-2 stay reserved.
const (
	PayloadMore     byte = 0x01
	PayloadCommand  byte = 0x02
	payloadReserved byte = 0xFC
)

// shortNonce builds a 24-octet nonce from a 16-octet prefix and an 8-octet counter.
func shortNonce(prefix string, n uint64) *[24]byte {
	var nonce [24]byte
	copy(nonce[:16], prefix)
	binary.BigEndian.PutUint64(nonce[16:], n)
	return &nonce
}

// longNonce builds a 24-octet nonce from an 8-octet prefix and 16 octets.
func longNonce(prefix string, tail []byte) *[24]byte {
	var nonce [24]byte
	copy(nonce[:8], prefix)
	copy(nonce[8:], tail)
	return &nonce
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
