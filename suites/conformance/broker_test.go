package conformance_test

import (
	"fmt"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	. "github.com/zmqsuite/zmqsuite/scenarios"
	c "github.com/zmqsuite/zmqsuite/suites/conformance"
)

// rrBroker is a request-reply broker as zmq_proxy(3) runs it: a ROUTER frontend for clients and
// a DEALER backend for workers, both in the bind-side peer, so that clients and workers in
// the connect-side peer reach each other through the bind side's envelope handling. The peer
// protocol has no proxy operation, so the harness forwards: fine for a handful of messages.
type rrBroker struct{ front, back *h.Sock }

func rrNewBroker(ctx SpecContext, cell *h.Cell) *rrBroker {
	return &rrBroker{front: cell.Bind(ctx, h.ROUTER), back: cell.Bind(ctx, h.DEALER)}
}

// pump forwards what is waiting, frontend to backend and back, and says how many moved.
func (b *rrBroker) pump(ctx SpecContext) int {
	n := 0
	for _, way := range [][2]*h.Sock{{b.front, b.back}, {b.back, b.front}} {
		for {
			m, err := way[0].TryRecv(ctx, 2*time.Millisecond)
			if err != nil {
				ExpectWithOffset(1, rrCategory(err)).To(Equal(peer.ErrAgain), "broker receiving on %s", way[0].Name)
				break
			}
			way[1].SendMsg(ctx, m)
			n++
		}
	}
	return n
}

// run pumps and calls step until step says it is done, failing after limit.
func (b *rrBroker) run(ctx SpecContext, limit time.Duration, what func() string, step func() bool) {
	limit = h.Bound(limit)
	deadline := time.Now().Add(limit)
	for {
		b.pump(ctx)
		if step() {
			return
		}
		ExpectWithOffset(1, time.Now().Before(deadline)).To(BeTrue(), "broker run not finished after %v: %s", limit, what())
	}
}

// rrTryRecv returns a message if s has one now.
func rrTryRecv(ctx SpecContext, s *h.Sock) ([][]byte, bool) {
	m, err := s.TryRecv(ctx, 0)
	if err != nil {
		ExpectWithOffset(1, rrCategory(err)).To(Equal(peer.ErrAgain), "receiving on %s", s.Name)
		return nil, false
	}
	return m, true
}

// PRX.1 (zmq_proxy(3) "shared queue"; libzmq test_reqrep_device: REQ clients, a ROUTER/DEALER
// broker, REP workers). Every reply reaches the client that sent the request, and each
// request is served exactly once.
var _ = c.Case("PRX.1", Libzmq, "broker", "ROUTER/DEALER broker between REQ clients and REP workers routes every reply to its requester",
	func(ctx SpecContext, cell *h.Cell) {
		const nClients, nWorkers, rounds = 3, 2, 3
		b := rrNewBroker(ctx, cell)
		clients := cell.ConnectN(ctx, h.REQ, nClients, b.front)
		workers := cell.ConnectN(ctx, h.REP, nWorkers, b.back)
		// Both workers in the backend's rotation first, as in PRX.2: with one still connecting,
		// go-zeromq's copy-to-all DEALER (#158) could serve every request once, by chance.
		h.AwaitServing(ctx, b.back, workers...)
		pending := map[int]string{}
		done := make([]int, nClients)
		served := map[string]int{}
		ask := func(i int) {
			pending[i] = fmt.Sprintf("client %d request %d", i, done[i])
			clients[i].Send(ctx, pending[i])
		}
		for i := range clients {
			ask(i)
		}
		b.run(ctx, 10*time.Second, func() string { return fmt.Sprintf("replies per client %v", done) }, func() bool {
			for _, w := range workers {
				if m, ok := rrTryRecv(ctx, w); ok {
					req := string(m[0])
					served[req]++
					Expect(served[req]).To(Equal(1), "%q reached a worker twice (%s)", req, w.Name)
					w.Send(ctx, "re: "+req)
				}
			}
			for i, cl := range clients {
				if _, waiting := pending[i]; !waiting {
					continue
				}
				if m, ok := rrTryRecv(ctx, cl); ok {
					Expect(h.Strings(m)).To(Equal([]string{"re: " + pending[i]}), "the reply %s received", cl.Name)
					delete(pending, i)
					if done[i]++; done[i] < rounds {
						ask(i)
					}
				}
			}
			return len(pending) == 0
		})
		Expect(served).To(HaveLen(nClients*rounds), "requests that reached a worker")
	})

// PRX.2 (zmq_proxy(3); libzmq test_proxy: asynchronous DEALER clients, a ROUTER/DEALER broker,
// DEALER workers that send several replies per request). Every reply reaches the client that
// sent the request, once; nothing is misrouted.
var _ = c.Case("PRX.2", Libzmq, "broker", "ROUTER/DEALER broker between DEALER clients and workers with several replies each: no misrouting",
	func(ctx SpecContext, cell *h.Cell) {
		const nClients, nWorkers, perClient, perRequest = 3, 2, 4, 3
		b := rrNewBroker(ctx, cell)
		clients := cell.ConnectN(ctx, h.DEALER, nClients, b.front)
		workers := cell.ConnectN(ctx, h.DEALER, nWorkers, b.back)
		// Every worker must be in the backend's rotation before requests flow: with one worker
		// still connecting, a DEALER that wrongly copies to every peer (go-zeromq #158) served
		// each request once and the known failure passed by chance (seen once in ipc
		// gozmq→libzmq).
		h.AwaitFlowing(ctx, b.back, workers...)
		for i, cl := range clients {
			for j := 0; j < perClient; j++ {
				cl.Send(ctx, fmt.Sprintf("client %d request %d", i, j))
			}
		}
		served := map[string]int{}
		got := make([]map[string]bool, nClients)
		for i := range got {
			got[i] = map[string]bool{}
		}
		total := 0
		b.run(ctx, 10*time.Second, func() string { return fmt.Sprintf("%d of %d replies", total, nClients*perClient*perRequest) }, func() bool {
			for _, w := range workers {
				if m, ok := rrTryRecv(ctx, w); ok {
					Expect(len(m)).To(BeNumerically(">=", 2), "a worker gets [client id…][request], got %s", h.Describe(m))
					req := string(m[len(m)-1])
					served[req]++
					Expect(served[req]).To(Equal(1), "%q reached a worker twice (%s)", req, w.Name)
					for k := 0; k < perRequest; k++ {
						w.SendMsg(ctx, append(slices.Clone(m[:len(m)-1]), []byte(fmt.Sprintf("%s reply %d", req, k))))
					}
				}
			}
			for i, cl := range clients {
				for {
					m, ok := rrTryRecv(ctx, cl)
					if !ok {
						break
					}
					Expect(m).To(HaveLen(1), "%s gets the reply alone, got %s", cl.Name, h.Describe(m))
					r := string(m[0])
					var ci, j, k int
					_, err := fmt.Sscanf(r, "client %d request %d reply %d", &ci, &j, &k)
					Expect(err).NotTo(HaveOccurred(), "reply %q", r)
					Expect(ci).To(Equal(i), "%s received %q, a reply for client %d", cl.Name, r, ci)
					Expect(got[i][r]).To(BeFalse(), "%s received %q twice", cl.Name, r)
					got[i][r] = true
					total++
				}
			}
			return total == nClients*perClient*perRequest
		})
	})
