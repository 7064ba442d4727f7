package harness

import (
	"context"
	"errors"

	"github.com/onsi/gomega"
)

// Attempt is what running a case body produced, before levels and expectations judge it.
type Attempt struct {
	Fault       *Fault       // a peer crashed, hung or broke the protocol
	Unsupported *Unsupported // a capability was missing: skip
	Err         error        // an assertion or a required step failed
	Observed    string       // what the body reported it saw (alternatives, measurements)
	Metrics     map[string]float64
}

// observer keeps what a case body reported: which acceptable alternative happened
// ("blocked", "again") and measured numbers (fairness deviation); both go into the record.
type observer struct {
	observed string
	metrics  map[string]float64
}

// Observe records which acceptable alternative happened in this cell.
func (c *Cell) Observe(s string) { c.obs.observed = s }

// Metric records a measured number for this cell (e.g. fairness deviation).
func (c *Cell) Metric(name string, v float64) {
	if c.obs.metrics == nil {
		c.obs.metrics = map[string]float64{}
	}
	c.obs.metrics[name] = v
}

// Run runs body for cell and classifies how it ended. Gomega assertions are intercepted (the
// first failure stops the body) so that the caller, not Gomega, decides the colour; harness
// panics become faults, refusals and skips. Any other panic is re-raised.
func Run(ctx context.Context, cell *Cell, body func()) (a Attempt) {
	defer func() {
		a.Observed, a.Metrics = cell.obs.observed, cell.obs.metrics
	}()
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		switch v := r.(type) {
		case *Fault:
			a.Fault = v
		case *Unsupported:
			a.Unsupported = v
		case *StepError:
			a.Err = v
		default:
			panic(r)
		}
	}()
	err := gomega.InterceptGomegaFailure(body)
	if err != nil {
		a.Err = err
	}
	if a.Err == nil && ctx.Err() != nil {
		a.Err = errors.New("spec deadline passed: " + context.Cause(ctx).Error())
	}
	return a
}
