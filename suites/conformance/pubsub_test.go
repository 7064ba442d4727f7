package conformance_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
	. "github.com/zmqsuite/zmqsuite/scenarios"
	c "github.com/zmqsuite/zmqsuite/suites/conformance"
)

// PUB.1 (RFC 29 SUB: "SHALL … filter … on the first frame … using a binary prefix match").
var _ = c.Case("PUB.1", Must, "pubsub", "SUB delivers only messages whose first frame starts with a subscribed prefix",
	func(ctx SpecContext, cell *h.Cell) {
		pub := cell.Bind(ctx, h.PUB)
		sub := cell.Connect(ctx, h.SUB, pub, h.Subscribe("A"), h.Subscribe("\x00\xff"))
		h.AwaitSubscribed(ctx, pub, "A", sub)
		h.AwaitSubscribed(ctx, pub, "\x00\xff", sub)
		for _, topic := range []string{"B-no", "A-yes", "a-no", "\x00\xff-yes", "\x00\xfe-no", "", "AB-yes", "end"} {
			pub.Send(ctx, topic)
		}
		pub.Send(ctx, "A-last")
		var got []string
		for {
			m := sub.RecvStrings(ctx)
			got = append(got, m[0])
			if m[0] == "A-last" {
				break
			}
		}
		Expect(got).To(Equal([]string{"A-yes", "\x00\xff-yes", "AB-yes", "A-last"}))
	})
