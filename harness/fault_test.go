package harness_test

import (
	"os"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/harness"
)

// Implementations under test crash, hang and talk nonsense. Each must become a one-line
// result for the case, naming the peer and its last stderr line, and the next case must run
// on a fresh peer. The misbehaving peers are zmqpeer's fault modes (cmd/zmqpeer/fault.go).
var _ = Describe("peer faults", func() {
	var (
		reg  *harness.Registry
		pool *harness.Pool
	)
	BeforeEach(func() {
		bin, err := harness.PeerBinary()
		Expect(err).NotTo(HaveOccurred())
		reg, err = harness.NewRegistry("panicky=" + bin + " fault panic-on-recv;hangy=" + bin + " fault hang-on-recv;" +
			"garbled=" + bin + " fault garbage;dead=" + bin + " fault exit-at-start;missing=/nonexistent/zmqpeer-nope;" +
			"late=" + bin + " fault die-after-close")
		Expect(err).NotTo(HaveOccurred())
		pool = harness.NewPool()
		DeferCleanup(pool.Close)
		grace := harness.ControlGrace
		harness.ControlGrace = 2 * time.Second
		DeferCleanup(func() { harness.ControlGrace = grace })
	})

	// runRecv is a case that binds a PULL and waits briefly for a message that never comes.
	// It returns how the case ended and the pid of the peer it ran in.
	runRecv := func(ctx SpecContext, implName string) (harness.Attempt, int) {
		im, err := reg.Get(implName)
		Expect(err).NotTo(HaveOccurred())
		cell := harness.NewCell(pool, harness.TCP, im, im)
		DeferCleanup(cell.Close)
		pid := 0
		return harness.Run(ctx, cell, func() {
			pid = cell.Hello(ctx, harness.BindSide).PeerPID
			pull := cell.Bind(ctx, harness.PULL)
			_, _ = pull.TryRecv(ctx, 200*time.Millisecond)
		}), pid
	}

	// nextCaseRuns proves the pool replaced the dead peer: a new process serves a new cell.
	nextCaseRuns := func(ctx SpecContext, implName string, deadPID int) {
		im, _ := reg.Get(implName)
		cell := harness.NewCell(pool, harness.TCP, im, im)
		DeferCleanup(cell.Close)
		a := harness.Run(ctx, cell, func() {
			push := cell.Bind(ctx, harness.PUSH)
			Expect(push.Endpoint).To(HavePrefix("tcp://127.0.0.1:"))
		})
		Expect(a.Fault).To(BeNil())
		Expect(a.Err).NotTo(HaveOccurred())
		Expect(cell.Hello(ctx, harness.BindSide).PeerPID).NotTo(Equal(deadPID), "the dead peer was not replaced")
	}

	It("records a peer that panics as a crash with its stderr, and respawns it", func(ctx SpecContext) {
		a, pid := runRecv(ctx, "panicky")
		Expect(a.Fault).NotTo(BeNil())
		Expect(a.Fault.Kind).To(Equal(harness.FaultCrash))
		msg := a.Fault.Error()
		Expect(msg).NotTo(ContainSubstring("\n"))
		Expect(msg).To(HavePrefix("bind-side panicky peer crashed during recv"))
		Expect(msg).To(ContainSubstring("last stderr: panic: "), "the panic headline, not a stack frame, explains the crash")
		Expect(a.Fault.StderrTail).To(ContainSubstring("panic"))
		nextCaseRuns(ctx, "panicky", pid)
	}, SpecTimeout(30*time.Second))

	It("records a peer that ignores its deadline as a hang, kills it, and respawns it", func(ctx SpecContext) {
		a, pid := runRecv(ctx, "hangy")
		Expect(a.Fault).NotTo(BeNil())
		Expect(a.Fault.Kind).To(Equal(harness.FaultHang))
		Expect(a.Fault.Error()).To(MatchRegexp(`^bind-side hangy peer hung during recv \(bind PULL\): no reply within \S+; last stderr: .+`))
		nextCaseRuns(ctx, "hangy", pid)
	}, SpecTimeout(30*time.Second))

	It("records a peer that answers garbage as a protocol violation, and respawns it", func(ctx SpecContext) {
		a, pid := runRecv(ctx, "garbled")
		Expect(a.Fault).NotTo(BeNil())
		Expect(a.Fault.Kind).To(Equal(harness.FaultGarbage))
		Expect(a.Fault.Error()).To(ContainSubstring("garbled peer broke the protocol"))
		Expect(a.Fault.Error()).To(ContainSubstring("not a protocol reply"))
		Expect(a.Fault.Error()).NotTo(ContainSubstring("\n"))
		// This peer garbles every first request, so only its replacement's hello is checked.
		im, _ := reg.Get("garbled")
		fresh, _, err := pool.Get(ctx, im, harness.BindSide, "next cell")
		Expect(err).NotTo(HaveOccurred())
		Expect(fresh.Hello.PeerPID).NotTo(Equal(pid))
	}, SpecTimeout(30*time.Second))

	// A peer that dies between cells (after its cell ended, before the next one asked for it)
	// belongs to the cell that used it last: the next cell must say so and run on a new peer.
	It("charges a peer found dead between cells to the cell that used it last", func(ctx SpecContext) {
		im, _ := reg.Get("late")
		first := harness.NewCell(pool, harness.TCP, im, im)
		first.ID = "first cell"
		var pid int
		a := harness.Run(ctx, first, func() {
			pid = first.Hello(ctx, harness.BindSide).PeerPID
			pull := first.Bind(ctx, harness.PULL)
			Expect(pull.Close(ctx, 0)).To(Succeed())
		})
		Expect(a.Fault).To(BeNil())
		Expect(first.Close(ctx)).To(BeNil())
		Expect(first.LateCrashes()).To(BeEmpty())
		// The peer dies 300 ms after that close, on its own.
		Eventually(ctx, func() bool { return processGone(pid) }).WithTimeout(5 * time.Second).Should(BeTrue())
		next := harness.NewCell(pool, harness.TCP, im, im)
		next.ID = "next cell"
		a = harness.Run(ctx, next, func() {
			Expect(next.Hello(ctx, harness.BindSide).PeerPID).NotTo(Equal(pid), "the dead peer was not replaced")
		})
		Expect(a.Fault).To(BeNil())
		Expect(a.Err).NotTo(HaveOccurred())
		late := next.LateCrashes()
		Expect(late).To(HaveLen(1))
		Expect(late[0].Cell).To(Equal("first cell"))
		Expect(late[0].Found).To(Equal("next cell"))
		Expect(late[0].Fault.Outcome()).To(Equal(harness.Crash))
		Expect(late[0].Fault.Error()).To(ContainSubstring("fatal error: zmqpeer fault: die-after-close"))
		next.Close(ctx)
	}, SpecTimeout(30*time.Second))

	It("charges a peer that died after the last cell to that cell at the end of the run", func(ctx SpecContext) {
		im, _ := reg.Get("late")
		cell := harness.NewCell(pool, harness.TCP, im, im)
		cell.ID = "last cell"
		var pid int
		harness.Run(ctx, cell, func() {
			pid = cell.Hello(ctx, harness.BindSide).PeerPID
			cell.Bind(ctx, harness.PULL)
		})
		Expect(cell.Close(ctx)).To(BeNil())
		Eventually(ctx, func() bool { return processGone(pid) }).WithTimeout(5 * time.Second).Should(BeTrue())
		late := pool.Shutdown()
		Expect(late).To(HaveLen(1))
		Expect(late[0].Cell).To(Equal("last cell"))
		Expect(late[0].Found).To(Equal("the end of the run"))
	}, SpecTimeout(30*time.Second))

	It("says in one line why a peer that exits at start cannot run", func(ctx SpecContext) {
		im, _ := reg.Get("dead")
		_, err := harness.StartPeer(ctx, im, "", 10*time.Second)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(HavePrefix("dead peer failed to start during hello"))
		Expect(err.Error()).To(ContainSubstring("last stderr:"))
		Expect(err.Error()).NotTo(ContainSubstring("\n"))
	}, SpecTimeout(20*time.Second))

	It("says in one line that a ZMQSUITE_PEERS command does not exist", func(ctx SpecContext) {
		im, _ := reg.Get("missing")
		_, err := harness.StartPeer(ctx, im, "", 10*time.Second)
		Expect(err).To(MatchError(ContainSubstring(`cannot run "/nonexistent/zmqpeer-nope"`)))
		Expect(err.Error()).To(ContainSubstring("in ZMQSUITE_PEERS"))
	}, SpecTimeout(20*time.Second))
})

var _ = Describe("bad input", func() {
	It("names the known implementations when given an unknown one", func() {
		reg, err := harness.NewRegistry("")
		Expect(err).NotTo(HaveOccurred())
		_, err = reg.Select("gozmq,zeromq-rs")
		Expect(err).To(MatchError(And(ContainSubstring(`unknown implementation "zeromq-rs"`), ContainSubstring("gozmq"), ContainSubstring("ZMQSUITE_PEERS"))))
	})

	DescribeTable("rejects a malformed ZMQSUITE_PEERS", func(spec, want string) {
		_, err := harness.ParsePeers(spec)
		Expect(err).To(MatchError(ContainSubstring(want)))
		Expect(strings.Count(err.Error(), "\n")).To(BeZero())
	},
		Entry("no command", "jeromq=", "is not name=command"),
		Entry("no name", "=java -jar x.jar", "is not name=command"),
		Entry("no equals", "java -jar x.jar", "is not name=command"),
		Entry("bad name", "je romq=java", "may not contain spaces"),
	)

	It("takes an explicit ZMQSUITE_PYTHON as the only candidate, never falling back to another", func() {
		GinkgoT().Setenv("ZMQSUITE_PYTHON", "/no/python")
		Expect(harness.PythonCandidates()).To(Equal([]string{"/no/python"}))
		_, tried, err := harness.FindPythonIn(harness.PythonCandidates())
		Expect(err).To(HaveOccurred())
		Expect(tried).To(Equal([]string{"/no/python (not found)"}))
	})

	It("refuses an unknown name in ZMQSUITE_OPTIONAL", func() {
		reg, err := harness.NewRegistry("")
		Expect(err).NotTo(HaveOccurred())
		Expect(reg.MarkOptional("libzmq, pyzmqq")).To(MatchError(ContainSubstring(`ZMQSUITE_OPTIONAL: unknown implementation "pyzmqq"`)))
		Expect(reg.MarkOptional("libzmq")).To(Succeed())
		im, _ := reg.Get("libzmq")
		Expect(im.Optional).NotTo(BeEmpty())
	})

	// A required implementation that does not answer hello is an error naming it (and how to
	// run without it); an optional one is left out with its reason; neither is ever dropped
	// silently.
	It("requires every implementation asked for unless it is optional", func(ctx SpecContext) {
		reg, err := harness.NewRegistry("true=/bin/true;cat=/bin/cat;missing=/no/such/binary")
		Expect(err).NotTo(HaveOccurred())
		Expect(reg.MarkOptional("cat")).To(Succeed())
		impls, err := reg.Select("gozmq,true,cat,missing")
		Expect(err).NotTo(HaveOccurred())
		ok, absent, err := harness.Require(harness.Discover(ctx, impls))
		Expect(err).To(HaveOccurred())
		lines := strings.Split(err.Error(), "\n")
		Expect(lines).To(HaveLen(2))
		Expect(lines[0]).To(HavePrefix("true is required but unavailable: true peer failed to start during hello"))
		Expect(lines[1]).To(HavePrefix(`missing is required but unavailable: missing peer failed to start during start: cannot run "/no/such/binary"`))
		for _, l := range lines {
			Expect(l).To(ContainSubstring("ZMQSUITE_OPTIONAL="))
		}
		Expect(absent).To(HaveLen(1))
		Expect(absent[0].Name).To(Equal("cat"))
		Expect(ok).To(HaveLen(1))
		Expect(ok[0].Impl.Name).To(Equal("gozmq"))
	}, SpecTimeout(60*time.Second))

	It("refuses an external name that shadows a built-in", func() {
		_, err := harness.NewRegistry("gozmq=/bin/true")
		Expect(err).To(MatchError(ContainSubstring(`"gozmq" is already an implementation name`)))
	})
})

// processGone reports whether pid no longer runs (signal 0 fails), ignoring zombies of our own
// children: the harness reaps them, so a dead peer soon stops answering signal 0.
func processGone(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return true
	}
	return p.Signal(syscall.Signal(0)) != nil
}
