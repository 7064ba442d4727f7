package reports

import (
	"sort"
	"strings"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// Ceiling is the pseudo-implementation the benchmarks run to measure the transport alone
// (plain sockets, no ZeroMQ): the ceiling every figure is compared with.
const Ceiling = "raw"

// pairing is who binds and who connects in a cell.
type pairing struct{ Bind, Connect string }

func (p pairing) ceiling() bool { return p.Bind == Ceiling && p.Connect == Ceiling }

// String is the label used in every table and chart: "bind→connect", or "raw" for the
// ceiling, whose two sides are the same plain socket code.
func (p pairing) String() string {
	if p.ceiling() {
		return Ceiling
	}
	return p.Bind + "→" + p.Connect
}

// order ranks implementations, pairings and transports the same way in every table, so a
// reader's eye finds the same column in the same place throughout a report.
type order struct{ impl map[string]int }

// newOrder ranks implementations in the order the runs listed them (the harness's registry
// order), the ceiling before all of them.
func newOrder(r harness.Results) order {
	o := order{impl: map[string]int{Ceiling: 0}}
	for _, h := range hellos(r) {
		if _, ok := o.impl[h.Name]; !ok {
			o.impl[h.Name] = len(o.impl)
		}
	}
	return o
}

// lessImpl sorts known implementations by rank and unknown ones by name after them.
func (o order) lessImpl(a, b string) bool {
	ra, oka := o.impl[a]
	rb, okb := o.impl[b]
	switch {
	case oka && okb:
		return ra < rb
	case oka != okb:
		return oka
	}
	return a < b
}

func (o order) lessPairing(a, b pairing) bool {
	if a.Bind != b.Bind {
		return o.lessImpl(a.Bind, b.Bind)
	}
	return o.lessImpl(a.Connect, b.Connect)
}

func (o order) sortPairings(ps []pairing) {
	sort.Slice(ps, func(i, j int) bool { return o.lessPairing(ps[i], ps[j]) })
}

// transportRank puts the network transports first, as readers look for tcp before inproc.
var transportRank = map[string]int{"tcp": 0, "ipc": 1, "inproc": 2}

func lessTransport(a, b string) bool {
	// "tcp@20ms" sorts right after "tcp", by scenario.
	ba, sa, _ := strings.Cut(a, "@")
	bb, sb, _ := strings.Cut(b, "@")
	if ba != bb || sa == sb {
		a, b = ba, bb
	} else {
		return sa < sb
	}
	ra, oka := transportRank[a]
	rb, okb := transportRank[b]
	switch {
	case oka && okb:
		return ra < rb
	case oka != okb:
		return oka
	}
	return a < b
}

// naturalLess orders case ids as people number them: "PP.2" before "PP.10".
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := isDigit(a[0]), isDigit(b[0])
		if da && db {
			na, ra := leadingDigits(a)
			nb, rb := leadingDigits(b)
			// Compare numbers by length after dropping leading zeros, then lexically.
			ta, tb := strings.TrimLeft(na, "0"), strings.TrimLeft(nb, "0")
			if len(ta) != len(tb) {
				return len(ta) < len(tb)
			}
			if ta != tb {
				return ta < tb
			}
			a, b = ra, rb
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func leadingDigits(s string) (digits, rest string) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// hellos lists the implementations of both runs, the conformance run's first, each name once.
func hellos(r harness.Results) []peer.Hello {
	var out []peer.Hello
	seen := map[string]bool{}
	add := func(hs []peer.Hello) {
		for _, h := range hs {
			if !seen[h.Name] {
				seen[h.Name] = true
				out = append(out, h)
			}
		}
	}
	for _, n := range r.SuiteNames() {
		add(r.Suites[n].Implementations)
	}
	if r.Bench != nil {
		add(r.Bench.Implementations)
	}
	return out
}
