package conformance_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	. "github.com/zmqsuite/zmqsuite/scenarios"
	c "github.com/zmqsuite/zmqsuite/suites/conformance"
)

// ppCarries binds a PULL to ep on the bind side, connects a PUSH from the connect side to
// connectEP (ep when empty) and carries one message; any refusal is returned, not raised,
// except a binding's "unsupported", which skips the case (a binding without the transport has
// nothing to say about its details).
func ppCarries(ctx context.Context, cell *h.Cell, ep, connectEP string) (string, error) {
	return ppCarriesBy(ctx, cell, ep, connectEP, (*h.Sock).BindTo)
}

// ppCarriesAny is ppCarries that returns "unsupported" too, for the case that judges whether
// the transport is there at all (IPC.1).
func ppCarriesAny(ctx context.Context, cell *h.Cell, ep string) (string, error) {
	return ppCarriesBy(ctx, cell, ep, "", (*h.Sock).TryBind)
}

func ppCarriesBy(ctx context.Context, cell *h.Cell, ep, connectEP string, bind func(*h.Sock, context.Context, string) error) (bound string, err error) {
	err = h.Row(func() error {
		pull := cell.Socket(ctx, h.BindSide, h.PULL)
		if err := bind(pull, ctx, ep); err != nil {
			return fmt.Errorf("bind %s: %w", ep, err)
		}
		bound = pull.Endpoint
		if connectEP == "" {
			connectEP = pull.Endpoint
		}
		push := cell.Socket(ctx, h.ConnectSide, h.PUSH)
		push.ConnectEndpoint(ctx, connectEP)
		return ppOneWay(ctx, push, pull, "over "+connectEP)
	})
	return bound, err
}

// IPC.1 (libzmq test_capabilities; NEWS 4.3.3 "#3691 IPC on Windows 10 via AF_UNIX"; the
// expected table is scenarios.ExpectIPC): whether an implementation has ipc here is three
// claims that must agree — what the binding declares (zmq_has("ipc") or equivalent), what
// its peer's start-up probe found, and a bind plus round trip now — and the table for this OS
// and version, when it has a row.
var _ = c.Case("IPC.1", Libzmq, "transport", "ipc availability: declared, probed, working and expected agree",
	func(ctx SpecContext, cell *h.Cell) {
		hello := cell.Hello(ctx, h.BindSide)
		osName := hello.OS
		if osName == "" {
			osName = runtime.GOOS
		}
		want, why := ExpectIPC(osName, hello.Name, IPCVersions{LibZMQ: hello.Libzmq, PyZMQ: ppPyzmqVersion(hello), Binding: hello.Version})
		declared := peer.Has(hello.Caps.Declared, h.IPC)
		probed := peer.Has(hello.Caps.Transports, h.IPC)
		ep, err := h.NewEndpoint(h.IPC)
		Expect(err).NotTo(HaveOccurred())
		_, rerr := ppCarriesAny(ctx, cell, ep)
		works := rerr == nil
		yn := map[bool]string{true: "yes", false: "no"}
		cell.Observe(fmt.Sprintf("ipc works: %s; declared: %s; probed: %s; expected: %s", yn[works], yn[declared], yn[probed], want))
		var diffs []string
		if want != IPCUnknown && (want == IPCYes) != works {
			diffs = append(diffs, fmt.Sprintf("expected %s (%s) but a bind and round trip says %s (%v)", want, why, yn[works], rerr))
		}
		if hello.Caps.Declared != nil && declared != works {
			diffs = append(diffs, fmt.Sprintf("the binding declares ipc %s but it works: %s (%v)", yn[declared], yn[works], rerr))
		}
		if probed != works {
			diffs = append(diffs, fmt.Sprintf("the peer's start-up probe found ipc %s (%s) but it works now: %s", yn[probed], hello.Caps.ProbeErrors[h.IPC], yn[works]))
		}
		Expect(diffs).To(BeEmpty(), "%s on %s", hello.Name, osName)
	}, c.On(h.IPC), c.PerImplementation())

// ppPyzmqVersion is pyzmq's own version for the pyzmq peer (its binding version), else "".
func ppPyzmqVersion(hello *peer.Hello) string {
	if hello.Name == h.PyZMQ {
		return hello.Version
	}
	return ""
}

// IPC.2 (libzmq test_abstract_ipc; unix(7) "abstract socket address": Linux only): an endpoint
// whose path starts with "@" names a socket in the abstract namespace, with no file; it binds,
// is reported as given, and carries messages between implementations.
var _ = c.Case("IPC.2", Libzmq, "transport", "Abstract-namespace ipc endpoints (ipc://@name) work on Linux",
	func(ctx SpecContext, cell *h.Cell) {
		if runtime.GOOS != "linux" {
			panic(&h.Unsupported{Impl: cell.BindImpl.Name, What: "abstract ipc endpoints (a Linux-only feature; this is " + runtime.GOOS + ")"})
		}
		ep := fmt.Sprintf("ipc://@zs-%d-%d", os.Getpid(), time.Now().UnixNano())
		bound, err := ppCarries(ctx, cell, ep, "")
		Expect(err).NotTo(HaveOccurred())
		Expect(bound).To(Equal(ep), "the bound endpoint is reported as %q", bound)
	}, c.On(h.IPC))

// IPC.3 (libzmq test_pair_ipc test_endpoint_too_long; unix(7): sun_path holds 108 bytes): a
// path longer than that is refused cleanly (name too long, or invalid), never truncated.
var _ = c.Case("IPC.3", Libzmq, "transport", "An ipc path longer than sun_path is refused, not truncated",
	func(ctx SpecContext, cell *h.Cell) {
		dir, err := h.IPCDir()
		Expect(err).NotTo(HaveOccurred())
		long := filepath.Join(dir, "zs-long-"+strings.Repeat("x", 200))
		pull := cell.Socket(ctx, h.BindSide, h.PULL)
		err = pull.BindTo(ctx, "ipc://"+long)
		leftovers, _ := filepath.Glob(filepath.Join(dir, "zs-long-*"))
		Expect(leftovers).To(BeEmpty(), "a (truncated) socket file was created: %v", leftovers)
		Expect(err).To(HaveOccurred(), "bind of a %d-byte ipc path succeeded (reported as %q)", len(long), pull.Endpoint)
		Expect(peer.Category(err)).To(BeElementOf(peer.ErrNameTooLong, peer.ErrInval), "refused, but as %v", err)
	}, c.On(h.IPC), c.PerImplementation())

// IPC.4 (libzmq test_ipc_wildcard; zmq_ipc(7) "the wild-card * … the OS will generate a unique
// path", read back with ZMQ_LAST_ENDPOINT): binding ipc://* reports a real, connectable path.
// Once per implementation: go-zeromq treats "*" as a literal file name in its working
// directory, which two concurrent cells would fight over.
var _ = c.Case("IPC.4", Libzmq, "transport", "Binding ipc://* reports a generated path that peers can connect to",
	func(ctx SpecContext, cell *h.Cell) {
		pull := cell.Socket(ctx, h.BindSide, h.PULL)
		Expect(pull.BindTo(ctx, "ipc://*")).To(Succeed())
		Expect(pull.Endpoint).To(HavePrefix("ipc://"))
		Expect(pull.Endpoint).NotTo(ContainSubstring("*"), "the reported endpoint is the wildcard itself: no path was generated")
		path := strings.TrimPrefix(pull.Endpoint, "ipc://")
		if filepath.IsAbs(path) {
			cell.Observe("absolute path")
		} else {
			// libzmq makes "tmpXXXXXX/socket" under $TMPDIR, or relative to its working
			// directory when TMPDIR is unset: usable only by peers in the same directory.
			cell.Observe("path relative to the working directory")
		}
		push := cell.Socket(ctx, h.ConnectSide, h.PUSH)
		push.ConnectEndpoint(ctx, pull.Endpoint)
		Expect(ppOneWay(ctx, push, pull, "wildcard")).To(Succeed())
	}, c.On(h.IPC), c.PerImplementation())

// IPC.5 (libzmq test_rebind_ipc; ipc_listener "get rid of the file … left behind by the previous
// run of the application"; libzmq #3387): the path of a closed socket can be bound again, by a
// new socket, and so can a path where a dead process left its socket file.
var _ = c.Case("IPC.5", Libzmq, "transport", "An ipc path can be bound again after close, and over a stale socket file",
	func(ctx SpecContext, cell *h.Cell) {
		ep, err := h.NewEndpoint(h.IPC)
		Expect(err).NotTo(HaveOccurred())
		path := strings.TrimPrefix(ep, "ipc://")
		pull := cell.Socket(ctx, h.BindSide, h.PULL)
		Expect(pull.BindTo(ctx, ep)).To(Succeed())
		push := cell.Connect(ctx, h.PUSH, pull)
		Expect(ppOneWay(ctx, push, pull, "first")).To(Succeed())
		Expect(push.Close(ctx, 0)).To(Succeed())
		Expect(pull.Close(ctx, 0)).To(Succeed())
		// Closing may finish in the background (libzmq's reaper): give the file a second to go.
		removed := InterceptGomegaFailure(func() {
			Eventually(ctx, func() bool {
				_, err := os.Stat(path)
				return os.IsNotExist(err)
			}).WithTimeout(time.Second).WithPolling(20 * time.Millisecond).Should(BeTrue())
		}) == nil
		if removed {
			cell.Observe("socket file removed on close")
		} else {
			cell.Observe("socket file left behind on close")
		}
		_, err = ppCarries(ctx, cell, ep, "")
		Expect(err).NotTo(HaveOccurred(), "binding the path of a closed socket again")

		// A stale socket file: a listener that went away without removing it.
		ep2, err := h.NewEndpoint(h.IPC)
		Expect(err).NotTo(HaveOccurred())
		l, err := net.Listen("unix", strings.TrimPrefix(ep2, "ipc://"))
		Expect(err).NotTo(HaveOccurred())
		l.(*net.UnixListener).SetUnlinkOnClose(false)
		Expect(l.Close()).To(Succeed())
		_, err = ppCarries(ctx, cell, ep2, "")
		Expect(err).NotTo(HaveOccurred(), "binding over a stale socket file left by a dead listener")
	}, c.On(h.IPC), c.PerImplementation())

// INP.1 (zmq_inproc(7): "the inproc transport … within a single context"): a socket in a second
// context never reaches an inproc endpoint bound in the first — its connect is refused, or it
// connects to nothing and its message never arrives.
var _ = c.Case("INP.1", Libzmq, "transport", "inproc never crosses contexts",
	func(ctx SpecContext, cell *h.Cell) {
		pull := cell.Bind(ctx, h.PULL)
		other := ppNewRawSocket(ctx, cell, h.BindSide, h.PUSH, "zs-other-context")
		defer other.close(ctx)
		if _, err := other.do(ctx, peer.Request{Op: peer.OpConnect, Endpoint: pull.Endpoint}, "connect from another context"); err != nil {
			cell.Observe("connect refused")
			return
		}
		_, serr := other.do(ctx, peer.Request{Op: peer.OpSend, Frames: h.Msg("crossed"), TimeoutMS: peer.Ptr[int64](250)}, "send from another context")
		h.NothingArrives(ctx, h.QuietWindow, "a PUSH in another context must not reach "+pull.Endpoint, pull)
		if serr != nil {
			cell.Observe("connected to nothing, send would-block")
		} else {
			cell.Observe("connected to nothing, send queued")
		}
	}, c.On(h.InProc), c.PerImplementation())

// INP.2 (libzmq test_hwm inproc variants: the pipe of an inproc connection holds the sender's
// SNDHWM plus the receiver's RCVHWM): frames above the 255-byte short-frame size cross
// inproc intact, and a PUSH with SNDHWM 3 to a PULL with RCVHWM 4 takes 7 messages.
var _ = c.Case("INP.2", Libzmq, "transport", "inproc carries large frames, and its queue is SNDHWM + RCVHWM",
	func(ctx SpecContext, cell *h.Cell) {
		ppExchange(ctx, cell, []ppRow{
			{"one 256-byte frame", []int{256}},
			{"one 65,536-byte frame", []int{65_536}},
			{"1 MiB frame between small ones", []int{16, 1 << 20, 16}},
		})
		push, _ := ppPushPull(ctx, cell, []h.Opt{h.IntOpt("sndhwm", 3)}, []h.Opt{h.IntOpt("rcvhwm", 4)}, 1)
		n, _ := ppFill(ctx, push, peer.Plan{Count: 100, Size: 1})
		Expect(n).To(Equal(7), "messages accepted before would-block with SNDHWM 3 + RCVHWM 4")
	}, c.On(h.InProc))

var ppPortRE = regexp.MustCompile(`:(\d+)$`)

// TCP.1 (libzmq test_unbind_wildcard, test_connect_resolve; zmq_tcp(7) "the wild-card *
// meaning all available interfaces", "DNS name"): a PULL bound to tcp://*:* (every interface,
// ephemeral port) is reached through 127.0.0.1 and through the name localhost.
var _ = c.Case("TCP.1", Libzmq, "transport", "tcp binds to the wildcard address and is reached by address and by name",
	func(ctx SpecContext, cell *h.Cell) {
		pull := cell.Socket(ctx, h.BindSide, h.PULL)
		Expect(pull.BindTo(ctx, "tcp://*:*")).To(Succeed())
		port := ppPortRE.FindStringSubmatch(pull.Endpoint)
		Expect(port).NotTo(BeNil(), "bind of tcp://*:* reported %q", pull.Endpoint)
		Expect(port[1]).NotTo(Equal("0"))
		for _, host := range []string{"127.0.0.1", "localhost"} {
			push := cell.Socket(ctx, h.ConnectSide, h.PUSH)
			push.ConnectEndpoint(ctx, "tcp://"+host+":"+port[1])
			Expect(ppOneWay(ctx, push, pull, "via "+host)).To(Succeed())
		}
	}, c.On(h.TCP), c.SameHost("it binds and connects through localhost and the wildcard address"))

// TCP.2 (new; zmq_tcp(7) IPv6 addresses in brackets; zmq.rs tests use [::1]): a PULL bound to
// tcp://[::1]:* is reached over the IPv6 loopback. libzmq refuses IPv6 addresses unless
// ZMQ_IPV6 is set, so a libzmq-based peer needs the "ipv6" option (not yet in the peer
// protocol: such cells are skipped, saying so).
var _ = c.Case("TCP.2", Libzmq, "transport", "tcp over the IPv6 loopback [::1]",
	func(ctx SpecContext, cell *h.Cell) {
		if l, err := net.Listen("tcp6", "[::1]:0"); err != nil {
			panic(&h.Unsupported{Impl: "this machine", What: "an IPv6 loopback (" + err.Error() + ")"})
		} else {
			_ = l.Close()
		}
		opts := map[string][]h.Opt{}
		for _, side := range []string{h.BindSide, h.ConnectSide} {
			hello := cell.Hello(ctx, side)
			if hello.Libzmq == "" {
				continue
			}
			if !peer.Has(hello.Caps.Options, "ipv6") {
				panic(&h.Unsupported{Impl: hello.Name, What: "option ipv6 (ZMQ_IPV6, which libzmq needs for IPv6 addresses, is not in the peer protocol)"})
			}
			opts[side] = []h.Opt{h.BoolOpt("ipv6", true)}
		}
		pull := cell.Socket(ctx, h.BindSide, h.PULL, opts[h.BindSide]...)
		Expect(pull.BindTo(ctx, "tcp://[::1]:*")).To(Succeed())
		Expect(pull.Endpoint).To(MatchRegexp(`^tcp://\[::1\]:[1-9][0-9]*$`))
		push := cell.Socket(ctx, h.ConnectSide, h.PUSH, opts[h.ConnectSide]...)
		push.ConnectEndpoint(ctx, pull.Endpoint)
		Expect(ppOneWay(ctx, push, pull, "over IPv6")).To(Succeed())
	}, c.On(h.TCP), c.SameHost("it uses the IPv6 loopback [::1]"))
