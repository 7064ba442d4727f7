// Package nettest is a tiny suite on the cell engine for the engine's cross-host tests
// (harness/matrix/net_test.go): a message that crosses the hosts, a check that fails on
// purpose, an ipc case, a case that reaches its peer through 127.0.0.1 without saying so, one
// that declares it needs one machine, and (with NETTEST_SLOW=1) a cell that takes its time, so
// that a test can kill the runner mid-run. It lives under testdata so that `go test ./...`
// and the Makefile's suites never run it.
package nettest

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/matrix"
	"github.com/zmqsuite/zmqsuite/scenarios"
)

var suite = matrix.NewSuite("nettest")

var _ = ginkgo.Label // the Ginkgo CLI runs a package as a suite only if it imports Ginkgo

var _ = suite.Case("NT.1", scenarios.Must, "nettest", "a message crosses from the connect side to the bind side",
	func(ctx matrix.SpecContext, cell *h.Cell) {
		a := cell.Bind(ctx, h.PAIR)
		b := cell.Connect(ctx, h.PAIR, a)
		b.Send(ctx, "hello")
		Expect(a.RecvStrings(ctx)).To(Equal([]string{"hello"}))
	}, matrix.On(h.TCP))

var _ = suite.Case("NT.2", scenarios.Must, "nettest", "a check that fails on purpose",
	func(ctx matrix.SpecContext, cell *h.Cell) {
		Expect(1).To(Equal(2), "one is not two")
	}, matrix.On(h.TCP))

var _ = suite.Case("NT.3", scenarios.Must, "nettest", "a message over ipc",
	func(ctx matrix.SpecContext, cell *h.Cell) {
		a := cell.Bind(ctx, h.PAIR)
		b := cell.Connect(ctx, h.PAIR, a)
		b.Send(ctx, "hello")
		Expect(a.RecvStrings(ctx)).To(Equal([]string{"hello"}))
	}, matrix.On(h.IPC))

var _ = suite.Case("NT.4", scenarios.Must, "nettest", "a peer reached through 127.0.0.1",
	func(ctx matrix.SpecContext, cell *h.Cell) {
		a := cell.Socket(ctx, h.BindSide, h.PULL)
		Expect(a.BindTo(ctx, "tcp://*:*")).To(Succeed())
		port := a.Endpoint[strings.LastIndex(a.Endpoint, ":")+1:]
		b := cell.Socket(ctx, h.ConnectSide, h.PUSH)
		b.ConnectEndpoint(ctx, "tcp://127.0.0.1:"+port)
		b.Send(ctx, "hello")
		m, err := a.TryRecv(ctx, time.Second)
		Expect(err).NotTo(HaveOccurred())
		Expect(h.Strings(m)).To(Equal([]string{"hello"}))
	}, matrix.On(h.TCP))

var _ = suite.Case("NT.5", scenarios.Must, "nettest", "a case that says it needs one machine",
	func(ctx matrix.SpecContext, cell *h.Cell) {
		Expect("ran").To(BeEmpty(), "a SameHost case ran across hosts")
	}, matrix.On(h.TCP), matrix.SameHost("it compares two sockets of one machine"))

var _ = suite.Case("NT.6", scenarios.Must, "nettest", "a cell that takes its time (NETTEST_SLOW=1)",
	func(ctx matrix.SpecContext, cell *h.Cell) {
		cell.Warm(ctx) // both peers up, in their hosts
		if os.Getenv("NETTEST_SLOW") == "1" {
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Second):
			}
		}
	}, matrix.On(h.TCP), matrix.Within(60*time.Second))

var _ = suite.Case("NT.7", scenarios.Must, "nettest", "a connect-side socket binds a fresh endpoint",
	func(ctx matrix.SpecContext, cell *h.Cell) {
		a := cell.Socket(ctx, h.ConnectSide, h.PULL)
		a.BindNew(ctx)
		b := cell.Socket(ctx, h.BindSide, h.PUSH)
		b.ConnectTo(ctx, a)
		b.Send(ctx, "hello")
		Expect(a.RecvStrings(ctx)).To(Equal([]string{"hello"}))
	}, matrix.On(h.TCP))

func TestNettest(t *testing.T) { matrix.Main(t, suite) }
