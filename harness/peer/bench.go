package peer

import (
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync/atomic"
	"time"
)

// Benchmark loop modes (BenchSpec.Mode). Loops run natively inside the peer: the control
// channel costs tens of microseconds a request and is never inside a timed loop.
const (
	BenchThrSend = "thr_send" // send Size-byte messages as fast as possible until cancelled
	BenchThrRecv = "thr_recv" // count messages for DurationMS from the first one (local_thr)
	BenchLatPing = "lat_ping" // request/reply round trips for DurationMS, half-RTT recorded
	BenchLatPong = "lat_pong" // echo every message until cancelled
)

// BenchSpec asks a peer to run one side of a benchmark loop on a socket.
type BenchSpec struct {
	Mode       string `json:"mode"`
	Size       int    `json:"size"`
	DurationMS int    `json:"duration_ms"` // timed window (thr_recv, lat_ping)
	// FirstTimeoutMS bounds the wait for the first message (thr_recv, lat_pong) or reply
	// (lat_ping); default 10 s.
	FirstTimeoutMS int `json:"first_timeout_ms,omitempty"`
	// MaxRunMS bounds the whole loop even if nobody cancels it; default DurationMS + 30 s.
	MaxRunMS int `json:"max_run_ms,omitempty"`
}

// BenchResult is what a loop measured. Times are in nanoseconds.
type BenchResult struct {
	Messages  int64 `json:"messages"`
	Bytes     int64 `json:"bytes"`
	ElapsedNS int64 `json:"elapsed_ns"` // first message to last counted (thr_recv, lat_ping)
	// Half round-trip latency percentiles (lat_ping only).
	Latency *Latency `json:"latency,omitempty"`
	Stopped string   `json:"stopped,omitempty"` // why a sender/echo loop ended: "cancelled", an error
}

// Latency summarises half round trips in nanoseconds.
type Latency struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean_ns"`
	P50   float64 `json:"p50_ns"`
	P90   float64 `json:"p90_ns"`
	P99   float64 `json:"p99_ns"`
	P999  float64 `json:"p999_ns"`
	Max   float64 `json:"max_ns"`
	Min   float64 `json:"min_ns"`
}

// Recorder collects latency samples; the Go peer plugs in an HdrHistogram (harness/impl),
// and the default keeps exact samples.
type Recorder interface {
	Record(ns int64)
	Summary() *Latency
}

// NewRecorder makes the Recorder used by RunBench; Serve's callers may replace it.
var NewRecorder = func() Recorder { return &exactRecorder{} }

type exactRecorder struct{ s []int64 }

func (r *exactRecorder) Record(ns int64) { r.s = append(r.s, ns) }

func (r *exactRecorder) Summary() *Latency {
	if len(r.s) == 0 {
		return &Latency{}
	}
	sort.Slice(r.s, func(i, j int) bool { return r.s[i] < r.s[j] })
	q := func(p float64) float64 { return float64(r.s[int(p*float64(len(r.s)-1))]) }
	var sum float64
	for _, v := range r.s {
		sum += float64(v)
	}
	return &Latency{Count: int64(len(r.s)), Mean: sum / float64(len(r.s)), P50: q(.5), P90: q(.9),
		P99: q(.99), P999: q(.999), Max: float64(r.s[len(r.s)-1]), Min: float64(r.s[0])}
}

// pollSlice is how long a blocked loop waits before it looks at its cancel flag again.
const pollSlice = 100 * time.Millisecond

// RunBench runs one benchmark loop on s until it is done or cancel is set.
func RunBench(s Socket, spec BenchSpec, cancel *atomic.Bool) (*BenchResult, error) {
	if spec.Size < 0 || spec.DurationMS < 0 {
		return nil, Errorf(ErrInval, "bench: negative size or duration")
	}
	first := time.Duration(spec.FirstTimeoutMS) * time.Millisecond
	if first <= 0 {
		first = 10 * time.Second
	}
	window := time.Duration(spec.DurationMS) * time.Millisecond
	maxRun := time.Duration(spec.MaxRunMS) * time.Millisecond
	if maxRun <= 0 {
		maxRun = window + 30*time.Second
	}
	deadline := time.Now().Add(maxRun)
	if tb, ok := s.(ThreadBound); ok && tb.ThreadBound() && (spec.Mode == BenchThrSend || spec.Mode == BenchThrRecv) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	switch spec.Mode {
	case BenchThrSend:
		return thrSend(s, spec.Size, cancel, deadline), nil
	case BenchThrRecv:
		return thrRecv(s, window, first)
	case BenchLatPing:
		return latPing(s, spec.Size, window, first)
	case BenchLatPong:
		return latPong(s, cancel, deadline), nil
	}
	return nil, Errorf(ErrInval, "bench: unknown mode %q (want thr_send, thr_recv, lat_ping, lat_pong)", spec.Mode)
}

// frameIO adapts a Socket to single-frame sends and receives, through FrameSocket when the
// socket has that fast path.
type frameIO struct {
	send func(b []byte, timeout time.Duration) error
	recv func(timeout time.Duration) (int, error)
}

func framesOf(s Socket) frameIO {
	if fs, ok := s.(FrameSocket); ok {
		return frameIO{send: fs.SendFrame, recv: fs.RecvFrame}
	}
	return frameIO{
		send: func(b []byte, t time.Duration) error { return s.Send([][]byte{b}, t) },
		recv: func(t time.Duration) (int, error) {
			m, err := s.Recv(t)
			return MsgLen(m), err
		},
	}
}

// thrSend sends until cancelled, the run limit passes, or the socket fails (its receiver left).
func thrSend(s Socket, size int, cancel *atomic.Bool, deadline time.Time) *BenchResult {
	msg := make([]byte, size)
	io := framesOf(s)
	res := &BenchResult{}
	for {
		if res.Messages&255 == 0 && (cancel.Load() || time.Now().After(deadline)) {
			res.Stopped = "cancelled"
			return res
		}
		if err := io.send(msg, pollSlice); err != nil {
			if Category(err) == ErrAgain {
				if cancel.Load() || time.Now().After(deadline) {
					res.Stopped = "cancelled"
					return res
				}
				continue
			}
			res.Stopped = err.Error()
			return res
		}
		res.Messages++
		res.Bytes += int64(size)
	}
}

// thrRecv counts messages for window, starting the clock at the first one (as libzmq's
// local_thr does), so connection set-up is not measured. The clock is read every 64 small
// messages but after every large one (1 KiB or more, where a clock read costs nothing by
// comparison), so a sender that stalls after a few large messages still leaves a timed
// count; the result counts only the messages up to the last clock reading.
func thrRecv(s Socket, window, first time.Duration) (*BenchResult, error) {
	io := framesOf(s)
	n, err := io.recv(first)
	if err != nil {
		return nil, wrapFirst("first message", err)
	}
	start := time.Now()
	every := int64(64)
	if n >= 1024 {
		every = 1
	}
	res := &BenchResult{Messages: 1, Bytes: int64(n)}
	timed := *res // the count at the last clock reading
	end := start.Add(window)
	last := start
	for {
		n, err := io.recv(time.Second)
		if err != nil {
			if Category(err) == ErrAgain { // the sender stopped early: report what arrived
				timed.Stopped = fmt.Sprintf("sender went quiet after %d messages (none for 1 s)", res.Messages)
				break
			}
			return nil, err
		}
		res.Messages++
		res.Bytes += int64(n)
		if res.Messages%every == 0 {
			last = time.Now()
			timed = *res
			if last.After(end) {
				break
			}
		}
	}
	timed.ElapsedNS = last.Sub(start).Nanoseconds()
	return &timed, nil
}

// latPing measures request/reply round trips; each sample is half a round trip, as libzmq's
// local_lat/remote_lat report.
func latPing(s Socket, size int, window, first time.Duration) (*BenchResult, error) {
	msg := [][]byte{make([]byte, size)}
	// One untimed round trip proves the path is up, and pays for connection set-up.
	if err := s.Send(msg, first); err != nil {
		return nil, wrapFirst("first request", err)
	}
	if _, err := s.Recv(first); err != nil {
		return nil, wrapFirst("first reply", err)
	}
	rec := NewRecorder()
	recycle := recyclerOf(s)
	res := &BenchResult{}
	start := time.Now()
	end := start.Add(window)
	t0 := start
	for {
		if err := s.Send(msg, 5*time.Second); err != nil {
			return nil, err
		}
		reply, err := s.Recv(5 * time.Second)
		if err != nil {
			return nil, err
		}
		recycle(reply)
		t1 := time.Now()
		rec.Record(t1.Sub(t0).Nanoseconds() / 2)
		res.Messages++
		res.Bytes += int64(2 * size)
		t0 = t1
		if t1.After(end) {
			break
		}
	}
	res.ElapsedNS = t0.Sub(start).Nanoseconds()
	res.Latency = rec.Summary()
	return res, nil
}

// latPong echoes until cancelled; a REP or a ROUTER (which echoes the envelope back) both work.
func latPong(s Socket, cancel *atomic.Bool, deadline time.Time) *BenchResult {
	res := &BenchResult{}
	recycle := recyclerOf(s)
	for !cancel.Load() && time.Now().Before(deadline) {
		m, err := s.Recv(pollSlice)
		if err != nil {
			if Category(err) == ErrAgain {
				continue
			}
			res.Stopped = err.Error()
			return res
		}
		if err := s.Send(m, 5*time.Second); err != nil {
			res.Stopped = err.Error()
			return res
		}
		recycle(m)
		res.Messages++
	}
	res.Stopped = "cancelled"
	return res
}

// recyclerOf returns s's Recycle, or a no-op for sockets without one.
func recyclerOf(s Socket) func([][]byte) {
	if r, ok := s.(Recycler); ok {
		return r.Recycle
	}
	return func([][]byte) {}
}

// MsgLen is a message's size in bytes: what RecvFrame returns for a message received whole.
func MsgLen(m [][]byte) int {
	n := 0
	for _, f := range m {
		n += len(f)
	}
	return n
}

func wrapFirst(what string, err error) error {
	var we *WireError
	if errors.As(err, &we) {
		return &WireError{Category: we.Category, Message: "bench: waiting for " + what + ": " + we.Message}
	}
	return Errorf(ErrOther, "bench: waiting for %s: %v", what, err)
}
