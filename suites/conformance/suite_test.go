package conformance_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/suites/conformance"
)

var matrix *conformance.Matrix

// TestConformance discovers the implementations, builds the matrix and runs it. Discovery
// happens before RunSpecs because Ginkgo entries are built with the tree.
func TestConformance(t *testing.T) {
	RegisterFailHandler(Fail)
	m, err := conformance.Discover()
	if err != nil {
		t.Fatalf("conformance: %v", err)
	}
	for name, why := range m.Unavailable {
		fmt.Fprintf(os.Stderr, "conformance: %s left out: %s\n", name, why)
	}
	matrix = m
	m.Build()
	RunSpecs(t, "zmqsuite conformance")
}

var _ = AfterSuite(func() {
	harness.Shared().Close()
	harness.RemoveIPCDir()
})

// The results file is written once, from the aggregated report of all parallel processes.
var _ = ReportAfterSuite("results.json", func(r Report) {
	res, err := conformance.Collect(r, matrix)
	Expect(err).NotTo(HaveOccurred())
	path := filepath.Join(conformance.OutDir(), "results.json")
	Expect(harness.WriteJSON(path, res)).To(Succeed())
	fmt.Fprintf(os.Stderr, "conformance: %d cells written to %s\n", len(res.Records), path)
})

// An expectations entry for a case that does not exist (a typo, a renamed id) would silently
// expect nothing: refuse it.
var _ = Describe("expectations file", Label("kind:meta"), func() {
	It("names only cases of the catalogue", func() {
		known := map[string]bool{}
		for _, d := range conformance.Cases() {
			known[d.ID] = true
		}
		for _, e := range matrix.Expectations.Entries() {
			Expect(known).To(HaveKey(e.Case), "%s: no case %q in the catalogue", e.Where(), e.Case)
		}
	})
})
