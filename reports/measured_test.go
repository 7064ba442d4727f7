package reports

import (
	"reflect"
	"testing"

	"github.com/zmqsuite/zmqsuite/harness"
)

// The measured tables: one per case that recorded figures, the ledger's columns first in
// their order, the oracle's resource samples left out, whole counts printed whole.
func TestMeasuredTables(t *testing.T) {
	recs := []harness.Record{
		{Suite: "faults", ID: "PP.4 tcp libzmq→libzmq", Case: "PP.4", Title: "multipart across a death", Transport: "tcp", Bind: "libzmq", Connect: "libzmq",
			Outcome: harness.Pass, Metrics: map[string]float64{"recovery_ms": 51.25, "lost": 150, "sent": 200, "delivered": 50, "blocked_after": 9}},
		{Suite: "faults", ID: "PP.4 tcp gozmq→gozmq", Case: "PP.4", Title: "multipart across a death", Transport: "tcp", Bind: "gozmq", Connect: "gozmq",
			Outcome: harness.XFail, Metrics: map[string]float64{"sent": 640000}},
		{Suite: "wire", ID: "W.ROB.1 tcp libzmq→zmtp", Case: "W.ROB.1", Transport: "tcp", Bind: "libzmq", Connect: "zmtp",
			Outcome: harness.Pass, Metrics: map[string]float64{"fds_before": 10, "fds_after": 10}},
		{Suite: "faults", ID: "PP.1 tcp libzmq→libzmq", Case: "PP.1", Transport: "tcp", Bind: "libzmq", Connect: "libzmq", Outcome: harness.Pass},
	}
	o := newOrder(harness.Results{})
	ts := buildMeasured(indexRecords(recs), o)
	if len(ts) != 1 || ts[0].Case != "PP.4" {
		t.Fatalf("tables %+v, want PP.4's alone (W.ROB.1 has only resource samples, PP.1 no figures)", ts)
	}
	tb := ts[0]
	if want := []string{"sent", "delivered", "lost", "recovery_ms", "blocked_after"}; !reflect.DeepEqual(tb.Columns, want) {
		t.Errorf("columns %v, want %v", tb.Columns, want)
	}
	got := map[string][]string{}
	for _, r := range tb.Rows {
		got[r.Pairing] = r.Values
	}
	if want := []string{"200", "50", "150", "51.2", "9"}; !reflect.DeepEqual(got["libzmq→libzmq"], want) {
		t.Errorf("libzmq row %v, want %v", got["libzmq→libzmq"], want)
	}
	if want := []string{"640k", "", "", "", ""}; !reflect.DeepEqual(got["gozmq→gozmq"], want) {
		t.Errorf("gozmq row %v, want %v", got["gozmq→gozmq"], want)
	}
}
