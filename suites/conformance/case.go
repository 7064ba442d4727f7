// Package conformance expands the case catalogue into Ginkgo entries: every case × transport ×
// ordered pairing of the implementations found here (the binding side's implementation × the
// connecting side's; inproc inside one implementation and one context). Cases live in this
// package's _test files, one pattern per file, and read like the RFC sentence they check.
package conformance

import (
	"fmt"
	"sort"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/scenarios"
)

// Body is a case: arrange, act, assert on one cell. Assertions are Gomega's; the harness
// turns peer faults into crash/hang outcomes.
type Body func(ctx SpecContext, cell *harness.Cell)

// Def is one catalogue case.
type Def struct {
	ID      string          // CASES.md id: "PP.1"
	Level   scenarios.Level // M, S, L, O
	Title   string          // the behaviour, as a sentence
	Pattern string          // label value: reqrep, pubsub, pipeline, pair, xpubxsub, broker, message, lifecycle, flow, transport
	Body    Body
	// Transports the case runs over; nil = all three.
	Transports []string
	// SameImpl runs the case only where both sides are one implementation (per-implementation
	// facts such as ipc availability).
	SameImpl bool
	// Timeout bounds the whole cell (SpecTimeout); default 30 s.
	Timeout time.Duration
}

var registry []*Def

// Option adjusts a Def at registration.
type Option func(*Def)

// On restricts a case to some transports.
func On(transports ...string) Option { return func(d *Def) { d.Transports = transports } }

// PerImplementation runs a case once per implementation (bind side = connect side).
func PerImplementation() Option { return func(d *Def) { d.SameImpl = true } }

// Within sets the cell's time bound.
func Within(t time.Duration) Option { return func(d *Def) { d.Timeout = t } }

// Case registers a case; call it from a package-level var so the catalogue is complete before
// the tree is built.
func Case(id string, level scenarios.Level, pattern, title string, body Body, opts ...Option) bool {
	d := &Def{ID: id, Level: level, Pattern: pattern, Title: title, Body: body, Timeout: 30 * time.Second}
	for _, o := range opts {
		o(d)
	}
	for _, e := range registry {
		if e.ID == d.ID {
			panic(fmt.Sprintf("conformance: case %s registered twice", d.ID))
		}
	}
	registry = append(registry, d)
	return true
}

// Cases returns the registered cases sorted by id.
func Cases() []*Def {
	out := append([]*Def(nil), registry...)
	sort.SliceStable(out, func(i, j int) bool { return caseLess(out[i].ID, out[j].ID) })
	return out
}

// caseLess orders "REQ.2" before "REQ.10".
func caseLess(a, b string) bool {
	pa, na := splitID(a)
	pb, nb := splitID(b)
	if pa != pb {
		return pa < pb
	}
	return na < nb
}

func splitID(id string) (string, int) {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '.' {
			n := 0
			fmt.Sscanf(id[i+1:], "%d", &n)
			return id[:i], n
		}
	}
	return id, 0
}

func (d *Def) transports() []string {
	if d.Transports != nil {
		return d.Transports
	}
	return harness.Transports
}
