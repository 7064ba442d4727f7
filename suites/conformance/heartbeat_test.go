package conformance_test

import (
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	"github.com/zmqsuite/zmqsuite/harness/zmtp"
	. "github.com/zmqsuite/zmqsuite/scenarios"
	c "github.com/zmqsuite/zmqsuite/suites/conformance"
)

// Heartbeats (docs/cases.md part M; RFC 37 §Connection Heartbeating), black-box between two
// real implementations with the suite's tap reading the wire, and, for the TTL, the suite's own
// ZMTP peer (harness/zmtp) as the silent side. Intervals are 100 ms, so that several intervals
// pass in a second.

const (
	hbIvl = 100 * time.Millisecond
	// hbTimeout is ten intervals: at 300 ms a loaded two-core machine (peers, tap and eight
	// processes) missed a PONG now and then and a healthy link was cut, a flake, not a result.
	hbTimeout = time.Second
	hbIdle    = 15 * hbIvl // the idle stretch, longer than the timeout: only heartbeats cross it
)

// heartbeatOpts asks a socket for heartbeats (ivl and timeout) where its binding has them.
func heartbeatOpts(cell *h.Cell, ctx SpecContext, side string) []h.Opt {
	if !peer.Has(cell.Hello(ctx, side).Caps.Options, "heartbeat_ivl") {
		return nil // judged where the other side heartbeats
	}
	return []h.Opt{h.IntOpt("heartbeat_ivl", int(hbIvl/time.Millisecond)), h.IntOpt("heartbeat_timeout", int(hbTimeout/time.Millisecond))}
}

// HB.4 (RFC 37: "The TTL … is the time, in deciseconds, that the receiving peer SHALL wait
// for traffic before considering the connection dead"; libzmq heartbeat_ttl_*): after a PING
// with a 300 ms TTL and then no traffic at all, the implementation closes the connection after
// about the TTL. The silent side is the suite's ZMTP peer, not a second implementation: a
// peer that stays silent on purpose is the only sound way to have "no traffic" (a stopped
// process would resume with its own timers expired, and a real binding answers PINGs).
var _ = c.Case("HB.4", Should, "heartbeat", "After a PING with a TTL and then silence, the peer closes the connection after the TTL",
	func(ctx SpecContext, cell *h.Cell) {
		const ttl = 300 * time.Millisecond
		requireZMTP31(ctx, cell)
		router := cell.Bind(ctx, h.ROUTER)
		conn, err := zmtp.Dial(ctx, router.Endpoint, zmtp.Config{SocketType: "DEALER"})
		var legacy *zmtp.LegacyPeerError
		if errors.As(err, &legacy) {
			panic(&h.Unsupported{Impl: router.Impl(), What: "PING (it speaks ZMTP/2.0; heartbeats are ZMTP 3.1, RFC 37)"})
		}
		Expect(err).NotTo(HaveOccurred(), "ZMTP handshake with %s", router.Endpoint)
		defer conn.Close()
		Expect(conn.Ping(ctx, ttl, []byte("hb4"))).To(Succeed())
		sent := time.Now()
		limit := sent.Add(h.Bound(ttl + 2*time.Second))
		var closedAfter time.Duration
		for closedAfter == 0 {
			in, err := conn.Next(ctx, limit)
			switch {
			case err != nil && time.Now().Before(limit):
				closedAfter = time.Since(sent)
			case err != nil:
				Expect(err).NotTo(HaveOccurred(), "the connection was still open %v after a PING with a TTL of %v and no traffic since", h.Bound(ttl+2*time.Second), ttl)
			case in.Command == nil:
				Expect(in.Command).NotTo(BeNil(), "the implementation sent a message on a connection that had sent it none: %s", in)
			}
		}
		Expect(closedAfter).To(BeNumerically(">=", ttl*3/4), "closed before the TTL had passed")
		cell.Metric("closed_after_ms", float64(closedAfter.Milliseconds()))
	}, c.PerImplementation(), c.On(h.TCP, h.IPC))

// HB.5 (RFC 37: heartbeats keep an idle connection alive; libzmq heartbeat_notimeout_* and
// _with_curve; jeromq #696 and clrzmq4 #179: CURVE dropped the COMMAND flag and PING/PONG
// broke): with heartbeats every 100 ms and a 1 s timeout, every pattern's connection — and
// one under CURVE where both sides have it — survives an idle stretch of fifteen intervals: the
// tap sees one connection that never ended, PINGs crossed it, and messages before and after
// the stretch arrive unchanged (so no PING or PONG surfaced as a message, HB.6).
var _ = c.Case("HB.5", Should, "heartbeat", "Heartbeating keeps idle connections up in every pattern, also under CURVE",
	func(ctx SpecContext, cell *h.Cell) {
		secured(cell)
		requireZMTP31(ctx, cell)
		serverHB, clientHB := heartbeatOpts(cell, ctx, h.BindSide), heartbeatOpts(cell, ctx, h.ConnectSide)
		if serverHB == nil && clientHB == nil {
			panic(&h.Unsupported{Impl: cell.BindImpl.Name + " and " + cell.ConnectImpl.Name, What: "heartbeat options (neither side heartbeats)"})
		}
		type link struct {
			name           string
			server, client *h.Sock
			tap            *zmtp.Tap
			run            func(ctx SpecContext, server, client *h.Sock)
			curve          bool
		}
		var links []link
		open := func(name string, p curvePattern, serverOpts, clientOpts []h.Opt, curve bool) {
			server := cell.Bind(ctx, p.server, append(serverOpts, serverHB...)...)
			tap := tapped(ctx, cell, server)
			client := cell.Socket(ctx, h.ConnectSide, p.client, append(clientOpts, clientHB...)...)
			client.ConnectEndpoint(ctx, tap.Endpoint())
			links = append(links, link{name, server, client, tap, p.run, curve})
		}
		for _, p := range curvePatterns {
			open(p.name, p, nil, nil, false)
		}
		if curveBoth(ctx, cell) {
			cc := &curveCell{server: newKeys(), client: newKeys()}
			open("DEALER/ROUTER under CURVE", curvePatterns[1], cc.serverOpts(), cc.clientOpts(), true)
		}
		var rows h.Rows
		for _, l := range links {
			rows.Run(l.name+" before the idle stretch", func() error { l.run(ctx, l.server, l.client); return nil })
		}
		time.Sleep(hbIdle)
		for _, l := range links {
			rows.Run(l.name+" after the idle stretch", func() error {
				l.run(ctx, l.server, l.client)
				trs := l.tap.Transcripts()
				Expect(trs).To(HaveLen(1), "connections through the tap: the first one was dropped and made again")
				out, in := trs[0].Dir(zmtp.Out), trs[0].Dir(zmtp.In)
				Expect(out.End).To(BeNil(), "the connection ended:\n%s", trs[0])
				Expect(in.End).To(BeNil(), "the connection ended:\n%s", trs[0])
				if l.curve {
					// PING and PONG travel inside MESSAGE boxes the tap cannot open: count boxes.
					// The two runs carry 12 boxes of data (4 + 2 frames each way, twice); fifteen
					// 100 ms intervals add at least 4 PINGs and their PONGs, with room for load.
					Expect(out.EncryptedMessages+in.EncryptedMessages).To(BeNumerically(">=", 12+8), "too few MESSAGE boxes for heartbeats to have crossed the idle connection:\n%s", trs[0])
				} else {
					Expect(out.Commands["PING"]+in.Commands["PING"]).To(BeNumerically(">", 0), "no PING crossed the idle connection (heartbeats were not sent):\n%s", trs[0])
				}
				return nil
			})
		}
		Expect(rows.Err()).NotTo(HaveOccurred())
	}, c.Within(60*time.Second), c.On(h.TCP)) // see tcpOnlyHeartbeats

// requireZMTP31 skips a cell with a side that speaks ZMTP/2.0 (JeroMQ 0.3.6): heartbeats are
// ZMTP 3.1 commands (RFC 37), and libzmq sends none to a ZMTP/2.0 peer.
func requireZMTP31(ctx SpecContext, cell *h.Cell) {
	for _, side := range []string{h.BindSide, h.ConnectSide} {
		hello := cell.Hello(ctx, side)
		if !peer.Has(hello.Caps.Options, "heartbeat_ivl") && !peer.Has(hello.Caps.Options, "plain_username") {
			panic(&h.Unsupported{Impl: hello.Name, What: "ZMTP 3.1 heartbeats (it speaks ZMTP/2.0, which has no PING)"})
		}
	}
}

// curveBoth reports whether both sides have CURVE.
func curveBoth(ctx SpecContext, cell *h.Cell) bool {
	for _, side := range []string{h.BindSide, h.ConnectSide} {
		if !peer.Has(cell.Hello(ctx, side).Caps.Options, "curve_server") {
			return false
		}
	}
	return true
}

// HB.7 (RFC 37: "a peer … SHOULD treat any incoming traffic as a sign that the connection is
// alive"): a server that heartbeats with a 1 s timeout keeps a connection over which the
// client streams a message every 50 ms for two seconds, whether or not the client answers
// its PINGs: one connection on the tap from start to end, and every message arrives.
var _ = c.Case("HB.7", Should, "heartbeat", "Any incoming traffic counts as liveness: a busy link is never cut",
	func(ctx SpecContext, cell *h.Cell) {
		secured(cell)
		requireZMTP31(ctx, cell)
		serverHB := heartbeatOpts(cell, ctx, h.BindSide)
		if serverHB == nil {
			panic(&h.Unsupported{Impl: cell.BindImpl.Name, What: "heartbeat options (the receiving side must heartbeat)"})
		}
		pull := cell.Bind(ctx, h.PULL, serverHB...)
		tap := tapped(ctx, cell, pull)
		push := cell.Socket(ctx, h.ConnectSide, h.PUSH)
		push.ConnectEndpoint(ctx, tap.Endpoint())
		const n = 40 // two seconds of traffic, twice the timeout
		for i := 0; i < n; i++ {
			push.Send(ctx, "busy", h.Numbered(i))
			time.Sleep(hbIvl / 2)
		}
		for i := 0; i < n; i++ {
			Expect(pull.RecvStrings(ctx)).To(Equal([]string{"busy", h.Numbered(i)}), "message %d of a busy link", i)
		}
		trs := tap.Transcripts()
		Expect(trs).To(HaveLen(1), "connections through the tap: the busy link was cut and made again")
		Expect(trs[0].Dir(zmtp.Out).End).To(BeNil(), "the busy link ended:\n%s", trs[0])
		Expect(trs[0].Dir(zmtp.In).End).To(BeNil(), "the busy link ended:\n%s", trs[0])
	}, c.Within(30*time.Second), c.On(h.TCP)) // see tcpOnlyHeartbeats

// tcpOnlyHeartbeats: HB.5 and HB.7 run over tcp only for now. Through the tap over ipc, one
// run in three saw a libzmq↔libzmq (and a zeromq.js↔zeromq.js) heartbeating connection
// dropped and remade, with the PUSH's queued messages lost, which tcp never showed; until
// that is told apart from the tap's own ipc relaying, an ipc cell would not be a result.

// HB.8 (zmq_setsockopt(3) ZMQ_HEARTBEAT_TTL: "in milliseconds … rounded down to the nearest
// decisecond … a value above 6553599 is refused" — the TTL travels in 16 bits of deciseconds,
// RFC 37): 6553599 ms is accepted, 6553600 is refused with inval, and where the binding reads
// the option back 1550 ms reads as 1500. (Negative values are not checked: libzmq divides by
// 100 before its range check, so -1 to -99 become a TTL of 0 and are taken.)
var _ = c.Case("HB.8", Option, "heartbeat", "HEARTBEAT_TTL accepts up to 6553599 ms, refuses more, rounds to deciseconds",
	func(ctx SpecContext, cell *h.Cell) {
		s := cell.Socket(ctx, h.BindSide, h.DEALER, h.IntOpt("heartbeat_ttl", 6553599))
		var rows h.Rows
		for _, bad := range []int{6553600} {
			rows.Run("heartbeat_ttl "+h.Numbered(bad), func() error {
				err := s.TrySetOpt(ctx, "heartbeat_ttl", bad)
				Expect(err).To(HaveOccurred(), "heartbeat_ttl %d was taken: it does not fit RFC 37's 16-bit decisecond TTL", bad)
				Expect(peer.Category(err)).To(Equal(peer.ErrInval))
				return nil
			})
		}
		rows.Run("rounding", func() error {
			s.SetOpt(ctx, "heartbeat_ttl", 1550)
			rep, err := zapOp(ctx, cell, h.BindSide, peer.Request{Op: peer.OpGetOpt, Socket: s.ID, Name: "heartbeat_ttl"}, "getopt heartbeat_ttl")
			if peer.Category(err) == peer.ErrUnsupported {
				return nil // write-only in this binding
			}
			Expect(err).NotTo(HaveOccurred())
			Expect(rep.Value).To(BeNumerically("==", 1500), "heartbeat_ttl 1550 read back")
			return nil
		})
		Expect(rows.Err()).NotTo(HaveOccurred())
	}, c.PerImplementation(), c.On(h.TCP))
