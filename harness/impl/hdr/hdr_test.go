package hdr_test

import (
	"math"
	"testing"

	"github.com/zmqsuite/zmqsuite/harness/impl/hdr"
)

func TestSummary(t *testing.T) {
	r := hdr.New()
	if s := r.Summary(); s.Count != 0 {
		t.Fatalf("empty: %+v", s)
	}
	for v := int64(1); v <= 10000; v++ {
		r.Record(v * 1000) // 1 µs .. 10 ms
	}
	s := r.Summary()
	near := func(name string, got, want float64) {
		if math.Abs(got-want) > want*0.002 {
			t.Errorf("%s = %v, want %v ± 0.2%%", name, got, want)
		}
	}
	if s.Count != 10000 {
		t.Fatalf("count %d", s.Count)
	}
	near("p50", s.P50, 5_000_000)
	near("p90", s.P90, 9_000_000)
	near("p99", s.P99, 9_900_000)
	near("p999", s.P999, 9_990_000)
	near("mean", s.Mean, 5_000_500)
	if s.Min != 1000 || s.Max != 10_000_000 {
		t.Errorf("min/max %v %v, want exact 1000 / 1e7", s.Min, s.Max)
	}
}

func TestClamp(t *testing.T) {
	r := hdr.New()
	r.Record(0)
	r.Record(100 * hdr.Highest)
	if r.Clipped() != 2 || r.Summary().Count != 2 {
		t.Fatalf("clipped %d, summary %+v", r.Clipped(), r.Summary())
	}
}
