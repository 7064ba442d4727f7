package harness

import (
	"fmt"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// VerifyPlanDigest is VerifyPlan for a recv_batch answered in digest mode: got holds one
// digest per received message (peer.DecodeDigests of the reply's digest field). It checks
// that they are exactly the digests of plan's messages, in order, and names the first message
// that differs and what its digest says happened: a sequence number out of place (lost,
// duplicated or reordered), a different frame count, or the same message with other content
// (corrupted). Content is compared by CRC-32, so a corruption is named but not located; rerun
// the case without digest mode to see the byte.
func VerifyPlanDigest(plan peer.Plan, got []peer.Digest) error {
	exp := newPlanDigester(plan)
	for i, d := range got {
		if i >= plan.Count {
			return fmt.Errorf("%d messages received, %d sent: message %d is extra (%s)", len(got), plan.Count, i, digestSeq(d))
		}
		if err := verifyDigest(plan.Start, plan.Count, plan.Start+i, d, exp.digest(i)); err != nil {
			return err
		}
	}
	if len(got) < plan.Count {
		return fmt.Errorf("%d of %d messages received; first missing is message %d", len(got), plan.Count, plan.Start+len(got))
	}
	return nil
}

// verifyDigest compares message seq's digest with the plan's (whose messages are first ..
// first+count-1), the most telling difference first: the sequence number says which message
// arrived instead, when the plan's message carries one where the digest reads it; one outside
// the plan is garbage or a message from elsewhere, not a reordering.
func verifyDigest(first, count, seq int, got, want peer.Digest) error {
	if got == want {
		return nil
	}
	carriesSeq := want.Seq == uint64(seq)
	switch {
	case carriesSeq && got.Seq == peer.NoSeq:
		return fmt.Errorf("message %d: expected seq %d, got a message without a sequence header, %d frames (corrupted)", seq, seq, got.Frames)
	case carriesSeq && got.Seq != want.Seq && (got.Seq < uint64(first) || got.Seq >= uint64(first+count)):
		return fmt.Errorf("message %d: expected seq %d, got %d, which is not in this plan (%d..%d): corrupted or a stray message",
			seq, seq, got.Seq, first, first+count-1)
	case carriesSeq && got.Seq != want.Seq:
		return fmt.Errorf("message %d: expected seq %d, got %d (%s)", seq, seq, got.Seq, misorder(seq, int(got.Seq)))
	case got.Frames != want.Frames:
		return fmt.Errorf("message %d: %d frames, expected %d (%s)", seq, got.Frames, want.Frames, digestSeq(got))
	case !carriesSeq && got.Seq != want.Seq:
		// The plan's frames are too short for a header (or a long prefix frame comes first):
		// the digests differ in the bytes where a header would be.
		return fmt.Errorf("message %d: content differs from the plan (first frame of %d+ bytes starts %016x, expected %016x: corrupted or reordered)",
			seq, peer.HeaderLen, got.Seq, want.Seq)
	}
	return fmt.Errorf("message %d (seq %d, %d frames, as expected): content differs from the plan (corrupted: crc %08x, expected %08x)",
		seq, seq, got.Frames, got.CRC, want.CRC)
}

func digestSeq(d peer.Digest) string {
	if d.Seq == peer.NoSeq {
		return "no sequence header"
	}
	return fmt.Sprintf("it carries seq %d", d.Seq)
}

// planDigester computes the digests of a plan's messages reusing one buffer per frame, so a
// 100 000-message plan is not 100 000 allocations.
type planDigester struct {
	plan peer.Plan
	msg  [][]byte // the prefix frames, then the data frames refilled per message
}

func newPlanDigester(plan peer.Plan) *planDigester {
	d := &planDigester{plan: plan}
	d.msg = append(d.msg, plan.Prefix...)
	for _, n := range plan.FrameSizes() {
		d.msg = append(d.msg, make([]byte, n))
	}
	return d
}

func (d *planDigester) digest(i int) peer.Digest {
	for j, f := range d.msg[len(d.plan.Prefix):] {
		peer.Fill(f, d.plan.Start+i, j)
	}
	return peer.DigestOf(d.msg)
}
