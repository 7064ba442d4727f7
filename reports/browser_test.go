package reports_test

import (
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/reports"
)

const chromium = "/usr/bin/chromium"

// The HTML is checked in a real browser when one is installed: the page must render
// offline into something that is not blank. REPORTS_SCREENSHOT=path keeps the screenshot
// for a person to look at.
var _ = Describe("the HTML page in a browser", func() {
	It("renders in headless chromium, offline", func(ctx SpecContext) {
		if _, err := os.Stat(chromium); err != nil {
			Skip("chromium not installed: apt-get install chromium")
		}
		dir := GinkgoT().TempDir()
		files, err := reports.Write(filepath.Join(dir, "report"), synthetic(1))
		Expect(err).NotTo(HaveOccurred())
		shot := filepath.Join(dir, "index.png")
		// Every flag that could make the browser reach the network is off: the page must
		// not need it.
		cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu",
			"--disable-quic", "--no-first-run", "--disable-background-networking",
			"--disable-component-update", "--disable-sync", "--user-data-dir="+filepath.Join(dir, "profile"),
			"--screenshot="+shot, "--window-size=1400,2000", "file://"+files.HTML)
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "chromium: %s", out)

		f, err := os.Open(shot)
		Expect(err).NotTo(HaveOccurred())
		defer f.Close()
		img, err := png.Decode(f)
		Expect(err).NotTo(HaveOccurred())
		b := img.Bounds()
		Expect(b.Dx()).To(Equal(1400))

		colours := map[color.RGBA]bool{}
		ink := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
				colours[c] = true
				if c != (color.RGBA{255, 255, 255, 255}) {
					ink++
				}
			}
		}
		// Text, the outcome colours and the grid's borders: a blank or unstyled page has a
		// handful of colours and almost no ink.
		Expect(len(colours)).To(BeNumerically(">", 200), "distinct colours")
		Expect(float64(ink)/float64(b.Dx()*b.Dy())).To(BeNumerically(">", 0.05), "share of non-white pixels")

		if keep := os.Getenv("REPORTS_SCREENSHOT"); keep != "" {
			png, err := os.ReadFile(shot)
			Expect(err).NotTo(HaveOccurred())
			Expect(os.WriteFile(keep, png, 0o644)).To(Succeed())
		}
	}, SpecTimeout(2*time.Minute))
})
