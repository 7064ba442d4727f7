package netsim_test

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/harness/netsim"
)

// requireNetsim skips with Available's reason where the machine cannot build networks.
func requireNetsim() {
	if r := netsim.Available(); r != "" {
		Skip(r)
	}
	// A backend asked for by name that this kernel lacks is a reason to skip too.
	if b := os.Getenv("ZMQSUITE_NETSIM_BACKEND"); b != "" {
		if err, known := netsim.Backends()[b]; known && err != nil {
			Skip("netsim backend " + b + ": " + err.Error())
		}
	}
}

// newNetwork builds a network for one spec, closed (and checked gone) after it. Ginkgo does
// the cleanup on an interrupt, so netsim's own signal handler stays off.
func newNetwork(s netsim.Scenario) *netsim.Network {
	requireNetsim()
	n, err := netsim.New(netsim.Options{Scenario: s, NoSignalHandler: true})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		Expect(n.Close()).To(Succeed())
		expectGone(n.Run)
	})
	return n
}

// expectGone asserts that nothing of run is left, as ip itself sees it: no namespace in
// ip netns list, no link with its names in ip link, no state directory.
func expectGone(run string) {
	GinkgoHelper()
	out, err := exec.Command("ip", "netns", "list").CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), string(out))
	Expect(string(out)).NotTo(ContainSubstring(run), "ip netns list")
	out, err = exec.Command("ip", "-o", "link").CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), string(out))
	Expect(string(out)).NotTo(ContainSubstring(netsim.Prefix+run), "ip link")
	_, err = os.Stat(netsim.StateRoot + "/" + run)
	Expect(errors.Is(err, os.ErrNotExist)).To(BeTrue(), "state dir of %s: %v", run, err)
}

// expectPresent asserts that run's three namespaces exist.
func expectPresent(run string) {
	GinkgoHelper()
	out, err := exec.Command("ip", "netns", "list").CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), string(out))
	for _, role := range []string{"A", "B", "R"} {
		Expect(string(out)).To(ContainSubstring(netsim.Prefix+role+"-"+run), "ip netns list")
	}
}

// tcpServer listens in host h and accepts until the spec ends; each connection gets handle.
func tcpServer(h *netsim.Host, handle func(net.Conn)) string {
	GinkgoHelper()
	var ln net.Listener
	Expect(h.Do(func() (err error) {
		ln, err = net.Listen("tcp", h.HostPort(0))
		return err
	})).To(Succeed())
	DeferCleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
	return ln.Addr().String()
}

// dialFrom dials addr from host h (the socket is made inside h).
func dialFrom(h *netsim.Host, addr string, timeout time.Duration) (net.Conn, error) {
	var c net.Conn
	err := h.Do(func() (err error) {
		c, err = net.DialTimeout("tcp", addr, timeout)
		return err
	})
	return c, err
}

// connectRTTs dials B from A count times and returns how long each TCP handshake took
// (one round trip: SYN out, SYN-ACK back).
func connectRTTs(n *netsim.Network, count int) []time.Duration {
	GinkgoHelper()
	addr := tcpServer(n.B, func(c net.Conn) { c.Close() })
	var rtts []time.Duration
	for range count {
		start := time.Now()
		c, err := dialFrom(n.A, addr, 5*time.Second)
		Expect(err).NotTo(HaveOccurred())
		rtts = append(rtts, time.Since(start))
		c.Close()
	}
	return rtts
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func minOf(d []time.Duration) time.Duration {
	m := d[0]
	for _, x := range d {
		m = min(m, x)
	}
	return m
}

// udpSocket opens a UDP socket in host h on its address, with room for bursts.
func udpSocket(h *netsim.Host) *net.UDPConn {
	GinkgoHelper()
	var c *net.UDPConn
	Expect(h.Do(func() (err error) {
		c, err = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netipAddrPort(h)))
		return err
	})).To(Succeed())
	Expect(c.SetReadBuffer(4 << 20)).To(Succeed())
	DeferCleanup(func() { _ = c.Close() }) // the measurement may have closed it already
	return c
}

// udpEcho answers every datagram to c with the same bytes.
func udpEcho(c *net.UDPConn) {
	go func() {
		buf := make([]byte, 2048)
		for {
			k, from, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			_, _ = c.WriteToUDP(buf[:k], from)
		}
	}()
}

// echoResult is what a UDP echo exchange measured: per-packet round trips of the answers,
// how many never came back, and how many came back after a later-numbered one.
type echoResult struct {
	rtts      []time.Duration
	lost      int
	reordered int
}

// udpEchoRound sends count numbered datagrams from A to an echo in B, spacing apart, and
// collects the answers until settle has passed after the last send.
func udpEchoRound(n *netsim.Network, count int, spacing, settle time.Duration) echoResult {
	GinkgoHelper()
	echo := udpSocket(n.B)
	udpEcho(echo)
	c := udpSocket(n.A)
	sent := make([]time.Time, count)
	var mu sync.Mutex
	got := map[uint32]time.Duration{}
	reordered := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		maxSeen := int64(-1)
		for {
			k, err := c.Read(buf)
			if err != nil || k < 4 {
				return
			}
			at := time.Now()
			seq := binary.BigEndian.Uint32(buf)
			mu.Lock()
			if int(seq) < count {
				if _, dup := got[seq]; !dup {
					got[seq] = at.Sub(sent[seq])
					if int64(seq) < maxSeen {
						reordered++
					}
					maxSeen = max(maxSeen, int64(seq))
				}
			}
			mu.Unlock()
		}
	}()
	to := net.UDPAddrFromAddrPort(netipAddrPort(n.B))
	to.Port = echo.LocalAddr().(*net.UDPAddr).Port
	msg := make([]byte, 64)
	for i := range count {
		binary.BigEndian.PutUint32(msg, uint32(i))
		mu.Lock()
		sent[i] = time.Now()
		mu.Unlock()
		_, err := c.WriteToUDP(msg, to)
		Expect(err).NotTo(HaveOccurred())
		time.Sleep(spacing)
	}
	time.Sleep(settle)
	c.Close()
	<-done
	mu.Lock()
	defer mu.Unlock()
	r := echoResult{lost: count - len(got), reordered: reordered}
	for _, d := range got {
		r.rtts = append(r.rtts, d)
	}
	return r
}

// udpOneWay sends count numbered datagrams from A to B and returns how many distinct ones
// B received (within settle after the last send).
func udpOneWay(n *netsim.Network, count int, spacing, settle time.Duration) int {
	GinkgoHelper()
	rx := udpSocket(n.B)
	tx := udpSocket(n.A)
	var mu sync.Mutex
	seen := map[uint32]bool{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			k, err := rx.Read(buf)
			if err != nil || k < 4 {
				return
			}
			mu.Lock()
			seen[binary.BigEndian.Uint32(buf)] = true
			mu.Unlock()
		}
	}()
	to := rx.LocalAddr().(*net.UDPAddr)
	msg := make([]byte, 100)
	for i := range count {
		binary.BigEndian.PutUint32(msg, uint32(i))
		_, err := tx.WriteToUDP(msg, to)
		Expect(err).NotTo(HaveOccurred())
		if i%10 == 9 {
			time.Sleep(10 * spacing) // in tens: one sleep per datagram would take far longer than asked
		}
	}
	time.Sleep(settle)
	rx.Close()
	<-done
	mu.Lock()
	defer mu.Unlock()
	return len(seen)
}

// transfer sends size bytes from A to B over TCP and returns the rate B received them at
// (bit/s, from the first byte to the last).
func transfer(n *netsim.Network, size int, timeout time.Duration) float64 {
	GinkgoHelper()
	type result struct {
		bytes int64
		took  time.Duration
		err   error
	}
	res := make(chan result, 1)
	addr := tcpServer(n.B, func(c net.Conn) {
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(timeout))
		first := make([]byte, 1)
		if _, err := io.ReadFull(c, first); err != nil {
			res <- result{err: err}
			return
		}
		start := time.Now()
		k, err := io.Copy(io.Discard, c)
		res <- result{bytes: k + 1, took: time.Since(start), err: err}
	})
	c, err := dialFrom(n.A, addr, 5*time.Second)
	Expect(err).NotTo(HaveOccurred())
	_ = c.SetDeadline(time.Now().Add(timeout))
	_, err = c.Write(make([]byte, size))
	Expect(err).NotTo(HaveOccurred())
	Expect(c.Close()).To(Succeed())
	var r result
	Eventually(res).WithTimeout(timeout).Should(Receive(&r))
	Expect(r.err).NotTo(HaveOccurred())
	Expect(r.bytes).To(Equal(int64(size)))
	return float64(r.bytes-1) * 8 / r.took.Seconds()
}

func lines(s string) []string { return strings.Split(strings.TrimSpace(s), "\n") }

func netipAddrPort(h *netsim.Host) netip.AddrPort { return netip.AddrPortFrom(h.Addr, 0) }
