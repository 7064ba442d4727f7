package netsim_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/zmqsuite/zmqsuite/harness/netsim"
)

var _ = Describe("topology", func() {
	var n *netsim.Network
	BeforeEach(func() { n = newNetwork(netsim.Scenario{}) })

	It("names everything with the prefix and the run id", func(ctx SpecContext) {
		Expect(n.Run).To(MatchRegexp(`^[a-z0-9]{6}$`))
		Expect(n.A.NS).To(Equal("zsnA-" + n.Run))
		Expect(n.B.NS).To(Equal("zsnB-" + n.Run))
		Expect(n.Router.NS).To(Equal("zsnR-" + n.Run))
		expectPresent(n.Run)
		Expect(n.A.Endpoint(0)).To(Equal("tcp://" + n.A.Addr.String() + ":*"))
		Expect(n.B.Endpoint(5555)).To(Equal("tcp://" + n.B.Addr.String() + ":5555"))
		Expect(n.A.Argv("true")).To(Equal([]string{"ip", "netns", "exec", n.A.NS, "true"}))
		Expect(n.A.Command("true").Run()).To(Succeed())
	}, SpecTimeout(time.Minute))

	It("carries TCP between A and B, through the router (TTL is decremented on the way)", func(ctx SpecContext) {
		addr := tcpServer(n.B, func(c net.Conn) { defer c.Close(); _, _ = io.Copy(c, c) })
		c, err := dialFrom(n.A, addr, 5*time.Second)
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = c.Write([]byte("ping"))
		Expect(err).NotTo(HaveOccurred())
		buf := make([]byte, 4)
		_, err = io.ReadFull(c, buf)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(buf)).To(Equal("ping"))

		// A datagram from A arrives at B with a TTL below Linux's initial 64: it was
		// forwarded, not delivered over a shared link.
		rx := udpSocket(n.B)
		raw, err := rx.SyscallConn()
		Expect(err).NotTo(HaveOccurred())
		Expect(raw.Control(func(fd uintptr) {
			Expect(unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_RECVTTL, 1)).To(Succeed())
		})).To(Succeed())
		tx := udpSocket(n.A)
		_, err = tx.WriteToUDP([]byte("ttl?"), rx.LocalAddr().(*net.UDPAddr))
		Expect(err).NotTo(HaveOccurred())
		_ = rx.SetReadDeadline(time.Now().Add(5 * time.Second))
		oob := make([]byte, 128)
		_, oobn, _, _, err := rx.ReadMsgUDP(make([]byte, 64), oob)
		Expect(err).NotTo(HaveOccurred())
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		Expect(err).NotTo(HaveOccurred())
		ttl := -1
		for _, m := range msgs {
			if m.Header.Level == unix.IPPROTO_IP && m.Header.Type == unix.IP_TTL && len(m.Data) >= 4 {
				ttl = int(m.Data[0]) // host order, little-endian here; the value fits a byte
			}
		}
		Expect(ttl).To(BeNumerically(">", 0), "no IP_TTL control message")
		Expect(ttl).To(BeNumerically("<", 64))
	}, SpecTimeout(time.Minute))

	It("gives each host its /30 and one route, to the other host via the router", func(ctx SpecContext) {
		for _, h := range []*netsim.Host{n.A, n.B} {
			out, err := exec.Command("ip", "-n", h.NS, "-4", "route", "show", "table", "all").CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), string(out))
			var routes []string
			for _, l := range lines(string(out)) {
				// The local table's entries are the host's own addresses, not paths.
				if !strings.HasPrefix(l, "local ") && !strings.HasPrefix(l, "broadcast ") {
					routes = append(routes, l)
				}
			}
			other := n.B
			if h == n.B {
				other = n.A
			}
			Expect(routes).To(HaveLen(2), "routes in %s: %q", h.NS, routes)
			Expect(routes).To(ContainElement(MatchRegexp(`^%s/30 dev %s proto kernel scope link src %s`,
				regexp.QuoteMeta(subnet(h.Addr.String())), h.Iface, regexp.QuoteMeta(h.Addr.String()))))
			Expect(routes).To(ContainElement(HavePrefix(fmt.Sprintf("%s/30 via %s dev %s", subnet(other.Addr.String()), gateway(h.Addr.String()), h.Iface))))
		}
	}, SpecTimeout(time.Minute))

	It("forwards in the router only, with loopback up everywhere", func(ctx SpecContext) {
		for _, h := range []*netsim.Host{n.A, n.B, n.Router} {
			var fwd []byte
			var lo *net.Interface
			Expect(h.Do(func() (err error) {
				if fwd, err = os.ReadFile("/proc/sys/net/ipv4/ip_forward"); err != nil {
					return err
				}
				lo, err = net.InterfaceByName("lo")
				return err
			})).To(Succeed())
			want := "0"
			if h == n.Router {
				want = "1"
			}
			Expect(strings.TrimSpace(string(fwd))).To(Equal(want), "ip_forward in %s", h.NS)
			Expect(lo.Flags&net.FlagUp).NotTo(BeZero(), "lo in %s", h.NS)
		}
	}, SpecTimeout(time.Minute))

	It("has no path around the router: A reaches nothing of the root namespace, and the root none of A", func(ctx SpecContext) {
		// The machine's own addresses: from A there is no route to them, so the dial fails at
		// once with ENETUNREACH and no packet leaves A.
		addrs, err := netlink.AddrList(nil, netlink.FAMILY_V4)
		Expect(err).NotTo(HaveOccurred())
		tried := 0
		for _, a := range addrs {
			if a.IP.IsLoopback() {
				continue
			}
			tried++
			_, err := dialFrom(n.A, net.JoinHostPort(a.IP.String(), "9"), 2*time.Second)
			Expect(errors.Is(err, syscall.ENETUNREACH)).To(BeTrue(), "dial %s from A: %v", a.IP, err)
		}
		Expect(tried).To(BeNumerically(">", 0), "the root namespace has no non-loopback address to try")

		// Nor to an address of the block that is not B.
		_, err = dialFrom(n.A, net.JoinHostPort(strings.Replace(n.B.Addr.String(), ".2.2", ".3.2", 1), "9"), 2*time.Second)
		Expect(errors.Is(err, syscall.ENETUNREACH)).To(BeTrue(), "dial outside the run from A: %v", err)

		// A's 127.0.0.1 is its own: a listener on the root's loopback is not reached.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		defer ln.Close()
		accepted := make(chan struct{}, 1)
		go func() {
			if c, err := ln.Accept(); err == nil {
				c.Close()
				accepted <- struct{}{}
			}
		}()
		_, err = dialFrom(n.A, ln.Addr().String(), 2*time.Second)
		Expect(errors.Is(err, syscall.ECONNREFUSED)).To(BeTrue(), "dial root's %s from A: %v", ln.Addr(), err)
		Consistently(accepted).WithTimeout(300 * time.Millisecond).ShouldNot(Receive())

		// The root namespace's route to A's address is whatever it does with unknown
		// addresses (its default route), never one of the run's links: asked of the kernel,
		// not tried, so no packet goes anywhere.
		rs, err := netlink.RouteGet(n.A.Addr.AsSlice())
		if err == nil {
			for _, r := range rs {
				l, err := netlink.LinkByIndex(r.LinkIndex)
				Expect(err).NotTo(HaveOccurred())
				Expect(l.Attrs().Name).NotTo(HavePrefix(netsim.Prefix), "root routes %s via %s", n.A.Addr, l.Attrs().Name)
			}
		}
		links, err := netlink.LinkList()
		Expect(err).NotTo(HaveOccurred())
		for _, l := range links {
			Expect(l.Attrs().Name).NotTo(ContainSubstring(n.Run), "root namespace has a link of the run")
		}
	}, SpecTimeout(time.Minute))
})

// subnet is the /30 network address of a host address a.b.c.2 (a.b.c.0).
func subnet(hostAddr string) string { return hostAddr[:strings.LastIndexByte(hostAddr, '.')] + ".0" }

// gateway is the router's address on a host's /30 (a.b.c.1).
func gateway(hostAddr string) string { return hostAddr[:strings.LastIndexByte(hostAddr, '.')] + ".1" }
