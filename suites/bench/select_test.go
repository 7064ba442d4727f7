package bench

import (
	"math"
	"testing"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/matrix"
)

// One filter selects a binding's slice of both suites: the bind:/connect: labels of a
// benchmark figure are its pairing's, as a conformance cell's are. (gate.yml's filter
// "kind:bench && (bind:X || connect:X || …)" selected 0 of 12 specs when bench specs had no
// such labels.)
// The linear profile grows with 3N−2 pairings (plus the ceiling), the grid with N².
func TestUnitLinearPairingsGrowLinearly(t *testing.T) {
	var impls []*harness.Impl
	for _, n := range []string{"gozmq", "libzmq", "pyzmq", "jeromq", "zeromqjs"} {
		impls = append(impls, &harness.Impl{Name: n})
	}
	p := &Plan{Config: Default, Impls: impls, Ceiling: &harness.Impl{Name: harness.Raw, Ceiling: true}}
	if got := len(p.pairings(PushPull, harness.TCP)); got != 3*5-2+1 {
		t.Errorf("linear tcp push_pull: %d pairings, want 14", got)
	}
	if got := len(p.pairings(PubSub, harness.TCP)); got != 3*5-2 {
		t.Errorf("linear tcp pub_sub: %d pairings, want 13 (no ceiling for fan-out)", got)
	}
	if got := len(p.pairings(PushPull, harness.InProc)); got != 5 {
		t.Errorf("linear inproc: %d pairings, want 5", got)
	}
	p.Config.Grid = true
	if got := len(p.pairings(PushPull, harness.TCP)); got != 26 {
		t.Errorf("grid tcp push_pull: %d pairings, want 26", got)
	}
}

func TestUnitConfidenceInterval(t *testing.T) {
	if confidence([]float64{100}) != nil {
		t.Error("one value has no interval")
	}
	ci := confidence([]float64{100, 100, 100})
	if ci == nil || ci.Rel != 0 || math.Abs(ci.Low-100) > 1e-9 || math.Abs(ci.High-100) > 1e-9 {
		t.Errorf("identical values: %+v", ci)
	}
	// 90, 100, 110: log sd ≈ 0.1003, t(2) = 4.303 → half-width ≈ 0.249 → ±28 %.
	ci = confidence([]float64{90, 100, 110})
	if ci == nil || ci.Rel < 0.27 || ci.Rel > 0.30 || ci.Low > 90 || ci.High < 110 {
		t.Errorf("90/100/110: %+v", ci)
	}
	wide, narrow := confidence([]float64{50, 100, 150, 100}), confidence([]float64{98, 100, 102, 100})
	if !(narrow.Rel < wide.Rel) {
		t.Errorf("a tighter spread gave a wider interval: %v vs %v", narrow.Rel, wide.Rel)
	}
}

func TestUnitFilterSelectsABindingsFigures(t *testing.T) {
	im := func(n string) *harness.Impl { return &harness.Impl{Name: n} }
	p := &Plan{Config: Quick, Impls: []*harness.Impl{im("gozmq"), im("libzmq"), im("pyzmq")},
		Ceiling: &harness.Impl{Name: harness.Raw, Ceiling: true}}
	match, err := matrix.ParseFilter("kind:bench && (bind:gozmq || connect:gozmq || (bind:libzmq && connect:libzmq))")
	if err != nil {
		t.Fatal(err)
	}
	sel := p.Selected(match)
	if len(sel) == 0 {
		t.Fatal("the gate's filter selects no benchmark group")
	}
	for _, s := range sel {
		for _, pr := range s.Pairs {
			b, c := pr[0].Name, pr[1].Name
			if b != "gozmq" && c != "gozmq" && !(b == "libzmq" && c == "libzmq") {
				t.Errorf("%s %s: selected %s→%s", s.group.pattern, s.group.transport, b, c)
			}
		}
	}
	// Linear (the default): gozmq↔gozmq, gozmq→libzmq, libzmq→gozmq, libzmq↔libzmq.
	for _, s := range sel {
		if s.group.pattern == PushPull && s.group.transport == harness.TCP && len(s.Pairs) != 4 {
			t.Errorf("push_pull tcp, linear: %d pairings, want 4", len(s.Pairs))
		}
	}
	// The grid adds gozmq→pyzmq and pyzmq→gozmq.
	p.Config.Grid = true
	for _, s := range p.Selected(match) {
		if s.group.pattern == PushPull && s.group.transport == harness.TCP && len(s.Pairs) != 6 {
			t.Errorf("push_pull tcp, grid: %d pairings, want 6", len(s.Pairs))
		}
	}
	none, _ := matrix.ParseFilter("bind:nosuch")
	if got := p.Selected(none); len(got) != 0 {
		t.Errorf("bind:nosuch selects %d groups", len(got))
	}
}

// A pairing an interop entry holds for is one xfail figure that says why and names the entry,
// without the "repetition N" of a measured figure's failure; nothing about it is gated.
func TestUnitInteropFigureIsAKnownFailure(t *testing.T) {
	ref := &harness.ExpectationRef{Reason: "ZMTP 3.0 only against ZMTP 2.0 only", Link: "https://github.com/zeromq/jeromq/issues/59"}
	k := Key{Pattern: PushPull, Transport: harness.TCP, Bind: "gozmq", Connect: "jeromq", Size: 64}
	why := matrix.InteropReason(harness.TCP, "gozmq", "jeromq", errString("bind PAIR receive: again"))
	recs := Summarise([]Measurement{{Key: k, Rep: 1, Outcome: harness.XFail, Reason: why, Expectation: ref}})
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	r := recs[0]
	if r.Outcome != harness.XFail || r.Outcome.Red() || r.Expectation != ref || r.MsgPerSec != nil || r.CI != nil {
		t.Errorf("record %+v: want a non-red xfail naming its entry, with no figure", r)
	}
	if want := "not run: gozmq and jeromq do not interoperate over tcp (a PAIR probe: bind PAIR receive: again)"; r.Reason != want {
		t.Errorf("reason %q, want %q", r.Reason, want)
	}
}

type errString string

func (e errString) Error() string { return string(e) }
