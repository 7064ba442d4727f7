package harness

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// Negative waits: "nothing (more) arrives". Where a later message on the same path can prove
// that earlier ones would have arrived by now — a flush probe behind the probes of a
// subscription, a fence subscription behind an unsubscribe, a Fence round trip behind messages
// handed over — a case ends its wait on that observable fence: faster, and sounder than any
// window. Where nothing can (a message that must never be produced at all), it listens for one
// of these windows, each a few times what a delivery over a path already proven up takes (a
// few milliseconds), so that a message that would come has had every chance to. A window only
// ever decides that something did NOT happen: a late message it misses is a defect not
// caught, never a correct implementation failed. These are loopback's values; across a path
// each grows by what the path adds (applySlack, from PathEnv).
var (
	// QuietWindow is how long a case listens for a message that must not come (a stray reply,
	// a message more than was sent, a message to an incompatible peer).
	QuietWindow = 150 * time.Millisecond
	// QuietAfterFence is how long a case listens after a fence has passed: the fence proved
	// that what was sent before it has had the time a crossing takes, so this only covers the
	// last hand-over inside the receiving peer.
	QuietAfterFence = 50 * time.Millisecond
	// QuietReconnect covers a socket that may reconnect on its own: libzmq's default
	// reconnect interval is 100 ms, so a lingering socket delivers within a few of them.
	QuietReconnect = 500 * time.Millisecond
	// DrainQuiet ends a probe drain whose count cannot (see probeCount.drain) and the rounds
	// of receivers gathering a transfer: between messages of a transfer under way the gaps
	// are microseconds.
	DrainQuiet = 100 * time.Millisecond
	// TailQuiet is the last look of a gathering receiver that has fewer messages than were
	// sent, before concluding they are lost rather than slow (a loaded peer, a sender
	// draining a full queue).
	TailQuiet = 2 * time.Second
)

// Listen receives on every socket at once (one recv_batch job each) until each has been quiet
// for window, and returns what each received, probes left out (aligned with socks).
func Listen(ctx context.Context, window time.Duration, socks ...*Sock) [][][][]byte {
	return listen(ctx, window, listenMax, socks)
}

// Drain takes what one socket holds until it has been quiet for DrainQuiet, probes left out:
// for a case that must empty a socket (or just call it, so that libzmq processes a dead
// peer's clean-up) before its next step.
func Drain(ctx context.Context, s *Sock) [][][]byte {
	return Listen(ctx, DrainQuiet, s)[0]
}

// listenMax bounds what one Listen job takes from a socket.
const listenMax = 100_000

// listen runs one recv_batch job of at most most messages on every socket at once, each
// ending after window without a message, and returns the non-probe messages.
func listen(ctx context.Context, window time.Duration, most int, socks []*Sock) [][][][]byte {
	got := make([][][][]byte, len(socks))
	jobs := make([]*Job, len(socks))
	for i, s := range socks {
		jobs[i] = s.RecvN(ctx, most, window)
	}
	for i, j := range jobs {
		rep, err := j.Wait(ctx, JobLimit)
		if err != nil && peer.Category(err) != peer.ErrAgain && len(rep.Messages) == 0 {
			panic(&StepError{Step: "listen on " + socks[i].Name, Err: err})
		}
		for _, m := range rep.Messages {
			if !IsProbe(m) {
				got[i] = append(got[i], m)
			}
		}
	}
	return got
}

// NothingArrives asserts that no socket of socks receives a message (probes aside) within
// window, all listened to at once; why says what a message would mean ("a REQ's request must
// not reach an incompatible peer"). Each socket is asked for one message at a time, so that a
// socket that may receive only once (a REQ) is never asked twice.
func NothingArrives(ctx context.Context, window time.Duration, why string, socks ...*Sock) {
	var seen []string
	end := time.Now().Add(window)
	for left := socks; len(left) > 0; {
		jobs := make([]*Job, len(left))
		for i, s := range left {
			jobs[i] = s.RecvN(ctx, 1, max(time.Until(end), 0))
		}
		var probed []*Sock
		for i, j := range jobs {
			rep, err := j.Wait(ctx, JobLimit)
			switch {
			case len(rep.Messages) > 0 && IsProbe(rep.Messages[0]):
				probed = append(probed, left[i]) // a probe still in flight: listen on
			case len(rep.Messages) > 0:
				seen = append(seen, fmt.Sprintf("%s received %s", left[i].Name, Describe(rep.Messages[0])))
			case peer.Category(err) != peer.ErrAgain:
				panic(&StepError{Step: "listen on " + left[i].Name, Err: err})
			}
		}
		if left = probed; !time.Now().Before(end) {
			break
		}
	}
	gomega.ExpectWithOffset(1, seen).To(gomega.BeEmpty(), "%s, but within %v %s", why, window, strings.Join(seen, "; "))
}

// Fence is a PAIR connection from the connect side's peer to the bind side's, over the cell's
// transport. Pass makes "everything the connect side handed over before now has had the time a
// message takes to cross" observable without a sleep: a message crosses the same kind of path,
// through the same I/O machinery, after the others were handed over.
type Fence struct{ from, to *Sock }

// NewFence makes the fence's connection and proves it up.
func NewFence(ctx context.Context, cell *Cell) *Fence {
	to := cell.Bind(ctx, PAIR)
	from := cell.Connect(ctx, PAIR, to)
	AwaitFlowing(ctx, from, to)
	return &Fence{from: from, to: to}
}

// Pass sends a message across the fence and receives it, twice: the second left after the
// first had arrived.
func (f *Fence) Pass(ctx context.Context) {
	for i := 0; i < 2; i++ {
		f.from.Send(ctx, "fence")
		f.to.Recv(ctx)
	}
}

// describeAll summarises messages for failure messages.
func describeAll(msgs [][][]byte) string {
	if len(msgs) == 0 {
		return "nothing"
	}
	parts := make([]string, 0, len(msgs))
	for i, m := range msgs {
		if i == 8 {
			parts = append(parts, fmt.Sprintf("…+%d", len(msgs)-i))
			break
		}
		parts = append(parts, Describe(m))
	}
	return strings.Join(parts, ", ")
}
