package zmtp

import (
	"bytes"
	"fmt"
)

// GreetingSize is the fixed size of a ZMTP 3.x greeting (RFC 23/37 §Formal Grammar:
// signature 10 + version 2 + mechanism 20 + as-server 1 + filler 31).
const GreetingSize = 64

// Version is a ZMTP protocol version as carried in greeting octets 10 and 11.
type Version struct{ Major, Minor byte }

var (
	V3_0 = Version{3, 0} // RFC 23
	V3_1 = Version{3, 1} // RFC 37
)

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// AtLeast says v >= o.
func (v Version) AtLeast(o Version) bool {
	return v.Major > o.Major || (v.Major == o.Major && v.Minor >= o.Minor)
}

// Greeting is a ZMTP 3.x greeting with every octet addressable, so that the peer can send
// any variant on purpose and the tap can report exactly what it saw.
type Greeting struct {
	Padding   [8]byte  // signature octets 1-8: "Not significant" (RFC 23 §Version Negotiation)
	SigEnd    byte     // signature octet 9: %x7F; bit 0 set marks ZMTP 2.0 or later (§Backwards Interoperability)
	Version   Version  // octets 10-11
	Mechanism [20]byte // octets 12-31: ASCII, null padded
	AsServer  byte     // octet 32: %x00 or %x01
	Filler    [31]byte // octets 33-63: 31 %x00 in the grammar
}

// NewGreeting is the canonical greeting: zero padding and filler, SigEnd %x7F.
func NewGreeting(v Version, mechanism string, asServer bool) Greeting {
	g := Greeting{SigEnd: 0x7F, Version: v}
	copy(g.Mechanism[:], mechanism)
	if asServer {
		g.AsServer = 1
	}
	return g
}

// Bytes is the 64-octet wire form.
func (g Greeting) Bytes() []byte {
	b := make([]byte, GreetingSize)
	b[0] = 0xFF
	copy(b[1:9], g.Padding[:])
	b[9] = g.SigEnd
	b[10], b[11] = g.Version.Major, g.Version.Minor
	copy(b[12:32], g.Mechanism[:])
	b[32] = g.AsServer
	copy(b[33:], g.Filler[:])
	return b
}

// MechanismName is the mechanism with its null padding removed (and anything after the
// first NUL, which CheckGrammar reports).
func (g Greeting) MechanismName() string {
	m := g.Mechanism[:]
	if i := bytes.IndexByte(m, 0); i >= 0 {
		m = m[:i]
	}
	return string(m)
}

// ParseGreeting decodes a ZMTP 3.x greeting from the first 64 octets of b. It checks only
// what makes the octets a 3.x greeting (signature start and end bit, major version >= 3:
// "A peer MUST accept higher protocol versions as valid"); the padding is never looked at
// ("MUST NOT validate this nor interpret it in any way whatsoever"). Grammar deviations a
// strict peer may refuse are listed by CheckGrammar. An older peer is reported by
// DetectRevision, which callers run on the first 11 octets before asking for 64.
func ParseGreeting(b []byte) (Greeting, error) {
	if len(b) < GreetingSize {
		if rev, err := DetectRevision(b); err == nil && rev != Rev3 {
			return Greeting{}, decodeErr(0, "greeting", "peer speaks %s, not ZMTP 3.x", rev)
		} else if err != nil && err != ErrShort {
			return Greeting{}, err
		}
		return Greeting{}, ErrShort
	}
	rev, err := DetectRevision(b[:11])
	if err != nil {
		return Greeting{}, err
	}
	if rev != Rev3 {
		return Greeting{}, decodeErr(10, "greeting", "peer speaks %s, not ZMTP 3.x", rev)
	}
	var g Greeting
	copy(g.Padding[:], b[1:9])
	g.SigEnd = b[9]
	g.Version = Version{b[10], b[11]}
	copy(g.Mechanism[:], b[12:32])
	g.AsServer = b[32]
	copy(g.Filler[:], b[33:64])
	return g, nil
}

// CheckGrammar lists how g departs from the RFC 37 greeting grammar, each with the octet
// offset: a mechanism with characters outside "A"-"Z" | DIGIT | "-" | "_" | "." | "+", or
// with a character after its null padding, or empty; as-server other than 0 or 1; as-server
// 1 with NULL ("When a peer uses the NULL security mechanism, the as-server field MUST be
// zero", RFC 23/37 §The NULL Security Mechanism); non-zero filler (the grammar says 31
// %x00; unlike the padding the RFC does not forbid validating it, but libzmq does not).
// The padding is never checked.
func (g Greeting) CheckGrammar() []string {
	var out []string
	if err := ValidMechanism(g.Mechanism[:]); err != nil {
		out = append(out, fmt.Sprintf("offset %d: %v", 12+err.(*DecodeError).Offset, err.(*DecodeError).Reason))
	}
	if g.AsServer > 1 {
		out = append(out, fmt.Sprintf("offset 32: as-server is %#02x, not 0 or 1", g.AsServer))
	} else if g.AsServer == 1 && g.MechanismName() == "NULL" {
		out = append(out, "offset 32: as-server is 1 with NULL (MUST be zero)")
	}
	for i, c := range g.Filler {
		if c != 0 {
			out = append(out, fmt.Sprintf("offset %d: filler octet is %#02x, not zero", 33+i, c))
			break
		}
	}
	if g.SigEnd != 0x7F {
		out = append(out, fmt.Sprintf("offset 9: signature ends with %#02x, not %%x7F", g.SigEnd))
	}
	return out
}

// ValidMechanism checks a 20-octet mechanism field against RFC 23/37: "Mechanism names SHALL
// consist only of uppercase letters A to Z, digits, and embedded hyphens or underscores"
// (the grammar also allows "." and "+"), null padded. Offsets are within the field.
func ValidMechanism(m []byte) error {
	if len(m) != 20 {
		return decodeErr(0, "mechanism", "field is %d octets, not 20", len(m))
	}
	if m[0] == 0 {
		return decodeErr(0, "mechanism", "empty mechanism name")
	}
	padded := false
	for i, c := range m {
		switch {
		case c == 0:
			padded = true
		case padded:
			return decodeErr(int64(i), "mechanism", "character %q after the null padding", c)
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '+':
		default:
			return decodeErr(int64(i), "mechanism", "character %q is not allowed (uppercase, digits, - _ . +)", c)
		}
	}
	return nil
}
