package wire_test

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	"github.com/zmqsuite/zmqsuite/harness/zmtp"
	. "github.com/zmqsuite/zmqsuite/scenarios"
	"github.com/zmqsuite/zmqsuite/suites/wire"
)

// The seeded mutation run and its reproducers (docs/cases.md W.ROB.1's oracle, applied to
// streams nobody wrote by hand).

// fuzzConfig is read once, when the catalogue is built; a malformed variable fails W.FUZZ.
var fuzzConfig, fuzzConfigErr = wire.FuzzFromEnv()

// W.FUZZ (RFC 23 §Security Considerations; libzmq's fuzzers): mutations of five valid
// streams — bit flips, truncations, lying lengths, renamed commands, flipped flags, inserted
// and deleted octets, from a seeded generator — neither crash nor hang the implementation, nor
// make it deliver a message the stream did not validly carry; its socket serves a well-behaved
// peer afterwards. Crashes, hangs and bad deliveries are the cell's metrics; a crash of a new
// kind is saved as a reproducer (W.REPRO.<n> once committed under testdata/reproducers).
var _ = wire.Case("W.FUZZ", Must, wire.Fuzz, "Seeded mutations of valid streams neither crash, hang nor fool the implementation",
	func(ctx SpecContext, w *wire.Wire) {
		if fuzzConfigErr != nil {
			panic(&h.StepError{Step: "the mutation run's configuration", Err: fuzzConfigErr})
		}
		w.Fuzz(ctx, fuzzConfig).Verdict(w)
	}, wire.Only(wire.ImplBinds), wire.Over(h.TCP), wire.Within(fuzzConfig.Duration+90*time.Second))

// W.REPRO.<n>: each committed reproducer replayed as a regular wire case, against every
// implementation, transport and direction: after the stream the process answers, whatever
// the implementation delivered was carried by the stream, and the socket serves a
// well-behaved peer.
var _ = registerReproducers()

func registerReproducers() bool {
	reps, err := wire.LoadReproducers(wire.ReproDir)
	if err != nil {
		panic(fmt.Sprintf("wire reproducers: %v", err))
	}
	for _, r := range reps {
		r := r
		title := fmt.Sprintf("Reproducer %d (%s of %s: %s) leaves the process alive and the socket serving", r.ID, r.Outcome, r.FoundIn, r.Signature)
		wire.Case(fmt.Sprintf("W.REPRO.%d", r.ID), Must, wire.Robust, title, func(ctx SpecContext, w *wire.Wire) {
			l := w.Open(ctx, h.PULL, h.PUSH)
			var how string
			res := l.Play(ctx, zmtp.SendRaw(r.Octets), wire.SettleRaw(&how))
			w.Alive(ctx)
			var v wire.Verdict
			v.Result("the reproducer's stream", res)
			carried := wire.CarriedBy(r.Octets)
			for {
				m, err := l.Sock.TryRecv(ctx, wire.SettleWithin)
				if err != nil {
					if peer.Category(err) != peer.ErrAgain {
						w.Note("the receive answered %s", peer.Category(err))
					}
					break
				}
				switch carried.Judge(r.Octets, m) {
				case "bad":
					v.Fail("delivered %s, which the stream did not carry", h.Describe(m))
				case "lenient":
					w.Note("delivered what only a lenient reader takes")
				}
			}
			if how != "" {
				w.Note("%s", how)
			}
			v.Serves(ctx, l)
			v.Check()
		})
	}
	return true
}
