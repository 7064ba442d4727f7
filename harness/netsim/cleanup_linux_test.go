package netsim_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/harness/netsim"
)

// helperEnv makes TestNetsimHelper act as a creator process for the cleanup specs: it builds
// a network, starts a process inside host A, says "ready <run> <pid>", and waits to be killed.
const helperEnv = "ZMQSUITE_NETSIM_TEST_HELPER"

func TestNetsimHelper(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("only run as the creator process of the cleanup specs")
	}
	n, err := netsim.New(netsim.Options{Scenario: netsim.Scenario{Delay: 20 * time.Millisecond}}) // default signal handling
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	sleep := n.A.Command("sleep", "300")
	if err := sleep.Start(); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("ready", n.Run, sleep.Process.Pid)
	select {} // until a signal
}

// creator is a TestNetsimHelper process.
type creator struct {
	cmd      *exec.Cmd
	run      string
	innerPID int // the sleep inside host A
	exited   chan error
}

func startCreator() *creator {
	GinkgoHelper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestNetsimHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	cmd.Stderr = GinkgoWriter
	out, err := cmd.StdoutPipe()
	Expect(err).NotTo(HaveOccurred())
	Expect(cmd.Start()).To(Succeed())
	c := &creator{cmd: cmd, exited: make(chan error, 1)}
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(out)
		l, _ := r.ReadString('\n')
		lines <- l
		_, _ = io.Copy(io.Discard, r)
		c.exited <- cmd.Wait()
	}()
	DeferCleanup(func() {
		_ = cmd.Process.Kill()
		if c.run != "" {
			_ = netsim.Down(c.run) // only if the spec failed before removing it
		}
	})
	var l string
	Eventually(lines).WithTimeout(30 * time.Second).Should(Receive(&l))
	f := strings.Fields(l)
	Expect(f).To(HaveLen(3), "helper said %q", l)
	Expect(f[0]).To(Equal("ready"), "helper said %q", l)
	c.run = f[1]
	c.innerPID, err = strconv.Atoi(f[2])
	Expect(err).NotTo(HaveOccurred())
	return c
}

// gone says whether pid has ended (no process, or a zombie waiting for its parent).
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[0] == "Z"
}

func runInfo(run string) (netsim.RunInfo, bool) {
	GinkgoHelper()
	runs, err := netsim.Runs()
	Expect(err).NotTo(HaveOccurred())
	for _, r := range runs {
		if r.Run == run {
			return r, true
		}
	}
	return netsim.RunInfo{}, false
}

// shaperPID reads the run's shaper pid from its state (tun backend), 0 if none.
func shaperPID(run string) int {
	b, err := os.ReadFile(netsim.StateRoot + "/" + run + "/state.json")
	if err != nil {
		return 0
	}
	i := strings.Index(string(b), `"shaper_pid": `)
	if i < 0 {
		return 0
	}
	rest := string(b)[i+len(`"shaper_pid": `):]
	pid, _ := strconv.Atoi(rest[:strings.IndexAny(rest, ",\n")])
	return pid
}

var _ = Describe("cleanup", func() {
	BeforeEach(requireNetsim)

	It("after SIGKILL of the creator, Sweep removes everything it left, processes inside included", func(ctx SpecContext) {
		c := startCreator()
		expectPresent(c.run)
		Expect(gone(c.innerPID)).To(BeFalse())
		shaper := shaperPID(c.run)

		// While the creator lives, its run is not Sweep's business.
		ri, ok := runInfo(c.run)
		Expect(ok).To(BeTrue())
		Expect(ri.Orphan).To(BeFalse(), ri.Why)
		removed, err := netsim.Sweep()
		Expect(err).NotTo(HaveOccurred())
		Expect(removed).NotTo(ContainElement(c.run))
		expectPresent(c.run)

		Expect(c.cmd.Process.Signal(syscall.SIGKILL)).To(Succeed())
		Eventually(c.exited).WithTimeout(10 * time.Second).Should(Receive())
		// A crash leaves everything behind: this is what Sweep is for.
		expectPresent(c.run)
		Expect(gone(c.innerPID)).To(BeFalse(), "the process inside host A died with its creator")
		if shaper != 0 {
			Expect(gone(shaper)).To(BeFalse())
		}
		ri, ok = runInfo(c.run)
		Expect(ok).To(BeTrue())
		Expect(ri.Orphan).To(BeTrue())
		GinkgoWriter.Printf("leftover %s: %s, namespaces %v\n", c.run, ri.Why, ri.Namespaces)

		removed, err = netsim.Sweep()
		Expect(err).NotTo(HaveOccurred())
		Expect(removed).To(ContainElement(c.run))
		expectGone(c.run)
		Eventually(func() bool { return gone(c.innerPID) }).WithTimeout(5 * time.Second).Should(BeTrue())
		if shaper != 0 {
			Eventually(func() bool { return gone(shaper) }).WithTimeout(5 * time.Second).Should(BeTrue())
		}
		_, ok = runInfo(c.run)
		Expect(ok).To(BeFalse())
	}, SpecTimeout(2*time.Minute))

	It("on SIGTERM the creator removes its networks itself, then dies of the signal", func(ctx SpecContext) {
		c := startCreator()
		expectPresent(c.run)
		Expect(c.cmd.Process.Signal(syscall.SIGTERM)).To(Succeed())
		var err error
		Eventually(c.exited).WithTimeout(20 * time.Second).Should(Receive(&err))
		var ee *exec.ExitError
		Expect(errors.As(err, &ee)).To(BeTrue(), "exit: %v", err)
		ws := ee.Sys().(syscall.WaitStatus)
		Expect(ws.Signaled() && ws.Signal() == syscall.SIGTERM).To(BeTrue(), "exit status %v", ws)
		expectGone(c.run) // no Sweep
		Eventually(func() bool { return gone(c.innerPID) }).WithTimeout(5 * time.Second).Should(BeTrue())
	}, SpecTimeout(2*time.Minute))

	It("a panic with Close deferred leaves nothing", func(ctx SpecContext) {
		var run string
		func() {
			defer func() { Expect(recover()).To(Equal("boom")) }()
			n, err := netsim.New(netsim.Options{NoSignalHandler: true})
			Expect(err).NotTo(HaveOccurred())
			defer n.Close()
			run = n.Run
			expectPresent(run)
			panic("boom")
		}()
		expectGone(run)
	}, SpecTimeout(time.Minute))

	It("Close kills the processes started inside the hosts before removing the namespaces", func(ctx SpecContext) {
		n, err := netsim.New(netsim.Options{NoSignalHandler: true})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(n.Close)
		cmds := []*exec.Cmd{n.A.Command("sleep", "300"), n.B.Command("sleep", "300")}
		waits := make(chan error, len(cmds))
		for _, c := range cmds {
			Expect(c.Start()).To(Succeed())
			go func() { waits <- c.Wait() }()
		}
		for _, c := range cmds { // until ip netns exec has entered the host and run sleep
			Eventually(func() string {
				b, _ := os.ReadFile("/proc/" + strconv.Itoa(c.Process.Pid) + "/comm")
				return strings.TrimSpace(string(b))
			}).WithTimeout(10 * time.Second).Should(Equal("sleep"))
		}
		Expect(n.Close()).To(Succeed())
		for range cmds {
			var err error
			Eventually(waits).WithTimeout(5 * time.Second).Should(Receive(&err))
			Expect(err).To(MatchError(ContainSubstring("killed")))
		}
		expectGone(n.Run)
	}, SpecTimeout(time.Minute))

	It("Sweep removes a half-made run without state, including links left in the root namespace", func(ctx SpecContext) {
		run := fmt.Sprintf("zz%04d", os.Getpid()%10000)
		ns := netsim.Prefix + "A-" + run
		root := netsim.Prefix + run + "a"
		DeferCleanup(func() {
			_ = exec.Command("ip", "netns", "del", ns).Run()
			_ = exec.Command("ip", "link", "del", root).Run()
		})
		out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		out, err = exec.Command("ip", "link", "add", root, "type", "veth", "peer", "name", netsim.Prefix+run+"b").CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		ri, ok := runInfo(run)
		Expect(ok).To(BeTrue())
		Expect(ri.Orphan).To(BeTrue())
		Expect(ri.RootLinks).To(ConsistOf(root, netsim.Prefix+run+"b"))

		removed, err := netsim.Sweep()
		Expect(err).NotTo(HaveOccurred())
		Expect(removed).To(ContainElement(run))
		expectGone(run)
	}, SpecTimeout(time.Minute))
})

var _ = Describe("the tun backend's shaper", func() {
	It("cuts the path when it dies, and Sweep then removes even a persistent run", func(ctx SpecContext) {
		requireNetsim()
		n, err := netsim.New(netsim.Options{Backend: netsim.BackendTun, Persist: true, Scenario: netsim.Scenario{Delay: 5 * time.Millisecond}})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { _ = netsim.Down(n.Run) })
		addr := tcpServer(n.B, func(c net.Conn) { c.Close() })
		c, err := dialFrom(n.A, addr, 5*time.Second)
		Expect(err).NotTo(HaveOccurred())
		c.Close()
		ri, _ := runInfo(n.Run)
		Expect(ri.Orphan).To(BeFalse(), ri.Why)

		pid := shaperPID(n.Run)
		Expect(pid).To(BeNumerically(">", 0))
		Expect(syscall.Kill(pid, syscall.SIGKILL)).To(Succeed())
		Eventually(func() bool { return gone(pid) }).WithTimeout(5 * time.Second).Should(BeTrue())
		// Fail closed: with its TUN gone, the router's table for forwarded packets has only
		// the unreachable route left; it is asked directly (the ICMP answers a dial would get
		// are rate-limited, so a dial may just time out instead).
		out, err := exec.Command("ip", "-n", n.Router.NS, "route", "get", n.B.Addr.String(),
			"from", n.A.Addr.String(), "iif", n.Router.Iface).CombinedOutput()
		Expect(err).To(HaveOccurred(), "router still routes A->B: %s", out)
		Expect(string(out)).To(ContainSubstring("No route to host"))
		_, err = dialFrom(n.A, addr, 2*time.Second)
		Expect(err).To(HaveOccurred(), "A reached B with the shaper dead")
		GinkgoWriter.Printf("dial with the shaper dead: %v\n", err)

		ri, _ = runInfo(n.Run)
		Expect(ri.Orphan).To(BeTrue())
		Expect(ri.Why).To(ContainSubstring("shaper"))
		removed, err := netsim.Sweep()
		Expect(err).NotTo(HaveOccurred())
		Expect(removed).To(ContainElement(n.Run))
		expectGone(n.Run)
	}, SpecTimeout(time.Minute))
})

var _ = Describe("the netem backend's commands", func() {
	It("are accepted by tc for every named scenario (where the kernel lacks netem, tc still parses them first)", func(ctx SpecContext) {
		n := newNetwork(netsim.Scenario{})
		dev := netsim.Prefix + n.Run + "ra"
		for _, s := range append(netsim.Named, scenario("50ms-jitter10ms-0.5%-reorder10%")) {
			for _, verb := range []string{"replace"} {
				out, err := exec.Command("tc", netsim.NetemArgs(verb, n.Router.NS, dev, s.Steady())...).CombinedOutput()
				if err != nil {
					// The kernel's answer, after tc's own parser took the line.
					Expect(string(out)).To(ContainSubstring("Specified qdisc kind is unknown"), "%s: %v", s.Name(), err)
				}
			}
		}
	}, SpecTimeout(time.Minute))
})
