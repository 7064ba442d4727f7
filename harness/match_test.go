package harness

import (
	"strings"
	"testing"
)

// arrivals builds Arrivals from per-receiver sequence numbers.
func arrivals(sent int, seqs ...[]int) *Arrivals {
	a := &Arrivals{Sent: sent, Seqs: seqs}
	for i := range seqs {
		a.Names = append(a.Names, "connect PULL #"+string(rune('1'+i)))
	}
	return a
}

func TestBeRoundRobin(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    *Arrivals
		ok   bool
		why  string // in the failure message
	}{
		{"a rotation repeated", arrivals(10, []int{2, 7}, []int{3, 8}, []int{4, 9}, []int{0, 5}, []int{1, 6}), true, ""},
		{"copied to every receiver", arrivals(10, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}), false, "connect PULL #1 got 10 of 10, expected 5"},
		{"one short", arrivals(4, []int{0, 2}, []int{1}), false, "connect PULL #2 got 1 of 4, expected 2"},
		{"a different rotation in the second round", arrivals(6, []int{0, 4}, []int{1, 3}, []int{2, 5}), false, "not one rotation repeated"},
		{"two receivers start the same", arrivals(4, []int{0, 2}, []int{0, 2}), false, "each of the first 2 messages goes to a different receiver"},
		{"not numbered", arrivals(2, []int{-1}, []int{1}), false, "not numbered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			per := len(tc.a.Seqs[0])
			if tc.name == "one short" || tc.name == "copied to every receiver" {
				per = tc.a.Sent / len(tc.a.Seqs)
			}
			m := BeRoundRobin(per)
			ok, err := m.Match(tc.a)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.ok {
				t.Fatalf("match = %v, want %v (%s)", ok, tc.ok, m.FailureMessage(tc.a))
			}
			if !ok && !strings.Contains(m.FailureMessage(tc.a), tc.why) {
				t.Errorf("failure %q does not say %q", m.FailureMessage(tc.a), tc.why)
			}
		})
	}
	if _, err := BeRoundRobin(2).Match([]int{1}); err == nil {
		t.Error("BeRoundRobin must refuse what is not *Arrivals")
	}
}

func TestArrivalsAddAndOrder(t *testing.T) {
	a := &Arrivals{Names: []string{"a", "b", "c"}, Seqs: make([][]int, 3), Sent: 3}
	a.Add(1, Msg("", "0"))
	a.Add(2, Msg("1"))
	a.Add(0, Msg("2"))
	a.Add(0, Msg("x"))
	if got := a.Seqs[0]; len(got) != 2 || got[0] != 2 || got[1] != -1 {
		t.Errorf("receiver a recorded %v, want [2 -1]", got)
	}
	if !a.InConnectionOrder() {
		t.Error("1, 2, 0 is the connection order started at 1")
	}
	if a.Total() != 4 || a.Receiver(1) != 2 || a.Receiver(7) != -1 {
		t.Errorf("Total %d Receiver(1) %d Receiver(7) %d", a.Total(), a.Receiver(1), a.Receiver(7))
	}
}

func TestOriginsWaits(t *testing.T) {
	o := Origins{0, 1, 0, 2, 1, 0}
	want := []int{1, 2, 2, 4, 3, 3}
	for k, w := range o.Waits() {
		if w != want[k] {
			t.Fatalf("Waits() = %v, want %v", o.Waits(), want)
		}
	}
	if o.MaxWait() != 4 {
		t.Errorf("MaxWait = %d", o.MaxWait())
	}
	gap, first := o.MaxGap()
	if gap != 2 || first != 3 {
		t.Errorf("MaxGap = %d, %d; want 2, 3", gap, first)
	}
	if (Origins{1, 1, 1, 0, 0}).MaxRun() != 3 {
		t.Error("MaxRun of 1 1 1 0 0 is 3")
	}
	if o.Senders() != 3 {
		t.Error("three senders")
	}
	if d := (Origins{0, 0, 1, 1}).Deviation(2); d != 1 {
		t.Errorf("first half all sender 0 over 2 senders: deviation %v, want 1", d)
	}
}

func TestBeFairQueued(t *testing.T) {
	// PP.2's shapes: 5 senders with 2 messages each, all queued before reception.
	fair := Origins{3, 2, 1, 0, 4, 3, 2, 1, 0, 4}
	arrival := Origins{0, 0, 1, 1, 2, 2, 3, 3, 4, 4} // go-zeromq: by arrival, not fair
	late := Origins{0, 1, 2, 3, 0, 4, 1, 2, 3, 4}    // a second message before sender 4's first
	if ok, _ := BeFairQueued(5).Match(fair); !ok {
		t.Error("a strict rotation is fair")
	}
	for _, o := range []Origins{arrival, late} {
		m := BeFairQueued(5)
		if ok, _ := m.Match(o); ok {
			t.Errorf("%v passed as fair", o)
		}
	}
	m := BeFairQueued(5)
	m.Match(arrival)
	if msg := m.FailureMessage(arrival); !strings.Contains(msg, "sender 4's message #1 waited 9 receptions (received 9th)") {
		t.Errorf("failure message %q", msg)
	}
	// The closed-loop bound (REP.1, DLR.2, RTR.2) lets a pipe miss the rotation for a while.
	if ok, _ := BeFairQueued(FairQueueBound(5)).Match(arrival); !ok {
		t.Error("a wait of 9 is within the closed-loop bound")
	}
	if _, err := BeFairQueued(1).Match([]int{0}); err == nil {
		t.Error("BeFairQueued must refuse what is not Origins")
	}
}
