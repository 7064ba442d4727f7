package conformance_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
	. "github.com/zmqsuite/zmqsuite/scenarios"
	c "github.com/zmqsuite/zmqsuite/suites/conformance"
)

// REQ.0 (RFC 28: "The REQ socket SHALL … send and then receive exactly one message"; the
// smallest proof that two implementations interoperate at all: the smoke case).
var _ = c.Case("REQ.0", Must, "reqrep", "REQ and REP exchange a request and its reply",
	func(ctx SpecContext, cell *h.Cell) {
		rep := cell.Bind(ctx, h.REP)
		req := cell.Connect(ctx, h.REQ, rep)
		req.Send(ctx, "ping")
		Expect(rep.RecvStrings(ctx)).To(Equal([]string{"ping"}))
		rep.Send(ctx, "pong")
		Expect(req.RecvStrings(ctx)).To(Equal([]string{"pong"}))
	})
