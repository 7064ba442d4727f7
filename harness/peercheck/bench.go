package peercheck

import (
	"fmt"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// benchWindow is the timed window of the check's loops: long enough to count something,
// short enough to keep the check quick. This is a contract check, not a measurement.
const benchWindow = 200 * time.Millisecond

// benchWait bounds the collection of a loop: its window, its first-message timeout (10 s by
// default) and slack.
const benchWait = 15 * time.Second

// checkBench (optional, when capabilities.bench is true): the four loop modes run as jobs
// over tcp and answer results that add up.
func checkBench(c *checkCtx) {
	h := c.hello()
	if !h.Caps.Bench {
		c.notImplemented(peer.OpBench, "capabilities.bench is false: the benchmark suite skips this peer", "bench")
		return
	}
	for _, typ := range []string{"PUSH", "PULL", "REQ", "REP"} {
		if !peer.Has(h.Caps.SocketTypes, typ) {
			c.note(peer.OpBench, "not checked: the loops run over PUSH/PULL and REQ/REP, and capabilities.socket_types lacks "+typ)
			return
		}
	}
	t := c.transport()
	checkThroughput(c, t)
	checkLatency(c, t)
}

func benchReq(sock, mode string, size int, window time.Duration) peer.Request {
	return peer.Request{Op: peer.OpBench, Socket: sock, Bench: &peer.BenchSpec{Mode: mode, Size: size, DurationMS: int(window.Milliseconds())}}
}

// benchResult collects a loop and returns its result, or nil with a problem recorded.
func benchResult(c *checkCtx, job int64, mode string) *peer.BenchResult {
	rep, we := c.wait(job, benchWait)
	switch {
	case we != nil:
		c.problem(peer.OpBench, Optional, fmt.Sprintf("%s over %s answered %s", mode, c.transport(), describe(we)), "", "bench")
		return nil
	case rep.Bench == nil:
		c.problem(peer.OpBench, Optional, mode+": the reply has no \"bench\" result", "", "bench")
		return nil
	}
	return rep.Bench
}

func checkThroughput(c *checkCtx, t string) {
	const size = 64
	pull := c.socket("PULL", "")
	ep := c.bind(pull, c.endpoint(t))
	push := c.socket("PUSH", "")
	c.connect(push, ep)
	recvJob := c.start(benchReq(pull, peer.BenchThrRecv, size, benchWindow), "bench thr_recv")
	sendJob := c.start(benchReq(push, peer.BenchThrSend, size, 0), "bench thr_send")
	r := benchResult(c, recvJob, peer.BenchThrRecv)
	c.must(peer.Request{Op: peer.OpCancel, Job: sendJob}, opTimeout, "cancel a thr_send loop")
	s := benchResult(c, sendJob, peer.BenchThrSend)
	if r != nil {
		switch {
		case r.Messages <= 0:
			c.problem(peer.OpBench, Optional, "thr_recv counted no messages", "", "bench")
		case r.Bytes != size*r.Messages:
			c.problem(peer.OpBench, Optional, fmt.Sprintf("thr_recv counted %d messages of %d bytes but %d bytes", r.Messages, size, r.Bytes), "", "bench")
		case r.ElapsedNS <= 0 || r.ElapsedNS > benchWait.Nanoseconds():
			c.problem(peer.OpBench, Optional, fmt.Sprintf("thr_recv over a %v window answered elapsed_ns %d", benchWindow, r.ElapsedNS), "time from the first message to the last counted", "bench")
		}
	}
	if s != nil {
		switch {
		case s.Stopped == "":
			c.problem(peer.OpBench, Optional, "a cancelled thr_send answered no \"stopped\" reason", "say why the loop ended (\"cancelled\")", "bench")
		case r != nil && s.Messages < r.Messages:
			c.problem(peer.OpBench, Optional, fmt.Sprintf("thr_send sent %d messages, thr_recv counted %d", s.Messages, r.Messages), "count every message sent", "bench")
		case s.Bytes != size*s.Messages:
			c.problem(peer.OpBench, Optional, fmt.Sprintf("thr_send sent %d messages of %d bytes but %d bytes", s.Messages, size, s.Bytes), "", "bench")
		}
	}
}

func checkLatency(c *checkCtx, t string) {
	const size = 32
	rep := c.socket("REP", "")
	ep := c.bind(rep, c.endpoint(t))
	req := c.socket("REQ", "")
	c.connect(req, ep)
	pongJob := c.start(benchReq(rep, peer.BenchLatPong, size, 0), "bench lat_pong")
	pingJob := c.start(benchReq(req, peer.BenchLatPing, size, benchWindow), "bench lat_ping")
	p := benchResult(c, pingJob, peer.BenchLatPing)
	c.must(peer.Request{Op: peer.OpCancel, Job: pongJob}, opTimeout, "cancel a lat_pong loop")
	q := benchResult(c, pongJob, peer.BenchLatPong)
	if p != nil {
		l := p.Latency
		switch {
		case p.Messages <= 0:
			c.problem(peer.OpBench, Optional, "lat_ping made no round trips", "", "bench")
		case p.Bytes != 2*size*p.Messages:
			c.problem(peer.OpBench, Optional, fmt.Sprintf("lat_ping made %d round trips of %d bytes but counted %d bytes", p.Messages, size, p.Bytes), "count both directions", "bench")
		case l == nil:
			c.problem(peer.OpBench, Optional, "lat_ping answered no \"latency\"", "", "bench")
		case l.Count != p.Messages:
			c.problem(peer.OpBench, Optional, fmt.Sprintf("lat_ping latency.count is %d for %d round trips", l.Count, p.Messages), "one sample a round trip", "bench")
		case !latencyOrdered(l):
			c.problem(peer.OpBench, Optional, fmt.Sprintf("lat_ping latency is not ordered: %+v", *l), "min ≤ p50 ≤ p90 ≤ p99 ≤ p999 ≤ max, mean within", "bench")
		}
	}
	if q != nil {
		switch {
		case q.Stopped == "":
			c.problem(peer.OpBench, Optional, "a cancelled lat_pong answered no \"stopped\" reason", "say why the loop ended (\"cancelled\")", "bench")
		case p != nil && q.Messages < p.Messages:
			c.problem(peer.OpBench, Optional, fmt.Sprintf("lat_pong echoed %d messages, lat_ping made %d round trips", q.Messages, p.Messages), "count every echo", "bench")
		}
	}
}

// histogramSlack is the rounding a latency summary may carry: an HdrHistogram of 3
// significant digits (the Go peers') reports a percentile as its bucket's highest value, up
// to 0.1 % above the sample, next to exact min and max (seen: p999 73.138 ms, max 73.108 ms).
const histogramSlack = 1e-3

// latencyOrdered: min ≤ p50 ≤ p90 ≤ p99 ≤ p999 ≤ max and min ≤ mean ≤ max, within the
// histogram's rounding, and min > 0.
func latencyOrdered(l *peer.Latency) bool {
	seq := []float64{l.Min, l.P50, l.P90, l.P99, l.P999, l.Max}
	for i := 1; i < len(seq); i++ {
		if seq[i-1] > seq[i]*(1+histogramSlack) {
			return false
		}
	}
	return l.Min > 0 && l.Min <= l.Mean*(1+histogramSlack) && l.Mean <= l.Max*(1+histogramSlack)
}
