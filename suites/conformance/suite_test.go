package conformance_test

import (
	"testing"

	"github.com/zmqsuite/zmqsuite/harness/matrix"
	"github.com/zmqsuite/zmqsuite/suites/conformance"
)

// TestConformance runs the catalogue on the cell engine: discovery, the matrix of cells, the
// verdicts and out/conformance/results.json.
func TestConformance(t *testing.T) { matrix.Main(t, conformance.Suite) }
