package zmtp

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Command names defined by RFC 23/37 (READY, ERROR, SUBSCRIBE, CANCEL, PING, PONG), RFC 24
// and RFC 26 (HELLO, WELCOME, INITIATE, MESSAGE).
const (
	CmdReady     = "READY"
	CmdError     = "ERROR"
	CmdSubscribe = "SUBSCRIBE"
	CmdCancel    = "CANCEL"
	CmdPing      = "PING"
	CmdPong      = "PONG"
	CmdHello     = "HELLO"
	CmdWelcome   = "WELCOME"
	CmdInitiate  = "INITIATE"
	CmdMessage   = "MESSAGE"
)

// Command is a decoded command body: RFC 37 "command-body = command-name command-data;
// command-name = short-size 1*255command-name-char; command-name-char = ALPHA". (RFC 37's
// prose, "a printable command name, a null octet separator, and data", contradicts its
// grammar; implementations follow the grammar, and so do we.)
type Command struct {
	Name string
	Data []byte
}

// CommandBody encodes a command body: the name with its length octet, then data.
func CommandBody(name string, data []byte) []byte {
	b := make([]byte, 0, 1+len(name)+len(data))
	b = append(b, byte(len(name)))
	b = append(b, name...)
	return append(b, data...)
}

// ParseCommand decodes a command body. Offsets are within body. It refuses an empty body,
// a zero name length, a name length that runs past the body ("name-length byte larger than
// body", W.FR.7) and name characters other than ALPHA.
func ParseCommand(body []byte) (Command, error) {
	if len(body) == 0 {
		return Command{}, decodeErr(0, "command", "empty command body (no name)")
	}
	n := int(body[0])
	if n == 0 {
		return Command{}, decodeErr(0, "command", "command name length is 0 (1*255 required)")
	}
	if n > len(body)-1 {
		return Command{}, decodeErr(0, "command", "command name length %d runs past the body end (%d octets follow)", n, len(body)-1)
	}
	for i, c := range body[1 : 1+n] {
		if !isAlpha(c) {
			return Command{}, decodeErr(int64(1+i), "command", "command name character %q is not ALPHA", c)
		}
	}
	return Command{Name: string(body[1 : 1+n]), Data: body[1+n:]}, nil
}

func isAlpha(c byte) bool { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') }

// isVChar is RFC 5234 VCHAR, the character class of ERROR reasons and PLAIN credentials.
func isVChar(c byte) bool { return c >= 0x21 && c <= 0x7E }

// ErrorData is the data of an ERROR command: "error-reason = short-size 0*255VCHAR". A
// reason longer than 255 octets is cut (the length octet cannot say more).
func ErrorData(reason string) []byte {
	if len(reason) > 255 {
		reason = reason[:255]
	}
	return append([]byte{byte(len(reason))}, reason...)
}

// ParseError decodes ERROR data. It is lenient about the characters (the reason "can be
// logged. It has no defined semantic value") but not about lengths.
func ParseError(data []byte) (string, error) {
	if len(data) < 1 {
		return "", decodeErr(0, "ERROR", "no error-reason length octet")
	}
	n := int(data[0])
	if n != len(data)-1 {
		return "", decodeErr(0, "ERROR", "error-reason length %d, but %d octets follow", n, len(data)-1)
	}
	return string(data[1:]), nil
}

// MaxPingContext is RFC 37's bound on the ping context ("ping-context = 0*16OCTET").
const MaxPingContext = 16

// Ping is a PING command's data: RFC 37 "ping = command-size %d4 "PING" ping-ttl
// ping-context; ping-ttl = 2OCTET" in tenths of a second.
type Ping struct {
	TTL     uint16 // deciseconds, 0 = none
	Context []byte
}

// TTLDuration is the TTL as a duration.
func (p Ping) TTLDuration() time.Duration { return time.Duration(p.TTL) * 100 * time.Millisecond }

// TTL converts a duration to deciseconds, rounding down and saturating at 6553.5 s ("the
// maximum TTL is 6553.5 seconds").
func TTL(d time.Duration) uint16 {
	ds := d / (100 * time.Millisecond)
	if ds > 0xFFFF {
		return 0xFFFF
	}
	if ds < 0 {
		return 0
	}
	return uint16(ds)
}

// Data encodes the PING data. The context is sent as given, even beyond 16 octets (HB.2).
func (p Ping) Data() []byte {
	return append(binary.BigEndian.AppendUint16(nil, p.TTL), p.Context...)
}

// ParsePing decodes PING data. A context longer than 16 octets is returned together with a
// DecodeError, so that a lenient peer can still answer it the way libzmq does.
func ParsePing(data []byte) (Ping, error) {
	if len(data) < 2 {
		return Ping{}, decodeErr(0, "PING", "%d octets, ping-ttl needs 2", len(data))
	}
	p := Ping{TTL: binary.BigEndian.Uint16(data), Context: data[2:]}
	if len(p.Context) > MaxPingContext {
		return p, decodeErr(2+MaxPingContext, "PING", "ping-context of %d octets (0*16 allowed)", len(p.Context))
	}
	return p, nil
}

// ParsePong decodes PONG data ("pong = command-size %d4 "PONG" ping-context").
func ParsePong(data []byte) ([]byte, error) {
	if len(data) > MaxPingContext {
		return data, decodeErr(MaxPingContext, "PONG", "ping-context of %d octets (0*16 allowed)", len(data))
	}
	return data, nil
}

// String renders a command the way transcripts show it.
func (c Command) String() string {
	switch c.Name {
	case CmdReady:
		if md, err := ParseMetadata(c.Data); err == nil {
			return joinNonEmpty(c.Name, md.String())
		}
	case CmdError:
		if r, err := ParseError(c.Data); err == nil {
			return fmt.Sprintf("ERROR %q", r)
		}
	case CmdSubscribe, CmdCancel:
		return fmt.Sprintf("%s %s", c.Name, preview(c.Data, 32))
	case CmdPing:
		if p, err := ParsePing(c.Data); err == nil {
			return fmt.Sprintf("PING ttl=%.1fs context=%s", p.TTLDuration().Seconds(), preview(p.Context, 16))
		}
	case CmdPong:
		return fmt.Sprintf("PONG context=%s", preview(c.Data, 16))
	}
	if len(c.Data) == 0 {
		return c.Name
	}
	return fmt.Sprintf("%s [%d B]", c.Name, len(c.Data))
}

func joinNonEmpty(a, b string) string {
	if b == "" {
		return a
	}
	return a + " " + b
}
