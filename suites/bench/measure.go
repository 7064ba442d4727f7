package bench

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// Patterns measured, as they appear in results and bench.txt.
const (
	PushPull = "push_pull" // throughput, one way (libzmq's local_thr / remote_thr shape)
	ReqRep   = "req_rep"   // latency, half round trips (local_lat / remote_lat)
	PubSub   = "pub_sub"   // fan-out throughput, summed over subscribers
)

// Key identifies one benchmark figure across repetitions.
type Key struct {
	Pattern   string `json:"pattern"`
	Transport string `json:"transport"`
	// Scenario is the network path across hosts ("20ms-1%"), "" on loopback.
	Scenario    string `json:"scenario,omitempty"`
	Bind        string `json:"bind"`
	Connect     string `json:"connect"`
	Size        int    `json:"size"`
	Subscribers int    `json:"subscribers,omitempty"`
}

// Measurement is one repetition of one figure, or why there is none.
type Measurement struct {
	Key     Key             `json:"key"`
	Rep     int             `json:"rep"`
	Outcome harness.Outcome `json:"outcome"` // pass (a figure), skip, fail, crash, hang, xfail, xpass
	Reason  string          `json:"reason,omitempty"`
	Blame   string          `json:"blame,omitempty"`
	// Expectation is the interop entry behind an xfail (not measured) or xpass (stale entry).
	Expectation *harness.ExpectationRef `json:"expectation,omitempty"`
	MsgPS       float64                 `json:"msg_per_sec,omitempty"`
	MBPS        float64                 `json:"mb_per_sec,omitempty"`
	Latency     *peer.Latency           `json:"latency,omitempty"`
}

// Measure runs one repetition of k in fresh sockets of pool's peers. A peer that crashes or
// hangs is the outcome of this measurement; the pool replaces it for the next one.
func Measure(ctx context.Context, pool *harness.Pool, k Key, bind, connect *harness.Impl, window time.Duration) Measurement {
	m := Measurement{Key: k, Outcome: harness.Pass}
	cell := harness.NewCell(pool, k.Transport, bind, connect)
	a := harness.Run(ctx, cell, func() {
		cell.Warm(ctx)
		switch k.Pattern {
		case PushPull:
			m.MsgPS, m.MBPS = throughput(ctx, cell, k, window)
		case ReqRep:
			m.Latency = latency(ctx, cell, k, window)
		case PubSub:
			m.MsgPS, m.MBPS = fanOut(ctx, cell, k, window)
		default:
			panic(&harness.StepError{Step: "bench", Err: fmt.Errorf("unknown pattern %q", k.Pattern)})
		}
	})
	// A peer that dies while the sockets close died in this measurement.
	cctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	if f := cell.Close(cctx); f != nil && a.Fault == nil {
		a.Fault = f
	}
	cancel()
	m.judge(a)
	return m
}

// judge gives a measurement the cell vocabulary: a missing capability is a skip, a peer fault
// its crash, hang or (a broken protocol) fail, any other error a fail.
func (m *Measurement) judge(a harness.Attempt) {
	switch {
	case a.Unsupported != nil:
		m.Outcome, m.Reason = harness.Skip, a.Unsupported.Error()
	case a.Fault != nil:
		m.Outcome, m.Reason, m.Blame = a.Fault.Outcome(), a.Fault.Error(), a.Fault.Role+":"+a.Fault.Impl
	case a.Err != nil:
		m.Outcome, m.Reason = harness.Fail, a.Err.Error()
	}
}

func benchReq(mode string, size int, window time.Duration) peer.Request {
	return peer.Request{Op: peer.OpBench, Bench: &peer.BenchSpec{Mode: mode, Size: size,
		DurationMS: int(window.Milliseconds()), FirstTimeoutMS: 10000}}
}

// collect waits for a timed loop's result; a refusal fails the measurement.
func collect(ctx context.Context, j *harness.Job, within time.Duration) *peer.BenchResult {
	rep, err := j.Wait(ctx, within)
	if err != nil {
		panic(&harness.StepError{Step: "bench loop", Err: err})
	}
	if rep.Bench == nil {
		panic(&harness.StepError{Step: "bench loop", Err: fmt.Errorf("reply has no bench result")})
	}
	return rep.Bench
}

// stop cancels an open-ended loop (sender, echo) and collects it, so that its socket is idle
// before the cell closes it.
func stop(ctx context.Context, j *harness.Job) {
	j.Cancel(ctx)
	_, _ = j.Wait(ctx, 10*time.Second)
}

func rates(r *peer.BenchResult) (msgPS, mbPS float64) {
	if r.ElapsedNS <= 0 {
		why := "window too short to time"
		if r.Stopped != "" {
			why = r.Stopped
		}
		panic(&harness.StepError{Step: "bench loop", Err: fmt.Errorf("no timed window: %s (%d messages counted in 0 ns)", why, r.Messages)})
	}
	s := float64(r.ElapsedNS) / 1e9
	return float64(r.Messages) / s, float64(r.Bytes) / s / 1e6
}

// throughput: PULL binds and counts (local_thr), PUSH connects and sends (remote_thr).
func throughput(ctx context.Context, cell *harness.Cell, k Key, window time.Duration) (float64, float64) {
	pull := cell.Bind(ctx, harness.PULL)
	push := cell.Connect(ctx, harness.PUSH, pull)
	recv := pull.Start(ctx, benchReq(peer.BenchThrRecv, k.Size, window), "thr_recv")
	send := push.Start(ctx, benchReq(peer.BenchThrSend, k.Size, window), "thr_send")
	r := collect(ctx, recv, window+20*time.Second)
	stop(ctx, send)
	return rates(r)
}

// latency: REP binds and echoes (local_lat), REQ connects and times round trips.
func latency(ctx context.Context, cell *harness.Cell, k Key, window time.Duration) *peer.Latency {
	rep := cell.Bind(ctx, harness.REP)
	req := cell.Connect(ctx, harness.REQ, rep)
	pong := rep.Start(ctx, benchReq(peer.BenchLatPong, k.Size, window), "lat_pong")
	ping := req.Start(ctx, benchReq(peer.BenchLatPing, k.Size, window), "lat_ping")
	r := collect(ctx, ping, window+20*time.Second)
	stop(ctx, pong)
	if r.Latency == nil || r.Latency.Count == 0 {
		panic(&harness.StepError{Step: "lat_ping", Err: fmt.Errorf("no round trip recorded")})
	}
	return r.Latency
}

// fanOut: PUB binds and sends, N SUBs connect with an empty subscription; the figure is the
// delivered rate summed over subscribers (a PUB drops for slow subscribers, by design).
func fanOut(ctx context.Context, cell *harness.Cell, k Key, window time.Duration) (float64, float64) {
	pub := cell.Bind(ctx, harness.PUB)
	subs := cell.ConnectN(ctx, harness.SUB, k.Subscribers, pub, harness.Subscribe(""))
	harness.AwaitSubscribed(ctx, pub, "", subs...)
	jobs := make([]*harness.Job, len(subs))
	for i, s := range subs {
		jobs[i] = s.Start(ctx, benchReq(peer.BenchThrRecv, k.Size, window), "thr_recv")
	}
	send := pub.Start(ctx, benchReq(peer.BenchThrSend, k.Size, window), "thr_send")
	var msgPS, mbPS float64
	for _, j := range jobs {
		a, b := rates(collect(ctx, j, window+20*time.Second))
		msgPS += a
		mbPS += b
	}
	stop(ctx, send)
	return msgPS, mbPS
}

// ControlRTT is the median round trip, in nanoseconds, of the cheapest control request (wait
// for a job that does not exist) to im's bind-side peer in pool: the harness's own cost per
// request, and why no timed loop goes through the control channel.
func ControlRTT(ctx context.Context, pool *harness.Pool, im *harness.Impl, n int) (float64, error) {
	p, _, err := pool.Get(ctx, im, harness.BindSide, "control round trip")
	if err != nil {
		return 0, err
	}
	d := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		t0 := time.Now()
		_, err := p.Call(ctx, peer.Request{Op: peer.OpWait, Job: -1}, 5*time.Second, "control round trip")
		if peer.Category(err) != peer.ErrInval {
			return 0, fmt.Errorf("control round trip to %s: want the refusal of job -1, got %v", im.Name, err)
		}
		d = append(d, float64(time.Since(t0).Nanoseconds()))
	}
	sort.Float64s(d)
	return d[len(d)/2], nil
}
