package main

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/impl/raw"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

func TestBackendNames(t *testing.T) {
	if _, err := backend("nope"); err == nil || !strings.Contains(err.Error(), "gozmq") {
		t.Fatalf("unknown name: %v", err)
	}
	for _, n := range []string{"gozmq", "raw"} {
		if b, err := backend(n); err != nil || b.Info().Name != n {
			t.Fatalf("%s: %v", n, err)
		}
	}
}

func TestSlowdown(t *testing.T) {
	b := raw.New()
	for _, bad := range []string{"x", "0.5", "NaN", "1000"} {
		if _, err := slowdown(b, bad); err == nil {
			t.Errorf("%s=%s accepted", slowdownEnv, bad)
		}
	}
	if s, _ := slowdown(b, ""); s != peer.Backend(b) {
		t.Fatal("unset should not wrap")
	}
	s, err := slowdown(b, "3")
	if err != nil || !strings.Contains(s.Info().Notes, "slowed") {
		t.Fatalf("%v %+v", err, s.Info())
	}
	// A successful call is stretched to about 3x; a timed-out one is not.
	pull, _ := s.NewSocket("PULL", "")
	defer pull.Close(0)
	start := time.Now()
	if _, err := pull.Recv(30 * time.Millisecond); peer.Category(err) != peer.ErrAgain {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 60*time.Millisecond {
		t.Fatalf("a timed-out recv was stretched: %v", d)
	}
}

// The garbage fault answers hello properly and garbles the reply to the next request only.
func TestGarbler(t *testing.T) {
	in := strings.NewReader(`{"id":1,"op":"hello"}` + "\n" + `{"id":2,"op":"socket","type":"PAIR"}` + "\n" + `{"id":3,"op":"quit"}` + "\n")
	var out bytes.Buffer
	if err := peer.Serve(in, &garbler{w: &out}, raw.New()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines: %q", len(lines), lines)
	}
	var rep peer.Reply
	if err := json.Unmarshal([]byte(lines[0]), &rep); err != nil || rep.Hello == nil {
		t.Fatalf("hello reply: %q %v", lines[0], err)
	}
	if json.Valid([]byte(lines[1])) {
		t.Fatalf("second reply not garbled: %q", lines[1])
	}
	if err := json.Unmarshal([]byte(lines[2]), &rep); err != nil || rep.ID != 3 {
		t.Fatalf("third reply: %q %v", lines[2], err)
	}
}

// The watcher reports each request line's op, however the input is split.
func TestRequestWatcher(t *testing.T) {
	var ops []string
	w := &requestWatcher{r: iotest.OneByteReader(strings.NewReader(`{"id":1,"op":"hello"}` + "\n" + `{"id":2,"op":"recv"}` + "\n")),
		onRequest: func(op string) { ops = append(ops, op) }}
	if _, err := io.ReadAll(w); err != nil {
		t.Fatal(err)
	}
	if strings.Join(ops, ",") != "hello,recv" {
		t.Fatalf("ops %v", ops)
	}
}

// busySocket is a socket whose every call takes about d of wall time.
type busySocket struct {
	peer.Socket
	d time.Duration
}

func (b busySocket) busy() {
	for end := time.Now().Add(b.d); time.Now().Before(end); {
	}
}

func (b busySocket) Send([][]byte, time.Duration) error { b.busy(); return nil }

func (b busySocket) Recv(time.Duration) ([][]byte, error) { b.busy(); return nil, nil }

// Both ways of paying the delay (sleeping debts in one-way loops, spinning in alternating
// ones) make a loop of calls take about f times as long as the same loop unslowed. Only the
// lower bound is firm (the gate relies on the slowdown happening); the upper one only catches
// a runaway, as a shared machine stretches busy loops unpredictably. One pair of loops under
// load measured as little as 1.29x: load only ever adds time, to either loop at random. So
// each loop runs several times, interleaved, and the ratio is of the fastest run of each: the
// runs the load touched least.
func TestSlowdownFactor(t *testing.T) {
	const d, n, f, runs = 50 * time.Microsecond, 1000, 2.0, 5
	loop := func(s peer.Socket, alternate bool) time.Duration {
		start := time.Now()
		for i := 0; i < n; i++ {
			if alternate && i%2 == 1 {
				_, _ = s.Recv(time.Second)
			} else {
				_ = s.Send(nil, time.Second)
			}
		}
		return time.Since(start)
	}
	for _, alternate := range []bool{false, true} {
		natural, slowed := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
		for i := 0; i < runs; i++ {
			natural = min(natural, loop(busySocket{d: d}, alternate))
			slowed = min(slowed, loop(&slowSocket{Socket: busySocket{d: d}, extra: f - 1}, alternate))
		}
		ratio := float64(slowed) / float64(natural)
		t.Logf("alternate=%v: fastest runs %v vs %v: %.2fx", alternate, slowed, natural, ratio)
		if ratio < 1.5 || ratio > 20 {
			t.Errorf("alternate=%v: the slowed loop's fastest run took %.2fx the unslowed one's (%v vs %v), want about %v", alternate, ratio, slowed, natural, f)
		}
	}
}
