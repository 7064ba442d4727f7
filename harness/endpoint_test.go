package harness_test

import (
	"net"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/harness"
)

var _ = Describe("unbound endpoints", func() {
	It("gives tcp ports below the ephemeral range that nothing listens on", func() {
		for range 20 {
			ep, err := harness.UnboundEndpoint(harness.TCP)
			Expect(err).NotTo(HaveOccurred())
			port, err := strconv.Atoi(ep[strings.LastIndex(ep, ":")+1:])
			Expect(err).NotTo(HaveOccurred(), ep)
			Expect(port).To(BeNumerically(">=", harness.UnboundPortMin))
			Expect(port).To(BeNumerically("<", harness.EphemeralLow()), "a port of the ephemeral range can become anyone's")
			_, err = net.Dial("tcp", strings.TrimPrefix(ep, "tcp://"))
			Expect(err).To(HaveOccurred(), "something listens on %s", ep)
		}
	})

	It("gives fresh ipc paths and inproc names", func() {
		a, err := harness.UnboundEndpoint(harness.IPC)
		Expect(err).NotTo(HaveOccurred())
		b, _ := harness.UnboundEndpoint(harness.IPC)
		Expect(a).To(HavePrefix("ipc://"))
		Expect(a).NotTo(Equal(b))
		c, err := harness.UnboundEndpoint(harness.InProc)
		Expect(err).NotTo(HaveOccurred())
		Expect(c).To(HavePrefix("inproc://"))
	})
})
