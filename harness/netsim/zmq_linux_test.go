package netsim_test

import (
	"bufio"
	"context"
	"io"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/harness"
)

const pullPy = `
import sys, zmq
n = int(sys.argv[2])
s = zmq.Context().socket(zmq.PULL)
s.setsockopt(zmq.RCVTIMEO, 60000)
s.bind(sys.argv[1])
print("bound", s.getsockopt_string(zmq.LAST_ENDPOINT), flush=True)
for i in range(n):
    m = s.recv()
    if m != b"%d" % i:
        print("out of order: message", i, "was", m, flush=True)
        sys.exit(1)
print("ok", n, flush=True)
`

const pushPy = `
import sys, zmq
n = int(sys.argv[2])
ctx = zmq.Context()
s = ctx.socket(zmq.PUSH)
s.connect(sys.argv[1])
for i in range(n):
    s.send(b"%d" % i)
s.close(linger=60000)
ctx.term()
print("sent", n, flush=True)
`

var _ = Describe("ZeroMQ across the network", func() {
	It("PUSH in host A to PULL bound in host B: 1000 messages under 20ms-1%, all in order", func(ctx SpecContext) {
		requireNetsim()
		py, tried, err := harness.FindPython()
		if err != nil {
			Skip("no python3 with pyzmq here (tried " + strings.Join(tried, ", ") + ")")
		}
		n := newNetwork(scenario("20ms-1%"))
		runCtx, cancel := context.WithTimeout(ctx, 90*time.Second)
		defer cancel()

		pull := n.B.CommandContext(runCtx, py, "-c", pullPy, n.B.Endpoint(0), "1000")
		pull.Stderr = GinkgoWriter
		out, err := pull.StdoutPipe()
		Expect(err).NotTo(HaveOccurred())
		Expect(pull.Start()).To(Succeed())
		pullOut := bufio.NewReader(out)
		bound, err := pullOut.ReadString('\n')
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("PULL in %s: %s", n.B.NS, bound)
		f := strings.Fields(bound)
		Expect(f).To(HaveLen(2))
		Expect(f[1]).To(HavePrefix("tcp://" + n.B.Addr.String() + ":"))

		start := time.Now()
		push := n.A.CommandContext(runCtx, py, "-c", pushPy, f[1], "1000")
		push.Stderr = GinkgoWriter
		pushOut, err := push.Output()
		Expect(err).NotTo(HaveOccurred(), "PUSH in %s", n.A.NS)
		Expect(string(pushOut)).To(Equal("sent 1000\n"))

		rest, err := io.ReadAll(pullOut)
		Expect(err).NotTo(HaveOccurred())
		Expect(pull.Wait()).To(Succeed(), "PULL said %q", rest)
		Expect(string(rest)).To(Equal("ok 1000\n"))
		GinkgoWriter.Printf("1000 messages A->B under %s in %v\n", n.Scenario().Name(), time.Since(start))
	}, SpecTimeout(2*time.Minute))
})
