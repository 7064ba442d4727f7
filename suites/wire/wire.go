// Package wire is the wire suite's catalogue (docs/cases.md parts P and M): every case drives
// the suite's own ZMTP peer (harness/zmtp, written from the RFCs) against one socket of each
// implementation, living in that implementation's peer process, over tcp and ipc, in both
// directions — the implementation binds and our peer dials (cell "W.GR.1 tcp gozmq→zmtp"), or
// our peer listens and the implementation connects ("W.GR.1 tcp zmtp→gozmq"). Cases live in
// this package's _test files, one part of the catalogue per file; the cell engine
// (harness/matrix) builds, runs, judges and collects them.
//
// A case is one RFC sentence and one of these verdict kinds (docs/cases.md part P, as in
// h2spec):
//
//   - accept: the valid variant interoperates: a message crosses both ways;
//   - reject: the implementation closes the connection, with or without an ERROR first
//     (Observe says which); then the robust oracle;
//   - robust: no crash, no hang, the bad connection closed or ignored, and the robust oracle:
//     the peer process answers a control round trip, the same socket serves a well-behaved
//     peer, and the process's memory and descriptors did not grow past a generous bound;
//   - observe: an RFC "MAY" made visible: which alternative happened (version negotiation);
//   - emits: what the implementation sends conforms (W.TAP);
//   - fuzz: seeded random mutations of valid streams (W.FUZZ) and their reproducers (W.REPRO).
package wire

import (
	"fmt"
	"sort"
	"time"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/matrix"
	"github.com/zmqsuite/zmqsuite/harness/zmtp"
	"github.com/zmqsuite/zmqsuite/scenarios"
)

// Suite is the wire catalogue.
var Suite = matrix.NewSuite("wire")

// PeerName is the pseudo-implementation that stands for our own ZMTP peer in cell ids, labels
// (bind:zmtp, connect:zmtp) and expectations.
const PeerName = "zmtp"

// Peer is our ZMTP peer as a side of a cell. It has no peer process: it lives in the test
// process, so the pool must never be asked for it (Unavailable says why if it ever is).
var Peer = &harness.Impl{Name: PeerName, Source: "harness/zmtp",
	Unavailable: "the suite's own ZMTP peer lives in the test process and has no peer process"}

// Kind is a case's kind of verdict; it is the cell's pattern label (pattern:reject).
type Kind string

// Verdict kinds (see the package comment).
const (
	Accept  Kind = "accept"
	Reject  Kind = "reject"
	Robust  Kind = "robust"
	Observe Kind = "observe"
	Emits   Kind = "emits"
	Fuzz    Kind = "fuzz"
)

// Direction says who connects to whom in a cell.
type Direction uint8

const (
	// ImplBinds: the implementation binds and our peer dials (cell "impl→zmtp").
	ImplBinds Direction = 1 << iota
	// ImplConnects: our peer listens and the implementation connects (cell "zmtp→impl").
	ImplConnects
	// Both directions, the default.
	Both = ImplBinds | ImplConnects
)

// Body is a wire case: arrange, act, assert on one cell, seen from our peer.
type Body func(ctx matrix.SpecContext, w *Wire)

// Option adjusts a wire case at registration.
type Option func(*def)

type def struct {
	dirs       Direction
	timeout    time.Duration
	kind       Kind
	transports []string
}

// Only restricts a case to one direction (W.ROB.2: the implementation must connect; W.FUZZ:
// our peer dials).
func Only(d Direction) Option { return func(o *def) { o.dirs = d } }

// Over restricts a case to some transports (W.FUZZ runs over tcp only).
func Over(transports ...string) Option { return func(o *def) { o.transports = transports } }

// Within sets the cell's time bound (default 30 s).
func Within(t time.Duration) Option { return func(o *def) { o.timeout = t } }

// defs are the wire-specific facts of each registered case, by id.
var defs = map[string]*def{}

// Case registers a wire case; call it from a package-level var. Every wire case runs over tcp
// and ipc (inproc never leaves a context, so no raw peer can reach it).
func Case(id string, level scenarios.Level, kind Kind, title string, body Body, opts ...Option) bool {
	d := &def{dirs: Both, timeout: 30 * time.Second, kind: kind, transports: []string{harness.TCP, harness.IPC}}
	for _, o := range opts {
		o(d)
	}
	defs[id] = d
	return Suite.Case(id, level, string(kind), title, func(ctx matrix.SpecContext, cell *harness.Cell) {
		w := newWire(cell)
		defer w.close()
		body(ctx, w)
	}, matrix.On(d.transports...), matrix.Within(d.timeout))
}

// Pairings is the wire suite's pairing rule: each implementation found, with our peer, in
// the case's directions. Implementations come in registry order, so a new one (jeromq) joins
// every case without a change here.
func Pairings(d *matrix.Def, transport string, impls []*harness.Impl) [][2]*harness.Impl {
	dirs := Both
	if x, ok := defs[d.ID]; ok {
		dirs = x.dirs
	}
	var out [][2]*harness.Impl
	for _, im := range impls {
		if dirs&ImplBinds != 0 {
			out = append(out, [2]*harness.Impl{im, Peer})
		}
		if dirs&ImplConnects != 0 {
			out = append(out, [2]*harness.Impl{Peer, im})
		}
	}
	return out
}

// Configure is the matrix.Run option of the wire suite: its pairing rule and its pseudo-
// implementation (so that expectations may name "zmtp").
func Configure(r *matrix.Run) {
	r.Pairings = Pairings
	r.Pseudo = []string{PeerName}
	r.Probe = interopProbe
}

// interopProbe checks an interop entry of the wire suite (an implementation that shares no
// protocol revision with our ZMTP 3.x peer, JeroMQ 0.3.6): a NULL handshake at 3.1 and one
// message, in the pairing's direction. Its failure is the pairing's known failure; its success
// makes the entry stale (and the run red).
var interopProbe = &matrix.Probe{Name: "a ZMTP 3.1 NULL handshake and one message", Body: func(ctx matrix.SpecContext, cell *harness.Cell) {
	w := newWire(cell)
	defer w.close()
	l := w.Open(ctx, harness.PULL, harness.PUSH)
	Must(l.Play(ctx, append(l.Greets(zmtp.V3_1), l.Crosses("probe")...)...), "a ZMTP 3.1 peer")
}}

// IDs lists the registered case ids in catalogue order (for tests and docs).
func IDs() []string {
	var out []string
	for _, d := range Suite.Cases() {
		out = append(out, d.ID)
	}
	sort.SliceStable(out, func(i, j int) bool { return matrix.CaseLess(out[i], out[j]) })
	return out
}

// KindOf is a registered case's verdict kind.
func KindOf(id string) (Kind, error) {
	d, ok := defs[id]
	if !ok {
		return "", fmt.Errorf("no wire case %q", id)
	}
	return d.kind, nil
}
