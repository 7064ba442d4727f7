// Package matrix is the cell engine every suite runs on: a suite's case registry, discovery
// of the implementations (required unless marked optional), the matrix of cells (case ×
// transport × ordered pairing, optionally sharded), the cell runner that judges each cell
// against its level and the expectations, and the collection that writes the suite's
// results.json with reference verdicts and blame. A suite is a suite_test.go that calls Main
// and case files that call Case: conformance, wire, faults and hosts share everything here.
package matrix

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/scenarios"
)

// Body is a case: arrange, act, assert on one cell. Assertions are Gomega's; the harness turns
// peer faults into crash/hang outcomes.
type Body func(ctx SpecContext, cell *harness.Cell)

// SpecContext is Ginkgo's, so that case files need not import Ginkgo for it.
type SpecContext = ginkgo.SpecContext

// Def is one catalogue case of a suite.
type Def struct {
	ID      string          // docs/cases.md id: "PP.1"
	Level   scenarios.Level // M, S, L, O
	Title   string          // the behaviour, as a sentence
	Pattern string          // label value: reqrep, pubsub, pipeline, pair, …
	Body    Body
	// Transports the case runs over; nil = the suite's (all three by default).
	Transports []string
	// SameImpl runs the case only where both sides are one implementation (per-implementation
	// facts such as ipc availability).
	SameImpl bool
	// Timeout bounds the whole cell (SpecTimeout) on loopback; default 30 s. Across a path it
	// grows with it (harness.CellLimit).
	Timeout time.Duration
	// NeedsFence says why the case's oracle needs a harness.Fence to prove that messages on
	// other connections have arrived: across a path with delay or loss no fence can
	// (harness.FenceOrdersArrival), and its cells are skipped there with why.
	NeedsFence string
	// Moves is how many bytes the case moves in all, where that is megabytes: across a lossy
	// path its cell's bound grows by what moving them takes (harness.CellLimit); 0 for the
	// rest.
	Moves int64
	// NoTap keeps the case's connections off the decoding relay: for cases whose verdict an
	// extra hop could change (queue limits, timing of disconnects).
	NoTap bool
	// SameHost says why the case cannot cross hosts (it binds or connects through the
	// loopback address, say): across hosts its cells are skipped with that reason.
	SameHost string
}

// Suite is a named catalogue of cases.
type Suite struct {
	Name  string
	cases []*Def
	byID  map[string]*Def
}

// NewSuite returns an empty catalogue; the name is the suite's label value, output directory
// (out/<name>/) and make target.
func NewSuite(name string) *Suite {
	scenarios.RegisterSuite(name)
	return &Suite{Name: name, byID: map[string]*Def{}}
}

// Option adjusts a Def at registration.
type Option func(*Def)

// On restricts a case to some transports.
func On(transports ...string) Option { return func(d *Def) { d.Transports = transports } }

// PerImplementation runs a case once per implementation (bind side = connect side).
func PerImplementation() Option { return func(d *Def) { d.SameImpl = true } }

// SameHost marks a case whose premise is one machine (it reaches its peer through 127.0.0.1,
// localhost or [::1]): across hosts its cells are skipped, saying why, instead of failing.
func SameHost(why string) Option { return func(d *Def) { d.SameHost = why } }

// Within sets the cell's time bound.
func Within(t time.Duration) Option { return func(d *Def) { d.Timeout = t } }

// NeedsFence marks a case whose oracle needs a fence to order deliveries on different
// connections (see Def.NeedsFence).
func NeedsFence(why string) Option { return func(d *Def) { d.NeedsFence = why } }

// Moves says that the case moves n bytes in all (see Def.Moves).
func Moves(n int64) Option { return func(d *Def) { d.Moves = n } }

// NoTap runs the case without the decoding relay between its peers (see Def.NoTap); say why
// at the call.
func NoTap() Option { return func(d *Def) { d.NoTap = true } }

// Case registers a case; call it from a package-level var so the catalogue is complete before
// the tree is built. A duplicate id is a programming error and panics at start-up.
func (s *Suite) Case(id string, level scenarios.Level, pattern, title string, body Body, opts ...Option) bool {
	d := &Def{ID: id, Level: level, Pattern: pattern, Title: title, Body: body, Timeout: 30 * time.Second}
	for _, o := range opts {
		o(d)
	}
	if _, dup := s.byID[d.ID]; dup {
		panic(fmt.Sprintf("%s: case %s registered twice", s.Name, d.ID))
	}
	s.byID[d.ID] = d
	s.cases = append(s.cases, d)
	return true
}

// Cases returns the registered cases sorted by id ("REQ.2" before "REQ.10").
func (s *Suite) Cases() []*Def {
	out := append([]*Def(nil), s.cases...)
	sort.SliceStable(out, func(i, j int) bool { return CaseLess(out[i].ID, out[j].ID) })
	return out
}

// Known reports whether the suite has a case id.
func (s *Suite) Known(id string) bool { _, ok := s.byID[id]; return ok }

// CaseLess orders case ids by prefix, then numerically: "REQ.2" before "REQ.10", "W.FR.4"
// after "W.FR.3".
func CaseLess(a, b string) bool {
	pa, na := splitID(a)
	pb, nb := splitID(b)
	if pa != pb {
		return pa < pb
	}
	return na < nb
}

func splitID(id string) (string, int) {
	i := strings.LastIndexByte(id, '.')
	if i < 0 {
		return id, 0
	}
	n, err := strconv.Atoi(id[i+1:])
	if err != nil {
		return id, 0
	}
	return id[:i], n
}

func (d *Def) transports() []string {
	if d.Transports != nil {
		return d.Transports
	}
	return harness.Transports
}
