package matrix

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/zmqsuite/zmqsuite/harness"
)

// CellSpec is one point of a suite's matrix before it runs.
type CellSpec struct {
	Def       *Def
	Transport string
	// Scenario is the simulated network path of a cross-host cell ("20ms-1%"), "" on loopback.
	Scenario      string
	Bind, Connect *harness.Impl
	// Hosts is where the sides run when they are on different hosts (nil: this machine).
	Hosts *harness.Placement
}

// ID names the cell: "PP.1 tcp gozmq→libzmq", with the scenario after the transport
// ("tcp@20ms-1%") on simulated networks.
func (c *CellSpec) ID() string {
	return CellID(c.Def.ID, c.Transport, c.Scenario, c.Bind.Name, c.Connect.Name)
}

// CellID builds a cell id from its parts (records and reports use the same form).
func CellID(caseID, transport, scenario, bind, connect string) string {
	tr := transport
	if scenario != "" {
		tr += "@" + scenario
	}
	return fmt.Sprintf("%s %s %s→%s", caseID, tr, bind, connect)
}

// Labels are the cell's Ginkgo labels, the vocabulary of every filter.
func (c *CellSpec) Labels() []string {
	l := []string{"case:" + c.Def.ID, "pattern:" + c.Def.Pattern, "transport:" + c.Transport,
		"bind:" + c.Bind.Name, "connect:" + c.Connect.Name, "level:" + string(c.Def.Level)}
	if c.Scenario != "" {
		l = append(l, "scenario:"+c.Scenario)
	}
	return l
}

// Rerun is the command that runs exactly this cell again. Across netsim's hosts the scenario
// is NET= (the runner builds that network); across hosts a person placed, the placement's
// variables go in front, so the same hosts take the same sides.
func (c *CellSpec) Rerun(suite string) string {
	f := fmt.Sprintf("case:%s && transport:%s && bind:%s && connect:%s", c.Def.ID, c.Transport, c.Bind.Name, c.Connect.Name)
	switch {
	case c.Hosts == nil:
		return fmt.Sprintf("make %s FILTER='%s'", suite, f)
	case c.Hosts.Netsim():
		return fmt.Sprintf("make %s NET=%s FILTER='%s'", suite, c.Scenario, f)
	}
	return fmt.Sprintf("%s make %s FILTER='%s'", c.Hosts.Env(), suite, f)
}

// Pairings decides which ordered (bind, connect) pairs of implementations a case runs over.
type Pairings func(d *Def, transport string, impls []*harness.Impl) [][2]*harness.Impl

// AllPairs is every ordered pairing; inproc and per-implementation cases stay inside one
// implementation, since inproc never leaves a context.
func AllPairs(d *Def, transport string, impls []*harness.Impl) [][2]*harness.Impl {
	var out [][2]*harness.Impl
	for _, b := range impls {
		for _, c := range impls {
			if (transport == harness.InProc || d.SameImpl) && b != c {
				continue
			}
			out = append(out, [2]*harness.Impl{b, c})
		}
	}
	return out
}

// Shard is one of n deterministic slices of a matrix: of the cell ids sorted, every n-th
// starting at the i-th (1-based). The zero Shard is the whole matrix.
type Shard struct{ I, N int }

// ParseShard reads "i/n" (ZMQSUITE_SHARD, make's SHARD=i/n); "" is the whole matrix.
func ParseShard(s string) (Shard, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Shard{}, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return Shard{}, fmt.Errorf("SHARD=%q: want i/n with 1 <= i <= n, e.g. SHARD=2/4", s)
	}
	return Shard{I: i, N: n}, nil
}

func (s Shard) String() string {
	if s.N == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.I, s.N)
}

// Keep reports whether the cell at position k of the sorted ids is in the shard.
func (s Shard) keep(k int) bool { return s.N == 0 || k%s.N == s.I-1 }

// Select keeps the cells of the shard (by sorted id) that the label filter matches, in the
// order given. The filter is Ginkgo's own --label-filter, parsed here so that a filter with a
// syntax error, or one that selects nothing, is an error before any cell runs.
func Select(all []*CellSpec, filter string, shard Shard) ([]*CellSpec, error) {
	match, err := ParseFilter(filter)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(all))
	for i, c := range all {
		ids[i] = c.ID()
	}
	sorted := append([]string(nil), ids...)
	sort.Strings(sorted)
	inShard := map[string]bool{}
	for k, id := range sorted {
		if shard.keep(k) {
			inShard[id] = true
		}
	}
	var out []*CellSpec
	for i, c := range all {
		if inShard[ids[i]] && match(c.Labels()) {
			out = append(out, c)
		}
	}
	return out, nil
}

// ParseFilter parses a label filter with Ginkgo's own parser; a syntax error is one line
// ("FILTER="a &&": syntax error: Unexpected EOF.") instead of Ginkgo's coloured block.
func ParseFilter(filter string) (func([]string) bool, error) {
	match, err := types.ParseLabelFilter(filter)
	if err == nil {
		return match, nil
	}
	var why []string
	for i, l := range strings.Split(stripANSI(err.Error()), "\n") {
		l = strings.TrimSpace(l)
		// Line 0 is the title, line 1 the filter again (with the culprit marked in colour).
		if i >= 2 && l != "" && !strings.HasPrefix(l, "Learn more at") {
			why = append(why, l)
		}
	}
	return nil, fmt.Errorf("FILTER=%q: syntax error: %s (label filter syntax: https://onsi.github.io/ginkgo/#spec-labels)", filter, strings.Join(why, " "))
}

// NothingSelected is the error for a filter that selects no cell: it names the filter, and
// the label values the matrix has, so a typo ("transport:tpc") is plain.
func NothingSelected(suite, filter string, shard Shard, all []*CellSpec) error {
	values := map[string]map[string]bool{}
	for _, c := range all {
		for _, l := range c.Labels() {
			k, v, _ := strings.Cut(l, ":")
			if k == "case" || k == "level" {
				continue
			}
			if values[k] == nil {
				values[k] = map[string]bool{}
			}
			values[k][v] = true
		}
	}
	var keys []string
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		var vs []string
		for v := range values[k] {
			vs = append(vs, v)
		}
		sort.Strings(vs)
		parts = append(parts, k+":"+strings.Join(vs, "|"))
	}
	where := fmt.Sprintf("FILTER=%q", filter)
	if shard.N > 0 {
		where += " SHARD=" + shard.String()
	}
	return fmt.Errorf("%s selects none of the %d %s cells (labels here: %s; case:<id>, level:M|S|L|O); nothing was run and no results were written",
		where, len(all), suite, strings.Join(parts, ", "))
}

// labelFilter is the filter this process runs with: Ginkgo's --label-filter.
func labelFilter() string { return ginkgo.GinkgoLabelFilter() }

// shardFromEnv reads ZMQSUITE_SHARD.
func shardFromEnv() (Shard, error) { return ParseShard(os.Getenv("ZMQSUITE_SHARD")) }

func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return strings.TrimSpace(s)
}
