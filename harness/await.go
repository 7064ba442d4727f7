package harness

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// Making a path observable before a case acts (DESIGN: synchronise on observable events,
// never on sleeps; libzmq's own tests sleep SETTLE_TIME and are flaky for it). A connection is
// known to be up when a probe crossed it; a subscription is in force at a publisher when a
// probe published on its topic arrived. Every wait below is one probeWait: rounds of probes
// until every target has shown one, within a limit, failing the step with the names of the
// targets that never did. The entry points differ only in who sends the probes, who shows
// them, and how the queues are emptied afterwards so that a case starts with nothing in flight.

// Limits of the waits. Each bounds what an implementation that never makes the path
// observable costs its cell; none is a delay a passing cell pays.
var (
	// SettleLimit bounds a wait for connections to come up: connection set-up and handshakes,
	// tens of milliseconds normally, seconds for a peer process starting on a loaded machine.
	SettleLimit = 10 * time.Second
	// SubscribeLimit bounds a wait for a first subscription to reach a publisher over a
	// connection not proven up yet: connection set-up, handshake and the subscription, tens of
	// milliseconds normally, and over 2 s seen when the machine is loaded (5 processes
	// connecting at a load average of 47). A later subscription over a connection a probe has
	// crossed gets ArriveLimit: it is one message on a live path.
	SubscribeLimit = 5 * time.Second
	// ArriveLimit bounds the wait for something that must follow promptly from a path already
	// proven up (a message over a connection a probe crossed, a flush probe behind the probes
	// of a subscription): milliseconds normally; shorter than the default 5 s per step, so that
	// a cell whose implementation never delivers fails in 2 s.
	ArriveLimit = 2 * time.Second
)

// ProbeMarker ends the last frame of synchronisation messages, so that cases can tell them
// apart (IsProbe): receiving helpers leave probes out of what they return.
const ProbeMarker = "\x00zs-probe"

// probePoll is how long each check of a target waits for a probe within a round.
const probePoll = 20 * time.Millisecond

// probeWait is one wait for paths to become observable.
type probeWait struct {
	step    string        // what the step is called in a failure: "await connections"
	limit   time.Duration // how long the targets have to show a probe
	targets []*Sock       // who must show a probe: receivers, or the senders of a fan-in
	// missing says what it means that the named targets never showed a probe within limit.
	missing func(names string) string
	round   func(pending []*Sock)        // sends one round of probes
	collect func(pending map[*Sock]bool) // looks for probes, deleting the targets that showed one
}

// run does rounds until no target is pending; it fails the step once the limit has passed.
func (w probeWait) run() {
	pending := map[*Sock]bool{}
	for _, t := range w.targets {
		pending[t] = true
	}
	deadline := time.Now().Add(w.limit)
	for len(pending) > 0 {
		left := inOrder(w.targets, pending)
		if time.Now().After(deadline) {
			panic(&StepError{Step: w.step, Err: errors.New(w.missing(sockNames(left)))})
		}
		w.round(left)
		w.collect(pending)
	}
}

// probeCount counts the probes of one wait: those the sender accepted, those it refused with
// would-block, and those seen arrive. The count ends a drain exactly when it can be trusted:
// every accepted probe seen, and no refused one that may still go out (go-zeromq cannot cancel
// a send that timed out: it goes out later), or every probe offered seen. unsure says the
// count cannot be trusted at all: more probes arrived than were offered (a sender that copies
// every message to every peer).
type probeCount struct {
	accepted, refused, seen int
	unsure                  bool
}

// exact reports whether the count proves that no probe of this wait is still in flight.
func (c *probeCount) exact() bool {
	return !c.unsure && c.seen >= c.accepted && (c.refused == 0 || c.seen == c.accepted+c.refused)
}

// send offers one probe; a would-block only means fewer probes this round (a full queue, a
// connection not up yet). Any other refusal fails the step.
func (c *probeCount) send(ctx context.Context, s *Sock, probe [][]byte) {
	err := s.TrySend(ctx, 100*time.Millisecond, probe)
	switch {
	case err == nil:
		c.accepted++
	case peer.Category(err) == peer.ErrAgain:
		c.refused++
	default:
		panic(&StepError{Step: "send probe (" + s.Name + ")", Err: err})
	}
}

// take counts a message received while probing; non-probes go to other (aligned with socks).
func (c *probeCount) take(i int, m [][]byte, other [][][][]byte) {
	if IsProbe(m) {
		c.seen++
	} else {
		other[i] = append(other[i], m)
	}
	if c.seen > c.accepted+c.refused {
		c.unsure = true
	}
}

// drain receives on socks until the count is exact (every accepted probe seen, and every
// refused one too or none refused) and one more look finds nothing: then nothing is in flight
// and the queues are empty, with no quiet window to wait out. Where the count cannot end it —
// refused probes that may or may not still go out, more probes than offered, or a probe queued
// for a connection still pending that never arrives — it ends once socks have been quiet for
// DrainQuiet, which grows with the path (applySlack): a refused probe that does go out is a
// send like any other, late by what the path adds at most. Non-probe messages are returned per
// socket (aligned with socks).
func (c *probeCount) drain(ctx context.Context, socks ...*Sock) [][][][]byte {
	other := make([][][][]byte, len(socks))
	quietSince := time.Now()
	for {
		wait := drainPoll(len(socks))
		counted := c.exact()
		if counted {
			wait = 0 // the last look: anything more means the count cannot be trusted
		}
		got := false
		for i, s := range socks {
			if m, err := s.TryRecv(ctx, wait); err == nil {
				got = true
				c.take(i, m, other)
			}
		}
		switch {
		case got:
			quietSince = time.Now()
			if counted && !c.exact() {
				c.unsure = true
			}
		case counted:
			return other
		case time.Since(quietSince) >= DrainQuiet:
			return other
		}
	}
}

// drainPoll spreads one pass of a drain's polls over about 10 ms, whatever the number of
// sockets.
func drainPoll(n int) time.Duration {
	return max(time.Millisecond, 10*time.Millisecond/time.Duration(max(n, 1)))
}

// AwaitFlowing sends probes from sender until every receiver has received one, then drains
// the receivers until every probe sent has arrived: every connection is up and in the
// sender's rotation, and nothing is in flight. It suits PUSH→PULL, DEALER→DEALER/ROUTER
// (whose received probes carry a routing frame first) and PAIR→PAIR. Each round sends as many
// probes as receivers are still pending (a round-robin sender spreads them over its peers).
func AwaitFlowing(ctx context.Context, sender *Sock, receivers ...*Sock) {
	var c probeCount
	probeWait{
		step: "await connections", limit: SettleLimit, targets: receivers,
		missing: func(names string) string {
			return fmt.Sprintf("no probe from %s reached %s within %v", sender.Name, names, SettleLimit)
		},
		round: func(pending []*Sock) {
			for range pending {
				c.send(ctx, sender, Msg(ProbeMarker))
			}
		},
		collect: func(pending map[*Sock]bool) {
			for _, r := range receivers {
				if !pending[r] {
					continue
				}
				if m, err := r.TryRecv(ctx, probePoll); err == nil && IsProbe(m) {
					c.take(0, m, nil)
					delete(pending, r)
				}
			}
		},
	}.run()
	c.drain(ctx, receivers...)
}

// AwaitFanIn makes every sender's connection to one receiver observable (PUSHes into a PULL,
// DEALERs into a ROUTER or DEALER): each pending sender sends a probe naming itself until the
// receiver has had one from each; then the receiver is drained until every probe sent has
// arrived.
func AwaitFanIn(ctx context.Context, receiver *Sock, senders ...*Sock) {
	var c probeCount
	index := map[*Sock]int{}
	for i, s := range senders {
		index[s] = i
	}
	probeWait{
		step: "await connections", limit: SettleLimit, targets: senders,
		missing: func(names string) string {
			return fmt.Sprintf("no probe from %s reached %s within %v", names, receiver.Name, SettleLimit)
		},
		round: func(pending []*Sock) {
			for _, s := range pending {
				c.send(ctx, s, Msg(strconv.Itoa(index[s])+ProbeMarker))
			}
		},
		collect: func(pending map[*Sock]bool) {
			for wait := probePoll; ; wait = 0 {
				m, err := receiver.TryRecv(ctx, wait)
				if err != nil {
					return
				}
				if i, ok := probeSender(m); ok && i < len(senders) {
					c.take(0, m, nil)
					delete(pending, senders[i])
				}
			}
		},
	}.run()
	c.drain(ctx, receiver)
}

// probeSender reads the sender index a fan-in probe carries before the marker.
func probeSender(m [][]byte) (int, bool) {
	if !IsProbe(m) {
		return 0, false
	}
	i, err := strconv.Atoi(strings.TrimSuffix(string(m[len(m)-1]), ProbeMarker))
	return i, err == nil && i >= 0
}

// AwaitSubscribed publishes probes on topic from pub until every sub has received one, within
// SubscribeLimit, or ArriveLimit where every sub's connection from pub is proven up by an
// earlier AwaitSubscribed; the failure names the subscribers that never got one. It then publishes a
// final flush probe and receives up to it on every sub: the probes still in flight precede it
// on each connection, so none can arrive later and disturb an exact count (unlike a drain that
// ends on a quiet window: on a loaded machine a probe arrived 100 ms after the last). Nothing
// else is discarded: every non-probe message received meanwhile is returned per subscriber,
// for cases that assert on messages already in flight. Receiving on a subscriber is also the
// call into a bound libzmq SUB that makes it send its subscriptions (libzmq #2267).
func AwaitSubscribed(ctx context.Context, pub *Sock, topic string, subs ...*Sock) map[*Sock][][][]byte {
	other := map[*Sock][][][]byte{}
	probe := Msg(topic + ProbeMarker)
	limit := ArriveLimit
	for _, s := range subs {
		if !pub.subscribed[s] {
			limit = SubscribeLimit // a connection still to be proven
		}
	}
	probeWait{
		step: "await subscription", limit: limit, targets: subs,
		missing: func(names string) string {
			return fmt.Sprintf("no message published by %s on topic %s reached %s within %v: the subscription never took effect at the publisher",
				pub.Name, Printable(topic), names, limit)
		},
		round: func([]*Sock) {
			// A publisher drops what no one is subscribed to; would-block only means a full queue.
			if err := pub.TrySend(ctx, 0, probe); err != nil && peer.Category(err) != peer.ErrAgain {
				panic(&StepError{Step: "publish probe (" + pub.Name + ")", Err: err})
			}
		},
		collect: func(pending map[*Sock]bool) {
			for _, s := range subs {
				if !pending[s] {
					continue
				}
				for wait := probePoll; ; wait = 0 {
					m, err := s.TryRecv(ctx, wait)
					if err != nil {
						break
					}
					if !IsProbe(m) {
						other[s] = append(other[s], m)
					} else if strings.HasPrefix(string(m[0]), topic) {
						delete(pending, s)
						break
					}
				}
			}
		},
	}.run()
	if pub.subscribed == nil {
		pub.subscribed = map[*Sock]bool{}
	}
	for _, s := range subs {
		pub.subscribed[s] = true
	}
	flush := topic + "flush" + ProbeMarker
	pub.Send(ctx, flush)
	for _, s := range subs {
		for {
			m, err := s.TryRecv(ctx, ArriveLimit)
			if err != nil {
				panic(&StepError{Step: "await subscription flush (" + s.Name + ")",
					Err: fmt.Errorf("the flush probe published by %s on topic %s after the subscription took effect never arrived: %w", pub.Name, Printable(topic), err)})
			}
			if len(m) == 1 && string(m[0]) == flush {
				break
			}
			if !IsProbe(m) {
				other[s] = append(other[s], m)
			}
		}
	}
	return other
}

// AwaitServing is AwaitFlowing for a DEALER in front of REP workers (a broker's backend):
// probes carry the empty delimiter a REP needs, and each worker answers every probe it gets,
// since a REP must send before it can receive again; the answers are drained from the dealer
// as they come (go-zeromq's inproc connections have no queue: an unread answer would block
// the REP that sends it). Afterwards every probe sent has been answered and every answer
// received. With a worker still connecting, requests would all go to the others, and a case
// about how work is shared would pass or fail by timing.
func AwaitServing(ctx context.Context, dealer *Sock, workers ...*Sock) {
	var asked, answers probeCount
	answer := func(w *Sock, wait time.Duration) bool {
		if _, err := w.TryRecv(ctx, wait); err != nil {
			return false
		}
		if err := w.TrySend(ctx, time.Second, Msg(ProbeMarker)); err != nil {
			panic(&StepError{Step: "answer probe on " + w.Name, Err: err})
		}
		asked.seen++
		answers.accepted++
		answers.takeNow(ctx, dealer)
		return true
	}
	probeWait{
		step: "await workers", limit: SettleLimit, targets: workers,
		missing: func(names string) string {
			return fmt.Sprintf("no probe from %s reached %s within %v", dealer.Name, names, SettleLimit)
		},
		round: func(pending []*Sock) {
			for range pending {
				asked.send(ctx, dealer, Msg("", ProbeMarker))
			}
		},
		collect: func(pending map[*Sock]bool) {
			for _, w := range workers { // the served ones too: round robin sends them more
				if answer(w, probePoll) {
					delete(pending, w)
				}
			}
		},
	}.run()
	// Answer the probes still in flight: until every probe sent was answered and one more
	// look finds none, or, where the count is unsure (see probeCount), until the workers have
	// been quiet for DrainQuiet.
	for quietSince := time.Now(); ; {
		counted := asked.exact()
		wait := drainPoll(len(workers))
		if counted {
			wait = 0
		}
		got := false
		for _, w := range workers {
			got = answer(w, wait) || got
		}
		if asked.seen > asked.accepted+asked.refused {
			asked.unsure = true // a DEALER that copies every message to every peer
		}
		if got {
			quietSince = time.Now()
			if counted {
				asked.unsure = true
			}
		} else if counted || time.Since(quietSince) >= DrainQuiet {
			break
		}
	}
	answers.unsure = answers.unsure || asked.unsure
	answers.drain(ctx, dealer)
}

// takeNow takes the probes s holds right now (counting them as seen), without waiting.
func (c *probeCount) takeNow(ctx context.Context, s *Sock) {
	other := make([][][][]byte, 1)
	for {
		m, err := s.TryRecv(ctx, 0)
		if err != nil {
			return
		}
		c.take(0, m, other)
	}
}

// AwaitRotation has a REQ send requests, each answered by whichever responder (REP or ROUTER)
// received it, until every responder has answered one: then every connection is up and in the
// REQ's round-robin (RFC 28 routes only to connected peers), and nothing is in flight (a REQ
// has one request outstanding at a time). It returns the last request each responder received:
// a ROUTER needs its envelope to reply to the REQ later.
func AwaitRotation(ctx context.Context, req *Sock, responders ...*Sock) [][][]byte {
	last := make([][][]byte, len(responders))
	probeWait{
		step: "await rotation", limit: SettleLimit, targets: responders,
		missing: func(names string) string {
			return fmt.Sprintf("no request from %s reached %s within %v", req.Name, names, SettleLimit)
		},
		round: func([]*Sock) { SendRequest(ctx, req, ProbeMarker) },
		collect: func(pending map[*Sock]bool) {
			a := AwaitAny(ctx, responders, RecvTimeout, "a probe request from "+req.Name)
			last[a.At] = a.Msg
			delete(pending, responders[a.At])
			Answer(ctx, responders[a.At], a.Msg, ProbeMarker)
			if got := req.RecvStrings(ctx); len(got) != 1 || got[0] != ProbeMarker {
				panic(&StepError{Step: "await rotation", Err: fmt.Errorf("%s received %q as the reply to a probe request", req.Name, got)})
			}
		},
	}.run()
	return last
}

// SendRequest sends a request from a REQ whose peers may not be connected yet: a bound REQ
// learns of its peers asynchronously, and go-zeromq's REQ fails at once without a connection
// where libzmq blocks. It retries while the REQ answers would-block (the request was not
// taken), for up to SettleLimit. Only for REQ: a DEALER or ROUTER would-block may leave a send
// in flight inside go-zeromq, and retrying would duplicate it.
func SendRequest(ctx context.Context, req *Sock, frames ...string) {
	deadline := time.Now().Add(SettleLimit)
	for {
		err := req.TrySend(ctx, 100*time.Millisecond, Msg(frames...))
		switch {
		case err == nil:
			return
		case peer.Category(err) != peer.ErrAgain:
			panic(&StepError{Step: fmt.Sprintf("%s refused the request %q", req.Name, frames), Err: err})
		case time.Now().After(deadline):
			panic(&StepError{Step: "send request", Err: fmt.Errorf("%s never had a connected peer to send its request %q to within %v: %w", req.Name, frames, SettleLimit, err)})
		}
		// A connection being made: poll again shortly, as Eventually would (go-zeromq refuses
		// at once, so the in-peer timeout alone would spin).
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// Arrival is a message as one of several sockets received it.
type Arrival struct {
	At  int // index of the socket that received it
	Msg [][]byte
}

// AwaitAny is PollAny for a message that must come: it fails the step, saying what was
// awaited, when nothing reached any of socks within limit.
func AwaitAny(ctx context.Context, socks []*Sock, limit time.Duration, what string) Arrival {
	a, ok := PollAny(ctx, socks, limit)
	if !ok {
		panic(&StepError{Step: "await " + what, Err: fmt.Errorf("no message reached any of %s within %v", sockNames(socks), limit)})
	}
	return a
}

// pollStep is the in-peer wait of each poll of a socket in PollAny.
const pollStep = 2 * time.Millisecond

// PollAny polls socks until one of them delivers a message, and says which; false when nothing
// arrived within limit.
func PollAny(ctx context.Context, socks []*Sock, limit time.Duration) (Arrival, bool) {
	deadline := time.Now().Add(limit)
	for {
		for i, s := range socks {
			if m, err := s.TryRecv(ctx, pollStep); err == nil {
				return Arrival{At: i, Msg: m}, true
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return Arrival{}, false
		}
	}
}

// SplitEnvelope splits a message as a ROUTER or a raw DEALER sees it into its envelope (the
// frames up to and including the first empty frame, RFC 28) and its body. With no empty frame
// the envelope is nil.
func SplitEnvelope(m [][]byte) (env, body [][]byte) {
	for i, f := range m {
		if len(f) == 0 {
			return m[:i+1], m[i+1:]
		}
	}
	return nil, m
}

// Answer replies to a request a REP or a ROUTER received: a REP sends the body alone (it keeps
// the envelope itself); a ROUTER sends the request's envelope, then the body.
func Answer(ctx context.Context, s *Sock, request [][]byte, body ...string) {
	switch s.Type {
	case REP:
		s.Send(ctx, body...)
	case ROUTER:
		env, _ := SplitEnvelope(request)
		if env == nil {
			panic(&StepError{Step: "answer on " + s.Name, Err: fmt.Errorf("the request %s has no envelope", Describe(request))})
		}
		s.SendMsg(ctx, append(append([][]byte(nil), env...), Msg(body...)...))
	default:
		panic(&StepError{Step: "answer on " + s.Name, Err: fmt.Errorf("a %s does not reply", s.Type)})
	}
}

// IsProbe reports whether a message is a synchronisation probe (its last frame carries the
// marker, whatever envelope precedes it).
func IsProbe(m [][]byte) bool {
	return len(m) > 0 && strings.HasSuffix(string(m[len(m)-1]), ProbeMarker)
}

// Printable shows a topic or frame with its control bytes escaped and long ones shortened.
func Printable(s string) string {
	if len(s) > 24 {
		return fmt.Sprintf("%q…(%d B)", s[:16], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// inOrder returns the members of set in the order of all.
func inOrder(all []*Sock, set map[*Sock]bool) []*Sock {
	var out []*Sock
	for _, s := range all {
		if set[s] {
			out = append(out, s)
		}
	}
	return out
}

func sockNames(socks []*Sock) string {
	n := make([]string, len(socks))
	for i, s := range socks {
		n[i] = s.Name
	}
	return strings.Join(n, ", ")
}
