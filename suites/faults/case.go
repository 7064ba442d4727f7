// Package faults is the faults suite's catalogue ("when things go wrong"): cases in which the
// harness kills, restarts or freezes a side's peer process, or puts a toxiproxy link with a
// fault between the two peers of a tcp cell, and judges what the other side does — reconnect,
// resubscribe, drop a dead peer's queue, keep serving the others, never surface a disconnect
// as data — and accounts for every message (sent, delivered, lost, duplicated, reordered,
// malformed, recovery_ms in each record's metrics). Load and leak cases (many sockets, many
// messages, the peers' descriptors, threads and memory before and after) live here too. The
// cells run on the shared cell engine (harness/matrix).
package faults

import (
	"time"

	"github.com/zmqsuite/zmqsuite/harness/matrix"
	"github.com/zmqsuite/zmqsuite/scenarios"
)

// Suite is the faults catalogue.
var Suite = matrix.NewSuite("faults")

// Body is a case: arrange, act, assert on one cell.
type Body = matrix.Body

// Case registers a faults case; call it from a package-level var.
func Case(id string, level scenarios.Level, pattern, title string, body Body, opts ...matrix.Option) bool {
	return Suite.Case(id, level, pattern, title, body, opts...)
}

// On restricts a case to some transports.
func On(transports ...string) matrix.Option { return matrix.On(transports...) }

// PerImplementation runs a case once per implementation (bind side = connect side).
func PerImplementation() matrix.Option { return matrix.PerImplementation() }

// Within sets the cell's time bound.
func Within(t time.Duration) matrix.Option { return matrix.Within(t) }
