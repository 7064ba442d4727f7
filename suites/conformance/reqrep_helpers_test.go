package conformance_test

import (
	"context"
	"time"

	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// Helpers of the request-reply family (REQ, REP, DEALER, ROUTER, brokers) that no other family
// needs. Probes (h.AwaitRotation, h.AwaitServing, h.AwaitFanIn), negative waits
// (h.NothingArrives), HWMs (h.SetHWM) and the routing matchers (h.BeRoundRobin,
// h.BeFairQueued) are the harness's.

// rrCategory is the error category of err, "" for nil.
func rrCategory(err error) string {
	if err == nil {
		return ""
	}
	if c := peer.Category(err); c != "" {
		return c
	}
	return err.Error()
}

// rrRequestBody is the data of a request as a REP or ROUTER received it, as strings.
func rrRequestBody(s *h.Sock, m [][]byte) []string {
	if s.Type == h.ROUTER {
		_, b := h.SplitEnvelope(m)
		return h.Strings(b)
	}
	return h.Strings(m)
}

// rrRefusedWithoutPeers checks RFC 28's "block on sending, or return a suitable error" on a
// socket without peers: a non-blocking send is refused as would-block, and a send with a 250 ms
// timeout ends as would-block. It records which alternative happened ("blocks": the timed send
// waited; "fails": it was refused at once) and how long the timed send took.
func rrRefusedWithoutPeers(ctx context.Context, cell *h.Cell, s *h.Sock, what string) {
	err := s.TrySend(ctx, 0, h.Msg(what+" 1"))
	Expect(rrCategory(err)).To(Equal(peer.ErrAgain), "a non-blocking send without peers must be refused as would-block")
	start := time.Now()
	err = s.TrySend(ctx, 250*time.Millisecond, h.Msg(what+" 2"))
	took := time.Since(start)
	Expect(rrCategory(err)).To(Equal(peer.ErrAgain), "a send with a 250 ms timeout and no peers must end as would-block")
	cell.Metric("send_wait_ms", float64(took.Milliseconds()))
	if took >= 200*time.Millisecond {
		cell.Observe("blocks")
	} else {
		cell.Observe("fails")
	}
}
