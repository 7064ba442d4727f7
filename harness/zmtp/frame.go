package zmtp

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// Frame flags (RFC 23/37 §Framing). "Bit 0 is the least significant bit".
const (
	FlagMore     byte = 0x01 // bit 0: more frames to follow; "SHALL be zero on command frames"
	FlagLong     byte = 0x02 // bit 1: size is 8 octets, network order
	FlagCommand  byte = 0x04 // bit 2: command frame
	FlagReserved byte = 0xF8 // bits 7-3: "reserved for future use and MUST be zero"
)

// MaxLongSize is the largest long-frame size the grammar allows ("A long frame has a body of
// 0 to 2^63-1 octets").
const MaxLongSize = 1<<63 - 1

// DefaultMaxFrame is the frame body limit of a Conn unless its Config says otherwise: big
// enough for every case in the catalogue, small enough that a lying size costs nothing.
const DefaultMaxFrame = 64 << 20

// Frame is one frame: its flags octet as sent (LONG included) and its body.
type Frame struct {
	Flags byte
	Body  []byte
}

func (f Frame) More() bool    { return f.Flags&FlagMore != 0 }
func (f Frame) Command() bool { return f.Flags&FlagCommand != 0 }
func (f Frame) Long() bool    { return f.Flags&FlagLong != 0 }

// FrameHeader is a decoded flags octet and size field.
type FrameHeader struct {
	Flags byte
	Size  uint64 // body size as announced
	Len   int    // octets of flags and size: 2 or 9
}

// ParseFrameHeader decodes the flags and size at the start of b, or returns ErrShort. It
// reports a long size with the top bit set (beyond 2^63-1) as a DecodeError at the size
// field; other flag problems are left to Check so that a tap can record and go on.
func ParseFrameHeader(b []byte) (FrameHeader, error) {
	if len(b) < 1 {
		return FrameHeader{}, ErrShort
	}
	h := FrameHeader{Flags: b[0]}
	if h.Flags&FlagLong == 0 {
		if len(b) < 2 {
			return FrameHeader{}, ErrShort
		}
		h.Size, h.Len = uint64(b[1]), 2
		return h, nil
	}
	if len(b) < 9 {
		return FrameHeader{}, ErrShort
	}
	h.Size, h.Len = binary.BigEndian.Uint64(b[1:9]), 9
	if h.Size > MaxLongSize {
		return h, decodeErr(1, "frame header", "long size %#x has the top bit set (more than 2^63-1)", h.Size)
	}
	return h, nil
}

// Check reports the flag rules of RFC 23/37 §Framing: reserved bits 7-3 zero, MORE zero on
// a command frame.
func (h FrameHeader) Check() error {
	if r := h.Flags & FlagReserved; r != 0 {
		return decodeErr(0, "frame header", "reserved flag bits %#02x set in flags %#02x (bits 7-3 MUST be zero)", r, h.Flags)
	}
	if h.Flags&FlagCommand != 0 && h.Flags&FlagMore != 0 {
		return decodeErr(0, "frame header", "command frame with MORE set (SHALL be zero on command frames)")
	}
	return nil
}

// Canonical says whether the size used the form RFC 37 recommends ("If the body is 0-255
// octets, the command SHOULD use a short size field"; for messages, short-size is "Body is 0
// to 255 octets" and a long size for such a body is valid but unusual).
func (h FrameHeader) Canonical() bool {
	return (h.Flags&FlagLong != 0) == (h.Size > 255)
}

// ParseFrame decodes one whole frame at the start of b. It never allocates: Body aliases b.
// The announced size is compared with limit before anything else is done with it, so a
// frame that announces 2^40 octets is refused from its 9 header octets alone.
func ParseFrame(b []byte, limit uint64) (Frame, int, error) {
	h, err := ParseFrameHeader(b)
	if err != nil {
		return Frame{}, 0, err
	}
	if err := h.Check(); err != nil {
		return Frame{}, 0, err
	}
	if h.Size > limit {
		return Frame{}, 0, decodeErr(0, "frame header", "frame announces %s bytes, limit %d", SizeString(h.Size), limit)
	}
	if uint64(len(b)-h.Len) < h.Size {
		return Frame{}, 0, ErrShort
	}
	end := h.Len + int(h.Size)
	return Frame{Flags: h.Flags, Body: b[h.Len:end:end]}, end, nil
}

// AppendFrame appends a frame with the canonical size form: LONG is set or cleared by the
// body size, other flag bits are sent as given (so reserved bits can be sent on purpose).
func AppendFrame(dst []byte, flags byte, body []byte) []byte {
	if len(body) > 255 {
		flags |= FlagLong
	} else {
		flags &^= FlagLong
	}
	return AppendFrameRaw(dst, flags, uint64(len(body)), body)
}

// AppendFrameRaw appends flags, a size field and body exactly as given: the size form follows
// the LONG bit of flags and size need not match len(body). It is how the peer lies on
// purpose (W.FR.3 long form for 5 octets, W.FR.4 2^40 octets with no body).
func AppendFrameRaw(dst []byte, flags byte, size uint64, body []byte) []byte {
	dst = append(dst, flags)
	if flags&FlagLong != 0 {
		dst = binary.BigEndian.AppendUint64(dst, size)
	} else {
		dst = append(dst, byte(size))
	}
	return append(dst, body...)
}

// AppendMessage appends the frames of one message, MORE on all but the last.
func AppendMessage(dst []byte, frames ...[]byte) []byte {
	for i, f := range frames {
		flags := byte(0)
		if i < len(frames)-1 {
			flags = FlagMore
		}
		dst = AppendFrame(dst, flags, f)
	}
	return dst
}

// SizeString prints a size, adding "2^k" for exact powers of two that a reader recognises in
// a lying header.
func SizeString(n uint64) string {
	if n >= 1<<10 && n&(n-1) == 0 {
		return fmt.Sprintf("2^%d", bits.TrailingZeros64(n))
	}
	return fmt.Sprintf("%d", n)
}
