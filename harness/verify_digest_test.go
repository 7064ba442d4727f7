package harness_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// digestsOf is what a peer in digest mode answers for these messages.
func digestsOf(msgs [][][]byte) []peer.Digest {
	out := make([]peer.Digest, len(msgs))
	for i, m := range msgs {
		out[i] = peer.DigestOf(m)
	}
	return out
}

func planMessages(p peer.Plan) [][][]byte {
	out := make([][][]byte, p.Count)
	for i := range out {
		out[i] = p.Message(i)
	}
	return out
}

var _ = Describe("VerifyPlanDigest", func() {
	plan := peer.Plan{Count: 8, Start: 41203, Sizes: []int{3, 20}, Prefix: [][]byte{[]byte("topic")}}

	It("accepts the plan's messages, and agrees with VerifyPlan on them", func() {
		msgs := planMessages(plan)
		Expect(harness.VerifyPlan(plan, msgs)).To(Succeed())
		Expect(harness.VerifyPlanDigest(plan, digestsOf(msgs))).To(Succeed())
		Expect(harness.VerifyPlanDigest(peer.Plan{}, nil)).To(Succeed())
	})

	DescribeTable("names the first message that differs and what happened",
		func(mutate func([][][]byte) [][][]byte, want any) {
			msgs := mutate(planMessages(plan))
			Expect(harness.VerifyPlan(plan, msgs)).NotTo(Succeed(), "VerifyPlan sees it too")
			Expect(harness.VerifyPlanDigest(plan, digestsOf(msgs))).To(MatchError(want))
		},
		Entry("a duplicate", func(m [][][]byte) [][][]byte { m[4] = m[3]; return m },
			"message 41207: expected seq 41207, got 41206 (duplicate or reordered)"),
		Entry("a lost message", func(m [][][]byte) [][][]byte { return append(m[:4], m[5:]...) },
			"message 41207: expected seq 41207, got 41208 (1 messages lost or reordered)"),
		Entry("a corrupted byte", func(m [][][]byte) [][][]byte { m[2][2][15] ^= 1; return m },
			MatchRegexp(`^message 41205 \(seq 41205, 3 frames, as expected\): content differs from the plan \(corrupted: crc [0-9a-f]{8}, expected [0-9a-f]{8}\)$`)),
		Entry("a frame boundary moved", func(m [][][]byte) [][][]byte {
			m[1][1] = append(m[1][1], m[1][2][0])
			m[1][2] = m[1][2][1:]
			return m
		}, "message 41204: expected seq 41204, got 10548224, which is not in this plan (41203..41210): corrupted or a stray message"),
		Entry("a header cut short", func(m [][][]byte) [][][]byte { m[1][2] = m[1][2][:11]; return m },
			"message 41204: expected seq 41204, got a message without a sequence header, 3 frames (corrupted)"),
		Entry("a frame too many", func(m [][][]byte) [][][]byte { m[5] = append(m[5], []byte{}); return m },
			"message 41208: 4 frames, expected 3 (it carries seq 41208)"),
		Entry("a missing tail", func(m [][][]byte) [][][]byte { return m[:6] },
			"6 of 8 messages received; first missing is message 41209"),
		Entry("an extra message", func(m [][][]byte) [][][]byte { return append(m, m[7]) },
			"9 messages received, 8 sent: message 8 is extra (it carries seq 41210)"),
	)

	It("tells corruption from reordering apart without a sequence header", func() {
		short := peer.Plan{Count: 3, Start: 5, Size: 4}
		msgs := planMessages(short)
		msgs[1], msgs[2] = msgs[2], msgs[1]
		Expect(harness.VerifyPlanDigest(short, digestsOf(msgs))).To(MatchError(
			MatchRegexp(`^message 6 \(seq 6, 1 frames, as expected\): content differs from the plan \(corrupted: crc`)))
		msgs = planMessages(short)
		msgs[0] = [][]byte{msgs[0][0], {}}
		Expect(harness.VerifyPlanDigest(short, digestsOf(msgs))).To(MatchError("message 5: 2 frames, expected 1 (no sequence header)"))
	})
})
