package peercheck

import (
	"fmt"
	"time"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// jobWait bounds the collection of a batch job whose messages were all sent.
const jobWait = 10 * time.Second

// batchPlan exercises the content pattern's cases: a prefix frame, a frame shorter than the
// header, frames with and without it, and frames of 256+ bytes (every byte value).
var batchPlan = peer.Plan{Count: 200, Start: 41205, Sizes: []int{0, 5, 12, 300}, Prefix: [][]byte{[]byte("topic")}}

// explicitBatch are messages a plan cannot make: several short frames, an empty frame.
func explicitBatch() [][][]byte {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(255 - i)
	}
	return [][][]byte{harness.Msg("x"), harness.Msg("y", "z"), {{}}, {all}}
}

// checkSendBatch sends a plan (whose messages must be the content pattern, byte for byte)
// and explicit messages, while a recv_batch job receives them, as the suite's volume cases do.
func checkSendBatch(c *checkCtx) {
	bound, conn, _ := c.pair(c.transport())
	plan := batchPlan
	job := c.start(peer.Request{Op: peer.OpRecvBatch, Socket: bound, Count: plan.Count, TimeoutMS: ms(recvTimeout)}, "recv_batch")
	rep := c.must(peer.Request{Op: peer.OpSendBatch, Socket: conn, Plan: &plan, TimeoutMS: ms(sendTimeout)}, jobWait, "send_batch of a plan")
	if rep.Sent != plan.Count {
		c.problem(peer.OpSendBatch, Mandatory, fmt.Sprintf("a plan of %d messages answered ok with \"sent\": %d", plan.Count, rep.Sent), "answer how many were accepted", "operations")
	}
	got, we := c.wait(job, jobWait)
	if we != nil {
		c.refused(peer.OpRecvBatch, fmt.Sprintf("recv_batch of the %d messages of a plan", plan.Count), we)
		c.stop()
	}
	if err := harness.VerifyPlan(plan, got.Messages); err != nil {
		c.problem(peer.OpSendBatch, Mandatory, "a plan's messages: "+err.Error(), "generate exactly the content pattern", "plans-and-the-content-pattern")
	}

	msgs := explicitBatch()
	job = c.start(peer.Request{Op: peer.OpRecvBatch, Socket: bound, Count: len(msgs), TimeoutMS: ms(recvTimeout)}, "recv_batch")
	rep = c.must(peer.Request{Op: peer.OpSendBatch, Socket: conn, Messages: msgs, TimeoutMS: ms(sendTimeout)}, jobWait, "send_batch of explicit messages")
	if rep.Sent != len(msgs) {
		c.problem(peer.OpSendBatch, Mandatory, fmt.Sprintf("%d explicit messages answered ok with \"sent\": %d", len(msgs), rep.Sent), "answer how many were accepted", "operations")
	}
	got, we = c.wait(job, jobWait)
	if we != nil {
		c.refused(peer.OpRecvBatch, fmt.Sprintf("recv_batch of %d explicit messages", len(msgs)), we)
		c.stop()
	}
	if len(got.Messages) != len(msgs) {
		c.problem(peer.OpRecvBatch, Mandatory, fmt.Sprintf("recv_batch of %d answered ok with %d messages", len(msgs), len(got.Messages)), "", "operations")
		return
	}
	for i, m := range msgs {
		if d := diffMessage(got.Messages[i], m); d != "" {
			c.problem(peer.OpSendBatch, Mandatory, fmt.Sprintf("explicit message %d: %s", i, d), "send each message of \"messages\" as given", "operations")
		}
	}
}

// checkRecvBatch: on timeout, recv_batch answers again together with the messages that did
// arrive; count 0 receives nothing.
func checkRecvBatch(c *checkCtx) {
	bound, conn, _ := c.pair(c.transport())
	sent := [][][]byte{harness.Msg("first"), harness.Msg("second", "")}
	for _, m := range sent {
		c.send(conn, m, "send before a recv_batch")
	}
	rep, we, took := c.timed(peer.Request{Op: peer.OpRecvBatch, Socket: bound, Count: 5, TimeoutMS: ms(shortTmo)}, shortMax)
	what := "count 5 with 2 messages sent, timeout_ms 200"
	switch {
	case we == nil:
		c.problem(peer.OpRecvBatch, Mandatory, fmt.Sprintf("%s: answered ok with %d messages", what, len(rep.Messages)), "answer again when a message does not come in time", "operations")
	case we.Category == peer.ErrProtocol:
		c.refused(peer.OpRecvBatch, what, we)
		c.stop()
	case we.Category != peer.ErrAgain:
		c.problem(peer.OpRecvBatch, Mandatory, fmt.Sprintf("%s: answered %s", what, describe(we)), "answer again when a message does not come in time", "operations")
	case len(rep.Messages) != len(sent):
		c.problem(peer.OpRecvBatch, Mandatory, fmt.Sprintf("%s: answered again with %d messages", what, len(rep.Messages)),
			"answer the messages that arrived together with the error (partial results)", "operations")
	case took < shortMin:
		c.problem(peer.OpRecvBatch, Mandatory, fmt.Sprintf("%s: answered again after %v", what, took.Round(time.Millisecond)), "wait timeout_ms for each message", "deadlines-the-peer-enforces-them")
	default:
		for i, m := range sent {
			if d := diffMessage(rep.Messages[i], m); d != "" {
				c.problem(peer.OpRecvBatch, Mandatory, fmt.Sprintf("%s: message %d: %s", what, i, d), "", "operations")
			}
		}
	}
	if rep := c.must(peer.Request{Op: peer.OpRecvBatch, Socket: bound, TimeoutMS: peer.Ptr[int64](0)}, opTimeout, "recv_batch without count (0)"); len(rep.Messages) > 0 {
		c.problem(peer.OpRecvBatch, Mandatory, fmt.Sprintf("count 0 answered %d messages", len(rep.Messages)), "", "operations")
	}
}

// digestOp names the digest flag in findings.
const digestOp = "recv_batch digest"

// checkDigest (optional): recv_batch with "digest": true answers 16 bytes a message, exactly
// peer.DigestOf's, as a job and synchronously, with partial results on timeout. A peer
// without digest mode ignores the flag and answers messages, or answers protocol.
func checkDigest(c *checkCtx) {
	bound, conn, _ := c.pair(c.transport())
	plan := peer.Plan{Count: 100, Start: 5, Sizes: []int{12, 3, 40}, Prefix: [][]byte{[]byte("t")}}
	msgs := append(explicitBatch(), [][]byte{{}, make([]byte, peer.HeaderLen)})
	n := plan.Count + len(msgs)
	rep, we := c.call(peer.Request{Op: peer.OpRecvBatch, Socket: bound, Count: n, Digest: true, Async: true, TimeoutMS: ms(recvTimeout)}, opTimeout)
	if we != nil {
		if we.Category == peer.ErrProtocol {
			c.notImplemented(digestOp, "async recv_batch with \"digest\": true answered "+describe(we), "digest-mode")
			return
		}
		c.refused(digestOp, "async recv_batch with \"digest\": true", we)
		return
	}
	c.jobs = append(c.jobs, rep.Job)
	c.must(peer.Request{Op: peer.OpSendBatch, Socket: conn, Plan: &plan, TimeoutMS: ms(sendTimeout)}, jobWait, "send_batch of a plan")
	c.must(peer.Request{Op: peer.OpSendBatch, Socket: conn, Messages: msgs, TimeoutMS: ms(sendTimeout)}, jobWait, "send_batch of explicit messages")
	got, we := c.wait(rep.Job, jobWait)
	what := fmt.Sprintf("recv_batch of %d messages with \"digest\": true", n)
	switch {
	case we != nil && we.Category == peer.ErrProtocol:
		c.notImplemented(digestOp, what+" answered "+describe(we), "digest-mode")
		return
	case we != nil:
		c.problem(digestOp, Optional, what+": answered "+describe(we), "", "digest-mode")
		return
	case got.Digest == nil && len(got.Messages) > 0:
		c.notImplemented(digestOp, "the peer ignores the flag and answers \"messages\" (as an older peer does; the harness then verifies messages)", "digest-mode")
		return
	case got.Messages != nil:
		c.problem(digestOp, Optional, what+": answered \"messages\" as well as \"digest\"", "answer \"digest\" instead of \"messages\"", "digest-mode")
	}
	if !verifyDigests(c, what, got.Digest, plan, msgs) {
		return
	}

	// Partial results, synchronously: the digests of what arrived, and again.
	partial := msgs[:2]
	for _, m := range partial {
		c.send(conn, m, "send before a recv_batch")
	}
	got, we = c.call(peer.Request{Op: peer.OpRecvBatch, Socket: bound, Count: 4, Digest: true, TimeoutMS: ms(shortTmo)}, shortMax)
	what = "recv_batch of 4 with \"digest\": true, 2 messages sent, timeout_ms 200"
	switch {
	case we == nil || we.Category != peer.ErrAgain:
		c.problem(digestOp, Optional, what+": answered "+answerOf(we), "answer again, with the digests of what arrived", "digest-mode")
	default:
		verifyDigests(c, what, got.Digest, peer.Plan{}, partial)
	}
}

// verifyDigests checks a digest field against a plan's messages followed by explicit ones.
func verifyDigests(c *checkCtx, what string, digest []byte, plan peer.Plan, msgs [][][]byte) bool {
	fix := "16 bytes a message: seq, CRC-32 of (u32 length, bytes) per frame, frame count, big-endian"
	ds, err := peer.DecodeDigests(digest)
	if err != nil {
		c.problem(digestOp, Optional, what+": "+err.Error(), fix, "digest-mode")
		return false
	}
	if len(ds) != plan.Count+len(msgs) {
		c.problem(digestOp, Optional, fmt.Sprintf("%s: %d digests, %d messages were sent", what, len(ds), plan.Count+len(msgs)), fix, "digest-mode")
		return false
	}
	if err := harness.VerifyPlanDigest(plan, ds[:plan.Count]); err != nil {
		c.problem(digestOp, Optional, what+": the plan's messages: "+err.Error(), fix, "digest-mode")
		return false
	}
	for i, m := range msgs {
		if got, want := ds[plan.Count+i], peer.DigestOf(m); got != want {
			c.problem(digestOp, Optional, fmt.Sprintf("%s: message %s has digest %v, want %v", what, harness.Describe(m), got, want), fix, "digest-mode")
			return false
		}
	}
	return true
}
