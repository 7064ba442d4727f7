package netsim_test

import (
	"net/netip"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/harness/netsim"
)

var _ = Describe("scenario names", func() {
	It("are stable: they go into cell ids", func() {
		Expect(netsim.Names()).To(Equal([]string{"none", "20ms", "20ms-1%", "20ms-jitter5ms", "20ms-reorder25%",
			"100ms", "bw10mbit", "mtu1280", "partition2s"}))
	})

	It("parse back to what they name", func() {
		for _, s := range netsim.Named {
			got, err := netsim.Parse(s.Name())
			Expect(err).NotTo(HaveOccurred(), s.Name())
			Expect(got).To(Equal(s), s.Name())
		}
		s, err := netsim.Parse("20ms-1%")
		Expect(err).NotTo(HaveOccurred())
		Expect(s).To(Equal(netsim.Scenario{Delay: 20 * time.Millisecond, Loss: 1}))
	})

	It("parse custom combinations in any order and name them canonically", func() {
		for in, want := range map[string]string{
			"1%-20ms":    "20ms-1%",
			"NONE":       "none",
			"":           "none",
			"1500us":     "1500us",
			"bw1000kbit": "bw1mbit",
			"partition500ms-mtu1400-bw1gbit-reorder10%-0.5%-jitter10ms-50ms": "50ms-jitter10ms-0.5%-reorder10%-bw1gbit-mtu1400-partition500ms",
		} {
			s, err := netsim.Parse(in)
			Expect(err).NotTo(HaveOccurred(), in)
			Expect(s.Name()).To(Equal(want), in)
			again, err := netsim.Parse(s.Name())
			Expect(err).NotTo(HaveOccurred())
			Expect(again).To(Equal(s))
		}
	})

	It("refuse what the router could not do, saying why", func() {
		for in, why := range map[string]string{
			"jitter5ms":       "needs a delay",
			"10ms-jitter20ms": "needs a delay at least as large",
			"reorder25%":      "needs a delay",
			"20ms-30ms":       "delay given twice",
			"20ms--1%":        "empty part",
			"fast":            "unknown part",
			"mtu100":          "outside",
			"mtu9000":         "outside",
			"bw10bit":         "below",
			"bw10mbps":        "want a whole number",
			"101%":            "outside",
			"-1%":             "empty part",
			"20":              "duration",
			"11s":             "outside",
			"partition0s":     "positive",
		} {
			_, err := netsim.Parse(in)
			Expect(err).To(MatchError(ContainSubstring(why)), in)
		}
		_, err := netsim.Lookup("fast")
		Expect(err).To(MatchError(ContainSubstring("named: none, 20ms")))
	})
})

var _ = Describe("tc commands", func() {
	It("put netem's parameters under the HTB class, delay and jitter in microseconds", func() {
		s, err := netsim.Parse("20ms-jitter5ms-1%-reorder25%")
		Expect(err).NotTo(HaveOccurred())
		Expect(netsim.NetemArgs("change", "zsnR-abcdef", "zsnabcdefra", s)).To(Equal([]string{
			"-n", "zsnR-abcdef", "qdisc", "change", "dev", "zsnabcdefra", "parent", "1:1", "handle", "10:",
			"netem", "limit", "100000", "delay", "20000us", "5000us", "loss", "1%", "reorder", "25%"}))
		Expect(netsim.NetemArgs("add", "ns", "dev", netsim.Scenario{})).To(Equal([]string{
			"-n", "ns", "qdisc", "add", "dev", "dev", "parent", "1:1", "handle", "10:",
			"netem", "limit", "100000", "delay", "0us"}))
	})

	It("cap the HTB class at the scenario's rate, or far above any veth when uncapped", func() {
		Expect(netsim.HTBClassArgs("ns", "dev", 10_000_000)).To(ContainElements("rate", "10000000bit", "ceil"))
		Expect(netsim.HTBClassArgs("ns", "dev", 0)).To(ContainElement("10000000000bit"))
	})
})

var _ = Describe("address block", func() {
	It("is 10.254 unless the machine routes into it, then the next one down", func() {
		p := netip.MustParsePrefix
		Expect(netsim.FreeBlock(nil)).To(Equal("10.254"))
		Expect(netsim.FreeBlock([]netip.Prefix{p("192.0.2.0/24"), p("172.17.0.0/16")})).To(Equal("10.254"))
		Expect(netsim.FreeBlock([]netip.Prefix{p("10.254.7.0/24")})).To(Equal("10.253"))
		Expect(netsim.FreeBlock([]netip.Prefix{p("10.254.0.0/16"), p("10.253.0.1/32")})).To(Equal("10.252"))
		_, err := netsim.FreeBlock([]netip.Prefix{p("10.0.0.0/8")})
		Expect(err).To(MatchError(ContainSubstring("no free block")))
	})
})
