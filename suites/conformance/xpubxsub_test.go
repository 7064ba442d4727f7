package conformance_test

import (
	"encoding/base64"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	. "github.com/zmqsuite/zmqsuite/scenarios"
	c "github.com/zmqsuite/zmqsuite/suites/conformance"
)

// XPUB.1 (RFC 29 XPUB: "SHALL receive subscribe and unsubscribe requests from subscribers …
// SHALL deliver these commands to its calling application"): a SUB's subscribe and
// unsubscribe reach the XPUB application as 0x01+topic and 0x00+topic, byte for byte, for a
// short topic, the empty topic and a topic longer than a short frame can carry.
var _ = c.Case("XPUB.1", Must, "xpubxsub", "XPUB delivers subscribe and unsubscribe requests to its application",
	func(ctx SpecContext, cell *h.Cell) {
		xp := cell.Bind(ctx, h.XPUB)
		s := cell.Connect(ctx, h.SUB, xp)
		topics := []string{"A", "", "\x00\xff", "L" + strings.Repeat("x", 299)}
		for _, t := range topics {
			s.Subscribe(ctx, t)
			Expect(psRecvSubscriptions(ctx, xp, 1)).To(Equal([]string{psSub(t)}), "subscribe %s", h.Printable(t))
		}
		for _, t := range topics {
			s.Unsubscribe(ctx, t)
			Expect(psRecvSubscriptions(ctx, xp, 1)).To(Equal([]string{psUnsub(t)}), "unsubscribe %s", h.Printable(t))
		}
	})

// psXPubVerbosity runs the sequence of test_xpub_verbose: SUB 1 subscribes "A"; SUB 2 subscribes
// "A" and "B"; SUB 1 unsubscribes "A" (SUB 2 still holds it) and subscribes "C". The "B" and
// "C" subscriptions are fences: what the XPUB delivers before them is complete.
func psXPubVerbosity(ctx SpecContext, cell *h.Cell, want []string, opts ...h.Opt) {
	GinkgoHelper()
	xp := cell.Bind(ctx, h.XPUB, opts...)
	s1 := cell.Connect(ctx, h.SUB, xp, h.Subscribe("A"))
	got := psRecvSubscriptions(ctx, xp, 1)
	cell.Connect(ctx, h.SUB, xp, h.Subscribe("A"), h.Subscribe("B"))
	for got[len(got)-1] != psSub("B") {
		got = append(got, psRecvSubscriptions(ctx, xp, 1)...)
	}
	s1.Unsubscribe(ctx, "A")
	s1.Subscribe(ctx, "C")
	for got[len(got)-1] != psSub("C") {
		got = append(got, psRecvSubscriptions(ctx, xp, 1)...)
	}
	Expect(got).To(Equal(want))
}

// XPUB.2 (RFC 29 XPUB: "MAY, depending on configuration, normalize commands … so that multiple
// identical subscriptions result in a single command only"; libzmq default): a second
// subscriber's "A" and the first one's unsubscribe of a topic still held are not delivered.
var _ = c.Case("XPUB.2", Should, "xpubxsub", "XPUB normalises duplicate subscriptions by default",
	func(ctx SpecContext, cell *h.Cell) {
		psXPubVerbosity(ctx, cell, []string{psSub("A"), psSub("B"), psSub("C")})
	})

// XPUB.8 (added here, split from CASES.md XPUB.2: libzmq test_xpub_verbose; ZMQ_XPUB_VERBOSE
// passes every subscribe, ZMQ_XPUB_VERBOSER also every unsubscribe).
var _ = c.Case("XPUB.8", Option, "xpubxsub", "XPUB_VERBOSE passes duplicate subscribes, XPUB_VERBOSER also unsubscribes",
	func(ctx SpecContext, cell *h.Cell) {
		var rows h.Rows
		rows.Run("XPUB_VERBOSE", func() error {
			psXPubVerbosity(ctx, cell, []string{psSub("A"), psSub("A"), psSub("B"), psSub("C")}, h.BoolOpt("xpub_verbose", true))
			return nil
		})
		rows.Run("XPUB_VERBOSER", func() error {
			psXPubVerbosity(ctx, cell, []string{psSub("A"), psSub("A"), psSub("B"), psUnsub("A"), psSub("C")}, h.BoolOpt("xpub_verboser", true))
			return nil
		})
		Expect(rows.Err()).To(Succeed())
	})

// XPUB.3 (RFC 29 XPUB: "SHALL, if the subscriber peer disconnects prematurely, generate a
// suitable unsubscribe request for the calling application"; libzmq test_xpub_manual
// unsubscribe_cleanup): closing a subscriber yields unsubscribes for its topics.
var _ = c.Case("XPUB.3", Must, "xpubxsub", "XPUB generates unsubscribes for the topics of a subscriber that disconnects",
	func(ctx SpecContext, cell *h.Cell) {
		xp := cell.Bind(ctx, h.XPUB)
		s := cell.Connect(ctx, h.SUB, xp, h.Subscribe("A"), h.Subscribe("B"))
		Expect(psRecvSubscriptions(ctx, xp, 2)).To(ConsistOf(psSub("A"), psSub("B")))
		Expect(s.Close(ctx, 0)).To(Succeed())
		Expect(psRecvSubscriptions(ctx, xp, 2)).To(ConsistOf(psUnsub("A"), psUnsub("B")))
	})

// XPUB.4 (RFC 29 XPUB: "SHALL receive incoming messages from its subscribers … SHALL deliver
// these messages to its calling application"; libzmq test_xpub_manual user_message): messages
// from an XSUB that are not (un)subscriptions reach the XPUB application unchanged. The path
// is proven from the XPUB side first, so that this case does not depend on XPUB.1.
var _ = c.Case("XPUB.4", Must, "xpubxsub", "XPUB delivers non-subscription messages from an XSUB to its application",
	func(ctx SpecContext, cell *h.Cell) {
		xp := cell.Bind(ctx, h.XPUB)
		x := cell.Connect(ctx, h.XSUB, xp)
		x.Send(ctx, psSub(""))
		h.AwaitSubscribed(ctx, xp, "", x)
		sent := [][]string{{"hello"}, {"\x02bin", "", "tail"}, {"", "z"}}
		for _, m := range sent {
			x.SendMsg(ctx, h.Msg(m...))
		}
		Expect(psRecvData(ctx, xp, len(sent))).To(Equal(sent))
	})

// XPUB.5 (libzmq test_xpub_manual; ZMQ_XPUB_MANUAL): the application decides the effective
// subscription of the connection whose request it just received.
var _ = c.Case("XPUB.5", Option, "xpubxsub", "XPUB_MANUAL lets the application replace a subscriber's subscription",
	func(ctx SpecContext, cell *h.Cell) {
		xp := cell.Bind(ctx, h.XPUB, h.BoolOpt("xpub_manual", true))
		x := cell.Connect(ctx, h.XSUB, xp) // XSUB does not filter: what it gets is the XPUB's choice
		x.Send(ctx, psSub("A"))
		Expect(psRecvSubscriptions(ctx, xp, 1)).To(Equal([]string{psSub("A")}))
		xp.Subscribe(ctx, "B") // instead of "A", for that connection
		for _, m := range []string{"A-1", "B-1", "B-end"} {
			xp.Send(ctx, m)
		}
		Expect(psFirsts(psRecvUntil(ctx, x, "B-end", h.ArriveLimit))).To(Equal([]string{"B-1", "B-end"}))
	})

// XPUB.6 (libzmq test_xpub_welcome_msg; ZMQ_XPUB_WELCOME_MSG): every new subscriber first
// receives the welcome message. libzmq attaches a new connection to a bound XPUB, and so
// sends the welcome, only inside an application call on the XPUB (the #2267 mechanism; its
// own test receives the subscription first): the case serves the XPUB as an application would.
var _ = c.Case("XPUB.6", Option, "xpubxsub", "XPUB_WELCOME_MSG is sent to each new subscriber",
	func(ctx SpecContext, cell *h.Cell) {
		xp := cell.Bind(ctx, h.XPUB, h.Opt{Name: "xpub_welcome_msg", Value: base64.StdEncoding.EncodeToString([]byte("W"))})
		for i := 0; i < 2; i++ {
			s := cell.Connect(ctx, h.SUB, xp, h.Subscribe("W"))
			deadline := time.Now().Add(h.ArriveLimit)
			for {
				Expect(time.Now().Before(deadline)).To(BeTrue(), "subscriber %d got no welcome message within %v", i+1, h.ArriveLimit)
				_, _ = xp.TryRecv(ctx, 10*time.Millisecond) // the application serving its XPUB
				if m, err := s.TryRecv(ctx, 20*time.Millisecond); err == nil {
					Expect(h.Strings(m)).To(Equal([]string{"W"}), "subscriber %d: first message", i+1)
					break
				}
			}
		}
	})

// XPUB.7 (libzmq test_xpub_nodrop; ZMQ_XPUB_NODROP): at the HWM of a subscriber that does not
// read, a non-blocking send fails with would-block instead of dropping, and every message
// accepted before that reaches the subscriber, in order.
var _ = c.Case("XPUB.7", Option, "xpubxsub", "XPUB_NODROP returns would-block at the HWM instead of dropping",
	func(ctx SpecContext, cell *h.Cell) {
		const attempts = 30000
		xp := cell.Socket(ctx, h.BindSide, h.XPUB, h.BoolOpt("xpub_nodrop", true), h.IntOpt("sndhwm", 10))
		xp.BindNew(ctx)
		s := cell.ConnectHWM(ctx, h.SUB, xp, 10, h.Subscribe(""))
		h.AwaitSubscribed(ctx, xp, "", s)
		rep, err := xp.SendPlan(ctx, peer.Plan{Count: attempts, Size: 1024}, 0).Wait(ctx, 30*time.Second)
		Expect(err).To(HaveOccurred(), "all %d non-blocking sends (30 MB) were accepted by an XPUB_NODROP socket whose subscriber does not read", attempts)
		Expect(peer.Category(err)).To(Equal(peer.ErrAgain), "XPUB_NODROP at the HWM must answer would-block")
		Expect(rep.Sent).To(BeNumerically(">", 0), "not even one message was accepted")
		cell.Metric("accepted_before_again", float64(rep.Sent))
		Expect(h.ReceivePlan(ctx, s, peer.Plan{Count: rep.Sent, Size: 1024})).To(Succeed(), "every accepted message reaches the subscriber")
	}, c.Within(60*time.Second), c.NoTap())

// XSUB.1 (RFC 29 XSUB: "SHALL send all messages to all connected publishers" and "SHALL send
// subscribe and unsubscribe requests to publishers"; "SHALL create a double queue when
// initiating an outgoing connection"): a subscription sent by the application reaches the
// connected publisher, a publisher connected later, and a later subscription reaches both.
var _ = c.Case("XSUB.1", Must, "xpubxsub", "XSUB sends its subscriptions to every publisher, including ones connected later",
	func(ctx SpecContext, cell *h.Cell) {
		p1, p2 := cell.Bind(ctx, h.PUB), cell.Bind(ctx, h.PUB)
		x := cell.Connect(ctx, h.XSUB, p1)
		x.Send(ctx, psSub("A"))
		h.AwaitSubscribed(ctx, p1, "A", x)
		x.ConnectTo(ctx, p2)
		h.AwaitSubscribed(ctx, p2, "A", x)
		x.Send(ctx, psSub("B"))
		h.AwaitSubscribed(ctx, p1, "B", x)
		h.AwaitSubscribed(ctx, p2, "B", x)
	})

// XSUB.2 (RFC 29 XSUB: "SHALL not modify outgoing messages in any way" and "SHALL send all
// messages to all connected publishers"): messages that are not subscriptions reach every
// connected XPUB unchanged.
var _ = c.Case("XSUB.2", Must, "xpubxsub", "XSUB forwards other messages unchanged to every publisher",
	func(ctx SpecContext, cell *h.Cell) {
		xp1, xp2 := cell.Bind(ctx, h.XPUB), cell.Bind(ctx, h.XPUB)
		x := cell.Connect(ctx, h.XSUB, xp1)
		x.ConnectTo(ctx, xp2)
		x.Send(ctx, psSub(""))
		h.AwaitSubscribed(ctx, xp1, "", x)
		h.AwaitSubscribed(ctx, xp2, "", x)
		sent := [][]string{{"hello"}, {"\x02bin", "", "tail"}, {"", "z"}}
		for _, m := range sent {
			x.SendMsg(ctx, h.Msg(m...))
		}
		Expect(psRecvData(ctx, xp1, len(sent))).To(Equal(sent), "first XPUB")
		Expect(psRecvData(ctx, xp2, len(sent))).To(Equal(sent), "second XPUB")
	})

// XSUB.4 (libzmq test_xsub_verbose: without ZMQ_XSUB_VERBOSE_UNSUBSCRIBE an XSUB drops an
// unsubscribe for a topic it is not subscribed to; RFC 29 is silent). The option half is not
// in the peer protocol's option set, so only the default is checked.
var _ = c.Case("XSUB.4", Libzmq, "xpubxsub", "XSUB drops an unsubscribe for a topic it never subscribed",
	func(ctx SpecContext, cell *h.Cell) {
		xp := cell.Bind(ctx, h.XPUB)
		x := cell.Connect(ctx, h.XSUB, xp)
		x.Send(ctx, psSub("A"))
		Expect(psRecvSubscriptions(ctx, xp, 1)).To(Equal([]string{psSub("A")}))
		x.Send(ctx, psUnsub("Z"))
		x.Send(ctx, psSub("B"))
		Expect(psRecvSubscriptions(ctx, xp, 1)).To(Equal([]string{psSub("B")}), "the unsubscribe of a topic never subscribed was forwarded")
	})

// XSUB.5 (added here; RFC 29 XSUB: "SHALL send subscribe and unsubscribe requests to
// publishers"; PUB: "SHALL receive subscribe and unsubscribe requests"): an unsubscribe sent
// by an XSUB application stops the publisher sending the topic. The XSUB does not filter, so
// this observes the publisher's own filter.
var _ = c.Case("XSUB.5", Must, "xpubxsub", "An unsubscribe sent through XSUB stops the publisher sending the topic",
	func(ctx SpecContext, cell *h.Cell) {
		pub := cell.Bind(ctx, h.PUB)
		x := cell.Connect(ctx, h.XSUB, pub)
		x.Send(ctx, psSub("A"))
		h.AwaitSubscribed(ctx, pub, "A", x)
		x.Send(ctx, psUnsub("A"))
		x.Send(ctx, psSub("F"))
		got := h.AwaitSubscribed(ctx, pub, "F", x)[x]
		pub.Send(ctx, "A-1")
		pub.Send(ctx, "F-end")
		got = append(got, psRecvUntil(ctx, x, "F-end", h.ArriveLimit)...)
		Expect(psFirsts(got)).To(Equal([]string{"F-end"}), "the publisher kept sending a topic the XSUB had unsubscribed")
	})

// XSUB.6 (added here; RFC 29 XSUB: "SHALL NOT block on sending" and "SHALL create a double
// queue when initiating an outgoing connection … and SHALL maintain the double queue whether
// or not the connection is established"): with no publisher yet, sending a subscription
// returns at once, and the subscription reaches the publisher it connects to afterwards.
var _ = c.Case("XSUB.6", Must, "xpubxsub", "XSUB never blocks: a subscription sent before any publisher is accepted at once",
	func(ctx SpecContext, cell *h.Cell) {
		x := cell.Socket(ctx, h.ConnectSide, h.XSUB)
		Expect(x.TrySend(ctx, 0, h.Msg(psSub("A")))).To(Succeed(), "XSUB with no publisher refused a non-blocking send")
		pub := cell.Bind(ctx, h.PUB)
		x.ConnectTo(ctx, pub)
		h.AwaitSubscribed(ctx, pub, "A", x)
	})

// PRX.3 (libzmq test_sub_forward and test_xpub_manual's proxy test; RFC 29 "XPUB, XSUB … to
// construct distribution proxies"): a forwarder made of an XSUB and an XPUB in the connecting
// side's implementation, relaying in both directions (the harness plays zmq_proxy's loop),
// between a PUB and SUBs of the binding side's implementation: subscriptions go upstream,
// data downstream, a late subscriber is served, and its disconnection cancels its topic at
// the publisher.
var _ = c.Case("PRX.3", Must, "xpubxsub", "An XSUB/XPUB forwarder relays subscriptions up, data down, and unsubscribes on disconnect",
	func(ctx SpecContext, cell *h.Cell) {
		pub := cell.Bind(ctx, h.PUB)
		xs := cell.Socket(ctx, h.ConnectSide, h.XSUB)
		xs.ConnectTo(ctx, pub)
		xp := cell.Socket(ctx, h.ConnectSide, h.XPUB)
		xp.BindNew(ctx)
		fw := &psForwarder{xs: xs, xp: xp}

		s1 := cell.Socket(ctx, h.BindSide, h.SUB, h.Subscribe("A"))
		s1.ConnectTo(ctx, xp)
		Expect(fw.up(ctx)).To(Equal(psSub("A")), "subscription relayed upstream")
		fw.await(ctx, pub, "A", s1)
		for _, m := range []string{"A-1", "B-1", "A-2"} {
			pub.Send(ctx, m)
		}
		Expect(fw.downUntil(ctx, "A-2")).To(Equal([]string{"A-1", "A-2"}), "what the publisher sent the forwarder")
		Expect(psFirsts(psRecvUntil(ctx, s1, "A-2", h.ArriveLimit))).To(Equal([]string{"A-1", "A-2"}), "first subscriber")

		s2 := cell.Socket(ctx, h.BindSide, h.SUB, h.Subscribe("B"))
		s2.ConnectTo(ctx, xp)
		Expect(fw.up(ctx)).To(Equal(psSub("B")), "late subscriber's subscription relayed upstream")
		fw.await(ctx, pub, "B", s2)
		pub.Send(ctx, "B-2")
		Expect(fw.downUntil(ctx, "B-2")).To(Equal([]string{"B-2"}))
		Expect(psFirsts(psRecvUntil(ctx, s2, "B-2", h.ArriveLimit))).To(Equal([]string{"B-2"}), "late subscriber")

		Expect(s2.Close(ctx, 0)).To(Succeed())
		Expect(fw.up(ctx)).To(Equal(psUnsub("B")), "unsubscribe generated for the closed subscriber, relayed upstream")
		got := psFence(ctx, pub, xs, "Z") // the forwarder's own fence: the cancel has been processed
		pub.Send(ctx, "B-3")
		pub.Send(ctx, "Z-end")
		got = append(got, psRecvUntil(ctx, xs, "Z-end", h.ArriveLimit)...)
		Expect(psFirsts(got)).To(Equal([]string{"Z-end"}), "the publisher still sends a topic whose only subscriber left")
	})

// psForwarder is zmq_proxy's loop between an XSUB (upstream) and an XPUB (downstream), one
// message at a time, driven by the case so that each relayed message can be checked.
type psForwarder struct{ xs, xp *h.Sock }

// up relays one message from the XPUB to the XSUB and returns it.
func (f *psForwarder) up(ctx SpecContext) string {
	GinkgoHelper()
	m, err := f.xp.TryRecv(ctx, h.ArriveLimit)
	Expect(err).NotTo(HaveOccurred(), "the forwarder's XPUB delivered nothing to relay upstream")
	f.xs.SendMsg(ctx, m)
	return strings.Join(h.Strings(m), "|")
}

// downUntil relays messages from the XSUB to the XPUB until one whose first frame is last,
// and returns the first frames of those that are not probes.
func (f *psForwarder) downUntil(ctx SpecContext, last string) []string {
	GinkgoHelper()
	var got []string
	for {
		m, err := f.xs.TryRecv(ctx, h.ArriveLimit)
		Expect(err).NotTo(HaveOccurred(), "the forwarder's XSUB received %q, then nothing", got)
		f.xp.SendMsg(ctx, m)
		if !h.IsProbe(m) {
			got = append(got, string(m[0]))
		}
		if string(m[0]) == last {
			return got
		}
	}
}

// await publishes probes on topic until they have travelled publisher → XSUB → XPUB →
// subscriber, relaying as it goes, then drains the subscriber.
func (f *psForwarder) await(ctx SpecContext, pub *h.Sock, topic string, s *h.Sock) {
	GinkgoHelper()
	deadline := time.Now().Add(h.SubscribeLimit)
	for {
		Expect(time.Now().Before(deadline)).To(BeTrue(), "no probe on %q crossed the forwarder to %s within %v", topic, s.Name, h.SubscribeLimit)
		if err := pub.TrySend(ctx, 0, h.Msg(topic+h.ProbeMarker)); err != nil {
			Expect(peer.Category(err)).To(Equal(peer.ErrAgain))
		}
		for {
			m, err := f.xs.TryRecv(ctx, 20*time.Millisecond)
			if err != nil {
				break
			}
			f.xp.SendMsg(ctx, m)
		}
		if m, err := s.TryRecv(ctx, 20*time.Millisecond); err == nil && h.IsProbe(m) {
			break
		}
	}
	h.Listen(ctx, h.DrainQuiet, s) // the probes still in flight
}
