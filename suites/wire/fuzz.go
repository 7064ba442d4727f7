package wire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/zmtp"
)

// FuzzConfig is the mutation run's budget, from the environment:
//
//	ZMQSUITE_FUZZ_DURATION  time per implementation (default 30s, a cap; make fuzz DURATION=10m)
//	ZMQSUITE_FUZZ_COUNT     mutations per implementation (default 300; 0 = until the time is up)
//	ZMQSUITE_FUZZ_SEED      the generator's seed (default 1)
//	ZMQSUITE_FUZZ_SAVE      where new reproducers go (default out/wire/reproducers; make fuzz
//	                        points it at suites/wire/testdata/reproducers)
//	ZMQSUITE_FUZZ_MINIMIZE  1: cut a new reproducer to the shortest prefix that still does it
//	                        (make fuzz sets it; a few seconds per new kind of crash)
//
// The default run is count-bound — 300 mutations take about 1 s with libzmq and 12 s with
// go-zeromq, which crashes every few streams and is restarted — so that its outcome is the
// same from run to run; the time bound only stops a slow machine.
type FuzzConfig struct {
	Duration time.Duration
	Count    int
	Seed     uint64
	Save     string
	Minimize bool
}

// FuzzFromEnv reads FuzzConfig; a malformed value is an error naming the variable.
func FuzzFromEnv() (FuzzConfig, error) {
	c := FuzzConfig{Duration: 30 * time.Second, Count: 300, Seed: 1, Save: filepath.Join(harness.RepoRoot(), "out", "wire", "reproducers")}
	if d := os.Getenv("ZMQSUITE_OUT"); d != "" {
		c.Save = filepath.Join(d, "wire", "reproducers")
	}
	if v := os.Getenv("ZMQSUITE_FUZZ_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("ZMQSUITE_FUZZ_DURATION=%q: want a duration like 10s or 10m", v)
		}
		c.Duration = d
	}
	if v := os.Getenv("ZMQSUITE_FUZZ_COUNT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return c, fmt.Errorf("ZMQSUITE_FUZZ_COUNT=%q: want a count, 0 for no limit", v)
		}
		c.Count = n
	}
	if v := os.Getenv("ZMQSUITE_FUZZ_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return c, fmt.Errorf("ZMQSUITE_FUZZ_SEED=%q: want an unsigned integer", v)
		}
		c.Seed = n
	}
	if v := os.Getenv("ZMQSUITE_FUZZ_SAVE"); v != "" {
		c.Save = v
	}
	c.Minimize = os.Getenv("ZMQSUITE_FUZZ_MINIMIZE") == "1"
	return c, nil
}

// FuzzReport is what a mutation run found.
type FuzzReport struct {
	Mutations       int
	Elapsed         time.Duration
	Crashes, Hangs  int
	Bad, Lenient    int
	Faults          []*harness.Fault // the first of each signature, in the order found
	Signatures      []string
	BadDeliveries   []string // what was delivered that no stream carried, the first few
	Reproducers     []string // paths written
	Unconfirmed     []string // signatures no single candidate stream reproduced
	FinalServeError error
}

// sent is a mutated stream the run sent, and what it validly carried.
type sent struct {
	index   uint64
	mut     Mutation
	carried Carried
}

var tagRE = regexp.MustCompile(`k=(\d{6})`)

// Fuzz runs the seeded mutation run on this cell: our peer dials the implementation's PULL
// once per mutated stream, sends it and closes; after each, what the PULL delivered is judged
// against what the streams carried, and one control round trip finds a dead or stuck process.
// A crash or hang is counted, its candidate streams replayed on fresh peers to find the one
// that does it alone, saved as a reproducer when its signature is new, and the run goes on
// with a fresh peer.
func (w *Wire) Fuzz(ctx context.Context, cfg FuzzConfig) FuzzReport {
	var rep FuzzReport
	start := time.Now()
	l := w.Open(ctx, harness.PULL, harness.PUSH)
	mut := Mutator{Seed: cfg.Seed}
	recent := map[uint64]sent{}
	seen := map[string]bool{}
	// Kinds of crash a committed reproducer already covers are counted, not replayed again.
	if committed, err := LoadReproducers(ReproDir); err == nil {
		for _, r := range committed {
			if r.FoundIn == w.Impl.Name {
				seen[r.Outcome+"|"+r.Signature+"|known"] = true
			}
		}
	}
	drain := func(wait time.Duration) {
		for {
			m, err := l.Sock.TryRecv(ctx, wait)
			if err != nil {
				return // again; a binding's error here is W.ROB.5's subject, not a delivery
			}
			switch judgeDelivery(recent, m) {
			case "lenient":
				rep.Lenient++
			case "bad":
				rep.Bad++
				if len(rep.BadDeliveries) < 5 {
					rep.BadDeliveries = append(rep.BadDeliveries, harness.Describe(m))
				}
			}
		}
	}
	deadline := start.Add(cfg.Duration)
	if dl, ok := ctx.Deadline(); ok && dl.Add(-20*time.Second).Before(deadline) {
		deadline = dl.Add(-20 * time.Second)
	}
	for i := uint64(0); ; i++ {
		if (cfg.Count > 0 && int(i) >= cfg.Count) || time.Now().After(deadline) {
			break
		}
		seeds := SeedStreams(fmt.Sprintf("k=%06d", i%1000000))
		m := mut.Next(i, seeds[i%uint64(len(seeds))])
		recent[i] = sent{index: i, mut: m, carried: CarriedBy(m.Bytes)}
		delete(recent, i-16)
		sendOnce(ctx, l.Endpoint, m.Bytes)
		rep.Mutations++
		f := w.peer.Ping(ctx, 5*time.Second)
		if f == nil {
			f = catchFault(func() { drain(0) })
		}
		if f != nil {
			w.fuzzFault(ctx, cfg, &rep, f, recent, i, seen)
			l = w.Open(ctx, harness.PULL, harness.PUSH)
		}
	}
	f := catchFault(func() { drain(300 * time.Millisecond) })
	if f == nil {
		f = w.peer.Ping(ctx, 5*time.Second)
	}
	if f != nil {
		w.fuzzFault(ctx, cfg, &rep, f, recent, uint64(rep.Mutations), seen)
		l = w.Open(ctx, harness.PULL, harness.PUSH)
	}
	rep.Elapsed = time.Since(start)
	rep.FinalServeError = l.serves(ctx)
	return rep
}

// catchFault runs fn and returns the peer fault it raised (a harness call on a dead peer).
func catchFault(fn func()) (f *harness.Fault) {
	defer func() {
		if r := recover(); r != nil {
			ff, ok := r.(*harness.Fault)
			if !ok {
				panic(r)
			}
			f = ff
		}
	}()
	fn()
	return nil
}

// judgeDelivery finds the stream a delivery came from by its tag (or, when a mutation hit
// the tag, any recent stream) and judges it.
func judgeDelivery(recent map[uint64]sent, m [][]byte) string {
	for _, f := range m {
		if t := tagRE.FindSubmatch(f); t != nil {
			k, _ := strconv.ParseUint(string(t[1]), 10, 64)
			if s, ok := recent[k]; ok {
				if v := s.carried.Judge(s.mut.Bytes, m); v != "bad" {
					return v
				}
			}
		}
	}
	best := "bad"
	for _, s := range recent {
		switch s.carried.Judge(s.mut.Bytes, m) {
		case "":
			return ""
		case "lenient":
			best = "lenient"
		}
	}
	return best
}

// sendOnce dials, writes the stream, ends our direction (FIN) and reads what the
// implementation answers until it closes or stays quiet for 50 ms (200 ms at most), then
// closes. Closing at once would race the implementation: its own greeting, arriving at a
// closed socket, draws a reset, and a reset makes the kernel drop the octets it had not read
// yet, so whether it ever parsed the mutation would depend on timing.
func sendOnce(ctx context.Context, endpoint string, b []byte) {
	network, addr, err := zmtp.SplitEndpoint(endpoint)
	if err != nil {
		return
	}
	d := net.Dialer{Timeout: 2 * time.Second}
	c, err := d.DialContext(ctx, network, addr)
	for try := 0; err != nil && errors.Is(err, syscall.EAGAIN) && try < 200; try++ {
		time.Sleep(10 * time.Millisecond) // a full unix listen backlog: see dialRetry
		c, err = d.DialContext(ctx, network, addr)
	}
	if err != nil {
		return
	}
	defer c.Close()
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := c.Write(b); err != nil {
		return
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	buf := make([]byte, 32<<10)
	end := time.Now().Add(200 * time.Millisecond)
	for {
		_ = c.SetReadDeadline(minTime(end, time.Now().Add(50*time.Millisecond)))
		if _, err := c.Read(buf); err != nil {
			return // closed, reset, or quiet
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// fuzzFault counts a fault found after mutation i, and for a new signature replays the
// candidate streams (i, i-1, i-2: a process can die of a stream after the round trip that
// followed it) alone, each on a fresh peer, to save the one that reproduces it.
func (w *Wire) fuzzFault(ctx context.Context, cfg FuzzConfig, rep *FuzzReport, f *harness.Fault, recent map[uint64]sent, i uint64, seen map[string]bool) {
	f.Role = w.Side
	outcome := "crash"
	if f.Kind == harness.FaultHang {
		outcome = "hang"
		rep.Hangs++
	} else {
		rep.Crashes++
	}
	sig := faultSignature(f)
	key := outcome + "|" + sig
	w.Restart(ctx)
	if seen[key] {
		return
	}
	seen[key] = true
	rep.Faults = append(rep.Faults, f)
	rep.Signatures = append(rep.Signatures, outcome+": "+sig)
	if seen[key+"|known"] {
		return // testdata/reproducers has it
	}
	for back := uint64(0); back < 3 && back <= i; back++ {
		s, ok := recent[i-back]
		if !ok {
			continue
		}
		got, ok := w.replayAlone(ctx, s.mut.Bytes)
		if !ok || got == nil {
			continue
		}
		if gotSig := faultSignature(got); gotSig != sig {
			continue
		}
		octets, steps := s.mut.Bytes, s.mut.Steps
		if cfg.Minimize {
			octets = w.minimize(ctx, octets, func(f *harness.Fault) bool { return faultSignature(f) == sig })
			if len(octets) < len(s.mut.Bytes) {
				steps = append(append([]string(nil), steps...), fmt.Sprintf("cut to its first %d of %d octets (the shortest prefix that still does it)", len(octets), len(s.mut.Bytes)))
			}
		}
		path, err := SaveReproducer(cfg.Save, Reproducer{FoundIn: w.Impl.Name, Outcome: outcome, Signature: sig,
			Seed: cfg.Seed, Index: s.index, Stream: s.mut.Stream, Mutations: steps, Octets: octets})
		switch {
		case err != nil:
			rep.Unconfirmed = append(rep.Unconfirmed, key+" (not saved: "+err.Error()+")")
		case path != "":
			rep.Reproducers = append(rep.Reproducers, path)
		}
		return
	}
	rep.Unconfirmed = append(rep.Unconfirmed, key)
}

// faultSignature names a fault's kind for deduplication.
func faultSignature(f *harness.Fault) string {
	if f.Kind == harness.FaultHang {
		return "no answer to a control round trip within 5 s"
	}
	return Signature(f.StderrTail)
}

// minimize finds, by bisection, the shortest prefix of b whose replay alone still causes a
// fault that same() accepts (a crash needs the octets up to the one that breaks the parser;
// bisection assumes that a longer prefix does it too, which holds for those).
func (w *Wire) minimize(ctx context.Context, b []byte, same func(*harness.Fault) bool) []byte {
	lo, hi := 0, len(b) // b[:lo] does not do it (assumed for 0); b[:hi] does
	for hi-lo > 1 && ctx.Err() == nil {
		mid := (lo + hi) / 2
		if f, _ := w.replayAlone(ctx, b[:mid]); f != nil && same(f) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return b[:hi]
}

// replayAlone sends one stream to a fresh socket of a fresh peer and reports the fault it
// caused, if any (ok is false when the replay could not be made).
func (w *Wire) replayAlone(ctx context.Context, b []byte) (*harness.Fault, bool) {
	f := catchFault(func() {
		l := w.Open(ctx, harness.PULL, harness.PUSH)
		sendOnce(ctx, l.Endpoint, b)
		// Give the process the time to read and parse the stream before asking.
		_, _ = l.Sock.TryRecv(ctx, 200*time.Millisecond)
	})
	if f == nil {
		f = w.peer.Ping(ctx, 5*time.Second)
	}
	if f != nil {
		w.Restart(ctx)
	}
	return f, true
}

// Restart forgets the implementation's peer process (dead, or to be replaced): the next Open
// gets a fresh one from the pool, and a fresh resource baseline.
func (w *Wire) Restart(ctx context.Context) {
	w.close()
	w.links, w.peer, w.base = nil, nil, nil
}

// Summary is the run in one line.
func (r FuzzReport) Summary() string {
	s := fmt.Sprintf("%d mutations in %s (%.0f/s): %d crashes, %d hangs, %d bad deliveries, %d lenient deliveries",
		r.Mutations, r.Elapsed.Round(time.Millisecond), float64(r.Mutations)/r.Elapsed.Seconds(), r.Crashes, r.Hangs, r.Bad, r.Lenient)
	if len(r.BadDeliveries) > 0 {
		s += "; bad deliveries such as " + strings.Join(r.BadDeliveries, ", ")
	}
	if len(r.Signatures) > 0 {
		sigs := append([]string(nil), r.Signatures...)
		sort.Strings(sigs)
		s += "; " + strings.Join(sigs, "; ")
	}
	if len(r.Reproducers) > 0 {
		s += "; new reproducers: " + strings.Join(r.Reproducers, ", ")
	}
	if len(r.Unconfirmed) > 0 {
		s += "; not reproduced by one stream alone: " + strings.Join(r.Unconfirmed, ", ")
	}
	return s
}

// Verdict turns the report into the cell's outcome: a crash, else a hang, else a failure for
// bad deliveries or a socket that no longer serves.
func (r FuzzReport) Verdict(w *Wire) {
	w.Metric("mutations", float64(r.Mutations))
	w.Metric("mutations_per_s", float64(r.Mutations)/r.Elapsed.Seconds())
	w.Metric("streams", float64(len(SeedStreams(""))))
	w.Metric("crashes", float64(r.Crashes))
	w.Metric("hangs", float64(r.Hangs))
	w.Metric("bad_deliveries", float64(r.Bad))
	w.Metric("lenient_deliveries", float64(r.Lenient))
	sigs := append([]string(nil), r.Signatures...)
	sort.Strings(sigs)
	for _, s := range sigs {
		w.Note("%s", s)
	}
	if r.Lenient > 0 {
		w.Note("lenient deliveries")
	}
	for _, f := range r.Faults {
		if f.Kind != harness.FaultHang {
			f.Step = "the seeded mutation run: " + r.Summary() + " (first: " + f.Step + ")"
			panic(f)
		}
	}
	for _, f := range r.Faults {
		f.Step = "the seeded mutation run: " + r.Summary() + " (first: " + f.Step + ")"
		panic(f)
	}
	var v Verdict
	if r.Bad > 0 {
		v.Fail("%d deliveries no stream carried (%s): %s", r.Bad, strings.Join(r.BadDeliveries, ", "), r.Summary())
	}
	if r.FinalServeError != nil {
		v.Fail("after the run: %v", r.FinalServeError)
	}
	v.Check()
}
