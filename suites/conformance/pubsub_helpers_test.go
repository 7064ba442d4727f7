package conformance_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// Helpers of the publish-subscribe, XPUB/XSUB and PAIR cases. They synchronise on observable
// events only: a subscription is known to be in force at the publisher when a message
// published on its topic reaches the subscriber, and because a subscriber's requests travel
// in order on one connection, a "fence" subscription that is seen proves every request sent
// before it (an unsubscribe, a duplicate subscribe) has been processed too.

const (
	// psArrive bounds the wait for something that must follow promptly from a path
	// already proven up (a subscription reaching an XPUB application, a message between
	// connected peers): milliseconds normally, so 2 s is generous on a loaded 2-core machine,
	// and short enough that a cell whose implementation never delivers fails in 2 s, not in
	// the default 5 s per step.
	psArrive = 2 * time.Second
	// psSettle bounds the wait for a subscription to reach a publisher (connection setup
	// included): tens of milliseconds normally.
	psSettle = 2 * time.Second
	// psQuiet is how long a negative check listens: messages that should not come have had
	// every chance to overtake a later message on the same connection by then.
	psQuiet = 300 * time.Millisecond
)

// psSub and psUnsub are XSUB/XPUB subscription messages: 0x01 / 0x00 followed by the topic.
func psSub(topic string) string   { return "\x01" + topic }
func psUnsub(topic string) string { return "\x00" + topic }

// psIsSubscription reports whether a message received by an XPUB application is a
// (un)subscription request: one frame starting with 0x00 or 0x01 (RFC 29 XPUB, libzmq).
func psIsSubscription(m [][]byte) bool {
	return len(m) == 1 && len(m[0]) > 0 && (m[0][0] == 0 || m[0][0] == 1)
}

// psAwait publishes probes on topic from pub until every sub has received one, within
// limit; it fails the cell naming the subscribers that never got one. It then publishes a
// final "flush" probe and receives up to it on every sub: probes still in flight precede it
// on each connection, so none can arrive afterwards and disturb an exact count (on a loaded
// machine one did, 100 ms after the last). Unlike h.AwaitSubscribed it discards nothing else:
// every non-probe message received meanwhile is returned per subscriber, so that a case can
// assert on messages that were already in flight. Receiving on the subscriber is also the
// call into a bound libzmq SUB that makes it send its subscriptions (libzmq #2267).
func psAwait(ctx context.Context, pub *h.Sock, topic string, limit time.Duration, subs ...*h.Sock) map[*h.Sock][][][]byte {
	GinkgoHelper()
	other := map[*h.Sock][][][]byte{}
	pending := map[*h.Sock]bool{}
	for _, s := range subs {
		pending[s] = true
	}
	deadline := time.Now().Add(limit)
	for len(pending) > 0 {
		if time.Now().After(deadline) {
			var names []string
			for s := range pending {
				names = append(names, s.Name)
			}
			Expect(names).To(BeEmpty(), "no message published by %s on topic %s reached the subscriber within %v: the subscription never took effect at the publisher", pub.Name, psPrintable(topic), limit)
		}
		if err := pub.TrySend(ctx, 0, h.Msg(topic+h.ProbeMarker)); err != nil {
			Expect(peer.Category(err)).To(Equal(peer.ErrAgain), "%s refused a probe on topic %s", pub.Name, psPrintable(topic))
		}
		for s := range pending {
			m, err := s.TryRecv(ctx, 20*time.Millisecond)
			for err == nil {
				if h.IsProbe(m) && strings.HasPrefix(string(m[0]), topic) {
					delete(pending, s)
				} else if !h.IsProbe(m) {
					other[s] = append(other[s], m)
				}
				if !pending[s] {
					break
				}
				m, err = s.TryRecv(ctx, 0)
			}
		}
	}
	flush := topic + "flush" + h.ProbeMarker
	pub.Send(ctx, flush)
	for _, s := range subs {
		for {
			m, err := s.TryRecv(ctx, psArrive)
			Expect(err).NotTo(HaveOccurred(), "%s: the flush probe on topic %s never arrived", s.Name, psPrintable(topic))
			if len(m) == 1 && string(m[0]) == flush {
				break
			}
			if !h.IsProbe(m) {
				other[s] = append(other[s], m)
			}
		}
	}
	return other
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
	return psAwait(ctx, pub, topic, psSettle, s)[s]
}

// psListen receives until nothing has arrived for quiet and returns what came, probes left out.
func psListen(ctx context.Context, s *h.Sock, quiet time.Duration) [][][]byte {
	var got [][][]byte
	for {
		m, err := s.TryRecv(ctx, quiet)
		if err != nil {
			Expect(peer.Category(err)).To(Equal(peer.ErrAgain), "%s: receive failed", s.Name)
			return got
		}
		if !h.IsProbe(m) {
			got = append(got, m)
		}
	}
}

// psRecvUntil receives on s until a message whose first frame is last has arrived, each within
// within, and returns every non-probe message received, that one included.
func psRecvUntil(ctx context.Context, s *h.Sock, last string, within time.Duration) [][][]byte {
	GinkgoHelper()
	var got [][][]byte
	for {
		m, err := s.TryRecv(ctx, within)
		Expect(err).NotTo(HaveOccurred(), "%s: %s never arrived; received before it: %s", s.Name, psPrintable(last), psDescribe(got))
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
// psArrive, and returns them as strings; anything else fails the cell.
func psRecvSubscriptions(ctx context.Context, xp *h.Sock, n int) []string {
	GinkgoHelper()
	var got []string
	for len(got) < n {
		m, err := xp.TryRecv(ctx, psArrive)
		Expect(err).NotTo(HaveOccurred(), "%s delivered %q, expected %d subscription messages", xp.Name, got, n)
		Expect(psIsSubscription(m)).To(BeTrue(), "%s delivered %s where a subscription message was expected", xp.Name, h.Describe(m))
		got = append(got, string(m[0]))
	}
	return got
}

// psRecvData receives n messages that are not subscription messages on an XPUB, each within
// psArrive, skipping the (un)subscriptions that arrive meanwhile.
func psRecvData(ctx context.Context, xp *h.Sock, n int) [][]string {
	GinkgoHelper()
	var got [][]string
	for len(got) < n {
		m, err := xp.TryRecv(ctx, psArrive)
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

// psPrintable shows a topic with its control bytes escaped and long ones shortened.
func psPrintable(s string) string {
	if len(s) > 24 {
		return fmt.Sprintf("%q…(%d B)", s[:16], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// psUnlimitedQueues lifts the HWM of the direction(s) named ("sndhwm", "rcvhwm") to 0 = no
// limit, so that a volume case measures ordering and loss, not legitimate drops at a full
// queue. An implementation without the option has no such limit to lift: go-zeromq's SUB has
// no receive queue limit (it stops reading the connection, which back-pressures the
// publisher), so "unsupported" is not a skip here; any other refusal fails the cell.
func psUnlimitedQueues(ctx context.Context, s *h.Sock, opts ...string) {
	GinkgoHelper()
	for _, o := range opts {
		if err := s.TrySetOpt(ctx, o, 0); err != nil {
			Expect(peer.Category(err)).To(Equal(peer.ErrUnsupported), "%s refused %s=0", s.Name, o)
		}
	}
}

// psSmallQueue sets an HWM where the implementation has one (see psUnlimitedQueues for why an
// unsupported option is not a skip: the case judges the behaviour, not the knob).
func psSmallQueue(ctx context.Context, s *h.Sock, opt string, n int) bool {
	GinkgoHelper()
	if err := s.TrySetOpt(ctx, opt, n); err != nil {
		Expect(peer.Category(err)).To(Equal(peer.ErrUnsupported), "%s refused %s=%d", s.Name, opt, n)
		return false
	}
	return true
}
