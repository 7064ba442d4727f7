package faults_test

// The ledger: every fault cell accounts for its messages against the content pattern
// (peer.Fill: each message's first data frame carries its sequence number), so that a record
// says how many were sent, delivered, lost, duplicated, reordered and malformed, and how long
// the flow took to recover. The verdict uses only what the RFCs forbid whatever the timing
// (a duplicate, a reordering, a partial or corrupted message, no recovery within a generous
// bound); counts that depend on timing (how many a dead peer took with it) are reported.

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"time"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// streamSpan separates the sequence numbers of several senders in one cell: sender k sends
// seqs from k*streamSpan. Per-sender order is what RFC 23 promises; across senders there is
// no order to check.
const streamSpan = 1_000_000

// ledger accounts for one cell's messages. Its plan gives the layout of every message (prefix
// frames, frame sizes); Count and Start are ignored.
type ledger struct {
	plan     peer.Plan
	accepted map[int]bool // seqs a sender accepted
	refused  map[int]bool // seqs a sender refused (would-block, timeout)
	got      [][][]byte   // every message delivered, in arrival order
	counted  bool         // the counts below are up to date with got
	seen     map[int]int  // seq → times delivered
	last     map[int]int  // stream → highest seq delivered so far

	delivered, duplicated, reordered, malformed, late int
	// connections is how many connections the stream crossed (2 after a reconnect: recover;
	// a link's count after cuts). A receiver then holds several connections of one sender for
	// a while, and may hand over what was left of a dead connection after, or interleaved
	// with, what came on the next. The RFCs promise order per connection, so a reordering
	// that splits the sequence numbers into at most that many ranges, each delivered in order
	// (splitsInOrder), is counted as reorderedAcross, reported, and not judged.
	connections     int
	reorderedAcross int
	examples        []string // the first few violations, said plainly
	// recovery is the time from a fault's end to the first message through again (recorded
	// when the case measured one).
	recovery time.Duration
	measured bool
}

func newLedger(layout peer.Plan) *ledger {
	return &ledger{plan: layout, accepted: map[int]bool{}, refused: map[int]bool{}, seen: map[int]int{}, last: map[int]int{}}
}

// sentRange records that seqs [from, from+n) were accepted by their sender.
func (l *ledger) sentRange(from, n int) {
	for s := from; s < from+n; s++ {
		l.accepted[s] = true
	}
	l.counted = false
}

// refusedSeq records that a sender refused seq.
func (l *ledger) refusedSeq(s int) { l.refused[s], l.counted = true, false }

// sent is how many messages the senders accepted (including refused ones that were delivered
// after all: a send reported would-block that the binding could not cancel).
func (l *ledger) sent() int { l.tally(); return len(l.accepted) + l.late }

// seqOf returns the sequence number a message carries in its first data frame, or -1.
func (l *ledger) seqOf(m [][]byte) int {
	p := len(l.plan.Prefix)
	if len(m) <= p || len(m[p]) < peer.HeaderLen {
		return -1
	}
	return int(binary.BigEndian.Uint64(m[p][0:8]))
}

// receive records messages delivered, in arrival order (probes are not accounted). The
// counts are worked out when asked for, once the senders have said what they accepted: a
// receiver may well report a message before its sender's job has.
func (l *ledger) receive(msgs ...[][]byte) {
	for _, m := range msgs {
		if !h.IsProbe(m) {
			l.got = append(l.got, m)
		}
	}
	l.counted = false
}

// tally works out the counts from everything received so far.
func (l *ledger) tally() {
	if l.counted {
		return
	}
	l.counted = true
	l.seen, l.last, l.examples = map[int]int{}, map[int]int{}, nil
	l.delivered, l.duplicated, l.reordered, l.malformed, l.late, l.reorderedAcross = 0, 0, 0, 0, 0, 0
	var order []int // seqs delivered once, in arrival order
	for _, m := range l.got {
		s := l.seqOf(m)
		one := l.plan
		one.Start, one.Count = s, 1
		var bad error
		if s < 0 {
			bad = fmt.Errorf("no sequence header")
		} else {
			bad = h.VerifyPlan(one, [][][]byte{m})
		}
		if bad != nil {
			l.malformed++
			l.example("malformed message %s: %v", h.Describe(m), bad)
			continue
		}
		if !l.accepted[s] {
			if !l.refused[s] {
				l.malformed++
				l.example("message with seq %d, which no sender sent", s)
				continue
			}
			l.late++ // a send reported refused completed after all (the binding cannot cancel it)
		}
		l.seen[s]++
		if l.seen[s] > 1 {
			l.duplicated++
			l.example("message %d delivered %d times", s, l.seen[s])
			continue
		}
		l.delivered++
		order = append(order, s)
		stream := s / streamSpan
		if last, ok := l.last[stream]; ok && s < last {
			l.reordered++
			l.example("message %d delivered after message %d", s, last)
		} else {
			l.last[stream] = s
		}
	}
	if l.connections > 1 && l.reordered > 0 && splitsInOrder(order, l.connections) {
		l.reorderedAcross, l.reordered = l.reordered, 0
		l.examples = nil
	}
}

// crossed records that the stream crossed n connections; the counts are worked out again.
func (l *ledger) crossed(n int) {
	l.connections = max(l.connections, n)
	l.counted = false
}

// splitsInOrder reports whether, for every stream, the sequence numbers delivered fall into
// at most parts ranges of consecutive numbers, each delivered in order: what receiving from
// that many connections one after another can produce (each connection carries a later range
// than the one before, and a receiver may interleave their leftovers). Sorted by number, two
// neighbours delivered out of order need a range boundary between them; a range without such
// a pair is in order, so the boundaries needed are exactly those pairs.
func splitsInOrder(order []int, parts int) bool {
	byStream := map[int][]int{}
	for _, s := range order {
		byStream[s/streamSpan] = append(byStream[s/streamSpan], s)
	}
	for _, seqs := range byStream {
		at := make(map[int]int, len(seqs)) // seq → position in arrival order
		for i, s := range seqs {
			at[s] = i
		}
		sorted := append([]int(nil), seqs...)
		sort.Ints(sorted)
		boundaries := 0
		for i := 1; i < len(sorted); i++ {
			if at[sorted[i]] < at[sorted[i-1]] {
				boundaries++
			}
		}
		if boundaries > parts-1 {
			return false
		}
	}
	return true
}

func (l *ledger) example(format string, args ...any) {
	if len(l.examples) < 3 {
		l.examples = append(l.examples, fmt.Sprintf(format, args...))
	}
}

// lost is how many accepted messages never arrived.
func (l *ledger) lost() int { l.tally(); return l.sent() - l.delivered }

// lostFrom lists (up to max) accepted seqs ≥ from that never arrived.
func (l *ledger) lostFrom(from, max int) []int {
	l.tally()
	var out []int
	for s := range l.accepted {
		if s >= from && l.seen[s] == 0 {
			out = append(out, s)
		}
	}
	sort.Ints(out)
	if len(out) > max {
		out = out[:max]
	}
	return out
}

// recovered records the time to recovery.
func (l *ledger) recovered(d time.Duration) { l.recovery, l.measured = d, true }

// record writes the accounting into the cell's metrics.
func (l *ledger) record(cell *h.Cell) {
	l.tally()
	cell.Metric("sent", float64(l.sent()))
	cell.Metric("delivered", float64(l.delivered))
	cell.Metric("lost", float64(l.lost()))
	cell.Metric("duplicated", float64(l.duplicated))
	cell.Metric("reordered", float64(l.reordered))
	cell.Metric("malformed", float64(l.malformed))
	if l.measured {
		cell.Metric("recovery_ms", float64(l.recovery.Microseconds())/1000)
	}
	if l.late > 0 {
		cell.Metric("late_completions", float64(l.late))
	}
	if l.reorderedAcross > 0 {
		cell.Metric("reordered_across_reconnect", float64(l.reorderedAcross))
	}
}

// violations is the error for what the RFCs forbid whatever the timing (RFC 23 §Socket
// Semantics: at most once, in order, all frames or none), or nil.
func (l *ledger) violations() error {
	l.tally()
	if l.duplicated+l.reordered+l.malformed == 0 {
		return nil
	}
	return fmt.Errorf("%d duplicated, %d reordered, %d malformed of %d delivered: %s",
		l.duplicated, l.reordered, l.malformed, l.delivered, strings.Join(l.examples, "; "))
}

// summary says the counts in one line, for failure messages.
func (l *ledger) summary() string {
	l.tally()
	return fmt.Sprintf("sent %d, delivered %d, lost %d, duplicated %d, reordered %d, malformed %d",
		l.sent(), l.delivered, l.lost(), l.duplicated, l.reordered, l.malformed)
}
