package faults_test

import (
	"testing"

	// The Ginkgo CLI runs a package as a Ginkgo suite (passing it --label-filter, the parallel
	// settings) only if its test files import Ginkgo; the case files do, this keeps it so.
	_ "github.com/onsi/ginkgo/v2"

	"github.com/zmqsuite/zmqsuite/harness/matrix"
	"github.com/zmqsuite/zmqsuite/suites/faults"
)

// TestFaults runs the faults catalogue on the cell engine: discovery, the matrix of cells, the
// verdicts and out/faults/results.json.
func TestFaults(t *testing.T) { matrix.Main(t, faults.Suite) }
