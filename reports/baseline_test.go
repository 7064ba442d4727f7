package reports_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/reports"
)

var _ = Describe("baseline selection", func() {
	var dir string
	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		for _, n := range []string{"linux-amd64.json", "darwin-arm64.json", "README.md"} {
			Expect(os.WriteFile(filepath.Join(dir, n), []byte("{}"), 0o644)).To(Succeed())
		}
	})

	It("picks <goos>-<goarch>.json", func() {
		Expect(reports.SelectBaseline(dir, "linux", "amd64")).To(Equal(filepath.Join(dir, "linux-amd64.json")))
		Expect(reports.SelectBaseline(dir, "darwin", "arm64")).To(Equal(filepath.Join(dir, "darwin-arm64.json")))
	})

	It("does not take another architecture of the same OS", func() {
		_, err := reports.SelectBaseline(dir, "linux", "arm64")
		Expect(err).To(MatchError(ContainSubstring("no baseline for linux/arm64")))
	})

	It("says which baselines exist and how to make the missing one", func() {
		_, err := reports.SelectBaseline(dir, "windows", "amd64")
		Expect(err).To(MatchError(ContainSubstring("windows-amd64.json does not exist")))
		Expect(err).To(MatchError(ContainSubstring("holds darwin-arm64.json, linux-amd64.json")))
		Expect(err).To(MatchError(ContainSubstring("zmqsuite report")))
		Expect(err.Error()).NotTo(ContainSubstring("README"))
	})

	It("explains a missing directory", func() {
		_, err := reports.SelectBaseline(filepath.Join(dir, "nope"), "linux", "amd64")
		Expect(err).To(MatchError(ContainSubstring("holds none")))
	})

	It("refuses a directory where the file should be", func() {
		Expect(os.Mkdir(filepath.Join(dir, "freebsd-amd64.json"), 0o755)).To(Succeed())
		_, err := reports.SelectBaseline(dir, "freebsd", "amd64")
		Expect(err).To(MatchError(ContainSubstring("not a regular file")))
	})

	It("names baselines by Go's platform names", func() {
		Expect(reports.BaselineName("windows", "arm64")).To(Equal("windows-arm64.json"))
	})
})
