package harness_test

import (
	"context"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/harness"
)

// Resources must see what a process holds: descriptors opened and closed, threads, memory.
var _ = Describe("resources", func() {
	It("counts this process's file descriptors as they are opened and closed", func(ctx SpecContext) {
		before, err := harness.ResourcesOf(ctx, os.Getpid())
		Expect(err).NotTo(HaveOccurred())
		Expect(before.FDs).To(BeNumerically(">", 2))
		Expect(before.Threads).To(BeNumerically(">=", 1))
		Expect(before.RSS).To(BeNumerically(">", 1<<20))
		dir := GinkgoT().TempDir()
		var files []*os.File
		for i := 0; i < 50; i++ {
			f, err := os.Create(filepath.Join(dir, "f"+string(rune('a'+i%26))+string(rune('a'+i/26))))
			Expect(err).NotTo(HaveOccurred())
			files = append(files, f)
		}
		during, err := harness.ResourcesOf(ctx, os.Getpid())
		Expect(err).NotTo(HaveOccurred())
		Expect(during.FDs - before.FDs).To(BeNumerically(">=", 50))
		for _, f := range files {
			f.Close()
		}
		after, err := harness.ResourcesOf(ctx, os.Getpid())
		Expect(err).NotTo(HaveOccurred())
		Expect(after.FDs).To(BeNumerically("<", during.FDs-40))
		Expect(after.String()).To(MatchRegexp(`^\d+ fds, \d+ threads, RSS \d+\.\d MiB$`))
	}, SpecTimeout(10*time.Second))

	It("reads a peer's resources from its hello pid, and sees its sockets", func(ctx SpecContext) {
		bin, err := harness.PeerBinary()
		Expect(err).NotTo(HaveOccurred())
		_ = bin
		reg, err := harness.NewRegistry("")
		Expect(err).NotTo(HaveOccurred())
		im, _ := reg.Get("gozmq")
		pool := harness.NewPool()
		DeferCleanup(pool.Close)
		cell := harness.NewCell(pool, harness.TCP, im, im)
		DeferCleanup(func(ctx context.Context) { cell.Close(ctx) })
		a := harness.Run(ctx, cell, func() {
			before := cell.Resources(ctx, harness.BindSide)
			for i := 0; i < 20; i++ {
				cell.Bind(ctx, harness.PULL) // a listening socket each
			}
			Expect(cell.Resources(ctx, harness.BindSide).FDs - before.FDs).To(BeNumerically(">=", 20))
		})
		Expect(a.Err).NotTo(HaveOccurred())
		Expect(a.Fault).To(BeNil())
	}, SpecTimeout(30*time.Second))
})
