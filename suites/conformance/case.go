// Package conformance is the conformance suite's catalogue: every case × transport × ordered
// pairing of the implementations found here (the binding side's implementation × the
// connecting side's; inproc inside one implementation and one context). Cases live in this
// package's _test files, one pattern per file, and read like the RFC sentence they check; the
// cell engine (harness/matrix) builds, runs, judges and collects them.
package conformance

import (
	"time"

	"github.com/zmqsuite/zmqsuite/harness/matrix"
	"github.com/zmqsuite/zmqsuite/scenarios"
)

// Suite is the conformance catalogue.
var Suite = matrix.NewSuite("conformance")

// Body is a case: arrange, act, assert on one cell.
type Body = matrix.Body

// Case registers a conformance case; call it from a package-level var.
func Case(id string, level scenarios.Level, pattern, title string, body Body, opts ...matrix.Option) bool {
	return Suite.Case(id, level, pattern, title, body, opts...)
}

// On restricts a case to some transports.
func On(transports ...string) matrix.Option { return matrix.On(transports...) }

// PerImplementation runs a case once per implementation (bind side = connect side).
func PerImplementation() matrix.Option { return matrix.PerImplementation() }

// SameHost marks a case that only means something on one machine (it goes through the
// loopback address): across hosts its cells are skipped with why.
func SameHost(why string) matrix.Option { return matrix.SameHost(why) }

// Within sets the cell's time bound.
func Within(t time.Duration) matrix.Option { return matrix.Within(t) }

// NeedsFence marks a case whose oracle needs a fence to prove that messages on other
// connections have arrived: across a path with delay or loss its cells are skipped with why.
func NeedsFence(why string) matrix.Option { return matrix.NeedsFence(why) }

// Moves says that the case moves n bytes in all: across a lossy path its cell's
// bound grows by what that takes (harness.CellLimit).
func Moves(n int64) matrix.Option { return matrix.Moves(n) }

// NoTap keeps a case's tcp connections off the decoding relay. Cases that measure queue
// capacity (high-water marks, a stalled peer leaving the rotation) or what a disconnect does
// take it: the relay's socket buffers add capacity, and it ends a connection only when the
// other side does, so with it PP.6, DLR.4, CON.8 and CON.10 changed outcome in a full run.
func NoTap() matrix.Option { return matrix.NoTap() }
