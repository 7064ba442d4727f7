package zmtp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"
)

// stepFunc is a step from a description and a function.
type stepFunc struct {
	desc string
	fn   func(ctx context.Context, s *Session) error
}

func (f stepFunc) Describe() string                          { return f.desc }
func (f stepFunc) Run(ctx context.Context, s *Session) error { return f.fn(ctx, s) }

// step builds a step whose options are checked when it runs.
func step(desc string, opts []Opt, allowed []string, fn func(ctx context.Context, s *Session, o stepOpts) error) Step {
	return stepFunc{desc: desc + optNames(opts), fn: func(ctx context.Context, s *Session) error {
		o, err := collect(desc, opts, allowed...)
		if err != nil {
			return err
		}
		return fn(ctx, s, o)
	}}
}

func within(o stepOpts) string { return fmt.Sprintf("within %s", o.within) }

// --- sending -------------------------------------------------------------------------

// SendRaw sends octets exactly as given (Dribble to split them one per write).
func SendRaw(b []byte, opts ...Opt) Step {
	return step(fmt.Sprintf("send %d raw octets %s", len(b), preview(b, 12)), opts, []string{"Dribble"},
		func(ctx context.Context, s *Session, o stepOpts) error { return s.WriteRaw(ctx, b, o.dribble) })
}

// SendGreeting sends a greeting with version v, mechanism and as-server, canonical unless
// options change octets (Padding, Filler, SigEnd, AsServerByte, MechanismField) or send only
// a prefix (FirstOctets, then SendGreetingRest).
func SendGreeting(v Version, mechanism string, asServer bool, opts ...Opt) Step {
	as := 0
	if asServer {
		as = 1
	}
	return step(fmt.Sprintf("send greeting %s %s as-server=%d", v, mechanism, as), opts,
		[]string{"Dribble", "Padding", "Filler", "SigEnd", "AsServerByte", "MechanismField", "FirstOctets"},
		func(ctx context.Context, s *Session, o stepOpts) error {
			g := NewGreeting(v, mechanism, asServer)
			if o.padding != nil {
				g.Padding = *o.padding
			}
			if o.filler != nil {
				g.Filler = *o.filler
			}
			if o.sigEnd != nil {
				g.SigEnd = *o.sigEnd
			}
			if o.asServer != nil {
				g.AsServer = *o.asServer
			}
			if o.mechRaw != nil {
				g.Mechanism = *o.mechRaw
			}
			b := g.Bytes()
			n := len(b)
			if o.first > 0 && o.first < n {
				n = o.first
			}
			s.LastGreeting, s.greetingSent = &g, n
			s.sentGreeting = &g
			return s.WriteRaw(ctx, b[:n], o.dribble)
		})
}

// SendGreetingRest sends the octets of the last greeting that FirstOctets held back.
func SendGreetingRest(opts ...Opt) Step {
	return step("send the rest of the greeting", opts, []string{"Dribble"},
		func(ctx context.Context, s *Session, o stepOpts) error {
			if s.LastGreeting == nil {
				return errors.New("no greeting was started")
			}
			b := s.LastGreeting.Bytes()[s.greetingSent:]
			s.greetingSent = GreetingSize
			return s.WriteRaw(ctx, b, o.dribble)
		})
}

// SendLegacyGreeting sends a ZMTP 2.0 greeting (RFC 15) for socketType with an identity.
func SendLegacyGreeting(socketType string, identity []byte, opts ...Opt) Step {
	return step(fmt.Sprintf("send ZMTP 2.0 greeting %s", socketType), opts, []string{"Dribble"},
		func(ctx context.Context, s *Session, o stepOpts) error {
			s.legacySent = true
			return s.WriteRaw(ctx, V2Greeting(socketType, identity), o.dribble)
		})
}

// SendCommand sends a command (boxed after a CURVE handshake, like Conn.SendCommand).
func SendCommand(name string, data []byte, opts ...Opt) Step {
	return step(fmt.Sprintf("send %s", Command{Name: name, Data: data}), opts, []string{"Dribble"},
		func(ctx context.Context, s *Session, o stepOpts) error {
			return s.WriteRaw(ctx, s.CommandBytes(name, data), o.dribble)
		})
}

// SendReady sends READY with metadata.
func SendReady(md Metadata, opts ...Opt) Step { return SendCommand(CmdReady, md.Bytes(), opts...) }

// SendPing sends PING with a TTL and a context.
func SendPing(ttl time.Duration, pingContext []byte, opts ...Opt) Step {
	return SendCommand(CmdPing, Ping{TTL: TTL(ttl), Context: pingContext}.Data(), opts...)
}

// SendFrame sends one frame in clear with these flags and the canonical size form.
func SendFrame(flags byte, body []byte, opts ...Opt) Step {
	return step(fmt.Sprintf("send frame flags=%#02x %s", flags, framePreview(uint64(len(body)), body, false)), opts, []string{"Dribble"},
		func(ctx context.Context, s *Session, o stepOpts) error {
			return s.WriteRaw(ctx, AppendFrame(nil, flags, body), o.dribble)
		})
}

// SendMessage sends one message of text frames (boxed after a CURVE handshake).
func SendMessage(frames ...string) Step {
	var fb [][]byte
	for _, f := range frames {
		fb = append(fb, []byte(f))
	}
	return SendMessageBytes(fb)
}

// SendMessageBytes sends one message of binary frames.
func SendMessageBytes(frames [][]byte, opts ...Opt) Step {
	d := "send MESSAGE"
	for _, f := range frames {
		d += " " + framePreview(uint64(len(f)), f, false)
	}
	return step(d, opts, []string{"Dribble"}, func(ctx context.Context, s *Session, o stepOpts) error {
		return s.WriteRaw(ctx, s.MessageBytes(frames...), o.dribble)
	})
}

// Subscribe sends a subscription in the form the peer's greeting calls for.
func Subscribe(topic string) Step {
	return step(fmt.Sprintf("subscribe %q", topic), nil, nil, func(ctx context.Context, s *Session, o stepOpts) error {
		return s.Conn.Subscribe(ctx, true, []byte(topic))
	})
}

// Handshake runs the whole handshake of the Conn's Config (greeting, mechanism).
func Handshake() Step {
	return step("handshake", nil, nil, func(ctx context.Context, s *Session, o stepOpts) error {
		return s.Conn.Handshake(ctx)
	})
}

// RunMechanism runs only the security handshake, after greeting steps.
func RunMechanism() Step {
	return step("security handshake", nil, nil, func(ctx context.Context, s *Session, o stepOpts) error {
		return s.Conn.RunMechanism(ctx)
	})
}

// Sleep pauses.
func Sleep(d time.Duration) Step {
	return step(fmt.Sprintf("sleep %s", d), nil, nil, func(ctx context.Context, s *Session, o stepOpts) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
			return nil
		}
	})
}

// Check runs fn as a step (a condition on what earlier steps saw).
func Check(desc string, fn func(s *Session) error) Step {
	return stepFunc{desc: desc, fn: func(_ context.Context, s *Session) error { return fn(s) }}
}

// Do runs fn as a step that may use the connection.
func Do(desc string, fn func(ctx context.Context, s *Session) error) Step {
	return stepFunc{desc: desc, fn: fn}
}

// --- expecting -----------------------------------------------------------------------

// closed handles a close seen by an Expect step: accepted with OrClose, else a failure.
func (s *Session) closed(o stepOpts, what string, err error) error {
	if o.orClose && IsClosed(err) {
		s.Closed, s.CloseErr, s.stop = true, err, "peer closed the connection"
		return nil
	}
	return fmt.Errorf("expected %s %s, got %s", what, within(o), got(err))
}

// ExpectGreeting reads the peer's greeting (64 octets; with AllowLegacy a ZMTP 1.0/2.0
// greeting is accepted too and the Session's PeerGreeting stays nil).
func ExpectGreeting(opts ...Opt) Step {
	return step("expect greeting", opts, []string{"Within", "AllowLegacy", "OrClose"},
		func(ctx context.Context, s *Session, o stepOpts) error {
			if s.legacySent {
				return s.expectDowngrade(ctx, o)
			}
			_, err := s.ReadGreeting(ctx, time.Now().Add(o.within))
			var le *LegacyPeerError
			if errors.As(err, &le) {
				if o.allowLegacy {
					return nil
				}
				return fmt.Errorf("expected a ZMTP 3.x greeting, got a %s greeting (% x)", le.Revision, le.Octets)
			}
			if err != nil {
				var de *DecodeError
				if errors.As(err, &de) {
					return fmt.Errorf("expected greeting, got invalid octets: %w", err)
				}
				return s.closed(o, "greeting", err)
			}
			return nil
		})
}

// expectDowngrade reads the answer to our ZMTP 2.0 greeting. A peer that downgrades has
// already sent its signature and major version (11 octets, RFC 37 "Detecting ZMTP 2.0
// Peers"), then sends "the ZMTP 2.0 socket type and identity": one socket-type octet and an
// identity frame (RFC 15).
func (s *Session) expectDowngrade(ctx context.Context, o stepOpts) error {
	dl := time.Now().Add(o.within)
	p, err := s.ReadGreetingPrefix(ctx, 12, dl)
	if err != nil {
		return s.closed(o, "a downgraded ZMTP 2.0 greeting", err)
	}
	if !o.allowLegacy {
		return fmt.Errorf("we sent a ZMTP 2.0 greeting; ExpectGreeting needs AllowLegacy to read the answer")
	}
	if rev, err := DetectRevision(p[:11]); err != nil || p[0] != 0xFF {
		return fmt.Errorf("answer to a ZMTP 2.0 greeting is not a signature: % x (%v, %v)", p[:11], rev, err)
	}
	s.consume(12)
	id, err := s.ReadFrame(ctx, dl)
	if err != nil {
		return s.closed(o, "the ZMTP 2.0 identity frame", err)
	}
	s.Legacy = &LegacyGreeting{Version: p[10], SocketType: V2SocketTypeName(p[11]), Identity: id.Body}
	return nil
}

// LegacyGreeting is a peer's downgraded answer to our ZMTP 2.0 greeting.
type LegacyGreeting struct {
	Version    byte   // the version octet it had already sent (3 from a 3.x peer)
	SocketType string // RFC 15 socket type
	Identity   []byte
}

// ExpectGreetingPrefix waits until the peer has sent at least n greeting octets (without
// consuming them): "the peer SHALL send ... a partial greeting sufficient to trigger
// version detection" (11 octets).
func ExpectGreetingPrefix(n int, opts ...Opt) Step {
	return step(fmt.Sprintf("expect the first %d greeting octets", n), opts, []string{"Within", "OrClose"},
		func(ctx context.Context, s *Session, o stepOpts) error {
			_, err := s.ReadGreetingPrefix(ctx, n, time.Now().Add(o.within))
			if err != nil {
				return s.closed(o, fmt.Sprintf("%d greeting octets", n), err)
			}
			return nil
		})
}

// next reads the next command or message, skipping ignored commands, until the deadline.
func (s *Session) next(ctx context.Context, o stepOpts) (Incoming, error) {
	dl := time.Now().Add(o.within)
	for {
		in, err := s.Next(ctx, dl)
		if err != nil {
			return in, err
		}
		if in.Command != nil && contains(o.ignore, in.Command.Name) {
			continue
		}
		return in, nil
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ExpectCommand expects a command named name next (options: Within, Data, WithProps,
// Ignore, OrClose).
func ExpectCommand(name string, opts ...Opt) Step {
	return step("expect "+name, opts, []string{"Within", "Data", "WithProps", "Ignore", "OrClose"},
		func(ctx context.Context, s *Session, o stepOpts) error {
			what := name + " command"
			in, err := s.next(ctx, o)
			if err != nil {
				var de *DecodeError
				if errors.As(err, &de) {
					return fmt.Errorf("expected %s, got undecodable input: %w", what, err)
				}
				return s.closed(o, what, err)
			}
			if in.Command == nil || in.Command.Name != name {
				return fmt.Errorf("expected %s %s, got %s", what, within(o), in)
			}
			s.Last = in
			if o.hasData && !bytes.Equal(in.Command.Data, o.data) {
				return fmt.Errorf("%s data is %s, expected %s", name, preview(in.Command.Data, 32), preview(o.data, 32))
			}
			if o.props != nil {
				md, err := ParseMetadata(in.Command.Data)
				if err != nil {
					return fmt.Errorf("%s metadata: %w", name, err)
				}
				for _, p := range o.props {
					v, ok := md.Get(p.Name)
					if !ok {
						return fmt.Errorf("%s has no %s property (has %s)", name, p.Name, md)
					}
					if !bytes.Equal(v, p.Value) {
						return fmt.Errorf("%s %s=%s, expected %s", name, p.Name, valuePreview(v), valuePreview(p.Value))
					}
				}
			}
			return nil
		})
}

// ExpectError expects an ERROR command.
func ExpectError(opts ...Opt) Step { return ExpectCommand(CmdError, opts...) }

// ExpectPong expects a PONG echoing pingContext exactly (RFC 37: "a PONG command that
// echoes the ping-context").
func ExpectPong(pingContext []byte, opts ...Opt) Step {
	return ExpectCommand(CmdPong, append([]Opt{Data(pingContext)}, opts...)...)
}

// ExpectMessage expects a whole message next (options: Within, Frames, Ignore, OrClose).
func ExpectMessage(opts ...Opt) Step {
	return step("expect MESSAGE", opts, []string{"Within", "Frames", "Ignore", "OrClose"},
		func(ctx context.Context, s *Session, o stepOpts) error {
			in, err := s.next(ctx, o)
			if err != nil {
				var de *DecodeError
				if errors.As(err, &de) {
					return fmt.Errorf("expected message, got undecodable input: %w", err)
				}
				return s.closed(o, "message", err)
			}
			if in.Command != nil {
				return fmt.Errorf("expected message %s, got %s", within(o), in)
			}
			s.Last = in
			if o.hasFrames {
				want := Incoming{Message: o.frames}
				if len(in.Message) != len(o.frames) {
					return fmt.Errorf("got %s, expected %s", in, want)
				}
				for i := range o.frames {
					if !bytes.Equal(in.Message[i], o.frames[i]) {
						return fmt.Errorf("got %s, expected %s", in, want)
					}
				}
			}
			return nil
		})
}

// ExpectNothing expects no octet, and no close, for the whole duration (options: Within,
// Ignore for commands that may come, such as PING).
func ExpectNothing(opts ...Opt) Step {
	return step("expect nothing", opts, []string{"Within", "Ignore"},
		func(ctx context.Context, s *Session, o stepOpts) error {
			dl := time.Now().Add(o.within)
			for {
				in, err := s.Next(ctx, dl)
				if isTimeout(err) {
					if p := s.pending(); len(p) > 0 {
						return fmt.Errorf("expected nothing %s, got %d octets of an unfinished frame %s", within(o), len(p), preview(p, 16))
					}
					return nil
				}
				if err != nil {
					return fmt.Errorf("expected nothing %s, got %s", within(o), got(err))
				}
				if in.Command != nil && contains(o.ignore, in.Command.Name) {
					continue
				}
				return fmt.Errorf("expected nothing %s, got %s", within(o), in)
			}
		})
}

// ExpectClose expects the peer to close or reset the connection within the limit. An ERROR
// command before the close is accepted (the RFCs' "ERROR command, and then disconnecting");
// Allow accepts further commands; anything else fails the step with what it was.
func ExpectClose(opts ...Opt) Step {
	return step("expect close", opts, []string{"Within", "Allow"},
		func(ctx context.Context, s *Session, o stepOpts) error {
			dl := time.Now().Add(o.within)
			for {
				in, err := s.Next(ctx, dl)
				if err != nil {
					if IsClosed(err) {
						s.Closed, s.CloseErr = true, err
						return nil
					}
					var de *DecodeError
					if errors.As(err, &de) {
						// Garbage before the close still is not a close; keep reading raw.
						return fmt.Errorf("expected close %s, got undecodable input: %w", within(o), err)
					}
					if len(s.pending()) > 0 && IsClosed(s.rerr) {
						s.Closed, s.CloseErr = true, s.rerr
						return nil
					}
					if isTimeout(err) {
						return fmt.Errorf("expected close %s, got nothing (connection still open)", within(o))
					}
					if errors.Is(err, s.rerr) && s.rerr != nil {
						s.Closed, s.CloseErr = true, err
						return nil
					}
					return fmt.Errorf("expected close %s, got %s", within(o), got(err))
				}
				if in.Command != nil && (in.Command.Name == CmdError || contains(o.allow, in.Command.Name)) {
					s.Last = in
					continue
				}
				return fmt.Errorf("expected close %s, got %s", within(o), in)
			}
		})
}
