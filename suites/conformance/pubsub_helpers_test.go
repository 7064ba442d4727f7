package conformance_test

import (
	"context"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
)

// Helpers of the publish-subscribe, XPUB/XSUB and PAIR cases. They synchronise on observable
// events only: a subscription is known to be in force at the publisher when a message
// published on its topic reaches the subscriber (h.AwaitSubscribed), and because a
// subscriber's requests travel in order on one connection, a "fence" subscription that is seen
// proves every request sent before it (an unsubscribe, a duplicate subscribe) has been
// processed too (psFence). Likewise a message published after others on the same connection
// ends a negative wait: what it follows has arrived, or never will (psRecvUntil).

// psSub and psUnsub are XSUB/XPUB subscription messages: 0x01 / 0x00 followed by the topic.
func psSub(topic string) string   { return "\x01" + topic }
func psUnsub(topic string) string { return "\x00" + topic }

// psIsSubscription reports whether a message received by an XPUB application is a
// (un)subscription request: one frame starting with 0x00 or 0x01 (RFC 29 XPUB, libzmq).
func psIsSubscription(m [][]byte) bool {
	return len(m) == 1 && len(m[0]) > 0 && (m[0][0] == 0 || m[0][0] == 1)
}

// psFence subscribes s to a fresh topic and waits until pub delivers on it: every request s sent
// before (subscribe, unsubscribe) has then been processed by pub. It returns the non-probe
// messages received meanwhile. The fence topic stays subscribed; callers publish on it to end
// a sequence.
func psFence(ctx context.Context, pub, s *h.Sock, topic string) [][][]byte {
	GinkgoHelper()
	if s.Type == h.XSUB {
		s.Send(ctx, psSub(topic)) // an XSUB subscribes by message, not by option
	} else {
		s.Subscribe(ctx, topic)
	}
	return h.AwaitSubscribed(ctx, pub, topic, s)[s]
}

// psRecvUntil receives on s until a message whose first frame is last has arrived, each within
// within, and returns every non-probe message received, that one included.
func psRecvUntil(ctx context.Context, s *h.Sock, last string, within time.Duration) [][][]byte {
	GinkgoHelper()
	var got [][][]byte
	for {
		m, err := s.TryRecv(ctx, within)
		Expect(err).NotTo(HaveOccurred(), "%s: %s never arrived; received before it: %s", s.Name, h.Printable(last), psDescribe(got))
		if h.IsProbe(m) {
			continue
		}
		got = append(got, m)
		if len(m) > 0 && string(m[0]) == last {
			return got
		}
	}
}

// psRecvSubscriptions receives n (un)subscription messages on an XPUB, each within
// h.ArriveLimit, and returns them as strings; anything else fails the cell.
func psRecvSubscriptions(ctx context.Context, xp *h.Sock, n int) []string {
	GinkgoHelper()
	var got []string
	for len(got) < n {
		m, err := xp.TryRecv(ctx, h.ArriveLimit)
		Expect(err).NotTo(HaveOccurred(), "%s delivered %q, expected %d subscription messages", xp.Name, got, n)
		Expect(psIsSubscription(m)).To(BeTrue(), "%s delivered %s where a subscription message was expected", xp.Name, h.Describe(m))
		got = append(got, string(m[0]))
	}
	return got
}

// psRecvData receives n messages that are not subscription messages on an XPUB, each within
// h.ArriveLimit, skipping the (un)subscriptions that arrive meanwhile.
func psRecvData(ctx context.Context, xp *h.Sock, n int) [][]string {
	GinkgoHelper()
	var got [][]string
	for len(got) < n {
		m, err := xp.TryRecv(ctx, h.ArriveLimit)
		Expect(err).NotTo(HaveOccurred(), "%s delivered %q, expected %d messages", xp.Name, got, n)
		if !psIsSubscription(m) {
			got = append(got, h.Strings(m))
		}
	}
	return got
}

// psFirsts returns the first frame of each message, as strings.
func psFirsts(msgs [][][]byte) []string {
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		if len(m) == 0 {
			out = append(out, "<no frames>")
			continue
		}
		out = append(out, string(m[0]))
	}
	return out
}

// psFrames turns messages into lists of string frames, for exact comparisons.
func psFrames(msgs [][][]byte) [][]string {
	out := make([][]string, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, h.Strings(m))
	}
	return out
}

func psDescribe(msgs [][][]byte) string {
	var parts []string
	for _, m := range msgs {
		parts = append(parts, h.Describe(m))
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}
