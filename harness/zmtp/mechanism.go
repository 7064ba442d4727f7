package zmtp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"
)

// Mechanism is a security mechanism with a role: Null, PlainClient, PlainServer,
// CurveClient, CurveServer.
type Mechanism interface {
	Name() string   // as in the greeting: "NULL", "PLAIN", "CURVE"
	AsServer() bool // the greeting's as-server field
	run(ctx context.Context, c *Conn, dl time.Time) error
}

// Handshake sends our whole greeting, reads the peer's, checks the mechanism and roles,
// and runs the mechanism's handshake, bounded by ctx and Config's handshake defaults. On a
// protocol failure the connection is closed, as the RFCs require of the refusing side.
func (c *Conn) Handshake(ctx context.Context) error {
	g := NewGreeting(c.cfg.Version, c.cfg.Mechanism.Name(), c.cfg.Mechanism.AsServer())
	if err := c.SendGreeting(ctx, g); err != nil {
		return err
	}
	if _, err := c.ReadGreeting(ctx, time.Time{}); err != nil {
		c.Close()
		return fmt.Errorf("zmtp handshake: %w", err)
	}
	return c.RunMechanism(ctx)
}

// SendGreeting writes a greeting (any fields) and remembers it as ours.
func (c *Conn) SendGreeting(ctx context.Context, g Greeting) error {
	c.sentGreeting = &g
	return c.WriteRaw(ctx, g.Bytes(), 0)
}

// RunMechanism runs the security handshake of the configured mechanism after the
// greetings: "If the mechanism that the peer received does not exactly match the mechanism
// it sent, it MUST close the connection" (RFC 23/37 §Authentication and Confidentiality);
// for PLAIN and CURVE the as-server fields must name one client and one server.
func (c *Conn) RunMechanism(ctx context.Context) error {
	if c.peerGreeting == nil {
		return errors.New("zmtp: RunMechanism before the peer's greeting was read")
	}
	m := c.cfg.Mechanism
	var want [20]byte
	copy(want[:], m.Name())
	if !bytes.Equal(c.peerGreeting.Mechanism[:], want[:]) {
		c.Close()
		return fmt.Errorf("zmtp handshake: mechanism mismatch: we sent %q, peer sent %q", m.Name(), printableMech(c.peerGreeting.Mechanism[:]))
	}
	if m.Name() != "NULL" && (c.peerGreeting.AsServer == 1) == m.AsServer() && (m.AsServer() || c.cfg.StrictAsServer) {
		c.Close()
		return fmt.Errorf("zmtp handshake: %s needs one client and one server; both sides sent as-server=%d", m.Name(), c.peerGreeting.AsServer)
	}
	if err := m.run(ctx, c, time.Time{}); err != nil {
		c.Close()
		return fmt.Errorf("zmtp %s handshake: %w", m.Name(), err)
	}
	c.handshook = true
	if c.cfg.CheckSocketType {
		theirs := c.peerMeta.SocketType()
		if !Compatible(c.cfg.SocketType, theirs) {
			_ = c.SendCommand(ctx, CmdError, ErrorData("Invalid socket type"))
			c.Close()
			return fmt.Errorf("zmtp handshake: peer Socket-Type %q cannot talk to %s", theirs, c.cfg.SocketType)
		}
	}
	return nil
}

// expectCommand reads the next command during a handshake: an ERROR is a *PeerError, any
// other name than want a protocol error.
func (c *Conn) expectCommand(ctx context.Context, dl time.Time, want string) (Command, error) {
	cmd, err := c.ReadCommand(ctx, dl)
	if err != nil {
		return Command{}, err
	}
	if cmd.Name == CmdError && want != CmdError {
		reason, _ := ParseError(cmd.Data)
		return Command{}, &PeerError{Reason: reason}
	}
	if cmd.Name != want {
		return Command{}, fmt.Errorf("expected %s, got %s", want, cmd)
	}
	return cmd, nil
}

// Null is the NULL mechanism (RFC 23/37 §The NULL Security Mechanism). It sends READY
// before reading the peer's, which is what RFC 23 requires of both peers ("each peer MUST
// send its READY command before attempting to receive") and what RFC 37 requires of a
// client; an RFC 37 server that waits for it is served just as well.
func Null() Mechanism { return nullMech{} }

type nullMech struct{}

func (nullMech) Name() string   { return "NULL" }
func (nullMech) AsServer() bool { return false }
func (nullMech) run(ctx context.Context, c *Conn, dl time.Time) error {
	if err := c.SendCommand(ctx, CmdReady, c.cfg.metadata().Bytes()); err != nil {
		return err
	}
	cmd, err := c.expectCommand(ctx, dl, CmdReady)
	if err != nil {
		return err
	}
	md, err := ParseMetadata(cmd.Data)
	if err != nil {
		return fmt.Errorf("READY metadata: %w", err)
	}
	c.peerMeta = md
	return nil
}

// PlainClient is the PLAIN client (RFC 24): HELLO, WELCOME, INITIATE, READY.
func PlainClient(username, password string) Mechanism {
	return plainClient{user: username, pass: password}
}

type plainClient struct{ user, pass string }

func (plainClient) Name() string   { return "PLAIN" }
func (plainClient) AsServer() bool { return false }
func (p plainClient) run(ctx context.Context, c *Conn, dl time.Time) error {
	if err := c.SendCommand(ctx, CmdHello, PlainHelloData(p.user, p.pass)); err != nil {
		return err
	}
	w, err := c.expectCommand(ctx, dl, CmdWelcome)
	if err != nil {
		return err
	}
	if len(w.Data) != 0 {
		return fmt.Errorf("WELCOME with %d octets of data", len(w.Data))
	}
	if err := c.SendCommand(ctx, CmdInitiate, c.cfg.metadata().Bytes()); err != nil {
		return err
	}
	r, err := c.expectCommand(ctx, dl, CmdReady)
	if err != nil {
		return err
	}
	md, err := ParseMetadata(r.Data)
	if err != nil {
		return fmt.Errorf("READY metadata: %w", err)
	}
	c.peerMeta = md
	return nil
}

// PlainServer is the PLAIN server, checking HELLO against users (name → password). A
// wrong user or password is answered with ERROR "400" and a close: RFC 24 says only that
// the server "closes the connection"; libzmq sends ERROR with the ZAP status code first, and
// so do we so that clients see a hard error (RFC 23 §Error Handling).
func PlainServer(users map[string]string) Mechanism { return plainServer{users: users} }

type plainServer struct{ users map[string]string }

func (plainServer) Name() string   { return "PLAIN" }
func (plainServer) AsServer() bool { return true }
func (p plainServer) run(ctx context.Context, c *Conn, dl time.Time) error {
	h, err := c.expectCommand(ctx, dl, CmdHello)
	if err != nil {
		return err
	}
	user, pass, err := ParsePlainHello(h.Data)
	if err != nil {
		return err
	}
	if want, ok := p.users[user]; !ok || want != pass {
		_ = c.SendCommand(ctx, CmdError, ErrorData("400"))
		return &AuthError{Reason: fmt.Sprintf("PLAIN user %q with a wrong password or unknown", user)}
	}
	if err := c.SendCommand(ctx, CmdWelcome, nil); err != nil {
		return err
	}
	in, err := c.expectCommand(ctx, dl, CmdInitiate)
	if err != nil {
		return err
	}
	md, err := ParseMetadata(in.Data)
	if err != nil {
		return fmt.Errorf("INITIATE metadata: %w", err)
	}
	c.peerMeta = md
	return c.SendCommand(ctx, CmdReady, c.cfg.metadata().Bytes())
}

// CurveClient is the CURVE client (RFC 25/26) with permanent key pair C, connecting to the
// server whose permanent public key is serverKey.
func CurveClient(permanent KeyPair, serverKey Key) Mechanism {
	return curveClient{perm: permanent, server: serverKey}
}

type curveClient struct {
	perm   KeyPair
	server Key
}

func (curveClient) Name() string   { return "CURVE" }
func (curveClient) AsServer() bool { return false }
func (m curveClient) run(ctx context.Context, c *Conn, dl time.Time) error {
	hs, err := NewCurveClientHandshake(m.perm, m.server)
	if err != nil {
		return err
	}
	if err := c.SendFrame(ctx, FlagCommand, hs.Hello()); err != nil {
		return err
	}
	w, err := c.expectCommand(ctx, dl, CmdWelcome)
	if err != nil {
		return err
	}
	if err := hs.ReadWelcome(w.Data); err != nil {
		return err
	}
	ini, err := hs.Initiate(c.cfg.metadata())
	if err != nil {
		return err
	}
	if err := c.SendFrame(ctx, FlagCommand, ini); err != nil {
		return err
	}
	r, err := c.expectCommand(ctx, dl, CmdReady)
	if err != nil {
		return err
	}
	md, err := hs.ReadReady(r.Data)
	if err != nil {
		return err
	}
	c.peerMeta = md
	c.curve = hs.Session()
	return nil
}

// CurveServer is the CURVE server with permanent key pair S; authorize decides on client
// keys (nil accepts any; see AllowKeys).
func CurveServer(permanent KeyPair, authorize func(Key) error) Mechanism {
	return curveServer{perm: permanent, authorize: authorize}
}

// AllowKeys accepts exactly the given client keys.
func AllowKeys(keys ...Key) func(Key) error {
	return func(k Key) error {
		for _, a := range keys {
			if a == k {
				return nil
			}
		}
		return fmt.Errorf("client key %s is not allowed", k.Z85())
	}
}

type curveServer struct {
	perm      KeyPair
	authorize func(Key) error
}

func (curveServer) Name() string   { return "CURVE" }
func (curveServer) AsServer() bool { return true }
func (m curveServer) run(ctx context.Context, c *Conn, dl time.Time) error {
	hs, err := NewCurveServerHandshake(m.perm, m.authorize)
	if err != nil {
		return err
	}
	h, err := c.expectCommand(ctx, dl, CmdHello)
	if err != nil {
		return err
	}
	if err := hs.ReadHello(h.Data); err != nil {
		return err // malformed HELLO: disconnect without ERROR
	}
	w, err := hs.Welcome()
	if err != nil {
		return err
	}
	if err := c.SendFrame(ctx, FlagCommand, w); err != nil {
		return err
	}
	in, err := c.expectCommand(ctx, dl, CmdInitiate)
	if err != nil {
		return err
	}
	_, md, err := hs.ReadInitiate(in.Data)
	var ae *AuthError
	if errors.As(err, &ae) {
		_ = c.SendCommand(ctx, CmdError, ErrorData("400"))
		return err
	}
	if err != nil {
		return err
	}
	c.peerMeta = md
	if err := c.SendFrame(ctx, FlagCommand, hs.Ready(c.cfg.metadata())); err != nil {
		return err
	}
	c.curve = hs.Session()
	return nil
}
