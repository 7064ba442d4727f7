package harness

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// Synchronisation on observable events, never on sleeps (libzmq's own tests sleep
// SETTLE_TIME and are flaky for it): a subscription is known to have arrived when a message
// published on its topic is received; a connection is known to be up when a message crossed it.

// SettleLimit bounds every wait for a path to become observable.
var SettleLimit = 10 * time.Second

// ProbeMarker starts the payload of synchronisation messages, so that cases can tell them apart.
const ProbeMarker = "\x00zs-probe"

// AwaitSubscribed publishes probes on topic from pub until every sub has received one, then
// drains the subs, so the case starts with subscriptions in place and empty queues. A bound
// SUB in libzmq 4.3.4 only sends its subscription once the application calls into it
// (libzmq #2267): receiving is such a call, so this also unblocks that.
func AwaitSubscribed(ctx context.Context, pub *Sock, topic string, subs ...*Sock) {
	pending := map[*Sock]bool{}
	for _, s := range subs {
		pending[s] = true
	}
	deadline := time.Now().Add(SettleLimit)
	for len(pending) > 0 {
		if time.Now().After(deadline) {
			panic(&StepError{Step: "await subscription", Err: fmt.Errorf("no probe on topic %q reached %s within %v", topic, names(pending), SettleLimit)})
		}
		if err := pub.TrySend(ctx, 0, Msg(topic+ProbeMarker)); err != nil && peer.Category(err) != peer.ErrAgain {
			panic(&StepError{Step: "publish probe", Err: err})
		}
		for s := range pending {
			if m, err := s.TryRecv(ctx, 20*time.Millisecond); err == nil && len(m) > 0 {
				delete(pending, s)
			}
		}
	}
	for _, s := range subs {
		Drain(ctx, s)
	}
}

// AwaitFlowing sends probes from sender until every receiver has received one, then drains
// them: every connection is up and in the sender's rotation. It suits PUSH→PULL and
// DEALER→DEALER/ROUTER (whose received probes carry a routing frame first).
func AwaitFlowing(ctx context.Context, sender *Sock, receivers ...*Sock) {
	ProbeUntilFlowing(ctx, sender, receivers...)
	for _, s := range receivers {
		Drain(ctx, s)
	}
}

// ProbeUntilFlowing is AwaitFlowing without the drain, for callers that drain their own way.
// Each round sends as many probes as receivers are still pending (a round-robin sender spreads
// them over its peers), then checks every pending receiver once, in order.
func ProbeUntilFlowing(ctx context.Context, sender *Sock, receivers ...*Sock) {
	pending := map[*Sock]bool{}
	for _, s := range receivers {
		pending[s] = true
	}
	deadline := time.Now().Add(SettleLimit)
	for len(pending) > 0 {
		probeRound(ctx, sender, Msg(ProbeMarker), pending, deadline, "await connections")
		for _, s := range receivers {
			if !pending[s] {
				continue
			}
			if m, err := s.TryRecv(ctx, 20*time.Millisecond); err == nil && len(m) > 0 {
				delete(pending, s)
			}
		}
	}
}

// AwaitServing is AwaitFlowing for a DEALER in front of REP workers (a broker's backend):
// probes carry the empty delimiter a REP needs, and each worker answers every probe it gets,
// since a REP must send before it can receive again; the answers are drained from the dealer.
// With a worker still connecting, requests would all go to the others, and a case about how
// work is shared would pass or fail by timing.
func AwaitServing(ctx context.Context, dealer *Sock, workers ...*Sock) {
	pending := map[*Sock]bool{}
	for _, w := range workers {
		pending[w] = true
	}
	answer := func(w *Sock, wait time.Duration) bool {
		if _, err := w.TryRecv(ctx, wait); err != nil {
			return false
		}
		if err := w.TrySend(ctx, time.Second, Msg(ProbeMarker)); err != nil {
			panic(&StepError{Step: "answer probe on " + w.Name, Err: err})
		}
		return true
	}
	deadline := time.Now().Add(SettleLimit)
	for len(pending) > 0 {
		probeRound(ctx, dealer, Msg("", ProbeMarker), pending, deadline, "await workers")
		for _, w := range workers { // the served ones too: round robin sends them more
			if answer(w, 20*time.Millisecond) {
				delete(pending, w)
			}
		}
	}
	for quiet := false; !quiet; { // answer the probes still in flight
		quiet = true
		for _, w := range workers {
			if answer(w, 100*time.Millisecond) {
				quiet = false
			}
		}
	}
	Drain(ctx, dealer)
}

// probeRound is one round of the probe waits: it fails step once deadline has passed with
// receivers still pending, else sends as many probes as receivers are pending (a round-robin
// sender spreads them over its peers; a full queue just means fewer this round).
func probeRound(ctx context.Context, sender *Sock, probe [][]byte, pending map[*Sock]bool, deadline time.Time, step string) {
	if time.Now().After(deadline) {
		panic(&StepError{Step: step, Err: fmt.Errorf("no probe reached %s within %v", names(pending), SettleLimit)})
	}
	for range pending {
		if err := sender.TrySend(ctx, 100*time.Millisecond, probe); err != nil && peer.Category(err) != peer.ErrAgain {
			panic(&StepError{Step: "send probe", Err: err})
		}
	}
}

// Drain receives until nothing has arrived for 100 ms and returns what it received.
func Drain(ctx context.Context, s *Sock) [][][]byte {
	var got [][][]byte
	for {
		m, err := s.TryRecv(ctx, 100*time.Millisecond)
		if err != nil {
			return got
		}
		got = append(got, m)
	}
}

// IsProbe reports whether a message is a synchronisation probe (its last frame carries the
// marker, whatever envelope precedes it).
func IsProbe(m [][]byte) bool {
	return len(m) > 0 && strings.HasSuffix(string(m[len(m)-1]), ProbeMarker)
}

func names(set map[*Sock]bool) string {
	var n []string
	for s := range set {
		n = append(n, s.Name)
	}
	return strings.Join(n, ", ")
}
