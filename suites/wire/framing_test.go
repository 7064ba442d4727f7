package wire_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	"github.com/zmqsuite/zmqsuite/harness/zmtp"
	. "github.com/zmqsuite/zmqsuite/scenarios"
	"github.com/zmqsuite/zmqsuite/suites/wire"
)

// Framing (docs/cases.md W.FR; RFC 23/37 §Framing, §Commands, §Messages).

// after is a row that follows a well-formed handshake with more steps.
func after(l *wire.Link, what string, steps ...zmtp.Step) wire.Row {
	return wire.Row{What: what, Steps: append(l.Greets(zmtp.V3_1), steps...)}
}

// W.FR.1 (RFC 23/37 §Framing: "Bits 7-3 are reserved for future use and MUST be zero"): a
// frame with a reserved flag bit set closes the connection.
var _ = wire.Case("W.FR.1", Must, wire.Reject, "A frame with a reserved flag bit set closes the connection",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		l.Rejects(ctx,
			after(l, "message frame with bit 3 (0x08)", zmtp.SendFrame(0x08, []byte("reserved"))),
			after(l, "message frame with bit 7 (0x80)", zmtp.SendFrame(0x80, []byte("reserved"))),
			after(l, "PING command frame with bit 4 (0x14)", zmtp.SendFrame(zmtp.FlagCommand|0x10, zmtp.CommandBody(zmtp.CmdPing, []byte{0, 0, 'R'}))))
	})

// W.FR.2 (RFC 23/37 §Framing, MORE: "This bit SHALL be zero on command frames"): a command
// frame with MORE set closes the connection.
var _ = wire.Case("W.FR.2", Must, wire.Reject, "A command frame with MORE set closes the connection",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		l.Rejects(ctx, after(l, "PING with MORE (0x05)", zmtp.SendFrame(zmtp.FlagCommand|zmtp.FlagMore, zmtp.CommandBody(zmtp.CmdPing, []byte{0, 0, 'M'}))))
	})

// W.FR.3 (RFC 23/37 grammar: "message-last = ( %x00 short-size | %x02 long-size )
// message-body"; "command = command-size command-body; command-size = %x04 short-size | %x06
// long-size" — the long form for a short body is valid, if not canonical): a message and a
// READY sent with a long size field for a short body are accepted.
var _ = wire.Case("W.FR.3", Must, wire.Accept, "A long size field for a short body is accepted",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.ROUTER, h.DEALER)
		ready := zmtp.CommandBody(zmtp.CmdReady, zmtp.Props(zmtp.PropSocketType, l.Ours).Bytes())
		l.Accepts(ctx,
			after(l, "message of 5 octets, long size", zmtp.SendRaw(zmtp.AppendFrameRaw(nil, zmtp.FlagLong, 5, []byte("longf"))),
				l.Receives("longf"), l.Sends("back"), zmtp.ExpectMessage(zmtp.Frames("back"))),
			wire.Row{What: "READY, long size", Steps: append([]zmtp.Step{
				zmtp.SendGreeting(zmtp.V3_1, "NULL", false),
				zmtp.ExpectGreeting(),
				zmtp.SendRaw(zmtp.AppendFrameRaw(nil, zmtp.FlagCommand|zmtp.FlagLong, uint64(len(ready)), ready)),
				zmtp.ExpectCommand(zmtp.CmdReady),
			}, l.Crosses("long READY")...)})
	})

// W.FR.4 (RFC 23/37 §Framing: "A long frame has a body of 0 to 2^63-1 octets"; the class of
// remote-crash bugs a fuzzing peer finds): a frame announcing 2^40 octets that never come, or a
// size with the top bit set, closes that connection without allocating what it announces;
// the process and the socket live on.
var _ = wire.Case("W.FR.4", Must, wire.Reject, "A frame announcing an impossible size closes that connection; the process and the socket live on",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		var rows []wire.Row
		for _, size := range []uint64{1 << 40, 1 << 63} {
			rows = append(rows, after(l, "size "+zmtp.SizeString(size), zmtp.SendRaw(zmtp.AppendFrameRaw(nil, zmtp.FlagLong, size, nil))))
		}
		l.Rejects(ctx, rows...)
	})

// W.FR.5 (TCP is a stream; RFC 23/37 frames are delimited by their size fields only): a
// message whose frames arrive one octet per write, and a hundred messages in one write, are
// reassembled exactly.
var _ = wire.Case("W.FR.5", Must, wire.Accept, "Frames split at every octet, or coalesced in one write, are reassembled exactly",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.ROUTER, h.DEALER)
		frames := [][]byte{[]byte("first"), []byte(strings.Repeat("s", 300)), []byte("last")}
		var batch []byte
		for i := range 100 {
			batch = zmtp.AppendMessage(batch, []byte(fmt.Sprintf("m%03d", i)))
		}
		l.Accepts(ctx,
			after(l, "a 3-frame message, one octet per write", zmtp.SendMessageBytes(frames, zmtp.Dribble(time.Microsecond)),
				l.Receives("first", strings.Repeat("s", 300), "last"), l.Sends("back"), zmtp.ExpectMessage(zmtp.Frames("back"))),
			after(l, "100 messages in one write", zmtp.SendRaw(batch), l.ReceivesInOrder("m%03d", 100),
				l.Sends("back"), zmtp.ExpectMessage(zmtp.Frames("back"))))
	})

// W.FR.6 (RFC 23/37 §Messages: "an implementation SHALL always send and deliver messages
// atomically, that is, all the frames of a message, or none of them"): a message whose last
// frame is cut short by the end of the connection (FIN, or RST on tcp) is never delivered, nor
// any part of it.
var _ = wire.Case("W.FR.6", Must, wire.Robust, "A message cut by the end of the connection is never delivered, nor a part of it",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		head := append(zmtp.AppendFrame(nil, zmtp.FlagMore, []byte("part1")), zmtp.AppendFrameRaw(nil, 0, 10, []byte("cut!"))...)
		big := zmtp.AppendFrameRaw(nil, zmtp.FlagLong, 1<<20, []byte(strings.Repeat("b", 1000)))
		rows := []wire.Row{
			after(l, "last frame cut, then FIN", zmtp.SendRaw(head)),
			after(l, "1 MiB frame cut after 1000 octets, then FIN", zmtp.SendRaw(big)),
			after(l, "frame header cut, then FIN", zmtp.SendRaw([]byte{zmtp.FlagLong, 0, 0, 0})),
		}
		if w.Transport == h.TCP {
			rows = append(rows, after(l, "last frame cut, then RST", zmtp.SendRaw(head), resetOnClose()))
		}
		for _, r := range rows {
			wire.Must(l.Play(ctx, r.Steps...), r.What)
			// Only a delivery fails this case: an error of the receive instead is W.ROB.5's.
			m, err := l.Sock.TryRecv(ctx, wire.SettleWithin)
			Expect(m).To(BeEmpty(), "%s: the PULL delivered %s: a partial message", r.What, h.Describe(m))
			if err != nil && peer.Category(err) != peer.ErrAgain {
				w.Note("%s: the receive answered %s", r.What, peer.Category(err))
			}
			w.Alive(ctx)
		}
		w.Note("nothing delivered")
		l.Serves(ctx)
	})

// resetOnClose makes our close of a tcp connection a reset (SO_LINGER 0).
func resetOnClose() zmtp.Step {
	return zmtp.Do("close with a reset (SO_LINGER 0)", func(_ context.Context, s *zmtp.Session) error {
		tc, ok := s.NetConn().(*net.TCPConn)
		if !ok {
			return fmt.Errorf("not a tcp connection")
		}
		return tc.SetLinger(0)
	})
}

// W.FR.7 (RFC 23/37 grammar: "command-body = command-name command-data; command-name =
// short-size 1*255command-name-char"): a command whose name length runs past its body, an
// empty command, and a zero-length name close the connection.
var _ = wire.Case("W.FR.7", Must, wire.Reject, "A command whose name does not fit its body closes the connection",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		l.Rejects(ctx,
			after(l, "name length 9, 4 octets follow", zmtp.SendFrame(zmtp.FlagCommand, []byte{9, 'P', 'I', 'N', 'G'})),
			after(l, "empty command frame", zmtp.SendFrame(zmtp.FlagCommand, nil)),
			after(l, "name length 0", zmtp.SendFrame(zmtp.FlagCommand, []byte{0, 'P', 'I', 'N', 'G'})))
	})

// W.FR.8 (RFC 23/37 §Framing: "an empty frame has a size of zero"; "message-body = *OCTET"):
// empty frames, alone or among others, cross both ways exactly.
var _ = wire.Case("W.FR.8", Must, wire.Accept, "Empty frames cross both ways exactly",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.ROUTER, h.DEALER)
		l.Accepts(ctx,
			after(l, "an empty message", zmtp.SendMessage(""), l.Receives(""), l.Sends(""), zmtp.ExpectMessage(zmtp.Frames(""))),
			after(l, "empty frames around one", zmtp.SendMessage("", "x", ""), l.Receives("", "x", ""),
				l.Sends("", "", "y"), zmtp.ExpectMessage(zmtp.Frames("", "", "y"))))
	})

// W.FR.9 (RFC 23/37 §Framing: "A short frame has a body of 0 to 255 octets. A long frame has a
// body of 0 to 2^63-1 octets"): bodies at the boundary (255, 256 octets) and large ones (64
// KiB, 1 MiB) cross both ways exactly.
var _ = wire.Case("W.FR.9", Must, wire.Accept, "Bodies of 255, 256, 65536 and 1048576 octets cross both ways",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.ROUTER, h.DEALER)
		var rows []wire.Row
		for _, n := range []int{255, 256, 1 << 16, 1 << 20} {
			body := strings.Repeat(string(rune('a'+n%26)), n)
			rows = append(rows, after(l, fmt.Sprintf("%d octets", n), zmtp.SendMessage(body), l.Receives(body), l.Exchanges(body)))
		}
		l.Accepts(ctx, rows...)
	})

// W.FR.10 (RFC 23/37 grammar: "traffic = *(command | message)", "message = *message-more
// message-last" — a command cannot stand between the frames of a message; "Commands always
// consist of one frame"): a command frame inside a multipart message closes the connection.
var _ = wire.Case("W.FR.10", Must, wire.Reject, "A command frame between the frames of a message closes the connection",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		b := zmtp.AppendFrame(nil, zmtp.FlagMore, []byte("part1"))
		b = zmtp.AppendFrame(b, zmtp.FlagCommand, zmtp.CommandBody(zmtp.CmdPing, []byte{0, 0}))
		b = zmtp.AppendFrame(b, 0, []byte("part2"))
		l.Rejects(ctx, after(l, "PING between two frames", zmtp.SendRaw(b)))
	})

// W.FR.11 (RFC 23/37 §Messages: "all the frames of a message, or none of them"; RFC 37
// "Multipart Message Definition"): a message of 100 frames crosses both ways whole and in
// order.
var _ = wire.Case("W.FR.11", Must, wire.Accept, "A 100-frame message crosses both ways whole and in order",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.ROUTER, h.DEALER)
		var frames []string
		for i := range 100 {
			frames = append(frames, fmt.Sprintf("f%02d", i))
		}
		l.Accepts(ctx, after(l, "100 frames", zmtp.SendMessage(frames...), l.Receives(frames...),
			l.Sends(frames...), zmtp.ExpectMessage(zmtp.Frames(frames...))))
	})
