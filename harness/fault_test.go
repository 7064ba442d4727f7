package harness_test

import (
	"strings"
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
			"garbled=" + bin + " fault garbage;dead=" + bin + " fault exit-at-start;missing=/nonexistent/zmqpeer-nope")
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
		fresh, err := pool.Get(ctx, im, harness.BindSide)
		Expect(err).NotTo(HaveOccurred())
		Expect(fresh.Hello.PeerPID).NotTo(Equal(pid))
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

	It("refuses an external name that shadows a built-in", func() {
		_, err := harness.NewRegistry("gozmq=/bin/true")
		Expect(err).To(MatchError(ContainSubstring(`"gozmq" is already an implementation name`)))
	})
})
