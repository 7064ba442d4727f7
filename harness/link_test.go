package harness_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/harness"
)

// A Link is the real toxiproxy library between two TCP ends. These specs drive it with plain
// TCP (an echo server upstream) so that what they check is the link, not a ZeroMQ binding:
// that it counts the connections it accepts (the suite's oracle for "a side redialled"), and
// that each toxic does to the stream what the faults cases rely on.
var _ = Describe("link", func() {
	var (
		link *harness.Link
		echo net.Listener
	)
	BeforeEach(func() {
		var err error
		echo, err = net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { _ = echo.Close() })
		go func() {
			for {
				c, err := echo.Accept()
				if err != nil {
					return
				}
				go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
			}
		}()
		link, err = harness.NewLink("tcp://" + echo.Addr().String())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(link.Close)
		Expect(link.Endpoint).To(MatchRegexp(`^tcp://127\.0\.0\.1:[1-9][0-9]*$`))
	})

	dial := func() net.Conn {
		c, err := net.Dial("tcp", strings.TrimPrefix(link.Endpoint, "tcp://"))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(c.Close)
		return c
	}
	roundTrip := func(c net.Conn, b []byte, within time.Duration) ([]byte, error) {
		if _, err := c.Write(b); err != nil {
			return nil, err
		}
		_ = c.SetReadDeadline(time.Now().Add(within))
		got := make([]byte, len(b))
		_, err := io.ReadFull(c, got)
		return got, err
	}

	It("passes bytes through and counts every connection it accepts", func(ctx SpecContext) {
		Expect(link.Accepted()).To(Equal(0))
		c := dial()
		Expect(roundTrip(c, []byte("hello"), 2*time.Second)).To(Equal([]byte("hello")))
		Expect(link.AwaitAccepted(ctx, 1, 2*time.Second)).To(BeTrue())
		dial()
		Expect(link.AwaitAccepted(ctx, 2, 2*time.Second)).To(BeTrue(), "toxiproxy's 'Accepted client' message is what the link counts")
		at1, ok1 := link.AcceptedAt(1)
		at2, ok2 := link.AcceptedAt(2)
		Expect(ok1 && ok2).To(BeTrue())
		Expect(at2).NotTo(BeTemporally("<", at1))
		Expect(link.AwaitAccepted(ctx, 3, 100*time.Millisecond)).To(BeFalse())
	}, SpecTimeout(10*time.Second))

	It("counts a connection whose upstream is gone as refused", func(ctx SpecContext) {
		Expect(echo.Close()).To(Succeed())
		c := dial()
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, err := c.Read(make([]byte, 1))
		Expect(err).To(HaveOccurred(), "the proxy closes a client it cannot connect upstream")
		Eventually(ctx, link.Refused).WithTimeout(2 * time.Second).Should(Equal(1))
	}, SpecTimeout(10*time.Second))

	It("delays each direction by the latency toxic", func(ctx SpecContext) {
		c := dial()
		Expect(link.Add(harness.Latency(100, 0))).To(Succeed())
		start := time.Now()
		Expect(roundTrip(c, []byte("slow"), 5*time.Second)).To(Equal([]byte("slow")))
		Expect(time.Since(start)).To(BeNumerically(">=", 190*time.Millisecond))
		Expect(link.Remove(harness.Latency(100, 0))).To(Succeed())
		start = time.Now()
		Expect(roundTrip(c, []byte("fast"), 5*time.Second)).To(Equal([]byte("fast")))
		Expect(time.Since(start)).To(BeNumerically("<", 150*time.Millisecond))
	}, SpecTimeout(10*time.Second))

	It("limits bandwidth", func(ctx SpecContext) {
		c := dial()
		Expect(link.Add(harness.Bandwidth(100))).To(Succeed()) // 100 KB/s each way
		data := bytes.Repeat([]byte("x"), 50_000)
		start := time.Now()
		Expect(roundTrip(c, data, 10*time.Second)).To(Equal(data))
		Expect(time.Since(start)).To(BeNumerically(">=", 400*time.Millisecond))
	}, SpecTimeout(20*time.Second))

	It("goes silent under the silence toxic, and closes the connections it silenced when it goes", func(ctx SpecContext) {
		c := dial()
		Expect(roundTrip(c, []byte("up"), 2*time.Second)).To(Equal([]byte("up")))
		Expect(link.Add(harness.Silence())).To(Succeed())
		_, err := roundTrip(c, []byte("lost"), 300*time.Millisecond)
		var ne net.Error
		Expect(errors.As(err, &ne) && ne.Timeout()).To(BeTrue(), "silence: nothing comes back and nothing is closed (%v)", err)
		Expect(link.Remove(harness.Silence())).To(Succeed())
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, err = c.Read(make([]byte, 1))
		Expect(err).To(MatchError(io.EOF), "the silenced connection is closed when the link heals")
		c2 := dial()
		Expect(roundTrip(c2, []byte("back"), 2*time.Second)).To(Equal([]byte("back")))
	}, SpecTimeout(10*time.Second))

	It("resets a flowing connection when an armed reset_peer fires", func(ctx SpecContext) {
		Expect(link.Add(harness.ArmedReset())).To(Succeed())
		c := dial()
		Expect(roundTrip(c, []byte("armed"), 2*time.Second)).To(Equal([]byte("armed")), "a dormant reset lets data through")
		Expect(link.Fire(harness.ArmedReset())).To(Succeed())
		_, err := roundTrip(c, []byte("reset me"), 2*time.Second)
		Expect(err).To(HaveOccurred())
		Expect(errors.Is(err, syscall.ECONNRESET)).To(BeTrue(), "a TCP reset, not a clean close: %v", err)
		Expect(link.Remove(harness.ArmedReset())).To(Succeed())
		c2 := dial()
		Expect(roundTrip(c2, []byte("again"), 2*time.Second)).To(Equal([]byte("again")))
	}, SpecTimeout(10*time.Second))

	It("cuts every connection with a reset, even one whose reader is stalled", func(ctx SpecContext) {
		// Upstream, a reader that never reads: the connecting side's data backs up in the
		// proxy, the other direction stays quiet (as in a PUSH to a slow PULL).
		stalled, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { _ = stalled.Close() })
		go func() {
			for {
				c, err := stalled.Accept()
				if err != nil {
					return
				}
				DeferCleanup(func() { _ = c.Close() })
			}
		}()
		slow, err := harness.NewLink("tcp://" + stalled.Addr().String())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(slow.Close)
		Expect(slow.Add(harness.ArmedReset())).To(Succeed())
		c, err := net.Dial("tcp", strings.TrimPrefix(slow.Endpoint, "tcp://"))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(c.Close)
		big := bytes.Repeat([]byte("y"), 1<<20)
		_ = c.SetWriteDeadline(time.Now().Add(2 * time.Second))
		for {
			if _, err := c.Write(big); err != nil {
				break // the path is full: every buffer on the way holds data
			}
		}
		start := time.Now()
		Expect(slow.Cut()).To(Succeed())
		Expect(time.Since(start)).To(BeNumerically("<", 2*time.Second))
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = c.Read(make([]byte, 1))
		Expect(errors.Is(err, syscall.ECONNRESET)).To(BeTrue(), "a TCP reset: %v", err)
	}, SpecTimeout(20*time.Second))

	It("slices the stream without changing it", func(ctx SpecContext) {
		c := dial()
		Expect(link.Add(harness.Slicer(3, 2, 0))).To(Succeed())
		data := make([]byte, 20_000)
		for i := range data {
			data[i] = byte(i * 7)
		}
		Expect(roundTrip(c, data, 10*time.Second)).To(Equal(data))
	}, SpecTimeout(20*time.Second))
})
