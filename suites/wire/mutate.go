package wire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/zmqsuite/zmqsuite/harness/zmtp"
)

// The seeded mutation run (W.FUZZ): valid client streams built with harness/zmtp's codec, each
// a PUSH talking to the implementation's PULL, and mutations of them — bit flips, truncations,
// lying length fields, command names and flags, inserted and deleted octets — drawn from a
// seeded generator, so that a run is reproducible from (seed, index).

// Stream is a valid client stream: its octets and where each frame starts.
type Stream struct {
	Name   string
	Bytes  []byte
	Frames []FrameAt
}

// FrameAt is one frame of a Stream.
type FrameAt struct {
	Off     int  // offset of the flags octet
	Header  int  // octets of flags and size (2 or 9)
	Size    int  // body size
	Command bool // a command frame
}

// builder appends frames and remembers where they are.
type builder struct{ s Stream }

func (b *builder) raw(p []byte) { b.s.Bytes = append(b.s.Bytes, p...) }

func (b *builder) frame(flags byte, body []byte) {
	off := len(b.s.Bytes)
	b.s.Bytes = zmtp.AppendFrame(b.s.Bytes, flags, body)
	b.s.Frames = append(b.s.Frames, FrameAt{Off: off, Header: len(b.s.Bytes) - off - len(body), Size: len(body), Command: flags&zmtp.FlagCommand != 0})
}

func (b *builder) command(name string, data []byte) {
	b.frame(zmtp.FlagCommand, zmtp.CommandBody(name, data))
}

func (b *builder) message(frames ...string) {
	for i, f := range frames {
		flags := byte(0)
		if i < len(frames)-1 {
			flags = zmtp.FlagMore
		}
		b.frame(flags, []byte(f))
	}
}

// SeedStreams are the valid streams the mutations start from; tag marks every message of one
// mutated stream, so that a delivery can be traced to the stream that carried it.
func SeedStreams(tag string) []Stream {
	mk := func(name string, v zmtp.Version, md zmtp.Metadata, body func(b *builder)) Stream {
		b := &builder{s: Stream{Name: name}}
		b.raw(zmtp.NewGreeting(v, "NULL", false).Bytes())
		b.command(zmtp.CmdReady, md.Bytes())
		body(b)
		return b.s
	}
	push := zmtp.Props(zmtp.PropSocketType, "PUSH")
	return []Stream{
		mk("messages", zmtp.V3_1, push, func(b *builder) {
			b.message(tag + "-a")
			b.message(tag+"-b1", tag+"-b2", tag+"-b3")
			b.message(tag + "-c" + strings.Repeat("c", 300))
		}),
		mk("heartbeats", zmtp.V3_1, push, func(b *builder) {
			b.command(zmtp.CmdPing, zmtp.Ping{TTL: 10, Context: []byte("ctx")}.Data())
			b.message(tag + "-d")
			b.command(zmtp.CmdPong, []byte("ctx"))
			b.command(zmtp.CmdSubscribe, []byte("x"))
			b.message(tag+"-e", "")
		}),
		mk("zmtp30", zmtp.V3_0, push, func(b *builder) {
			b.message(tag + "-f")
			b.message("", tag+"-g")
		}),
		mk("metadata", zmtp.V3_1, zmtp.Props(zmtp.PropSocketType, "PUSH", zmtp.PropIdentity, "", "X-Pad", strings.Repeat("p", 280)), func(b *builder) {
			b.message(tag + "-h")
		}),
		mk("large", zmtp.V3_1, push, func(b *builder) {
			b.message(tag + "-i" + strings.Repeat("i", 70000))
			b.message(tag + "-j")
		}),
	}
}

// Mutation is a mutated stream and what was done to it, in words.
type Mutation struct {
	Seed   string
	Bytes  []byte
	Steps  []string
	Stream string
}

// Mutator draws mutations from a seeded generator: Next(i) depends only on the seed and i.
type Mutator struct{ Seed uint64 }

// Next is mutation number i of stream s: one to three steps.
func (m Mutator) Next(i uint64, s Stream) Mutation {
	r := rand.New(rand.NewPCG(m.Seed, i))
	out := Mutation{Seed: fmt.Sprintf("%d/%d", m.Seed, i), Bytes: append([]byte(nil), s.Bytes...), Stream: s.Name}
	frames := append([]FrameAt(nil), s.Frames...)
	n := 1 + r.IntN(3)
	for range n {
		var step string
		out.Bytes, frames, step = mutateOnce(r, out.Bytes, frames)
		out.Steps = append(out.Steps, step)
	}
	return out
}

// interesting sizes for length fields: the boundaries of the short form, of int32, and sizes
// no peer should allocate.
var interesting = []uint64{0, 1, 254, 255, 256, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1 << 32, 1 << 40, 1<<63 - 1, 1 << 63, 0xFFFFFFFFFFFFFFFF}

func mutateOnce(r *rand.Rand, b []byte, frames []FrameAt) ([]byte, []FrameAt, string) {
	if len(b) == 0 {
		return append(b, byte(r.Uint32())), nil, "an octet into an empty stream"
	}
	// Frames whose header is still intact (earlier steps may have moved octets).
	pick := func() (FrameAt, bool) {
		var ok []FrameAt
		for _, f := range frames {
			if f.Off+f.Header <= len(b) {
				ok = append(ok, f)
			}
		}
		if len(ok) == 0 {
			return FrameAt{}, false
		}
		return ok[r.IntN(len(ok))], true
	}
	switch k := r.IntN(10); {
	case k < 2: // bit flips
		nb := 1 + r.IntN(4)
		var at []string
		for range nb {
			i := r.IntN(len(b))
			bit := byte(1) << r.IntN(8)
			b[i] ^= bit
			at = append(at, fmt.Sprintf("%d^%#02x", i, bit))
		}
		return b, frames, "bit flips at " + strings.Join(at, ",")
	case k < 3: // truncation
		i := r.IntN(len(b))
		return b[:i], frames, fmt.Sprintf("truncated to %d octets", i)
	case k < 5: // a frame's length field
		f, ok := pick()
		if !ok {
			return b, frames, "no frame left to lie about"
		}
		size := interesting[r.IntN(len(interesting))]
		if r.IntN(3) == 0 {
			size = uint64(max(0, f.Size+r.IntN(9)-4)) // off by a few
		}
		if f.Header == 2 {
			if size > 255 || r.IntN(4) == 0 {
				// Turn it into a long frame to carry the size.
				hdr := binary.BigEndian.AppendUint64([]byte{b[f.Off] | zmtp.FlagLong}, size)
				b = splice(b, f.Off, f.Off+2, hdr)
				return b, frames, fmt.Sprintf("frame at %d: long size %s", f.Off, zmtp.SizeString(size))
			}
			b[f.Off+1] = byte(size)
			return b, frames, fmt.Sprintf("frame at %d: size %d", f.Off, size)
		}
		binary.BigEndian.PutUint64(b[f.Off+1:f.Off+9], size)
		return b, frames, fmt.Sprintf("frame at %d: long size %s", f.Off, zmtp.SizeString(size))
	case k < 6: // flags
		f, ok := pick()
		if !ok {
			return b, frames, "no frame left to reflag"
		}
		flags := []byte{zmtp.FlagMore, zmtp.FlagCommand, 0x08, 0x80, 0xF8}[r.IntN(5)]
		b[f.Off] ^= flags
		return b, frames, fmt.Sprintf("frame at %d: flags ^%#02x", f.Off, flags)
	case k < 8: // a command's name
		var cmds []FrameAt
		for _, f := range frames {
			if f.Command && f.Off+f.Header < len(b) {
				cmds = append(cmds, f)
			}
		}
		if len(cmds) == 0 {
			return b, frames, "no command left to rename"
		}
		f := cmds[r.IntN(len(cmds))]
		at := f.Off + f.Header
		switch r.IntN(3) {
		case 0:
			b[at] = byte(r.IntN(256))
			return b, frames, fmt.Sprintf("command at %d: name length %d", f.Off, b[at])
		case 1:
			names := []string{"READY", "PING", "PONG", "ERROR", "SUBSCRIBE", "CANCEL", "HELLO", "MESSAGE", "ready", "P!NG"}
			name := names[r.IntN(len(names))]
			n := int(b[at])
			if at+1+n > len(b) {
				return b, frames, "command name past the end"
			}
			body := append([]byte{byte(len(name))}, name...)
			b = splice(b, at, at+1+n, body)
			return b, frames, fmt.Sprintf("command at %d renamed %q (frame size unchanged)", f.Off, name)
		default:
			if at+1 < len(b) {
				b[at+1] = byte(r.IntN(256))
			}
			return b, frames, fmt.Sprintf("command at %d: name octet %#02x", f.Off, b[min(at+1, len(b)-1)])
		}
	default: // insert or delete octets
		i := r.IntN(len(b) + 1)
		if r.IntN(2) == 0 && i < len(b) {
			j := min(len(b), i+1+r.IntN(8))
			return splice(b, i, j, nil), frames, fmt.Sprintf("deleted octets %d-%d", i, j-1)
		}
		ins := make([]byte, 1+r.IntN(8))
		for k := range ins {
			ins[k] = byte(r.Uint32())
		}
		return splice(b, i, i, ins), frames, fmt.Sprintf("inserted %d octets at %d", len(ins), i)
	}
}

// splice replaces b[i:j] by p.
func splice(b []byte, i, j int, p []byte) []byte {
	out := make([]byte, 0, len(b)-(j-i)+len(p))
	out = append(out, b[:i]...)
	out = append(out, p...)
	return append(out, b[j:]...)
}

// Carried is what a stream validly carries to a PULL: the messages a strict reader of RFC
// 23/37 would deliver (Strict), and those a reader that tolerates what libzmq tolerates would
// (Lenient: reserved flag bits ignored, MORE on a command ignored, malformed or misplaced
// commands skipped, metadata not validated). A delivery in neither is a bad delivery: the
// implementation made up a message, or cut one at the wrong place. A stream whose greeting
// announces ZMTP 1.0 or 2.0 may be downgraded to; its deliveries are only required to be
// octet strings of the stream, in order (Legacy).
type Carried struct {
	Strict, Lenient [][][]byte
	Legacy          bool
}

// carriedLimit bounds the frames the oracle decodes (the streams are small).
const carriedLimit = 1 << 20

// CarriedBy decodes a client stream to a PULL.
func CarriedBy(b []byte) Carried {
	var c Carried
	rev, err := zmtp.DetectRevision(b)
	if err != nil && err != zmtp.ErrShort {
		// A signature with version octet 0 fits none of RFC 37's cases; libzmq takes it for
		// ZMTP 1.0 (its ZMTP_1_0 revision is 0) and goes on in 1.0 framing: legacy.
		c.Legacy = true
		return c
	}
	if err != nil {
		return c
	}
	if rev != zmtp.Rev3 {
		c.Legacy = true
		return c
	}
	if len(b) < zmtp.GreetingSize {
		return c
	}
	g, err := zmtp.ParseGreeting(b)
	if err != nil {
		return c
	}
	var null [20]byte
	copy(null[:], "NULL")
	if g.Mechanism != null {
		return c // "MUST close": nothing is carried
	}
	c.Strict = decodeTraffic(b[zmtp.GreetingSize:], true)
	c.Lenient = decodeTraffic(b[zmtp.GreetingSize:], false)
	return c
}

// decodeTraffic reads READY and then the messages after it.
func decodeTraffic(b []byte, strict bool) [][][]byte {
	var out [][][]byte
	var msg [][]byte
	ready := false
	for len(b) > 0 {
		h, err := zmtp.ParseFrameHeader(b)
		if err != nil || h.Size > carriedLimit || uint64(len(b)-h.Len) < h.Size {
			return out // malformed or cut: nothing more is carried
		}
		flags := h.Flags
		if err := h.Check(); err != nil {
			if strict {
				return out
			}
			flags &= zmtp.FlagMore | zmtp.FlagLong | zmtp.FlagCommand
			if flags&zmtp.FlagCommand != 0 {
				flags &^= zmtp.FlagMore
			}
		}
		body := b[h.Len : h.Len+int(h.Size)]
		b = b[h.Len+int(h.Size):]
		if flags&zmtp.FlagCommand != 0 {
			if len(msg) > 0 && strict {
				return out // a command between the frames of a message
			}
			cmd, err := zmtp.ParseCommand(body)
			switch {
			case !ready && (err != nil || cmd.Name != zmtp.CmdReady):
				return out // traffic before READY closes the connection
			case !ready:
				md, err := zmtp.ParseMetadata(cmd.Data)
				if strict && (err != nil || md.SocketType() != "PUSH") {
					return out
				}
				ready = true
			case err != nil && strict:
				return out
			case strict && cmd.Name == zmtp.CmdPing:
				if _, err := zmtp.ParsePing(cmd.Data); err != nil {
					return out
				}
			}
			continue
		}
		if !ready {
			return out
		}
		msg = append(msg, body)
		if flags&zmtp.FlagMore == 0 {
			out = append(out, msg)
			msg = nil
		}
	}
	return out
}

// Contains says whether msg is one of msgs.
func contains(msgs [][][]byte, msg [][]byte) bool {
	for _, m := range msgs {
		if sameFrames(m, msg) {
			return true
		}
	}
	return false
}

// Within says whether every frame of msg is a run of octets of b, in order (the legacy
// oracle: a downgraded connection's message cannot be checked more closely without a 1.0/2.0
// decoder, but it must not contain octets the stream never had).
func inOrder(b []byte, msg [][]byte) bool {
	at := 0
	for _, f := range msg {
		i := bytes.Index(b[at:], f)
		if i < 0 {
			return false
		}
		at += i + len(f)
	}
	return true
}

// Judge classifies a delivery against what the stream carried: "" (valid), "lenient" (only
// a tolerant reader delivers it) or "bad".
func (c Carried) Judge(stream []byte, msg [][]byte) string {
	switch {
	case contains(c.Strict, msg):
		return ""
	case contains(c.Lenient, msg):
		return "lenient"
	case c.Legacy && inOrder(stream, msg):
		return ""
	}
	return "bad"
}
