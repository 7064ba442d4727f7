package netsim

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Scenario is what the router does to every packet it forwards, the same in both directions
// (so a round trip pays Delay twice). The zero Scenario is a clean path ("none").
type Scenario struct {
	Delay   time.Duration `json:"delay_ns,omitempty"`  // one-way, added per direction
	Jitter  time.Duration `json:"jitter_ns,omitempty"` // uniform in [-Jitter, +Jitter] around Delay; reorders packets as netem does
	Loss    float64       `json:"loss,omitempty"`      // percent of packets dropped, per direction
	Reorder float64       `json:"reorder,omitempty"`   // percent of packets sent at once instead of delayed (needs Delay)
	Rate    uint64        `json:"rate,omitempty"`      // bandwidth cap in bit/s per direction; 0 = uncapped
	MTU     int           `json:"mtu,omitempty"`       // path MTU through the router; 0 = the links' 1500
	// Partition drops everything for this long after Apply, then the rest of the scenario
	// holds (the path heals). Apply returns at the start of the partition.
	Partition time.Duration `json:"partition_ns,omitempty"`
}

// Named lists the scenarios with a stable name the suites use in cell ids. Names are derived
// from the values (Scenario.Name), so a name cannot drift away from what it does.
var Named = []Scenario{
	{},
	{Delay: 20 * time.Millisecond},
	{Delay: 20 * time.Millisecond, Loss: 1},
	{Delay: 20 * time.Millisecond, Jitter: 5 * time.Millisecond},
	{Delay: 20 * time.Millisecond, Reorder: 25},
	{Delay: 100 * time.Millisecond},
	{Rate: 10_000_000},
	{MTU: 1280},
	{Partition: 2 * time.Second},
}

// Limits of what Parse and Validate accept: past them the emulation stops meaning anything
// (a 10 s one-way delay outlives every timeout in the suites; an MTU under 576 is below what
// IPv4 hosts must accept).
const (
	maxDelay     = 10 * time.Second
	maxPartition = 10 * time.Minute
	minMTU       = 576
	maxMTU       = 1500
	minRate      = 8_000 // 8 kbit/s: HTB cannot shape much slower than one MTU per second
)

// Name is the scenario's stable short name: its parts joined by '-' in a fixed order (delay,
// jitter, loss, reorder, bandwidth, mtu, partition), e.g. "20ms-1%", "20ms-jitter5ms",
// "bw10mbit", "mtu1280", "partition2s"; "none" for the clean path. Parse(s.Name()) == s.
func (s Scenario) Name() string {
	var p []string
	if s.Delay > 0 {
		p = append(p, fmtDuration(s.Delay))
	}
	if s.Jitter > 0 {
		p = append(p, "jitter"+fmtDuration(s.Jitter))
	}
	if s.Loss > 0 {
		p = append(p, fmtPercent(s.Loss))
	}
	if s.Reorder > 0 {
		p = append(p, "reorder"+fmtPercent(s.Reorder))
	}
	if s.Rate > 0 {
		p = append(p, "bw"+fmtRate(s.Rate))
	}
	if s.MTU > 0 {
		p = append(p, "mtu"+strconv.Itoa(s.MTU))
	}
	if s.Partition > 0 {
		p = append(p, "partition"+fmtDuration(s.Partition))
	}
	if len(p) == 0 {
		return "none"
	}
	return strings.Join(p, "-")
}

func (s Scenario) String() string { return s.Name() }

// Parse reads a scenario name: one of Named, or any combination of the parts Name writes, in
// any order ("1%-20ms" is "20ms-1%"). Units: durations as Go writes them (us, ms, s), loss and
// reorder in percent, bandwidth in bit/kbit/mbit/gbit.
func Parse(name string) (Scenario, error) {
	var s Scenario
	name = strings.TrimSpace(strings.ToLower(name))
	if name == "" || name == "none" {
		return s, nil
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(name, "-") {
		kind, err := parsePart(&s, part)
		if err != nil {
			return Scenario{}, fmt.Errorf("netsim: scenario %q: %w", name, err)
		}
		if seen[kind] {
			return Scenario{}, fmt.Errorf("netsim: scenario %q: %s given twice", name, kind)
		}
		seen[kind] = true
	}
	if err := s.Validate(); err != nil {
		return Scenario{}, fmt.Errorf("netsim: scenario %q: %w", name, err)
	}
	return s, nil
}

// parsePart fills the field one part names and says which kind it was.
func parsePart(s *Scenario, part string) (string, error) {
	var err error
	switch {
	case part == "":
		return "", errors.New("empty part (two '-' in a row?)")
	case strings.HasPrefix(part, "jitter"):
		s.Jitter, err = parseDuration(strings.TrimPrefix(part, "jitter"))
		return "jitter", err
	case strings.HasPrefix(part, "reorder"):
		s.Reorder, err = parsePercent(strings.TrimPrefix(part, "reorder"))
		return "reorder", err
	case strings.HasPrefix(part, "bw"):
		s.Rate, err = parseRate(strings.TrimPrefix(part, "bw"))
		return "bandwidth", err
	case strings.HasPrefix(part, "mtu"):
		s.MTU, err = strconv.Atoi(strings.TrimPrefix(part, "mtu"))
		if err != nil {
			err = fmt.Errorf("mtu %q is not a whole number of bytes", part)
		}
		return "mtu", err
	case strings.HasPrefix(part, "partition"):
		s.Partition, err = parseDuration(strings.TrimPrefix(part, "partition"))
		return "partition", err
	case strings.HasSuffix(part, "%"):
		s.Loss, err = parsePercent(part)
		return "loss", err
	case part[0] >= '0' && part[0] <= '9':
		s.Delay, err = parseDuration(part)
		return "delay", err
	}
	return "", fmt.Errorf("unknown part %q (want e.g. 20ms, jitter5ms, 1%%, reorder25%%, bw10mbit, mtu1280, partition2s)", part)
}

// Validate says why the router could not do s, or nil.
func (s Scenario) Validate() error {
	switch {
	case s.Delay < 0 || s.Delay > maxDelay:
		return fmt.Errorf("delay %v outside [0, %v]", s.Delay, maxDelay)
	case s.Jitter < 0 || s.Jitter > s.Delay:
		// netem clamps a negative delay to zero, which skews the mean; we refuse instead.
		return fmt.Errorf("jitter %v needs a delay at least as large (have %v): write e.g. 20ms-jitter5ms", s.Jitter, s.Delay)
	case s.Loss < 0 || s.Loss > 100 || math.IsNaN(s.Loss):
		return fmt.Errorf("loss %v%% outside [0, 100]", s.Loss)
	case s.Reorder < 0 || s.Reorder > 100 || math.IsNaN(s.Reorder):
		return fmt.Errorf("reorder %v%% outside [0, 100]", s.Reorder)
	case s.Reorder > 0 && s.Delay == 0:
		return errors.New("reorder sends some packets ahead of delayed ones, so it needs a delay (e.g. 20ms-reorder25%)")
	case s.Rate != 0 && s.Rate < minRate:
		return fmt.Errorf("bandwidth %d bit/s below %d", s.Rate, minRate)
	case s.MTU != 0 && (s.MTU < minMTU || s.MTU > maxMTU):
		return fmt.Errorf("mtu %d outside [%d, %d]", s.MTU, minMTU, maxMTU)
	case s.Partition < 0 || s.Partition > maxPartition:
		return fmt.Errorf("partition %v outside [0, %v]", s.Partition, maxPartition)
	}
	return nil
}

// Lookup returns the named scenario, or an error listing the names when name is none of them
// and does not parse either.
func Lookup(name string) (Scenario, error) {
	s, err := Parse(name)
	if err != nil {
		return Scenario{}, fmt.Errorf("%w (named: %s)", err, strings.Join(Names(), ", "))
	}
	return s, nil
}

// Names returns the names of Named, in order.
func Names() []string {
	n := make([]string, len(Named))
	for i, s := range Named {
		n[i] = s.Name()
	}
	return n
}

// steady is s without its partition: what holds once the path has healed.
func (s Scenario) steady() Scenario {
	s.Partition = 0
	return s
}

// blackout is what the router does during s's partition: everything dropped, the rest of
// the scenario kept so the queues in place stay as they are.
func (s Scenario) blackout() Scenario {
	s.Partition = 0
	s.Loss = 100
	return s
}

func fmtDuration(d time.Duration) string {
	switch {
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	case d%time.Millisecond == 0:
		return strconv.FormatInt(int64(d/time.Millisecond), 10) + "ms"
	case d%time.Microsecond == 0:
		return strconv.FormatInt(int64(d/time.Microsecond), 10) + "us"
	}
	return strconv.FormatInt(int64(d), 10) + "ns"
}

func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("duration %q: want a positive Go duration such as 20ms or 2s", v)
	}
	return d, nil
}

func fmtPercent(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) + "%" }

func parsePercent(v string) (float64, error) {
	p, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
	if err != nil || !strings.HasSuffix(v, "%") || p <= 0 {
		return 0, fmt.Errorf("percentage %q: want a positive number followed by %%, such as 1%% or 0.5%%", v)
	}
	return p, nil
}

var rateUnits = []struct {
	name string
	mult uint64
}{{"gbit", 1_000_000_000}, {"mbit", 1_000_000}, {"kbit", 1_000}, {"bit", 1}}

func fmtRate(r uint64) string {
	for _, u := range rateUnits {
		if r%u.mult == 0 {
			return strconv.FormatUint(r/u.mult, 10) + u.name
		}
	}
	return strconv.FormatUint(r, 10) + "bit" // unreachable: every r is a multiple of 1
}

func parseRate(v string) (uint64, error) {
	for _, u := range rateUnits {
		if n, ok := strings.CutSuffix(v, u.name); ok {
			x, err := strconv.ParseUint(n, 10, 64)
			if err != nil || x == 0 || x > math.MaxUint64/u.mult {
				break
			}
			return x * u.mult, nil
		}
	}
	return 0, fmt.Errorf("bandwidth %q: want a whole number with bit, kbit, mbit or gbit, such as bw10mbit", v)
}
