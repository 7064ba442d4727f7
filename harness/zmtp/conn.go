package zmtp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// Config is what a Conn says about itself and how strict it is.
type Config struct {
	Version    Version   // greeting version; default 3.1
	Mechanism  Mechanism // default Null()
	SocketType string    // Socket-Type property; default "PAIR"
	Identity   []byte    // Identity property, sent when non-nil
	Properties Metadata  // further properties (X-...), sent after Socket-Type and Identity
	// CheckSocketType makes the handshake refuse a peer whose Socket-Type is missing or
	// incompatible, with ERROR then close (RFC 37 §The Socket-Type Property: "it SHOULD handle
	// errors by returning an ERROR command, and then disconnecting").
	CheckSocketType bool
	// StrictAsServer refuses a PLAIN or CURVE peer whose greeting claims our own role with
	// as-server (RFC 24/25: "uses the greeting as-server field to identify which peer is
	// "client" and which peer is "server""). Without it only two servers are refused:
	// libzmq 4.3 always sends as-server=0, even as a PLAIN or CURVE server.
	StrictAsServer bool
	// CurveDataFrames sends CURVE MESSAGE commands in data frames (COMMAND flag clear), the
	// way libzmq 4.3 does and expects; without it they are command frames, as RFC 25/26
	// (MESSAGE is a command) and RFC 37 §Wire Analysis ("message data SHALL be encoded as
	// commands") say. libzmq 4.3.4 silently drops MESSAGE commands in command frames.
	CurveDataFrames bool
	// StrictCurveFraming refuses received MESSAGE boxes in data frames; without it both
	// framings are read (the transcript still reports the data-frame form).
	StrictCurveFraming bool
	// MaxFrame bounds every frame body read; a frame announcing more is a DecodeError before
	// any of its body is read. Default DefaultMaxFrame.
	MaxFrame uint64
	// Transcript bounds the transcript the Conn keeps of both directions.
	Transcript TranscriptOptions
}

func (c Config) withDefaults() Config {
	if c.Version == (Version{}) {
		c.Version = V3_1
	}
	if c.Mechanism == nil {
		c.Mechanism = Null()
	}
	if c.SocketType == "" {
		c.SocketType = "PAIR"
	}
	if c.MaxFrame == 0 {
		c.MaxFrame = DefaultMaxFrame
	}
	return c
}

// Metadata is the metadata this Conn sends in its READY (or INITIATE).
func (c Config) metadata() Metadata {
	md := Props(PropSocketType, c.SocketType)
	if c.Identity != nil {
		md = append(md, Property{Name: PropIdentity, Value: c.Identity})
	}
	return append(md, c.Properties...)
}

// Conn is one ZMTP connection from the suite's side. It reads with a buffer that holds only
// octets that actually arrived (never a size announced by the peer), writes exactly what it
// is told to, and records both directions in its Transcript. Its methods are not safe for
// concurrent use, except Close.
type Conn struct {
	nc  net.Conn
	cfg Config

	buf    []byte // received, not yet consumed: buf[start:]
	start  int
	inOff  int64 // stream offset of buf[start]
	rerr   error // sticky read error (EOF, reset)
	rbytes [32 << 10]byte

	sentGreeting *Greeting
	peerGreeting *Greeting
	peerMeta     Metadata
	curve        *CurveSession
	handshook    bool
	asServer     bool // our role in the handshake

	tr        *Transcript
	closeOnce sync.Once
}

// NewConn wraps an established connection. asServer is our role for mechanisms with roles
// (for NULL, RFC 37: "The peer that binds SHALL be the server").
func NewConn(nc net.Conn, cfg Config) *Conn {
	cfg = cfg.withDefaults()
	label := fmt.Sprintf("%s %s ↔ %s", nc.LocalAddr().Network(), nc.LocalAddr(), nc.RemoteAddr())
	return &Conn{nc: nc, cfg: cfg, tr: NewTranscript(label, "sent by us", "sent by the peer", cfg.Transcript)}
}

// Transcript is the record of both directions so far.
func (c *Conn) Transcript() *Transcript { return c.tr }

// NetConn is the underlying connection.
func (c *Conn) NetConn() net.Conn { return c.nc }

// Config is the configuration in use.
func (c *Conn) Config() Config { return c.cfg }

// PeerGreeting is the greeting read from the peer, or nil.
func (c *Conn) PeerGreeting() *Greeting { return c.peerGreeting }

// PeerMetadata is the metadata of the peer's READY (or INITIATE), once read.
func (c *Conn) PeerMetadata() Metadata { return c.peerMeta }

// Curve is the CURVE message codec after a CURVE handshake, or nil.
func (c *Conn) Curve() *CurveSession { return c.curve }

// Close closes the connection and records it; it is safe to call more than once.
func (c *Conn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		err = c.nc.Close()
		c.tr.End(Out, ErrLocalClose)
		c.tr.End(In, ErrLocalClose) // records what the peer left unfinished
	})
	return err
}

// deadline merges a context deadline with an explicit one (zero = none).
func deadline(ctx context.Context, d time.Time) time.Time {
	if cd, ok := ctx.Deadline(); ok && (d.IsZero() || cd.Before(d)) {
		return cd
	}
	return d
}

// watch makes ctx cancellation interrupt blocked I/O by moving the deadline into the past.
func (c *Conn) watch(ctx context.Context) func() {
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(time.Unix(1, 0)) })
	return func() { stop() }
}

// WriteRaw writes b exactly, recording it. With pause > 0 it writes one octet per write,
// sleeping pause between writes (W.GR.4, W.FR.5: "dribbled" input).
func (c *Conn) WriteRaw(ctx context.Context, b []byte, pause time.Duration) error {
	defer c.watch(ctx)()
	dl := deadline(ctx, time.Time{})
	_ = c.nc.SetWriteDeadline(dl)
	if pause <= 0 {
		n, err := c.nc.Write(b)
		c.tr.Feed(Out, b[:n])
		if err != nil {
			return c.ioErr(ctx, "write", err)
		}
		return nil
	}
	for i := range b {
		n, err := c.nc.Write(b[i : i+1])
		c.tr.Feed(Out, b[i:i+n])
		if err != nil {
			return c.ioErr(ctx, "write", err)
		}
		if i < len(b)-1 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(pause):
			}
		}
	}
	return nil
}

func (c *Conn) ioErr(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("zmtp: %s: %w", op, ctx.Err())
	}
	return fmt.Errorf("zmtp: %s: %w", op, err)
}

// fill reads what is available into the buffer, once, until dl.
func (c *Conn) fill(ctx context.Context, dl time.Time) error {
	if c.rerr != nil {
		return c.rerr
	}
	if c.start > 0 && c.start >= len(c.buf)/2 {
		n := copy(c.buf, c.buf[c.start:])
		c.buf, c.start = c.buf[:n], 0
	}
	_ = c.nc.SetReadDeadline(dl)
	n, err := c.nc.Read(c.rbytes[:])
	if n > 0 {
		c.buf = append(c.buf, c.rbytes[:n]...)
		c.tr.Feed(In, c.rbytes[:n])
	}
	if err != nil {
		if isTimeout(err) && ctx.Err() == nil {
			return err // not sticky: the caller may wait again
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.rerr = err
		c.tr.End(In, err)
		return err
	}
	return nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// IsClosed says whether err is the peer closing or resetting the connection.
func IsClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isReset(err)
}

func (c *Conn) pending() []byte { return c.buf[c.start:] }

func (c *Conn) consume(n int) {
	c.start += n
	c.inOff += int64(n)
}

// ReadGreetingPrefix waits until the peer sent at least n greeting octets (11 for version
// detection) and returns what arrived so far, without consuming it.
func (c *Conn) ReadGreetingPrefix(ctx context.Context, n int, dl time.Time) ([]byte, error) {
	defer c.watch(ctx)()
	dl = deadline(ctx, dl)
	for len(c.pending()) < n {
		if err := c.fill(ctx, dl); err != nil {
			return append([]byte(nil), c.pending()...), fmt.Errorf("zmtp: greeting: %d of %d octets: %w", len(c.pending()), n, err)
		}
	}
	return append([]byte(nil), c.pending()...), nil
}

// ReadGreeting reads the peer's greeting. A ZMTP 1.0 or 2.0 peer is reported as a
// *LegacyPeerError holding what it sent (RFC 37: "If a peer cannot downgrade its protocol
// to match its peer, it MUST close the connection"; we do not downgrade, the caller decides).
func (c *Conn) ReadGreeting(ctx context.Context, dl time.Time) (Greeting, error) {
	defer c.watch(ctx)()
	dl = deadline(ctx, dl)
	for {
		p := c.pending()
		rev, err := DetectRevision(p)
		if err != nil && err != ErrShort {
			return Greeting{}, shifted(err, c.inOff)
		}
		if err == nil && rev != Rev3 {
			need := 12
			if rev == Rev10 {
				need = 1
			}
			if len(p) >= need {
				return Greeting{}, &LegacyPeerError{Revision: rev, Octets: append([]byte(nil), p...)}
			}
		}
		if len(p) >= GreetingSize {
			g, err := ParseGreeting(p)
			if err != nil {
				return Greeting{}, shifted(err, c.inOff)
			}
			c.consume(GreetingSize)
			c.peerGreeting = &g
			return g, nil
		}
		if err := c.fill(ctx, dl); err != nil {
			return Greeting{}, fmt.Errorf("zmtp: greeting after %d octets: %w", len(p), err)
		}
	}
}

// LegacyPeerError says the peer greeted as ZMTP 1.0 or 2.0.
type LegacyPeerError struct {
	Revision Revision
	Octets   []byte // what it sent so far
}

func (e *LegacyPeerError) Error() string {
	return fmt.Sprintf("zmtp: peer greets as %s (% x)", e.Revision, e.Octets)
}

// ReadFrame reads one frame, raw: commands stay commands, CURVE MESSAGE boxes stay closed.
// The body is a copy the caller owns.
func (c *Conn) ReadFrame(ctx context.Context, dl time.Time) (Frame, error) {
	defer c.watch(ctx)()
	dl = deadline(ctx, dl)
	for {
		f, n, err := ParseFrame(c.pending(), c.cfg.MaxFrame)
		if err == nil {
			f.Body = append([]byte(nil), f.Body...)
			c.consume(n)
			return f, nil
		}
		if err != ErrShort {
			return Frame{}, shifted(err, c.inOff)
		}
		if err := c.fill(ctx, dl); err != nil {
			if p := len(c.pending()); p > 0 && IsClosed(err) {
				return Frame{}, fmt.Errorf("zmtp: stream ended inside a frame (%d octets of it arrived): %w", p, err)
			}
			return Frame{}, err
		}
	}
}

// Incoming is what the peer sent after the handshake: a command or a whole message. Under
// CURVE, MESSAGE boxes are opened: a payload with the COMMAND flag is a Command, others are
// message frames; Boxed says it came encrypted.
type Incoming struct {
	Command *Command
	Message [][]byte
	Boxed   bool
	Offset  int64 // stream offset of its first frame
}

func (in Incoming) String() string {
	if in.Command != nil {
		return in.Command.String() + " command"
	}
	s := "message"
	for _, f := range in.Message {
		s += " " + framePreview(uint64(len(f)), f, false)
	}
	return s
}

// Next reads the next command or whole message. Before a CURVE handshake, or without CURVE,
// frames are read as they are; after it, every frame must be a MESSAGE command.
func (c *Conn) Next(ctx context.Context, dl time.Time) (Incoming, error) {
	var msg [][]byte
	var off int64 = -1
	for {
		at := c.inOff
		f, err := c.ReadFrame(ctx, dl)
		if err != nil {
			return Incoming{}, err
		}
		if off < 0 {
			off = at
		}
		if c.curve != nil {
			cmd, err := ParseCommand(f.Body)
			if !f.Command() && (c.cfg.StrictCurveFraming || err != nil || cmd.Name != CmdMessage) {
				return Incoming{}, decodeErr(at, "CURVE traffic", "clear-text data frame after the CURVE handshake (flags %#02x)", f.Flags)
			}
			if err != nil {
				return Incoming{}, shifted(err, at+int64(frameHeaderLen(f)))
			}
			if cmd.Name == CmdError {
				// RFC 26 lets a server send ERROR; it is clear text.
				reason, _ := ParseError(cmd.Data)
				return Incoming{}, &PeerError{Reason: reason}
			}
			if cmd.Name != CmdMessage {
				return Incoming{}, decodeErr(at, "CURVE traffic", "%s command after the CURVE handshake (only MESSAGE expected)", cmd.Name)
			}
			flags, payload, err := c.curve.Open(cmd.Data)
			if err != nil {
				return Incoming{}, shifted(err, at+int64(frameHeaderLen(f)))
			}
			if flags&PayloadCommand != 0 {
				if len(msg) > 0 {
					return Incoming{}, decodeErr(at, "CURVE traffic", "command inside a multipart message")
				}
				inner, err := ParseCommand(payload)
				if err != nil {
					return Incoming{}, fmt.Errorf("zmtp: command in a CURVE MESSAGE: %w", err)
				}
				return Incoming{Command: &inner, Boxed: true, Offset: off}, nil
			}
			msg = append(msg, payload)
			if flags&PayloadMore == 0 {
				return Incoming{Message: msg, Boxed: true, Offset: off}, nil
			}
			continue
		}
		if f.Command() {
			if len(msg) > 0 {
				return Incoming{}, decodeErr(at, "traffic", "command frame inside a multipart message")
			}
			cmd, err := ParseCommand(f.Body)
			if err != nil {
				return Incoming{}, shifted(err, at+int64(frameHeaderLen(f)))
			}
			return Incoming{Command: &cmd, Offset: off}, nil
		}
		msg = append(msg, f.Body)
		if !f.More() {
			return Incoming{Message: msg, Offset: off}, nil
		}
	}
}

func frameHeaderLen(f Frame) int {
	if f.Long() {
		return 9
	}
	return 2
}

// ReadCommand reads the next frame and requires it to be a command (any command).
func (c *Conn) ReadCommand(ctx context.Context, dl time.Time) (Command, error) {
	in, err := c.Next(ctx, dl)
	if err != nil {
		return Command{}, err
	}
	if in.Command == nil {
		return Command{}, fmt.Errorf("zmtp: expected a command, got %s", in)
	}
	return *in.Command, nil
}

// SendFrame writes one frame with the canonical size form, in clear (no CURVE box).
func (c *Conn) SendFrame(ctx context.Context, flags byte, body []byte) error {
	return c.WriteRaw(ctx, AppendFrame(nil, flags, body), 0)
}

// SendCommand writes a command. After a CURVE handshake it travels in a MESSAGE box with
// the COMMAND payload flag (as libzmq sends PING, PONG and SUBSCRIBE); before, and with
// other mechanisms, it is a command frame.
func (c *Conn) SendCommand(ctx context.Context, name string, data []byte) error {
	return c.WriteRaw(ctx, c.CommandBytes(name, data), 0)
}

// CommandBytes is the wire form SendCommand would write.
func (c *Conn) CommandBytes(name string, data []byte) []byte {
	body := CommandBody(name, data)
	if c.curve != nil {
		return AppendFrame(nil, c.curveFrameFlags(), c.curve.Seal(PayloadCommand, body))
	}
	return AppendFrame(nil, FlagCommand, body)
}

// Send writes one message (MORE on all frames but the last), in MESSAGE boxes after a CURVE
// handshake.
func (c *Conn) Send(ctx context.Context, frames ...[]byte) error {
	return c.WriteRaw(ctx, c.MessageBytes(frames...), 0)
}

// MessageBytes is the wire form Send would write.
func (c *Conn) MessageBytes(frames ...[]byte) []byte {
	if c.curve == nil {
		return AppendMessage(nil, frames...)
	}
	var b []byte
	for i, f := range frames {
		flags := byte(0)
		if i < len(frames)-1 {
			flags = PayloadMore
		}
		b = AppendFrame(b, c.curveFrameFlags(), c.curve.Seal(flags, f))
	}
	return b
}

// curveFrameFlags is the frame flags of a MESSAGE box (see Config.CurveDataFrames).
func (c *Conn) curveFrameFlags() byte {
	if c.cfg.CurveDataFrames {
		return 0
	}
	return FlagCommand
}

// Recv returns the next message, answering PING with PONG (RFC 37: "it SHALL respond with a
// PONG command that echoes the ping-context") and skipping other commands; an ERROR command
// is returned as a *PeerError.
func (c *Conn) Recv(ctx context.Context) ([][]byte, error) {
	for {
		in, err := c.Next(ctx, time.Time{})
		if err != nil {
			return nil, err
		}
		if in.Command == nil {
			return in.Message, nil
		}
		switch in.Command.Name {
		case CmdPing:
			p, err := ParsePing(in.Command.Data)
			if err != nil && len(p.Context) == 0 {
				return nil, err
			}
			if err := c.SendCommand(ctx, CmdPong, p.Context); err != nil {
				return nil, err
			}
		case CmdError:
			reason, _ := ParseError(in.Command.Data)
			return nil, &PeerError{Reason: reason}
		}
	}
}

// Subscribe sends a subscription in the form the peer's version calls for (RFC 37: a
// SUBSCRIBE command to a 3.1 peer; the 3.0 message form to a 3.0 peer, W.CMD.3).
func (c *Conn) Subscribe(ctx context.Context, subscribe bool, topic []byte) error {
	peer31 := c.peerGreeting != nil && c.peerGreeting.Version.AtLeast(V3_1) && c.cfg.Version.AtLeast(V3_1)
	if peer31 {
		name := CmdSubscribe
		if !subscribe {
			name = CmdCancel
		}
		return c.SendCommand(ctx, name, topic)
	}
	return c.Send(ctx, SubscriptionBody(subscribe, topic))
}

// Ping sends a PING with a TTL and a context.
func (c *Conn) Ping(ctx context.Context, ttl time.Duration, pingContext []byte) error {
	return c.SendCommand(ctx, CmdPing, Ping{TTL: TTL(ttl), Context: pingContext}.Data())
}
