package conformance_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	"github.com/zmqsuite/zmqsuite/harness/zmtp"
	. "github.com/zmqsuite/zmqsuite/scenarios"
	c "github.com/zmqsuite/zmqsuite/suites/conformance"
)

// Security (docs/cases.md part N). In every cell the bind side is the server and the connect
// side the client; the matrix's ordered pairings give both directions. The server's peer runs
// the suite's own ZAP handler (docs/peer-protocol.md "Security"), allowing exactly the
// credentials the case names, so "connected" means "authenticated by the suite", never "the
// binding let everyone in".

// PLN.1 (RFC 24: "The server SHALL … authenticate the client … If the credentials are valid,
// the server SHALL reply with a WELCOME"; libzmq test_security_plain plain_success): a client
// with the right user name and password connects to a PLAIN server, messages go both ways,
// and the server's ZAP handler was asked about that user and allowed it.
var _ = c.Case("PLN.1", Must, "security", "PLAIN with the right credentials connects, and messages go both ways",
	func(ctx SpecContext, cell *h.Cell) {
		secured(cell)
		z := startZAP(ctx, cell, h.BindSide, plainSpec())
		server := cell.Bind(ctx, h.PAIR, plainServerOpts()...)
		client := cell.Connect(ctx, h.PAIR, server, plainClientOpts(plainUser, plainPass)...)
		exchange(ctx, server, client)
		if z != nil {
			log := z.Log(ctx)
			Expect(statuses(log)).To(ContainElement("PLAIN "+plainUser+" 200"), "the server's ZAP handler was not asked, or did not allow %q", plainUser)
		}
	})

// PLN.2 (RFC 24: "Otherwise, it [the server] closes the connection" (or sends ERROR); RFC 27
// status 400; libzmq plain_wrong_credentials_fails): a client with a wrong password, and one
// with an unknown user, are refused: no message is ever delivered either way, and the
// handler was asked and said 400 each time. Then a client with the right credentials gets
// through, which shows that the server was alive and refused by credentials alone.
var _ = c.Case("PLN.2", Must, "security", "PLAIN with wrong credentials is refused: nothing is ever delivered either way",
	func(ctx SpecContext, cell *h.Cell) {
		secured(cell)
		z := startZAP(ctx, cell, h.BindSide, plainSpec())
		server := cell.Bind(ctx, h.PAIR, plainServerOpts()...)
		wrongPass := connectRefused(ctx, cell, h.PAIR, server, plainClientOpts(plainUser, "wrong-password")...)
		unknown := connectRefused(ctx, cell, h.PAIR, server, plainClientOpts("mallory", plainPass)...)
		nothingEitherWay(ctx, "clients with a wrong password and an unknown user are refused", server, wrongPass, unknown)
		refusedByZAP(ctx, z, "a wrong password or an unknown user")
		for _, bad := range []*h.Sock{wrongPass, unknown} {
			Expect(bad.Close(ctx, 0)).To(Succeed())
		}
		good := cell.Connect(ctx, h.PAIR, server, plainClientOpts(plainUser, plainPass)...)
		exchange(ctx, server, good)
	})

// PLN.3 (RFC 24: "The PLAIN mechanism defines … a client and a server"; RFC 23: as-server
// names the roles; libzmq plain_client_as_server_fails): two PLAIN servers never complete a
// handshake, so nothing is delivered either way, and no ZAP request is allowed.
var _ = c.Case("PLN.3", Must, "security", "Two PLAIN servers never connect",
	func(ctx SpecContext, cell *h.Cell) {
		secured(cell)
		z := startZAP(ctx, cell, h.BindSide, plainSpec())
		server := cell.Bind(ctx, h.PAIR, plainServerOpts()...)
		// The server flag last: libzmq's ZMQ_PLAIN_USERNAME makes a socket a client again.
		other := connectRefused(ctx, cell, h.PAIR, server, append(plainClientOpts(plainUser, plainPass), plainServerOpts()...)...)
		nothingEitherWay(ctx, "a PLAIN server connecting to a PLAIN server never completes the handshake", server, other)
		if z != nil {
			Expect(statuses(z.Log(ctx))).NotTo(ContainElement(HaveSuffix(" 200")), "the handler allowed a connection between two servers")
		}
	})

// curvePattern is one row of CRV.1: the server's socket type binds, the client's connects,
// and a multipart exchange in the pattern's direction(s) must arrive unchanged.
type curvePattern struct {
	name           string
	server, client string
	run            func(ctx SpecContext, server, client *h.Sock)
}

var multipart = []string{"part one", "", "part three, after an empty frame", strings.Repeat("x", 300)}

var curvePatterns = []curvePattern{
	{"REQ/REP", h.REP, h.REQ, func(ctx SpecContext, rep, req *h.Sock) {
		req.Send(ctx, multipart...)
		Expect(rep.RecvStrings(ctx)).To(Equal(multipart), "request")
		rep.Send(ctx, "reply", "two")
		Expect(req.RecvStrings(ctx)).To(Equal([]string{"reply", "two"}), "reply")
	}},
	{"DEALER/ROUTER", h.ROUTER, h.DEALER, func(ctx SpecContext, router, dealer *h.Sock) {
		dealer.Send(ctx, multipart...)
		m := router.Recv(ctx)
		Expect(len(m)).To(BeNumerically(">", 1), "ROUTER got no envelope")
		Expect(h.Strings(m[1:])).To(Equal(multipart), "DEALER → ROUTER")
		router.SendMsg(ctx, append([][]byte{m[0]}, h.Msg("back", "again")...))
		Expect(dealer.RecvStrings(ctx)).To(Equal([]string{"back", "again"}), "ROUTER → DEALER")
	}},
	{"PUB/SUB", h.PUB, h.SUB, func(ctx SpecContext, pub, sub *h.Sock) {
		sub.Subscribe(ctx, "t")
		h.AwaitSubscribed(ctx, pub, "t", sub)
		pub.Send(ctx, append([]string{"t"}, multipart...)...)
		Expect(sub.RecvStrings(ctx)).To(Equal(append([]string{"t"}, multipart...)), "PUB → SUB")
	}},
	{"PUSH/PULL", h.PULL, h.PUSH, func(ctx SpecContext, pull, push *h.Sock) {
		push.Send(ctx, multipart...)
		Expect(pull.RecvStrings(ctx)).To(Equal(multipart), "PUSH → PULL")
	}},
	{"PAIR", h.PAIR, h.PAIR, func(ctx SpecContext, a, b *h.Sock) {
		b.Send(ctx, multipart...)
		Expect(a.RecvStrings(ctx)).To(Equal(multipart), "client → server")
		a.Send(ctx, multipart...)
		Expect(b.RecvStrings(ctx)).To(Equal(multipart), "server → client")
	}},
}

// CRV.1 (RFC 25/26: CURVE with the server's long-term key known to the client; libzmq
// curve_security_with_valid_credentials): every pattern works under CURVE between the two
// implementations, with multipart messages (empty and long frames) unchanged, and the server's
// handler was asked about the client's key and allowed it.
var _ = c.Case("CRV.1", Must, "security", "CURVE with valid keys: every pattern carries multipart messages unchanged",
	func(ctx SpecContext, cell *h.Cell) {
		cc := newCurveCell(ctx, cell)
		var rows h.Rows
		for _, p := range curvePatterns {
			rows.Run(p.name, func() error {
				server := cell.Bind(ctx, p.server, cc.serverOpts()...)
				client := cell.Connect(ctx, p.client, server, cc.clientOpts()...)
				p.run(ctx, server, client)
				return nil
			})
		}
		Expect(rows.Err()).NotTo(HaveOccurred())
		if cc.zap != nil {
			Expect(statuses(cc.zap.Log(ctx))).To(ContainElement("CURVE "+cc.client.public[:8]+"… 200"), "the handler was not asked about the client's key, or refused it")
		}
	}, c.Within(60*time.Second))

// CRV.2 (RFC 26: the server "SHALL … authenticate the client's permanent key"; RFC 27 status
// 400; RFC 23: "If the mechanism that the peer received does not exactly match the mechanism
// it sent, it MUST close the connection"; libzmq with_bogus/null/plain_client_credentials): a
// CURVE client whose key the handler does not know is refused (the handler said 400), and a
// NULL client and a PLAIN client against the CURVE server are refused before any ZAP request
// (a mismatch of mechanisms is not a question of credentials). Nothing is ever delivered.
var _ = c.Case("CRV.2", Must, "security", "CURVE refuses an unknown client key (ZAP 400) and NULL or PLAIN clients (mechanism mismatch, no ZAP call)",
	func(ctx SpecContext, cell *h.Cell) {
		cc := newCurveCell(ctx, cell)
		server := cell.Bind(ctx, h.PAIR, cc.serverOpts()...)
		var rows h.Rows
		rows.Run("NULL and PLAIN clients", func() error {
			null := connectRefused(ctx, cell, h.PAIR, server)
			plain := connectRefused(ctx, cell, h.PAIR, server, plainClientOpts(plainUser, plainPass)...)
			nothingEitherWay(ctx, "a NULL and a PLAIN client of a CURVE server are refused", server, null, plain)
			Expect(null.Close(ctx, 0)).To(Succeed())
			Expect(plain.Close(ctx, 0)).To(Succeed())
			return nil
		})
		if cc.zap != nil {
			Expect(cc.zap.Log(ctx)).To(BeEmpty(), "a mechanism mismatch reached the ZAP handler: the server should close before authenticating")
		}
		rows.Run("unknown client key", func() error {
			stranger := connectRefused(ctx, cell, h.PAIR, server, curveClientOpts(newKeys(), cc.server.public)...)
			nothingEitherWay(ctx, "a CURVE client whose key the handler does not know is refused", server, stranger)
			refusedByZAP(ctx, cc.zap, "an unknown client key")
			Expect(stranger.Close(ctx, 0)).To(Succeed())
			return nil
		})
		Expect(rows.Err()).NotTo(HaveOccurred())
	}, c.Within(30*time.Second))

// CRV.6 (zmq_setsockopt(3): the CURVE keys are "32 bytes binary, or 40 characters Z85"; RFC 32;
// libzmq test_security_curve invalid_keysize): a key of the wrong size, or 40 characters that
// are not Z85, is refused at setsockopt with inval; a valid one is taken. The protocol hands the
// text to the binding unchanged, so the refusal is the binding's.
var _ = c.Case("CRV.6", Option, "security", "CURVE key options refuse a key of the wrong size or not in Z85",
	func(ctx SpecContext, cell *h.Cell) {
		s := cell.Socket(ctx, h.BindSide, h.DEALER)
		good := newKeys()
		for _, name := range []string{"curve_publickey", "curve_secretkey", "curve_serverkey"} {
			s.SetOpt(ctx, name, good.public) // unsupported skips: the binding has no CURVE
		}
		var rows h.Rows
		for _, name := range []string{"curve_publickey", "curve_secretkey", "curve_serverkey"} {
			for _, bad := range []struct{ what, value string }{
				{"39 characters", good.public[:39]},
				{"20 characters", good.public[:20]},
				{"41 characters", good.public + "0"},
				{"40 characters outside Z85", strings.Repeat("~", 40)},
			} {
				rows.Run(name+" "+bad.what, func() error {
					err := s.TrySetOpt(ctx, name, bad.value)
					Expect(err).To(HaveOccurred(), "%s took a key of %s", name, bad.what)
					Expect(peer.Category(err)).To(Equal(peer.ErrInval), "%s with %s", name, bad.what)
					return nil
				})
			}
		}
		Expect(rows.Err()).NotTo(HaveOccurred())
	}, c.PerImplementation(), c.On(h.TCP))

// CRV.7 (RFC 23: after the handshake of a mechanism that encrypts, messages travel as
// encrypted MESSAGE commands; RFC 25/26 MESSAGE box): read on the wire by the suite's tap
// between the two real peers, no frame after READY carries clear text, in either direction,
// while multipart messages go both ways. The tap also counts the boxes (the positive control)
// and how many were sent in data frames rather than command frames (see the note below).
var _ = c.Case("CRV.7", Must, "security", "On the wire, after READY, CURVE sends no clear-text frame",
	func(ctx SpecContext, cell *h.Cell) {
		cc := newCurveCell(ctx, cell)
		server := cell.Bind(ctx, h.PAIR, cc.serverOpts()...)
		tap := tapped(ctx, cell, server)
		client := cell.Socket(ctx, h.ConnectSide, h.PAIR, cc.clientOpts()...)
		client.ConnectEndpoint(ctx, tap.Endpoint())
		for i := 0; i < 3; i++ {
			exchange(ctx, server, client)
		}
		trs := tap.Transcripts()
		Expect(trs).To(HaveLen(1), "connections through the tap")
		out, in := trs[0].Dir(zmtp.Out), trs[0].Dir(zmtp.In)
		for _, d := range []zmtp.DirLog{out, in} {
			Expect(d.HandshakeDone).To(BeTrue(), "%s: the handshake did not finish on the wire:\n%s", d.Label, trs[0])
			Expect(d.ClearTextAfterHandshake).To(BeZero(), "%s: %d clear-text frames after READY:\n%s", d.Label, d.ClearTextAfterHandshake, trs[0])
			Expect(d.EncryptedMessages).To(BeNumerically(">=", 3), "%s: the tap saw no MESSAGE boxes (the messages crossed some other way?)", d.Label)
		}
		// Framing, not confidentiality: RFC 26's MESSAGE is a command, yet libzmq sends its
		// boxes in data frames (COMMAND flag clear) and reads either; every CURVE peer here
		// interoperates with that. Recorded for the report, not judged here (docs/cases.md CRV.7).
		if n := out.BoxesInDataFrames + in.BoxesInDataFrames; n > 0 {
			cell.Observe("boxes-in-data-frames")
			cell.Metric("boxes_in_data_frames", float64(n))
			cell.Metric("encrypted_messages", float64(out.EncryptedMessages+in.EncryptedMessages))
		}
	})

// CRV.9 (new; RFC 26: the client's HELLO is a box to the server's long-term key, which the
// server "SHALL" be able to open; a client with the wrong server key cannot be answered): a
// client that has a wrong server key never completes the handshake, nothing is delivered
// either way, and the handler allows nothing; a client with the right key then gets through.
var _ = c.Case("CRV.9", Must, "security", "A CURVE client with a wrong server key never connects",
	func(ctx SpecContext, cell *h.Cell) {
		cc := newCurveCell(ctx, cell)
		server := cell.Bind(ctx, h.PAIR, cc.serverOpts()...)
		wrong := connectRefused(ctx, cell, h.PAIR, server, curveClientOpts(cc.client, newKeys().public)...)
		nothingEitherWay(ctx, "a CURVE client with a wrong server key is refused", server, wrong)
		if cc.zap != nil {
			Expect(statuses(cc.zap.Log(ctx))).NotTo(ContainElement(HaveSuffix(" 200")), "the handler allowed a client that had the wrong server key")
		}
		Expect(wrong.Close(ctx, 0)).To(Succeed())
		good := cell.Connect(ctx, h.PAIR, server, cc.clientOpts()...)
		exchange(ctx, server, good)
	})

// CRV.10 (new; RFC 23: "If the mechanism that the peer received does not exactly match the
// mechanism it sent, it MUST close the connection"): a CURVE client is refused by a NULL
// server and by a PLAIN server, with nothing delivered either way and no ZAP request allowed.
var _ = c.Case("CRV.10", Must, "security", "A CURVE client is refused by a NULL or a PLAIN server (mechanism mismatch)",
	func(ctx SpecContext, cell *h.Cell) {
		secured(cell)
		z := startZAP(ctx, cell, h.BindSide, plainSpec())
		server := newKeys()
		// A CURVE socket first: a binding without CURVE skips here, before anything binds.
		_ = cell.Socket(ctx, h.ConnectSide, h.PAIR, curveClientOpts(newKeys(), server.public)...)
		nullServer := cell.Bind(ctx, h.PAIR)
		plainServer := cell.Bind(ctx, h.PAIR, plainServerOpts()...)
		toNull := connectRefused(ctx, cell, h.PAIR, nullServer, curveClientOpts(newKeys(), server.public)...)
		toPlain := connectRefused(ctx, cell, h.PAIR, plainServer, curveClientOpts(newKeys(), server.public)...)
		_ = plainServer.TrySend(ctx, 100*time.Millisecond, h.Msg("from the PLAIN server"))
		nothingEitherWay(ctx, "CURVE clients of a NULL and of a PLAIN server are refused", nullServer, toNull, toPlain, plainServer)
		if z != nil {
			Expect(statuses(z.Log(ctx))).NotTo(ContainElement(HaveSuffix(" 200")), "the handler allowed a mismatched mechanism")
		}
	})

// SEC.2 (RFC 27 and zmq_setsockopt(3) ZMQ_ZAP_DOMAIN: with NULL, ZAP is asked only when the
// server has a domain; libzmq test_security_null): a NULL server without a domain lets the
// client in without asking the handler; with a domain the handler refuses (400), nothing is
// delivered; with the handler's domain the client is allowed (200) and messages flow.
var _ = c.Case("SEC.2", Option, "security", "NULL with a ZAP domain: no domain, no ZAP call; a wrong domain is refused; the right one connects",
	func(ctx SpecContext, cell *h.Cell) {
		secured(cell)
		requireMechanisms(ctx, cell, h.ConnectSide)
		const domain = "zmqsuite"
		z := startZAP(ctx, cell, h.BindSide, peer.ZAPSpec{Domain: domain, AllowNull: true})
		if z == nil {
			panic(&h.Unsupported{Impl: cell.BindImpl.Name, What: "ZAP (RFC 27)"})
		}
		// The domain option first, so that a binding without it skips before anything binds.
		probe := cell.Socket(ctx, h.BindSide, h.PAIR, h.Opt{Name: "zap_domain", Value: domain})
		Expect(probe.Close(ctx, 0)).To(Succeed())
		var rows h.Rows
		rows.Run("no domain", func() error {
			server := cell.Bind(ctx, h.PAIR)
			client := cell.Connect(ctx, h.PAIR, server)
			exchange(ctx, server, client)
			Expect(z.Log(ctx)).To(BeEmpty(), "a NULL server without a ZAP domain asked the handler")
			return nil
		})
		rows.Run("wrong domain", func() error {
			server := cell.Bind(ctx, h.PAIR, h.Opt{Name: "zap_domain", Value: "elsewhere"})
			client := connectRefused(ctx, cell, h.PAIR, server)
			nothingEitherWay(ctx, "a NULL client in a domain the handler refuses", server, client)
			refusedByZAP(ctx, z, "a NULL client in the wrong domain")
			Expect(client.Close(ctx, 0)).To(Succeed())
			return nil
		})
		rows.Run("right domain", func() error {
			server := cell.Bind(ctx, h.PAIR, h.Opt{Name: "zap_domain", Value: domain})
			client := cell.Connect(ctx, h.PAIR, server)
			exchange(ctx, server, client)
			Expect(statuses(z.Log(ctx))).To(ContainElement("NULL 200"), "the handler was not asked about the NULL client in its domain")
			return nil
		})
		Expect(rows.Err()).NotTo(HaveOccurred())
	})
