package bench

import (
	"testing"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/matrix"
)

// One filter selects a binding's slice of both suites: the bind:/connect: labels of a
// benchmark figure are its pairing's, as a conformance cell's are. (gate.yml's filter
// "kind:bench && (bind:X || connect:X || …)" selected 0 of 12 specs when bench specs had no
// such labels.)
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
	// tcp push_pull: gozmq→{gozmq,libzmq,pyzmq}, {libzmq,pyzmq}→gozmq, libzmq→libzmq.
	for _, s := range sel {
		if s.group.pattern == PushPull && s.group.transport == harness.TCP && len(s.Pairs) != 6 {
			t.Errorf("push_pull tcp: %d pairings, want 6", len(s.Pairs))
		}
	}
	none, _ := matrix.ParseFilter("bind:nosuch")
	if got := p.Selected(none); len(got) != 0 {
		t.Errorf("bind:nosuch selects %d groups", len(got))
	}
}
