package harness_test

import (
	"os"
	"testing"
	"time"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/netsim"
)

func mustPath(t *testing.T, name string) netsim.Scenario {
	t.Helper()
	p, err := netsim.Parse(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Without ZMQSUITE_PATH every wait keeps its loopback value exactly: the loopback matrix must
// not slow down or change.
func TestLoopbackWaitsUnchanged(t *testing.T) {
	if os.Getenv(harness.PathEnv) != "" {
		t.Skip(harness.PathEnv + " is set")
	}
	for _, w := range []struct {
		name      string
		got, want time.Duration
	}{
		{"QuietWindow", harness.QuietWindow, 150 * time.Millisecond},
		{"QuietAfterFence", harness.QuietAfterFence, 50 * time.Millisecond},
		{"QuietReconnect", harness.QuietReconnect, 500 * time.Millisecond},
		{"DrainQuiet", harness.DrainQuiet, 100 * time.Millisecond},
		{"TailQuiet", harness.TailQuiet, 2 * time.Second},
		{"ArriveLimit", harness.ArriveLimit, 2 * time.Second},
		{"SubscribeLimit", harness.SubscribeLimit, 5 * time.Second},
		{"SettleLimit", harness.SettleLimit, 10 * time.Second},
		{"RecvTimeout", harness.RecvTimeout, 5 * time.Second},
		{"SendTimeout", harness.SendTimeout, 5 * time.Second},
		{"OpTimeout", harness.OpTimeout, 10 * time.Second},
		{"PacedSendLimit", harness.PacedSendLimit, 30 * time.Second},
		{"JobLimit", harness.JobLimit, 60 * time.Second},
		{"TransferLimit 16 MiB", harness.TransferLimit(5*time.Second, 16<<20), 5 * time.Second},
		{"CellLimit", harness.CellLimit(30*time.Second, 48<<20), 30 * time.Second},
	} {
		if w.got != w.want {
			t.Errorf("%s = %v on loopback, want %v", w.name, w.got, w.want)
		}
	}
	if !harness.FenceOrdersArrival() {
		t.Error("on loopback a fence orders arrival")
	}
}

func TestSlackOfPaths(t *testing.T) {
	if s := harness.SlackOf(netsim.Scenario{}); s != (harness.Slack{}) {
		t.Errorf("a clean path has slack %+v, want none", s)
	}
	if s := harness.SlackOf(mustPath(t, "partition2s")); s != (harness.Slack{}) {
		t.Errorf("a partition alone is no path: slack %+v", s)
	}
	if s := harness.SlackOf(mustPath(t, "mtu1280")); s.Quiet != 0 || s.Arrive != 0 || s.Rate != 0 || s.Transfer(16<<20) != 0 {
		t.Errorf("mtu1280 adds no time: %+v, transfer %v", s, s.Transfer(16<<20))
	}
	d := harness.SlackOf(mustPath(t, "20ms"))
	if d.RTT != 40*time.Millisecond || d.Quiet != 40*time.Millisecond || d.Arrive != 400*time.Millisecond || d.Rate != 0 {
		t.Errorf("20ms: %+v", d)
	}
	// Slow start: 16 MiB in windows doubling from 10 segments of 1448 bytes: 1 + 11 round trips.
	if got := d.Transfer(16 << 20); got != 12*40*time.Millisecond {
		t.Errorf("20ms: 16 MiB adds %v", got)
	}
	l := harness.SlackOf(mustPath(t, "20ms-1%"))
	// A segment lost twice: resent after 200 ms, then 400 ms more, then it crosses again.
	if l.Quiet != 40*time.Millisecond+600*time.Millisecond+40*time.Millisecond {
		t.Errorf("20ms-1%%: quiet +%v", l.Quiet)
	}
	// Mathis et al.: 1448 B / 40 ms · 1.22 / √0.01 ≈ 442 kB/s.
	if l.Rate < 430e3 || l.Rate > 450e3 {
		t.Errorf("20ms-1%%: %.0f B/s", l.Rate)
	}
	// 16 MiB at half that: about 76 s.
	if got := l.Transfer(16 << 20); got < 70*time.Second || got > 85*time.Second {
		t.Errorf("20ms-1%%: 16 MiB adds %v", got)
	}
	if l.Arrive <= d.Arrive+3*time.Second {
		t.Errorf("20ms-1%%: bounds +%v must cover a SYN lost twice (3 s) beyond 20ms's +%v", l.Arrive, d.Arrive)
	}
	// A bandwidth cap bounds the rate when it is lower than the loss's.
	if c := harness.SlackOf(mustPath(t, "20ms-1%-bw1mbit")); c.Rate != 125e3 {
		t.Errorf("bw1mbit: %.0f B/s, want 125000", c.Rate)
	}
}
