package harness

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/gomega/format"
	"github.com/onsi/gomega/types"
)

// Routing strategies as matchers (RFC 28/30: round-robin out, fair-queue in). The matchers own
// their failure messages: who got what, and what the strategy would have given.

// Arrivals is what several receivers got of messages numbered in send order (the decimal
// number in each message's last frame: Numbered), per receiver, in arrival order.
type Arrivals struct {
	Names []string
	Seqs  [][]int // per receiver, the send-order numbers received
	Sent  int     // how many numbered messages were sent
}

// Numbered is the body of the message sent in position i: its decimal number.
func Numbered(i int) string { return strconv.Itoa(i) }

// NewArrivals starts an empty record for receivers socks of sent numbered messages.
func NewArrivals(sent int, socks ...*Sock) *Arrivals {
	a := &Arrivals{Sent: sent, Seqs: make([][]int, len(socks))}
	for _, s := range socks {
		a.Names = append(a.Names, s.Name)
	}
	return a
}

// Add records message m received by receiver i; a message that is not numbered is recorded
// as -1 (and fails any strategy).
func (a *Arrivals) Add(i int, m [][]byte) {
	seq := -1
	if len(m) > 0 {
		if v, err := strconv.Atoi(string(m[len(m)-1])); err == nil {
			seq = v
		}
	}
	a.Seqs[i] = append(a.Seqs[i], seq)
}

// Total is how many messages arrived over all receivers.
func (a *Arrivals) Total() int {
	n := 0
	for _, s := range a.Seqs {
		n += len(s)
	}
	return n
}

// MaxDeviation is the largest difference between a receiver's count and even.
func (a *Arrivals) MaxDeviation(even int) float64 {
	dev := 0.0
	for _, s := range a.Seqs {
		dev = math.Max(dev, math.Abs(float64(len(s)-even)))
	}
	return dev
}

// Receiver is the index of the receiver that got message seq, -1 if none did.
func (a *Arrivals) Receiver(seq int) int {
	for i, seqs := range a.Seqs {
		for _, s := range seqs {
			if s == seq {
				return i
			}
		}
	}
	return -1
}

// InConnectionOrder reports whether the first rotation (messages 0 to n-1) visited the n
// receivers in the order given — their connection order — from wherever it started.
func (a *Arrivals) InConnectionOrder() bool {
	n := len(a.Seqs)
	first := a.Receiver(0)
	for i := 0; i < n; i++ {
		if first < 0 || a.Receiver(i) != (first+i)%n {
			return false
		}
	}
	return true
}

// String lists every receiver's numbers: "connect PULL: [0 5], connect PULL #2: [1 6]".
func (a *Arrivals) String() string {
	parts := make([]string, len(a.Names))
	for i, n := range a.Names {
		parts[i] = fmt.Sprintf("%s: %v", n, a.Seqs[i])
	}
	return strings.Join(parts, ", ")
}

// ReceiveAll receives numbered messages (probes left out) on every socket until n have
// arrived in total, each within ArriveLimit of the previous one — the path is proven up, so
// the count, not a quiet window, ends a passing wait — then listens QuietWindow for more, so
// that a sender that copies or duplicates shows all it delivered.
func ReceiveAll(ctx context.Context, socks []*Sock, n int) *Arrivals {
	a := NewArrivals(n, socks...)
	for a.Total() < n {
		got, ok := pollMessage(ctx, socks, ArriveLimit)
		if !ok {
			return a // fewer than sent: the matcher says who got what
		}
		a.Add(got.At, got.Msg)
	}
	for i, msgs := range Listen(ctx, QuietWindow, socks...) {
		for _, m := range msgs {
			a.Add(i, m)
		}
	}
	return a
}

// pollMessage is PollAny without probes.
func pollMessage(ctx context.Context, socks []*Sock, limit time.Duration) (Arrival, bool) {
	deadline := time.Now().Add(limit)
	for {
		got, ok := PollAny(ctx, socks, max(time.Until(deadline), 0))
		if !ok || !IsProbe(got.Msg) {
			return got, ok
		}
	}
}

// BeRoundRobin matches Arrivals of k×n numbered messages dealt round-robin over n receivers:
// each receiver got perPeer of them, and they are one rotation repeated — receiver i got
// message j, j+n, j+2n… for its own j < n. The failure says, e.g., "connect PULL #3 got 10 of
// 10, expected 2".
func BeRoundRobin(perPeer int) types.GomegaMatcher { return &roundRobin{per: perPeer} }

type roundRobin struct {
	per int
	why string
}

func (m *roundRobin) Match(actual any) (bool, error) {
	a, ok := actual.(*Arrivals)
	if !ok {
		return false, fmt.Errorf("BeRoundRobin matches *harness.Arrivals, not %T", actual)
	}
	n := len(a.Seqs)
	first := map[int]string{}
	for i, seqs := range a.Seqs {
		if len(seqs) != m.per {
			m.why = fmt.Sprintf("%s got %d of %d, expected %d", a.Names[i], len(seqs), a.Sent, m.per)
			return false, nil
		}
		for k, s := range seqs {
			if s < 0 {
				m.why = fmt.Sprintf("%s received a message that is not numbered", a.Names[i])
				return false, nil
			}
			if s != seqs[0]+k*n {
				m.why = fmt.Sprintf("%s got %v: not one rotation repeated (a round-robin over %d gives a receiver message %d, %d, %d…)",
					a.Names[i], seqs, n, seqs[0], seqs[0]+n, seqs[0]+2*n)
				return false, nil
			}
		}
		if other, dup := first[seqs[0]]; dup || seqs[0] >= n {
			m.why = fmt.Sprintf("%s's first message is %d (%s's too?): each of the first %d messages goes to a different receiver", a.Names[i], seqs[0], other, n)
			return false, nil
		}
		first[seqs[0]] = a.Names[i]
	}
	return true, nil
}

func (m *roundRobin) FailureMessage(actual any) string {
	return fmt.Sprintf("%s (all: %v)", m.why, actual)
}

func (m *roundRobin) NegatedFailureMessage(actual any) string {
	return "expected the messages not to be dealt round-robin: " + format.Object(actual, 1)
}

// Origins is the sequence of senders (indexes) whose messages a fair-queuing receiver handed
// over, in reception order.
type Origins []int

// Waits returns, for each reception, how many receptions its sender waited: since its previous
// message was received, or since the start for its first. With every sender keeping one
// message outstanding (a closed loop), that is how long each message waited for its turn.
func (o Origins) Waits() []int {
	last := map[int]int{}
	w := make([]int, len(o))
	for k, s := range o {
		w[k] = k + 1 - last[s]
		last[s] = k + 1
	}
	return w
}

// MaxWait is the longest of Waits.
func (o Origins) MaxWait() int {
	worst := 0
	for _, w := range o.Waits() {
		worst = max(worst, w)
	}
	return worst
}

// MaxGap returns the longest run of other senders' messages between two consecutive messages
// of one sender, and the position of the latest first message of a sender.
func (o Origins) MaxGap() (gap, lastFirst int) {
	last := map[int]int{}
	for k, s := range o {
		if p, ok := last[s]; ok {
			gap = max(gap, k-p-1)
		} else {
			lastFirst = max(lastFirst, k)
		}
		last[s] = k
	}
	return gap, lastFirst
}

// Senders is how many different senders the sequence holds.
func (o Origins) Senders() int {
	seen := map[int]bool{}
	for _, s := range o {
		seen[s] = true
	}
	return len(seen)
}

// MaxRun is the longest run of consecutive messages from one sender.
func (o Origins) MaxRun() int {
	run, best := 0, 0
	for k, s := range o {
		if k > 0 && o[k-1] == s {
			run++
		} else {
			run = 1
		}
		best = max(best, run)
	}
	return best
}

// Deviation is the largest relative deviation of a sender's count from the even share, over
// the first half of the sequence (where an unfair queue shows; by the end everyone has been
// served).
func (o Origins) Deviation(senders int) float64 {
	half := o[:len(o)/2]
	if len(half) == 0 || senders == 0 {
		return 0
	}
	counts := make([]int, senders)
	for _, s := range half {
		if s >= 0 && s < senders {
			counts[s]++
		}
	}
	even := float64(len(half)) / float64(senders)
	worst := 0.0
	for _, c := range counts {
		worst = math.Max(worst, math.Abs(float64(c)-even)/even)
	}
	return worst
}

// FairQueueBound is how many receptions a fair queue may make a message wait (Origins.Waits)
// with n peers that each keep one message outstanding. A strict rotation needs n. libzmq
// rotates only over the pipes it knows to be readable: a pipe found empty rejoins when the
// socket next processes commands, at the latest after inbound_poll_rate (100) receptions, then
// waits its turn (n); another n covers the message's transit, and 50 a peer process not
// scheduled for a few milliseconds on a loaded machine (receptions take ~0.1 ms). Measured:
// libzmq 37–53, go-zeromq 5–33 with one 108 under load. FairRounds rounds make a policy that
// ranks peers exceed it (the last of 5 waits for the 4×60 messages of the others).
func FairQueueBound(n int) int { return 100 + 2*n + 50 }

// FairRounds is how many messages each peer sends in a closed-loop fairness measurement.
const FairRounds = 60

// BeFairQueued matches Origins in which no message waited more than bound receptions
// (Origins.Waits). With n senders whose messages are all queued when reception starts, bound n
// is a strict rotation: every sender's first message among the first n, and no second message
// before every sender's first. The failure names the message that waited longest.
func BeFairQueued(bound int) types.GomegaMatcher { return &fairQueue{bound: bound} }

type fairQueue struct {
	bound int
	why   string
}

func (m *fairQueue) Match(actual any) (bool, error) {
	o, ok := actual.(Origins)
	if !ok {
		return false, fmt.Errorf("BeFairQueued matches harness.Origins, not %T", actual)
	}
	worst, at := 0, -1
	for k, w := range o.Waits() {
		if w > worst {
			worst, at = w, k
		}
	}
	if worst <= m.bound {
		return true, nil
	}
	nth := 1
	for _, s := range o[:at] {
		if s == o[at] {
			nth++
		}
	}
	m.why = fmt.Sprintf("sender %d's message #%d waited %d receptions (received %s), more than the fair-queue bound %d",
		o[at], nth, worst, ordinal(at+1), m.bound)
	return false, nil
}

func (m *fairQueue) FailureMessage(actual any) string {
	o, _ := actual.(Origins)
	return fmt.Sprintf("%s; senders in reception order: %s", m.why, shorten(o, 60))
}

func (m *fairQueue) NegatedFailureMessage(actual any) string {
	return fmt.Sprintf("expected some message to wait more than %d receptions: %v", m.bound, actual)
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}

func shorten(o Origins, n int) string {
	if len(o) <= n {
		return fmt.Sprint([]int(o))
	}
	return fmt.Sprintf("%v…(%d in all)", []int(o[:n]), len(o))
}

// Sorted returns a sorted copy of s (for "each got one" checks).
func Sorted(s []int) []int {
	out := append([]int(nil), s...)
	sort.Ints(out)
	return out
}
