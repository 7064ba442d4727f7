package harness_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/shirou/gopsutil/v4/process"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// The faults suite kills and freezes peers on purpose. A kill must end the process, cost the
// cell nothing (no crash, no late crash for anyone), leave the other side's sockets working
// and give the side a fresh peer at its next use; a stall must freeze the process until it is
// resumed.
var _ = Describe("kill and stall", func() {
	var (
		pool *harness.Pool
		im   *harness.Impl
	)
	BeforeEach(func() {
		bin, err := harness.PeerBinary()
		Expect(err).NotTo(HaveOccurred())
		_ = bin
		reg, err := harness.NewRegistry("")
		Expect(err).NotTo(HaveOccurred())
		im, err = reg.Get("gozmq")
		Expect(err).NotTo(HaveOccurred())
		pool = harness.NewPool()
		DeferCleanup(pool.Close)
	})

	It("kills a side's peer without charging anyone, and restarts it on the same endpoint", func(ctx SpecContext) {
		cell := harness.NewCell(pool, harness.TCP, im, im)
		cell.ID = "kill cell"
		var killed harness.Killed
		var ep string
		a := harness.Run(ctx, cell, func() {
			var push *harness.Sock
			push, ep, killed = binderKilledUnderPush(ctx, cell)
			Expect(processGone(killed.PID)).To(BeTrue(), "pid %d still exists after Kill", killed.PID)
			cell.Restart(ctx, harness.BindSide)
			Expect(cell.PID(ctx, harness.BindSide)).NotTo(Equal(killed.PID))
			again := cell.Socket(ctx, harness.BindSide, harness.PULL)
			Expect(again.BindTo(ctx, ep)).To(Succeed())
			// The other side's peer lives on: a new PUSH there reaches the restarted binder
			// (whether the old one redials is the faults suite's business, not the harness's).
			fresh := cell.Connect(ctx, harness.PUSH, again)
			fresh.Send(ctx, "after")
			Expect(again.RecvStrings(ctx)).To(Equal([]string{"after"}))
			_ = push
		})
		Expect(a.Fault).To(BeNil())
		Expect(a.Err).NotTo(HaveOccurred())
		Expect(cell.Close(ctx)).To(BeNil(), "closing skips the killed peer's sockets")
		Expect(cell.LateCrashes()).To(BeEmpty())
		Expect(killed.Side).To(Equal(harness.BindSide))
		Expect(cell.Steps()).To(ContainElement(HavePrefix("kill bind peer (gozmq, pid ")))

		next := harness.NewCell(pool, harness.TCP, im, im)
		next.ID = "next cell"
		a = harness.Run(ctx, next, func() { next.Bind(ctx, harness.PULL) })
		Expect(a.Fault).To(BeNil())
		Expect(next.LateCrashes()).To(BeEmpty(), "a peer the harness killed is nobody's late crash")
		next.Close(ctx)
		Expect(pool.Shutdown()).To(BeEmpty())
	}, SpecTimeout(60*time.Second))

	It("retires a peer whose socket was closed with a linger, so the socket cannot reach a later cell", func(ctx SpecContext) {
		lz := libzmqForLinger()
		cell := harness.NewCell(pool, harness.TCP, im, lz)
		cell.ID = "lingering cell"
		var ep string
		var pid int
		a := harness.Run(ctx, cell, func() {
			var push *harness.Sock
			push, ep, _ = binderKilledUnderPush(ctx, cell)
			for i := 0; i < 3; i++ {
				_ = push.TrySend(ctx, 0, harness.Msg("queued"))
			}
			pid = cell.PID(ctx, harness.ConnectSide)
			Expect(push.Close(ctx, -1)).To(Succeed()) // libzmq's default linger: forever
		})
		Expect(a.Fault).To(BeNil())
		Expect(a.Err).NotTo(HaveOccurred())
		Expect(cell.Close(ctx)).To(BeNil())
		Expect(cell.Steps()).To(ContainElement(HavePrefix("retire connect peer (libzmq)")))
		Expect(processGone(pid)).To(BeTrue(), "the peer holding the lingering socket (pid %d) still runs", pid)

		// A later cell binding the same port hears nothing from the closed socket.
		next := harness.NewCell(pool, harness.TCP, im, lz)
		next.ID = "next cell"
		a = harness.Run(ctx, next, func() {
			pull := next.Socket(ctx, harness.BindSide, harness.PULL)
			Expect(pull.BindTo(ctx, ep)).To(Succeed())
			_, err := pull.TryRecv(ctx, time.Second) // libzmq redials every 100 ms
			Expect(err).To(MatchError(ContainSubstring("again")), "a message from the previous cell's closed socket")
			Expect(next.PID(ctx, harness.ConnectSide)).NotTo(Equal(pid))
		})
		Expect(a.Fault).To(BeNil())
		Expect(a.Err).NotTo(HaveOccurred())
		Expect(next.LateCrashes()).To(BeEmpty(), "a retired peer is nobody's late crash")
		next.Close(ctx)
		Expect(pool.Shutdown()).To(BeEmpty())
	}, SpecTimeout(60*time.Second))

	It("keeps the peer of a lingering socket whose every message the case saw arrive", func(ctx SpecContext) {
		lz := libzmqForLinger()
		cell := harness.NewCell(pool, harness.TCP, im, lz)
		var pid int
		a := harness.Run(ctx, cell, func() {
			pull := cell.Bind(ctx, harness.PULL)
			push := cell.Connect(ctx, harness.PUSH, pull)
			push.Send(ctx, "delivered")
			Expect(pull.RecvStrings(ctx)).To(Equal([]string{"delivered"}))
			pid = cell.PID(ctx, harness.ConnectSide)
			Expect(push.Close(ctx, -1)).To(Succeed())
			push.Delivered()
		})
		Expect(a.Fault).To(BeNil())
		Expect(a.Err).NotTo(HaveOccurred())
		Expect(cell.Close(ctx)).To(BeNil())
		Expect(cell.Steps()).NotTo(ContainElement(HavePrefix("retire ")))

		next := harness.NewCell(pool, harness.TCP, im, lz)
		a = harness.Run(ctx, next, func() {
			Expect(next.PID(ctx, harness.ConnectSide)).To(Equal(pid), "the same peer serves the next cell")
		})
		Expect(a.Err).NotTo(HaveOccurred())
		next.Close(ctx)
		Expect(pool.Shutdown()).To(BeEmpty())
	}, SpecTimeout(60*time.Second))

	It("a call on a killed peer's socket is a fault of the case, not a hang", func(ctx SpecContext) {
		cell := harness.NewCell(pool, harness.TCP, im, im)
		a := harness.Run(ctx, cell, func() {
			pull := cell.Bind(ctx, harness.PULL)
			cell.Kill(ctx, harness.BindSide)
			_, _ = pull.TryRecv(ctx, 100*time.Millisecond)
		})
		Expect(a.Fault).NotTo(BeNil())
		Expect(a.Fault.Error()).To(ContainSubstring("a kill by the harness"))
		cell.Close(ctx)
	}, SpecTimeout(30*time.Second))

	It("stalls a peer until it is resumed", func(ctx SpecContext) {
		cell := harness.NewCell(pool, harness.TCP, im, im)
		a := harness.Run(ctx, cell, func() {
			pull := cell.Bind(ctx, harness.PULL)
			pid := cell.PID(ctx, harness.BindSide)
			resume := cell.Stall(ctx, harness.BindSide)
			defer resume()
			p, err := process.NewProcessWithContext(ctx, int32(pid))
			Expect(err).NotTo(HaveOccurred())
			Eventually(ctx, func() []string { s, _ := p.StatusWithContext(ctx); return s }).
				WithTimeout(5 * time.Second).Should(ContainElement(process.Stop))
			resume()
			Eventually(ctx, func() []string { s, _ := p.StatusWithContext(ctx); return s }).
				WithTimeout(5 * time.Second).ShouldNot(ContainElement(process.Stop))
			_, err = pull.TryRecv(ctx, 50*time.Millisecond)
			Expect(peer.Category(err)).To(Equal(peer.ErrAgain), "the resumed peer answers")
		})
		Expect(a.Fault).To(BeNil())
		Expect(a.Err).NotTo(HaveOccurred())
		cell.Close(ctx)
	}, SpecTimeout(30*time.Second))
})

// binderKilledUnderPush binds a PULL, connects a PUSH to it, proves a message through and
// kills the bind side's peer: the PUSH it returns, on the live connect side, has lost its
// peer, and ep is the endpoint the dead PULL was bound to.
func binderKilledUnderPush(ctx context.Context, cell *harness.Cell) (push *harness.Sock, ep string, killed harness.Killed) {
	GinkgoHelper()
	pull := cell.Bind(ctx, harness.PULL)
	push = cell.Connect(ctx, harness.PUSH, pull)
	push.Send(ctx, "before")
	Expect(pull.RecvStrings(ctx)).To(Equal([]string{"before"}))
	return push, pull.Endpoint, cell.Kill(ctx, harness.BindSide)
}

// libzmqForLinger is the libzmq implementation, whose linger (a closed socket that keeps
// redialling) the linger tests are about; the test is skipped where it does not run.
func libzmqForLinger() *harness.Impl {
	GinkgoHelper()
	reg, err := harness.NewRegistry("")
	Expect(err).NotTo(HaveOccurred())
	lz, err := reg.Get("libzmq")
	Expect(err).NotTo(HaveOccurred())
	if lz.Unavailable != "" {
		Skip("libzmq's linger is the behaviour under test: " + lz.Unavailable)
	}
	return lz
}
