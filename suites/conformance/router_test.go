package conformance_test

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	. "github.com/zmqsuite/zmqsuite/scenarios"
	c "github.com/zmqsuite/zmqsuite/suites/conformance"
)

// rrHello has each dealer send "hello <i>" and returns, per dealer, the routing id the ROUTER
// prefixed to it. Receiving them also proves every connection is up.
func rrHello(ctx SpecContext, router *h.Sock, dealers []*h.Sock) [][]byte {
	ids := make([][]byte, len(dealers))
	for i, d := range dealers {
		d.Send(ctx, fmt.Sprintf("hello %d", i))
	}
	for range dealers {
		m := router.Recv(ctx)
		ExpectWithOffset(1, m).To(HaveLen(2), "ROUTER should see [id][hello …], got %s", h.Describe(m))
		var i int
		_, err := fmt.Sscanf(string(m[1]), "hello %d", &i)
		ExpectWithOffset(1, err).NotTo(HaveOccurred(), "message %s", h.Describe(m))
		ids[i] = m[0]
	}
	return ids
}

// RTR.1 (RFC 28 ROUTER: "SHALL … prefix [each incoming message] with a frame containing the
// identity of the originating peer"; libzmq test_msg_flags). Each peer's messages carry the
// same non-empty id, different peers different ids, and multipart bodies follow whole.
var _ = c.Case("RTR.1", Must, "reqrep", "ROUTER prefixes each incoming message with the originating peer's identity",
	func(ctx SpecContext, cell *h.Cell) {
		router := cell.Bind(ctx, h.ROUTER)
		dealers := cell.ConnectN(ctx, h.DEALER, 2, router)
		ids := map[int][]byte{}
		for round := 0; round < 2; round++ {
			for i, d := range dealers {
				d.Send(ctx, fmt.Sprintf("from %d", i), "second frame")
			}
			for range dealers {
				m := router.Recv(ctx)
				Expect(m).To(HaveLen(3), "[id][from …][second frame], got %s", h.Describe(m))
				Expect(m[0]).NotTo(BeEmpty(), "the identity frame")
				Expect(string(m[2])).To(Equal("second frame"))
				var i int
				_, err := fmt.Sscanf(string(m[1]), "from %d", &i)
				Expect(err).NotTo(HaveOccurred())
				if prev, ok := ids[i]; ok {
					Expect(m[0]).To(Equal(prev), "every message of %s carries the same identity", dealers[i].Name)
				}
				ids[i] = m[0]
			}
		}
		Expect(ids[0]).NotTo(Equal(ids[1]), "two peers, two identities")
	})

// RTR.2 (RFC 28 ROUTER: "SHALL receive incoming messages from its peers using a fair-queuing
// strategy"; libzmq test_spec_router `test_fair_queue_in`, which checks only the sum of ids).
var _ = c.Case("RTR.2", Must, "reqrep", "ROUTER fair-queues messages from several DEALERs",
	func(ctx SpecContext, cell *h.Cell) {
		rrFairQueueIn(ctx, cell, h.ROUTER)
	})

// RTR.3 (RFC 28 ROUTER: "SHALL remove the first frame from each outgoing message and route
// the remainder to the peer that the identity refers to").
var _ = c.Case("RTR.3", Must, "reqrep", "ROUTER routes an outgoing message by its first frame and strips it",
	func(ctx SpecContext, cell *h.Cell) {
		router := cell.Bind(ctx, h.ROUTER)
		dealers := cell.ConnectN(ctx, h.DEALER, 3, router)
		ids := rrHello(ctx, router, dealers)
		plan := []struct {
			to     int
			frames []string
		}{{1, []string{"to 1 a", "x"}}, {0, []string{"to 0"}}, {1, []string{"to 1 b"}}, {2, []string{"", "to 2"}}}
		want := make([][][]string, len(dealers))
		for _, p := range plan {
			router.SendMsg(ctx, append([][]byte{ids[p.to]}, h.Msg(p.frames...)...))
			want[p.to] = append(want[p.to], p.frames)
		}
		for i := range dealers { // a last message to each: what came before it is all it got
			router.SendMsg(ctx, [][]byte{ids[i], []byte("end")})
		}
		for i, d := range dealers {
			var got [][]string
			for {
				m := d.RecvStrings(ctx)
				if len(m) == 1 && m[0] == "end" {
					break
				}
				got = append(got, m)
			}
			Expect(got).To(Equal(want[i]), "what %s received", d.Name)
		}
	})

// RTR.4 (RFC 28 ROUTER: "If the peer does not exist, … SHALL silently discard the message" and
// "SHALL NOT block on sending"; libzmq test_router_mandatory `test_basic` without the option).
// A non-blocking send to an identity that never existed — before any peer connected, and
// with one — or to a peer that has gone, succeeds at once and delivers nothing.
var _ = c.Case("RTR.4", Must, "reqrep", "ROUTER silently drops messages for unknown identities and never blocks",
	func(ctx SpecContext, cell *h.Cell) {
		router := cell.Bind(ctx, h.ROUTER)
		Expect(router.TrySend(ctx, 0, h.Msg("nobody", "before any peer"))).To(Succeed(),
			"a non-blocking send to an unknown identity, no peer connected yet")
		dealer := cell.Connect(ctx, h.DEALER, router)
		id := rrHello(ctx, router, []*h.Sock{dealer})[0]
		Expect(router.TrySend(ctx, 0, h.Msg("nobody", "lost"))).To(Succeed(),
			"a non-blocking send to an unknown identity, one peer connected")
		router.SendMsg(ctx, [][]byte{id, []byte("found")})
		Expect(dealer.RecvStrings(ctx)).To(Equal([]string{"found"}), "the only message for this peer")
		Expect(dealer.Close(ctx, 0)).To(Succeed())
		Expect(router.TrySend(ctx, 0, [][]byte{id, []byte("to a gone peer")})).To(Succeed(),
			"a non-blocking send to a peer that has gone")
	})

// RTR.5 (libzmq ZMQ_ROUTER_MANDATORY, test_router_mandatory and test_router_mandatory_hwm;
// zmq_setsockopt(3): "EHOSTUNREACH if the peer is not present… EAGAIN if it has reached its
// HWM" instead of dropping).
var _ = c.Case("RTR.5", Option, "reqrep", "ROUTER_MANDATORY: unknown identity is EHOSTUNREACH, a full peer would-block, nothing dropped",
	func(ctx SpecContext, cell *h.Cell) {
		const size, most = 16 << 10, 4000
		router := cell.Bind(ctx, h.ROUTER, h.BoolOpt("router_mandatory", true), h.IntOpt("sndhwm", 1))
		err := router.TrySend(ctx, 0, h.Msg("nobody", "x"))
		Expect(rrCategory(err)).To(Equal(peer.ErrHostUnreach), "a send to an unknown identity")
		dealer := cell.Socket(ctx, h.ConnectSide, h.DEALER)
		h.SetHWM(ctx, dealer, 4)
		dealer.ConnectTo(ctx, router)
		id := rrHello(ctx, router, []*h.Sock{dealer})[0]
		plan := peer.Plan{Count: most, Size: size, Prefix: [][]byte{id}}
		rep, err := router.SendPlan(ctx, plan, 0).Wait(ctx, 30*time.Second)
		Expect(rrCategory(err)).To(Equal(peer.ErrAgain),
			"non-blocking sends to a peer that never reads must end in would-block (%d of %d accepted)", rep.Sent, most)
		cell.Metric("accepted_before_full", float64(rep.Sent))
		Expect(h.ReceivePlan(ctx, dealer, peer.Plan{Count: rep.Sent, Size: size})).To(Succeed(), "every accepted message must arrive")
	}, c.Within(60*time.Second), c.NoTap())

// RTR.6 (RFC 28 ROUTER: "SHOULD allow the peer to specify its identity"; RFC 23/37 Identity
// property: 1 to 255 octets, binary). The ROUTER uses the announced identity byte for byte,
// both to prefix incoming messages and to route replies.
var _ = c.Case("RTR.6", Should, "reqrep", "ROUTER uses the identity a peer announces, byte for byte",
	func(ctx SpecContext, cell *h.Cell) {
		ids := []string{"A", "\x01\x00\xff\x7f binary", strings.Repeat("z", 255)}
		router := cell.Bind(ctx, h.ROUTER)
		var dealers []*h.Sock
		for _, id := range ids {
			dealers = append(dealers, cell.Connect(ctx, h.DEALER, router, h.RoutingID(id)))
		}
		got := rrHello(ctx, router, dealers)
		for i, id := range ids {
			Expect(got[i]).To(Equal([]byte(id)), "the identity of %s as the ROUTER sees it", dealers[i].Name)
		}
		for i, id := range ids {
			router.SendMsg(ctx, [][]byte{[]byte(id), []byte(fmt.Sprintf("back %d", i))})
		}
		for i, d := range dealers {
			Expect(d.RecvStrings(ctx)).To(Equal([]string{fmt.Sprintf("back %d", i)}), "routed by the identity %s announced", d.Name)
		}
	})

// RTR.7 (RFC 37 Identity: a peer without one gets an identity generated by the ROUTER, and
// "the first octet SHALL NOT be zero" for application identities, zero being reserved for
// generated ones — libzmq generates 5 bytes starting with 0x00; go-zeromq PR #140: an empty
// identity must fall back to a generated one). Generated ids are unique and route replies.
var _ = c.Case("RTR.7", Libzmq, "reqrep", "ROUTER generates unique identities, starting with a zero byte, for peers that announce none",
	func(ctx SpecContext, cell *h.Cell) {
		router := cell.Bind(ctx, h.ROUTER)
		dealers := make([]*h.Sock, 3)
		for i := range dealers {
			dealers[i] = cell.Socket(ctx, h.ConnectSide, h.DEALER)
			if i == 1 {
				// An empty identity means none (go-zeromq PR #140); libzmq refuses to set
				// one (EINVAL: 1 to 255 bytes), which leaves the DEALER without one too.
				if err := dealers[i].TrySetOpt(ctx, "routing_id", ""); err != nil {
					Expect(rrCategory(err)).To(Equal(peer.ErrInval), "setting an empty routing id")
				}
			}
			dealers[i].ConnectTo(ctx, router)
		}
		ids := rrHello(ctx, router, dealers)
		for i, id := range ids {
			Expect(id).NotTo(BeEmpty(), "the identity of %s", dealers[i].Name)
			for j := 0; j < i; j++ {
				Expect(id).NotTo(Equal(ids[j]), "%s and %s got the same identity", dealers[j].Name, dealers[i].Name)
			}
		}
		for i, id := range ids {
			router.SendMsg(ctx, [][]byte{id, []byte(fmt.Sprintf("back %d", i))})
			Expect(dealers[i].RecvStrings(ctx)).To(Equal([]string{fmt.Sprintf("back %d", i)}))
		}
		for i, id := range ids {
			Expect(id[0]).To(BeZero(), "a generated identity starts with a zero byte (RFC 37 reserves those for generated ids); %s got %q: "+
				"either the ROUTER generated it without one, or the peer announced an identity its application never set", dealers[i].Name, id)
		}
	})

// RTR.10 (libzmq ZMQ_PROBE_ROUTER, test_probe_router: a connecting ROUTER or DEALER with the
// option sends an empty message as soon as the connection is up).
var _ = c.Case("RTR.10", Option, "reqrep", "PROBE_ROUTER: a connecting DEALER or ROUTER announces itself with an empty message",
	func(ctx SpecContext, cell *h.Cell) {
		var rows h.Rows
		for _, typ := range []string{h.DEALER, h.ROUTER} {
			rows.Run("a connecting "+typ, func() error {
				router := cell.Bind(ctx, h.ROUTER)
				prober := cell.Connect(ctx, typ, router, h.BoolOpt("probe_router", true))
				m := router.Recv(ctx)
				Expect(m).To(HaveLen(2), "the probe: [id][\"\"], got %s", h.Describe(m))
				Expect(m[1]).To(BeEmpty(), "the probe is empty")
				router.SendMsg(ctx, [][]byte{m[0], []byte("answer")})
				got := prober.RecvStrings(ctx)
				Expect(got[len(got)-1]).To(Equal("answer"), "the ROUTER answers by the probe's identity")
				return nil
			})
		}
		Expect(rows.Err()).To(Succeed())
	})

// RTR.11 (libzmq ZMQ_ROUTER_NOTIFY, draft API, test_router_notify: [id][""] when a peer
// connects and when it disconnects).
var _ = c.Case("RTR.11", Option, "reqrep", "ROUTER_NOTIFY: an empty message with the peer's identity on connect and on disconnect",
	func(ctx SpecContext, cell *h.Cell) {
		router := cell.Bind(ctx, h.ROUTER, h.IntOpt("router_notify", 3)) // ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT
		dealer := cell.Connect(ctx, h.DEALER, router)
		m := router.Recv(ctx)
		Expect(m).To(HaveLen(2), "the connect notification [id][\"\"], got %s", h.Describe(m))
		Expect(m[1]).To(BeEmpty())
		id := m[0]
		dealer.Send(ctx, "data")
		Expect(router.Recv(ctx)).To(Equal([][]byte{id, []byte("data")}))
		Expect(dealer.Close(ctx, 0)).To(Succeed())
		Expect(router.Recv(ctx)).To(Equal([][]byte{id, {}}), "the disconnect notification")
	})

// RTR.12 (zmq_setsockopt(3) ZMQ_CONNECT_ROUTING_ID: "Sets the peer id of the peer connected
// via the following zmq_connect() call, such that that connection is immediately ready for
// data transfer with the given routing id"; libzmq test_connect_rid, router_2_router). A
// connecting ROUTER names the bound one "conn1" and sends to that name at once, with no
// handshake to wait for; the bound ROUTER sees the connector by its own routing id, and its
// reply arrives prefixed "conn1". The catalogue's second half, a duplicate connect_routing_id
// being refused, is not checked: libzmq 4.3 asserts on it (its own test has it commented out).
var _ = c.Case("RTR.12", Option, "reqrep", "CONNECT_ROUTING_ID names a ROUTER's connection: sends to that name work at once, replies carry it",
	func(ctx SpecContext, cell *h.Cell) {
		server := cell.Bind(ctx, h.ROUTER)
		client := cell.Socket(ctx, h.ConnectSide, h.ROUTER, h.RoutingID("Y"), h.ConnectRoutingID("conn1"))
		client.ConnectTo(ctx, server)
		// Not a probe loop: the connection is ready under its name from connect on, so the
		// first message must be queued, not dropped as unroutable.
		client.Send(ctx, "conn1", "hi 1")
		Expect(h.Strings(server.Recv(ctx))).To(Equal([]string{"Y", "hi 1"}), "the bound ROUTER names the connector by its routing id")
		server.Send(ctx, "Y", "ok")
		Expect(client.RecvStrings(ctx)).To(Equal([]string{"conn1", "ok"}), "the reply is prefixed with the name the connector chose")
	})

// RTR.13 (RFC 23/37 socket-type table: ROUTER talks to REQ, DEALER and ROUTER; RFC 28). A
// REQ's request arrives as [id][""][body] and the reply [id][""][body] reaches it; a DEALER's
// frames pass as they are; two ROUTERs with set identities address each other.
var _ = c.Case("RTR.13", Must, "reqrep", "ROUTER interoperates with REQ, DEALER and ROUTER peers",
	func(ctx SpecContext, cell *h.Cell) {
		router := cell.Bind(ctx, h.ROUTER, h.RoutingID("server"))
		req := cell.Connect(ctx, h.REQ, router)
		req.Send(ctx, "question")
		m := router.Recv(ctx)
		Expect(h.Strings(m[1:])).To(Equal([]string{"", "question"}), "a REQ's request")
		router.SendMsg(ctx, [][]byte{m[0], {}, []byte("answer")})
		Expect(req.RecvStrings(ctx)).To(Equal([]string{"answer"}))

		dealer := cell.Connect(ctx, h.DEALER, router)
		dealer.Send(ctx, "a", "", "b")
		m = router.Recv(ctx)
		Expect(h.Strings(m[1:])).To(Equal([]string{"a", "", "b"}), "a DEALER's message")
		router.SendMsg(ctx, [][]byte{m[0], []byte("c")})
		Expect(dealer.RecvStrings(ctx)).To(Equal([]string{"c"}))

		// A connecting ROUTER can address the bound one only once the handshake told it the
		// identity; until then its messages are dropped, so it probes until one arrives.
		client := cell.Connect(ctx, h.ROUTER, router, h.RoutingID("client"))
		deadline := time.Now().Add(h.SettleLimit)
		for {
			Expect(time.Now().Before(deadline)).To(BeTrue(), "no message from the connecting ROUTER reached the bound one within %v", h.SettleLimit)
			if err := client.TrySend(ctx, 0, h.Msg("server", h.ProbeMarker)); err != nil {
				Expect(rrCategory(err)).To(Equal(peer.ErrAgain), "probe to the bound ROUTER")
			}
			if m, err := router.TryRecv(ctx, 20*time.Millisecond); err == nil {
				Expect(h.Strings(m)).To(Equal([]string{"client", h.ProbeMarker}), "the probe as the bound ROUTER sees it")
				break
			}
		}
		h.Listen(ctx, h.DrainQuiet, router) // probes still in flight
		router.Send(ctx, "client", "hi client")
		got := client.Recv(ctx)
		Expect(bytes.Equal(got[0], []byte("server"))).To(BeTrue(), "prefixed with the bound ROUTER's identity, got %s", h.Describe(got))
		Expect(h.Strings(got)).To(Equal([]string{"server", "hi client"}))
	})
