// Package bench measures throughput and latency of every pairing with loops that run inside
// the peers (DESIGN decision 3): the control channel only starts, stops and collects. Each
// figure is repeated, implementations are interleaved within each repetition, and the
// results carry median, min and max plus every repetition for the gate's significance test.
package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config says what to measure and how long.
type Config struct {
	Sizes  []int
	Reps   int
	Window time.Duration
	// Subscribers are the PUB→SUB fan-out widths.
	Subscribers []int
	Quick       bool
}

// Full is the default run; Quick fits CI (under two minutes on 2 cores).
var (
	Full  = Config{Sizes: []int{1, 64, 1024, 65536, 1 << 20}, Reps: 5, Window: time.Second, Subscribers: []int{1, 4}}
	Quick = Config{Sizes: []int{64}, Reps: 3, Window: 200 * time.Millisecond, Subscribers: []int{1}, Quick: true}
)

// FromEnv reads ZMQSUITE_QUICK (1 = Quick), and overrides ZMQSUITE_BENCH_SIZES (comma list of
// bytes), ZMQSUITE_BENCH_REPS and ZMQSUITE_BENCH_WINDOW_MS. A malformed value is an error
// naming the variable.
func FromEnv() (Config, error) {
	c := Full
	if q := os.Getenv("ZMQSUITE_QUICK"); q != "" && q != "0" {
		c = Quick
	}
	if s := os.Getenv("ZMQSUITE_BENCH_SIZES"); s != "" {
		c.Sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 0 {
				return c, fmt.Errorf("ZMQSUITE_BENCH_SIZES=%q: want a comma list of byte counts like 64,1024", s)
			}
			c.Sizes = append(c.Sizes, n)
		}
	}
	if s := os.Getenv("ZMQSUITE_BENCH_REPS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return c, fmt.Errorf("ZMQSUITE_BENCH_REPS=%q: want a whole number ≥ 1", s)
		}
		c.Reps = n
	}
	if s := os.Getenv("ZMQSUITE_BENCH_WINDOW_MS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 10 {
			return c, fmt.Errorf("ZMQSUITE_BENCH_WINDOW_MS=%q: want milliseconds ≥ 10", s)
		}
		c.Window = time.Duration(n) * time.Millisecond
	}
	return c, nil
}

// Describe says in one line what a run will measure, for the log and the results.
func (c Config) Describe() string {
	mode := "full"
	if c.Quick {
		mode = "quick (fewer sizes and repetitions)"
	}
	return fmt.Sprintf("%s: sizes %v B, %d repetitions, %v windows, fan-out %v", mode, c.Sizes, c.Reps, c.Window, c.Subscribers)
}
