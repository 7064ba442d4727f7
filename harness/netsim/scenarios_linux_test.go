package netsim_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/harness/netsim"
)

// Each spec measures the clean path first where that makes the check able to fail (a bound
// the clean path also meets would prove nothing), then the scenario. The machine is shared:
// bounds are generous, and only the direction that noise cannot fake is tight (a delay can
// only add to a round trip, never shorten it).

func scenario(name string) netsim.Scenario {
	GinkgoHelper()
	s, err := netsim.Parse(name)
	Expect(err).NotTo(HaveOccurred())
	return s
}

func below(d []time.Duration, limit time.Duration) float64 {
	k := 0
	for _, x := range d {
		if x < limit {
			k++
		}
	}
	return float64(k) / float64(len(d))
}

var _ = Describe("scenarios", func() {
	var n *netsim.Network
	BeforeEach(func() {
		n = newNetwork(netsim.Scenario{})
		GinkgoWriter.Printf("run %s, backend %s\n", n.Run, n.Backend())
	})

	It("20ms: a TCP connect takes one round trip of 35-200 ms (the clean path: under 30 ms)", func(ctx SpecContext) {
		clean := connectRTTs(n, 5)
		GinkgoWriter.Printf("none: connect RTTs %v (median %v)\n", clean, median(clean))
		Expect(median(clean)).To(BeNumerically("<", 30*time.Millisecond))

		Expect(n.ApplyName("20ms")).To(Succeed())
		rtts := connectRTTs(n, 5)
		GinkgoWriter.Printf("20ms: connect RTTs %v (median %v)\n", rtts, median(rtts))
		Expect(minOf(rtts)).To(BeNumerically(">=", 35*time.Millisecond))
		Expect(median(rtts)).To(BeNumerically("<=", 200*time.Millisecond))
	}, SpecTimeout(time.Minute))

	It("20ms-jitter5ms: round trips spread below the 40 ms a fixed 20 ms allows, and packets overtake each other", func(ctx SpecContext) {
		Expect(n.ApplyName("20ms")).To(Succeed())
		fixed := udpEchoRound(n, 300, time.Millisecond, 500*time.Millisecond)
		GinkgoWriter.Printf("20ms: %d answers, min RTT %v, median %v, %.1f%% under 38ms, %d reordered\n",
			len(fixed.rtts), minOf(fixed.rtts), median(fixed.rtts), 100*below(fixed.rtts, 38*time.Millisecond), fixed.reordered)
		Expect(fixed.lost).To(BeZero())
		Expect(minOf(fixed.rtts)).To(BeNumerically(">=", 40*time.Millisecond))
		Expect(fixed.reordered).To(BeZero())

		Expect(n.ApplyName("20ms-jitter5ms")).To(Succeed())
		j := udpEchoRound(n, 300, time.Millisecond, 500*time.Millisecond)
		GinkgoWriter.Printf("20ms-jitter5ms: %d answers, min RTT %v, median %v, %.1f%% under 38ms, %d reordered\n",
			len(j.rtts), minOf(j.rtts), median(j.rtts), 100*below(j.rtts, 38*time.Millisecond), j.reordered)
		Expect(j.lost).To(BeZero())
		Expect(minOf(j.rtts)).To(BeNumerically(">=", 30*time.Millisecond)) // 2 × (20 - 5)
		// ~30% are expected under 38 ms on an idle machine; load only pushes round trips up,
		// and a fixed 20 ms cannot give even one, so 1% is proof enough.
		Expect(below(j.rtts, 38*time.Millisecond)).To(BeNumerically(">=", 0.01))
		Expect(j.reordered).To(BeNumerically(">", 0))
	}, SpecTimeout(time.Minute))

	It("20ms-reorder25%: about a quarter of the packets each way skip the delay", func(ctx SpecContext) {
		Expect(n.ApplyName("20ms-reorder25%")).To(Succeed())
		r := udpEchoRound(n, 400, time.Millisecond, 500*time.Millisecond)
		// A round trip is under 30 ms only if at least one direction skipped its 20 ms:
		// 1 - 0.75² = 44% expected.
		fast := below(r.rtts, 30*time.Millisecond)
		GinkgoWriter.Printf("20ms-reorder25%%: %d answers, %.1f%% under 30ms, %d reordered\n", len(r.rtts), 100*fast, r.reordered)
		Expect(r.lost).To(BeZero())
		Expect(fast).To(BeNumerically(">=", 0.05)) // load only pushes round trips up; without reorder none is under 30 ms
		Expect(fast).To(BeNumerically("<=", 0.75))
		Expect(r.reordered).To(BeNumerically(">", 0))
	}, SpecTimeout(time.Minute))

	It("20ms-1%: drops some of 2000 UDP datagrams but not more than 10% (the clean path: none)", func(ctx SpecContext) {
		got := udpOneWay(n, 2000, 200*time.Microsecond, 300*time.Millisecond)
		GinkgoWriter.Printf("none: %d of 2000 arrived\n", got)
		Expect(got).To(Equal(2000))

		Expect(n.ApplyName("20ms-1%")).To(Succeed())
		got = udpOneWay(n, 2000, 200*time.Microsecond, 500*time.Millisecond)
		GinkgoWriter.Printf("20ms-1%%: %d of 2000 arrived (%d lost)\n", got, 2000-got)
		Expect(2000 - got).To(BeNumerically(">=", 1))
		Expect(2000 - got).To(BeNumerically("<=", 200))
	}, SpecTimeout(time.Minute))

	It("bw10mbit: a TCP transfer runs at 3-13 Mbit/s (uncapped: far faster)", func(ctx SpecContext) {
		free := transfer(n, 8<<20, 30*time.Second)
		GinkgoWriter.Printf("none: 8 MiB at %.1f Mbit/s\n", free/1e6)
		Expect(free).To(BeNumerically(">", 30e6))

		Expect(n.ApplyName("bw10mbit")).To(Succeed())
		capped := transfer(n, 1500<<10, 30*time.Second)
		GinkgoWriter.Printf("bw10mbit: 1.5 MiB at %.1f Mbit/s\n", capped/1e6)
		Expect(capped).To(BeNumerically(">=", 3e6))
		Expect(capped).To(BeNumerically("<=", 13e6))
	}, SpecTimeout(2*time.Minute))

	It("mtu1280: a 1400-byte DF ping fails with the router's fragmentation-needed, a 1200-byte one passes, TCP adapts", func(ctx SpecContext) {
		p, err := pingDF(n.A, n.B.Addr, 1400, 2*time.Second)
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("none: 1400-byte DF ping: %v\n", p)
		Expect(p.reply).To(BeTrue(), "clean path: %v", p)

		Expect(n.ApplyName("mtu1280")).To(Succeed())
		p, err = pingDF(n.A, n.B.Addr, 1400, time.Second)
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("mtu1280: 1400-byte DF ping: %v\n", p)
		Expect(p.reply).To(BeFalse())
		Expect(p.fragMTU).To(Equal(1280))
		// Now A knows the path MTU: the next one is refused before it leaves.
		p, err = pingDF(n.A, n.B.Addr, 1400, time.Second)
		Expect(err).NotTo(HaveOccurred())
		Expect(p.reply).To(BeFalse())
		Expect(p.fragMTU == 1280 || p.emsgsize).To(BeTrue(), "second 1400-byte ping: %v", p)

		p, err = pingDF(n.A, n.B.Addr, 1200, 2*time.Second)
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("mtu1280: 1200-byte DF ping: %v\n", p)
		Expect(p.reply).To(BeTrue())
		// Both ways: B's full-size packets meet the same limit.
		p, err = pingDF(n.B, n.A.Addr, 1400, time.Second)
		Expect(err).NotTo(HaveOccurred())
		Expect(p.fragMTU).To(Equal(1280), "from B: %v", p)

		rate := transfer(n, 1<<20, 30*time.Second) // path MTU discovery lets TCP through
		GinkgoWriter.Printf("mtu1280: 1 MiB at %.1f Mbit/s\n", rate/1e6)

		Expect(n.Clear()).To(Succeed())
		p, err = pingDF(n.A, n.B.Addr, 1400, 2*time.Second)
		Expect(err).NotTo(HaveOccurred())
		Expect(p.reply).To(BeTrue(), "after clearing, the learned path MTU is forgotten: %v", p)
	}, SpecTimeout(2*time.Minute))

	It("partition2s: a TCP stream stalls for about 2 s and resumes by itself, losing nothing", func(ctx SpecContext) {
		st := startStream(n, 20*time.Millisecond)
		time.Sleep(500 * time.Millisecond)
		Expect(n.ApplyName("partition2s")).To(Succeed())
		applied := time.Now()
		Eventually(n.Healed()).WithTimeout(5 * time.Second).Should(BeClosed())
		healed := time.Since(applied)
		Expect(n.HealErr()).NotTo(HaveOccurred())
		Expect(n.Scenario().Name()).To(Equal("partition2s"))
		time.Sleep(3 * time.Second)
		sent, gap := st.stop(15 * time.Second)
		GinkgoWriter.Printf("partition2s: healed after %v, longest stall %v, %d records all arrived in order\n", healed, gap, sent)
		Expect(healed).To(BeNumerically(">=", 1900*time.Millisecond))
		Expect(gap).To(BeNumerically(">=", 1500*time.Millisecond))
		Expect(gap).To(BeNumerically("<=", 8*time.Second))
	}, SpecTimeout(time.Minute))

	It("flips between scenarios while a stream runs, without losing or reordering a byte", func(ctx SpecContext) {
		st := startStream(n, 5*time.Millisecond)
		for _, name := range []string{"20ms", "20ms-1%", "bw10mbit", "20ms-jitter5ms", "mtu1280", "20ms-reorder25%", "100ms", "none"} {
			time.Sleep(300 * time.Millisecond)
			Expect(n.ApplyName(name)).To(Succeed(), name)
			Expect(n.Scenario().Name()).To(Equal(name))
		}
		time.Sleep(300 * time.Millisecond)
		sent, gap := st.stop(20 * time.Second)
		GinkgoWriter.Printf("flips: %d records arrived in order, longest stall %v\n", sent, gap)
		Expect(sent).To(BeNumerically(">", 100))
	}, SpecTimeout(time.Minute))
})

// stream is a TCP connection from A to B carrying numbered records at a steady pace; B
// checks their order and notes the longest time without one.
type stream struct {
	quit     chan struct{}
	sender   chan int // records sent, when the sender stops
	mu       sync.Mutex
	received int
	lastAt   time.Time
	maxGap   time.Duration
	rxErr    error
	rxDone   chan struct{}
}

func startStream(n *netsim.Network, every time.Duration) *stream {
	GinkgoHelper()
	st := &stream{quit: make(chan struct{}), sender: make(chan int, 1), rxDone: make(chan struct{})}
	addr := tcpServer(n.B, func(c net.Conn) {
		defer c.Close()
		defer close(st.rxDone)
		r := bufio.NewReader(c)
		rec := make([]byte, 100)
		for i := 0; ; i++ {
			if _, err := io.ReadFull(r, rec); err != nil {
				if err != io.EOF {
					st.mu.Lock()
					st.rxErr = err
					st.mu.Unlock()
				}
				return
			}
			now := time.Now()
			st.mu.Lock()
			if got := int(binary.BigEndian.Uint32(rec)); got != i && st.rxErr == nil {
				st.rxErr = fmt.Errorf("record %d arrived where %d was due", got, i)
			}
			if !st.lastAt.IsZero() {
				st.maxGap = max(st.maxGap, now.Sub(st.lastAt))
			}
			st.lastAt = now
			st.received++
			st.mu.Unlock()
		}
	})
	c, err := dialFrom(n.A, addr, 5*time.Second)
	Expect(err).NotTo(HaveOccurred())
	go func() {
		defer c.Close()
		rec := make([]byte, 100)
		i := 0
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-st.quit:
				st.sender <- i
				return
			case <-t.C:
			}
			binary.BigEndian.PutUint32(rec, uint32(i))
			_ = c.SetWriteDeadline(time.Now().Add(20 * time.Second))
			if _, err := c.Write(rec); err != nil {
				st.sender <- -1
				return
			}
			i++
		}
	}()
	return st
}

// stop ends the sender, waits up to timeout for B to have everything, and returns how
// many records went through and the longest stall B saw. It fails the spec if records were
// lost, reordered or late.
func (st *stream) stop(timeout time.Duration) (int, time.Duration) {
	GinkgoHelper()
	close(st.quit)
	var sent int
	Eventually(st.sender).WithTimeout(timeout).Should(Receive(&sent))
	Expect(sent).To(BeNumerically(">=", 0), "the sender's write failed")
	Eventually(st.rxDone).WithTimeout(timeout).Should(BeClosed())
	st.mu.Lock()
	defer st.mu.Unlock()
	Expect(st.rxErr).NotTo(HaveOccurred())
	Expect(st.received).To(Equal(sent))
	return sent, st.maxGap
}
