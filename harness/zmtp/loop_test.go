package zmtp

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Our client against our server: the mechanisms agree with each other over tcp and ipc.
func TestLoopbackMechanisms(t *testing.T) {
	serverKeys, _ := GenerateKeyPair()
	clientKeys, _ := GenerateKeyPair()
	cases := []struct {
		name           string
		server, client Mechanism
	}{
		{"NULL", Null(), Null()},
		{"PLAIN", PlainServer(map[string]string{"admin": "secret"}), PlainClient("admin", "secret")},
		{"CURVE", CurveServer(serverKeys, AllowKeys(clientKeys.Public)), CurveClient(clientKeys, serverKeys.Public)},
	}
	for _, tc := range cases {
		for _, ep := range []string{"tcp://127.0.0.1:0", "ipc://" + filepath.Join(t.TempDir(), tc.name+".sock")} {
			t.Run(tc.name+"/"+ep[:3], func(t *testing.T) {
				ctx := testCtx(t, 10*time.Second)
				l, err := Listen(ep, Config{Mechanism: tc.server, SocketType: "PULL", CheckSocketType: true})
				if err != nil {
					t.Fatal(err)
				}
				defer l.Close()
				done := serveOne(ctx, l, func(c *Conn) error {
					m, err := c.Recv(ctx)
					if err != nil {
						return err
					}
					if len(m) != 2 || string(m[0]) != "" || string(m[1]) != "hello" {
						return fmt.Errorf("server got %q", m)
					}
					if c.PeerMetadata().SocketType() != "PUSH" {
						return fmt.Errorf("client Socket-Type %q", c.PeerMetadata().SocketType())
					}
					return c.Send(ctx, []byte("back"))
				})
				c, err := Dial(ctx, l.Endpoint(), Config{Mechanism: tc.client, SocketType: "PUSH", CheckSocketType: true})
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if err := c.Send(ctx, []byte(""), []byte("hello")); err != nil {
					t.Fatal(err)
				}
				m, err := c.Recv(ctx)
				if err != nil || len(m) != 1 || string(m[0]) != "back" {
					t.Fatalf("client got %q, %v", m, err)
				}
				if err := <-done; err != nil {
					t.Fatal(err)
				}
				tr := c.Transcript()
				if probs := tr.Problems(); len(probs) != 0 {
					t.Fatalf("our own traffic has problems: %v\n%s", probs, tr)
				}
				if tc.name == "CURVE" {
					for _, d := range []Direction{Out, In} {
						l := tr.Dir(d)
						if l.EncryptedMessages == 0 || l.ClearTextAfterHandshake != 0 {
							t.Fatalf("%s: %d boxes, %d clear frames\n%s", d, l.EncryptedMessages, l.ClearTextAfterHandshake, tr)
						}
					}
				}
			})
		}
	}
}

func TestLoopbackRefusals(t *testing.T) {
	serverKeys, _ := GenerateKeyPair()
	clientKeys, _ := GenerateKeyPair()
	otherKeys, _ := GenerateKeyPair()
	cases := []struct {
		name           string
		server, client Mechanism
		clientErr      string // what the client's Dial says
		serverErr      string
	}{
		{"PLAIN wrong password", PlainServer(map[string]string{"admin": "secret"}), PlainClient("admin", "nope"), `peer sent ERROR "400"`, "authentication refused"},
		{"CURVE unknown client key", CurveServer(serverKeys, AllowKeys(otherKeys.Public)), CurveClient(clientKeys, serverKeys.Public), `peer sent ERROR "400"`, "is not allowed"},
		{"CURVE wrong server key", CurveServer(serverKeys, nil), CurveClient(clientKeys, otherKeys.Public), "", "signature box does not open"},
		{"mechanism mismatch", Null(), PlainClient("a", "b"), "mechanism mismatch", "mechanism mismatch"},
		{"both PLAIN servers", PlainServer(nil), PlainServer(nil), "needs one client and one server", "needs one client and one server"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t, 10*time.Second)
			l, err := Listen("tcp://127.0.0.1:0", Config{Mechanism: tc.server})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			done := serveOne(ctx, l, func(c *Conn) error { return errors.New("handshake succeeded") })
			c, err := Dial(ctx, l.Endpoint(), Config{Mechanism: tc.client})
			if err == nil {
				t.Fatal("client handshake succeeded")
			}
			if tc.clientErr != "" && !strings.Contains(err.Error(), tc.clientErr) {
				t.Fatalf("client: %v", err)
			}
			if serr := <-done; serr == nil || !strings.Contains(serr.Error(), tc.serverErr) {
				t.Fatalf("server: %v", serr)
			}
			c.Close()
		})
	}
}

// PING is answered with a PONG echoing the context, also inside CURVE boxes.
func TestLoopbackPing(t *testing.T) {
	serverKeys, _ := GenerateKeyPair()
	clientKeys, _ := GenerateKeyPair()
	for _, m := range []struct {
		name string
		s, c Mechanism
	}{{"NULL", Null(), Null()}, {"CURVE", CurveServer(serverKeys, nil), CurveClient(clientKeys, serverKeys.Public)}} {
		t.Run(m.name, func(t *testing.T) {
			ctx := testCtx(t, 10*time.Second)
			l, _ := Listen("tcp://127.0.0.1:0", Config{Mechanism: m.s})
			defer l.Close()
			done := serveOne(ctx, l, func(c *Conn) error { _, err := c.Recv(ctx); return err })
			c, err := Dial(ctx, l.Endpoint(), Config{Mechanism: m.c})
			if err != nil {
				t.Fatal(err)
			}
			res := Script{
				SendPing(3*time.Second, []byte("LOL")),
				ExpectPong([]byte("LOL"), Within(2*time.Second)),
				SendMessage("bye"),
			}.Run(ctx, c)
			if !res.OK() {
				t.Fatal(res)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// CURVE nonce rules (CRV.5): a reused short nonce is refused by our server.
func TestCurveNonceReuseRefused(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	serverKeys, _ := GenerateKeyPair()
	clientKeys, _ := GenerateKeyPair()
	l, _ := Listen("tcp://127.0.0.1:0", Config{Mechanism: CurveServer(serverKeys, nil)})
	defer l.Close()
	done := serveOne(ctx, l, func(c *Conn) error {
		if _, err := c.Recv(ctx); err != nil {
			return err
		}
		_, err := c.Recv(ctx)
		return err
	})
	c, err := Dial(ctx, l.Endpoint(), Config{Mechanism: CurveClient(clientKeys, serverKeys.Public)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	first := c.Curve().NextNonce()
	if err := c.Send(ctx, []byte("one")); err != nil {
		t.Fatal(err)
	}
	again := AppendFrame(nil, FlagCommand, c.Curve().SealWithNonce(first, 0, []byte("two")))
	if err := c.WriteRaw(ctx, again, 0); err != nil {
		t.Fatal(err)
	}
	serr := <-done
	if serr == nil || !strings.Contains(serr.Error(), "reused or decreasing") {
		t.Fatalf("server accepted a reused nonce: %v", serr)
	}
}

// The client side validates WELCOME: a box from another server key does not open.
func TestCurveStateMachines(t *testing.T) {
	s, _ := GenerateKeyPair()
	c, _ := GenerateKeyPair()
	cl, _ := NewCurveClientHandshake(c, s.Public)
	sv, _ := NewCurveServerHandshake(s, nil)
	hello := cl.Hello()
	if len(hello) != 200 {
		t.Fatalf("HELLO is %d octets", len(hello))
	}
	cmd, _ := ParseCommand(hello)
	if err := sv.ReadHello(cmd.Data); err != nil {
		t.Fatal(err)
	}
	// Version 2.0 and non-zero padding are refused (CRV.3).
	for _, off := range []int{HelloVersionOffset, HelloPaddingOffset + 5} {
		bad := append([]byte(nil), hello...)
		bad[off] ^= 2
		bc, _ := ParseCommand(bad)
		if err := sv.ReadHello(bc.Data); err == nil {
			t.Errorf("HELLO damaged at %d accepted", off)
		}
	}
	if err := sv.ReadHello(cmd.Data[:len(cmd.Data)-1]); err == nil || !strings.Contains(err.Error(), "199 octets") {
		t.Errorf("199-octet HELLO: %v", err)
	}
	w, _ := sv.Welcome()
	if len(w) != 168 {
		t.Fatalf("WELCOME is %d octets", len(w))
	}
	wc, _ := ParseCommand(w)
	if err := cl.ReadWelcome(wc.Data); err != nil {
		t.Fatal(err)
	}
	ini, _ := cl.Initiate(Props("Socket-Type", "DEALER"))
	if len(ini) < 257 {
		t.Fatalf("INITIATE is %d octets", len(ini))
	}
	// A damaged cookie is refused (CRV.4).
	bad := append([]byte(nil), ini...)
	bad[InitiateCookieOffset+20] ^= 1
	bc, _ := ParseCommand(bad)
	if _, _, err := sv.ReadInitiate(bc.Data); err == nil || !strings.Contains(err.Error(), "cookie") {
		t.Fatalf("damaged cookie: %v", err)
	}
	ic, _ := ParseCommand(ini)
	key, md, err := sv.ReadInitiate(ic.Data)
	if err != nil || key != c.Public || md.SocketType() != "DEALER" {
		t.Fatalf("INITIATE: %v %v %v", key, md, err)
	}
	r := sv.Ready(Props("Socket-Type", "ROUTER"))
	rc, _ := ParseCommand(r)
	smd, err := cl.ReadReady(rc.Data)
	if err != nil || smd.SocketType() != "ROUTER" {
		t.Fatal(smd, err)
	}
	cs, ss := cl.Session(), sv.Session()
	m := cs.Seal(PayloadMore, []byte("hi"))
	mc, _ := ParseCommand(m)
	flags, payload, err := ss.Open(mc.Data)
	if err != nil || flags != PayloadMore || string(payload) != "hi" {
		t.Fatal(flags, payload, err)
	}
	if _, _, err := ss.Open(mc.Data); err == nil {
		t.Fatal("replayed MESSAGE accepted")
	}
	// A server message cannot be opened as if the client sent it (nonce prefixes differ).
	sm := ss.Seal(0, []byte("x"))
	smc, _ := ParseCommand(sm)
	if _, _, err := ss.Open(smc.Data); err == nil {
		t.Fatal("server opened its own message")
	}
	// Another server's WELCOME does not open.
	other, _ := GenerateKeyPair()
	cl2, _ := NewCurveClientHandshake(c, other.Public)
	h2, _ := ParseCommand(cl2.Hello())
	sv2, _ := NewCurveServerHandshake(s, nil)
	if err := sv2.ReadHello(h2.Data); err == nil {
		t.Fatal("HELLO for another server key accepted")
	}
}
