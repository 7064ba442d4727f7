package wire_test

import (
	"testing"

	// The Ginkgo CLI runs a package as a Ginkgo suite (passing it --label-filter, the parallel
	// settings) only if its test files import Ginkgo; the case files do, this keeps it so.
	_ "github.com/onsi/ginkgo/v2"

	"github.com/zmqsuite/zmqsuite/harness/matrix"
	"github.com/zmqsuite/zmqsuite/suites/wire"
)

// TestWire runs the wire catalogue on the cell engine: each implementation found, with our own
// ZMTP peer, in both directions (wire.Pairings), over tcp and ipc; results in
// out/wire/results.json.
func TestWire(t *testing.T) { matrix.Main(t, wire.Suite, wire.Configure) }
