package matrix

import (
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// Merging results: the shards of one run (`zmqsuite merge`, CI's merge job), and the
// per-scenario runs of one cross-host run (`zmqsuite suite --net`). Parts merge only when they
// are of one run configuration — the same suite, platform, implementations and versions,
// expectations and filter — and together hold the whole selection, each cell once; anything
// else is refused in one line that names the file and what differs, since a merged file that
// silently lost or doubled cells would gate on the wrong thing. What needs every cell (the
// reference verdicts, the blame triangulated from each implementation's own pairing) is
// computed again on the merged records.

// SuitePart is one results file to merge.
type SuitePart struct {
	Path string
	Res  *harness.SuiteResults
}

// BenchPart is one benchmark results file to merge.
type BenchPart struct {
	Path string
	Res  *harness.Bench
}

// Loopback is how a cross-host run's selection names its part on one machine (records say
// "" for it).
const Loopback = "loopback"

func base(p string) string { return filepath.Base(p) }

// head is what merging compares of a part, suite or benchmark alike.
type head struct {
	path     string
	sel      harness.Selection
	platform string
	impls    string
}

func suiteHeads(parts []SuitePart) []head {
	hs := make([]head, len(parts))
	for i, p := range parts {
		hs[i] = head{p.Path, p.Res.Selection, p.Res.Env.OS + "/" + p.Res.Env.Arch, implsOf(p.Res.Implementations)}
	}
	return hs
}

func benchHeads(parts []BenchPart) []head {
	hs := make([]head, len(parts))
	for i, p := range parts {
		hs[i] = head{p.Path, p.Res.Selection, p.Res.Env.OS + "/" + p.Res.Env.Arch, implsOf(p.Res.Implementations)}
	}
	return hs
}

// differ is the one-line refusal of two parts that are not of one run.
type differ func(what, va, vb string) error

// sameRun refuses parts that are not of one run configuration: platform, implementations and
// filter, then what the caller's kind adds (suite, expectations; benchmark configuration).
// Shards must also agree on their scenarios and network; the per-scenario parts of a
// cross-host run on their shard. A cross-host run's loopback part has no network, so two
// scenario parts differ in network only when both name one (suites) — benchmarks' loopback
// part is the same case.
func sameRun(hs []head, shards bool, more func(i int, d differ) error) error {
	if len(hs) == 0 {
		return fmt.Errorf("nothing to merge")
	}
	a := hs[0]
	for i, b := range hs[1:] {
		d := func(what, va, vb string) error {
			return fmt.Errorf("%s and %s are not of one run: %s differ (%s vs %s)", base(a.path), base(b.path), what, va, vb)
		}
		x, y := a.sel, b.sel
		if a.platform != b.platform {
			return d("platforms", a.platform, b.platform)
		}
		if a.impls != b.impls {
			return d("implementations or versions", a.impls, b.impls)
		}
		if err := more(i+1, d); err != nil {
			return err
		}
		switch {
		case x.Filter != y.Filter:
			return d("filters", fmt.Sprintf("%q", x.Filter), fmt.Sprintf("%q", y.Filter))
		case x.Network != y.Network && (shards || (x.Network != "" && y.Network != "")):
			return d("networks", orNone(x.Network), orNone(y.Network))
		case shards && strings.Join(x.Scenarios, ",") != strings.Join(y.Scenarios, ","):
			return d("scenarios", orNone(strings.Join(x.Scenarios, ",")), orNone(strings.Join(y.Scenarios, ",")))
		case !shards && x.Shard != y.Shard:
			return d("shards", orNone(x.Shard), orNone(y.Shard))
		}
	}
	return nil
}

// shardsOf checks that the parts are every shard of one selection, each once, and returns
// them in order.
func shardsOf(hs []head) ([]string, error) {
	paths := make([]string, len(hs))
	sels := make([]harness.Selection, len(hs))
	for i, h := range hs {
		paths[i], sels[i] = h.path, h.sel
	}
	return checkShards(paths, sels)
}

// allThere refuses a merge of shards that, joined, hold fewer than the total cells (or
// figures: what) their selection has.
func allThere(got, total int, what string) error {
	if got != total {
		return fmt.Errorf("the shards hold %d of the %d %s their selection has: a shard lost %s (see each shard's selection.cells and its records)", got, total, what, what)
	}
	return nil
}

// distinctScenarios lists the parts' scenarios, each once, and the cells they select in all.
func distinctScenarios(hs []head) ([]string, int, error) {
	seen := map[string]string{}
	var scens []string
	total := 0
	for _, h := range hs {
		s := partScenario(h.sel)
		if other, dup := seen[s]; dup {
			return nil, 0, fmt.Errorf("%s and %s are both scenario %s", base(other), base(h.path), s)
		}
		seen[s] = h.path
		scens = append(scens, s)
		total += h.sel.Total
	}
	return scens, total, nil
}

// partScenario is the scenario of a one-scenario run.
func partScenario(s harness.Selection) string {
	if len(s.Scenarios) == 1 {
		return s.Scenarios[0]
	}
	return Loopback
}

// MergeShards merges the shards i/n of one run into the run's results.
func MergeShards(parts []SuitePart) (*harness.SuiteResults, error) {
	hs := suiteHeads(parts)
	if err := sameRun(hs, true, suiteDiffers(parts)); err != nil {
		return nil, err
	}
	merged, err := shardsOf(hs)
	if err != nil {
		return nil, err
	}
	out, err := joinRecords(parts)
	if err != nil {
		return nil, err
	}
	if err := allThere(len(out.Records), hs[0].sel.Total, "cells"); err != nil {
		return nil, err
	}
	out.Selection.Shard, out.Selection.Merged = "", merged
	out.Selection.Cells, out.Selection.Total = len(out.Records), hs[0].sel.Total
	return out, nil
}

// MergeScenarios merges the per-scenario runs of one cross-host run (each with one scenario,
// or loopback) into one results file.
func MergeScenarios(parts []SuitePart) (*harness.SuiteResults, error) {
	hs := suiteHeads(parts)
	if err := sameRun(hs, false, suiteDiffers(parts)); err != nil {
		return nil, err
	}
	scens, total, err := distinctScenarios(hs)
	if err != nil {
		return nil, err
	}
	out, err := joinRecords(parts)
	if err != nil {
		return nil, err
	}
	out.Selection.Scenarios = scens
	out.Selection.Cells, out.Selection.Total = len(out.Records), total
	return out, nil
}

// suiteDiffers is what suite parts must also share with the first: the suite, the absent
// implementations and the expectations.
func suiteDiffers(parts []SuitePart) func(int, differ) error {
	return func(i int, d differ) error {
		x, y := parts[0].Res, parts[i].Res
		switch {
		case x.Suite != y.Suite:
			return d("suites", x.Suite, y.Suite)
		case strings.Join(x.Selection.Absent, "; ") != strings.Join(y.Selection.Absent, "; "):
			return d("absent implementations", fmt.Sprint(x.Selection.Absent), fmt.Sprint(y.Selection.Absent))
		case x.Selection.Expectations != y.Selection.Expectations:
			return d("expectations files", orNone(x.Selection.Expectations), orNone(y.Selection.Expectations))
		}
		return nil
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// implsOf renders the implementations a run had, for comparison: name, version and libzmq.
func implsOf(hs []peer.Hello) string {
	var parts []string
	for _, h := range hs {
		s := h.Name + " " + h.Version
		if h.Libzmq != "" {
			s += " (libzmq " + h.Libzmq + ")"
		}
		parts = append(parts, s)
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// checkShards checks that selections are the shards 1/n … n/n of one selection, each once,
// and returns them in order.
func checkShards(paths []string, sels []harness.Selection) ([]string, error) {
	n := 0
	have := map[int]string{}
	for k, s := range sels {
		sh, err := ParseShard(s.Shard)
		if err != nil {
			return nil, fmt.Errorf("%s: selection.shard %q: %v", base(paths[k]), s.Shard, err)
		}
		if sh.N == 0 {
			return nil, fmt.Errorf("%s is not a shard (its selection has no shard): only the shards of one run merge", base(paths[k]))
		}
		if n == 0 {
			n = sh.N
		}
		if sh.N != n {
			return nil, fmt.Errorf("%s is shard %s, %s is shard %s: the shards of one run have one n", base(paths[0]), sels[0].Shard, base(paths[k]), s.Shard)
		}
		if other, dup := have[sh.I]; dup {
			return nil, fmt.Errorf("%s and %s are both shard %s", base(other), base(paths[k]), s.Shard)
		}
		have[sh.I] = paths[k]
		if s.Total == 0 && s.Cells > 0 {
			return nil, fmt.Errorf("%s does not say how many cells the whole selection has (selection.total): it was written before shards could be merged", base(paths[k]))
		}
		if s.Total != sels[0].Total {
			return nil, fmt.Errorf("%s says the selection has %d cells, %s says %d: not shards of one selection", base(paths[0]), sels[0].Total, base(paths[k]), s.Total)
		}
	}
	var missing, merged []string
	for i := 1; i <= n; i++ {
		if have[i] == "" {
			missing = append(missing, fmt.Sprintf("%d/%d", i, n))
		} else {
			merged = append(merged, fmt.Sprintf("%d/%d", i, n))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("shard %s missing (have %s): every shard of the run is needed", strings.Join(missing, ", "), strings.Join(merged, ", "))
	}
	return merged, nil
}

// joinRecords concatenates the parts' records (each cell once), recomputes what needs every
// cell, and takes the rest of the file from the first part.
func joinRecords(parts []SuitePart) (*harness.SuiteResults, error) {
	first := parts[0].Res
	out := *first
	out.Records = nil
	out.Selection.Hosts = nil
	where := map[string]string{}
	for _, p := range parts {
		for _, r := range p.Res.Records {
			if other, dup := where[r.ID]; dup {
				return nil, fmt.Errorf("cell %q is in %s and in %s: the parts overlap", r.ID, base(other), base(p.Path))
			}
			where[r.ID] = p.Path
			if r.BlameDerived {
				r.Blame, r.BlameDerived = "", false
			}
			out.Records = append(out.Records, r)
		}
		if len(p.Res.Records) != p.Res.Selection.Cells {
			return nil, fmt.Errorf("%s holds %d records for the %d cells its selection has: that run did not finish", base(p.Path), len(p.Res.Records), p.Res.Selection.Cells)
		}
		if p.Res.Generated > out.Generated {
			out.Generated = p.Res.Generated
		}
		out.Selection.Hosts = addHosts(out.Selection.Hosts, p.Res.Selection.Hosts)
	}
	out.Selection.Network = firstNetwork(len(parts), func(i int) string { return parts[i].Res.Selection.Network })
	SetReference(out.Records)
	SetBlame(out.Records)
	sort.SliceStable(out.Records, func(i, j int) bool { return recordLess(&out.Records[i], &out.Records[j]) })
	return &out, nil
}

// BenchKey identifies a benchmark figure within a run: pattern, metric, transport and
// scenario, pairing, size and fan-out.
func BenchKey(r harness.BenchRecord) string {
	tr := r.Transport
	if r.Scenario != "" {
		tr += "@" + r.Scenario
	}
	s := fmt.Sprintf("%s %s %s %s→%s %dB", r.Pattern, r.Metric, tr, r.Bind, r.Connect, r.Size)
	if r.Subscribers > 0 {
		s += fmt.Sprintf(" ×%d", r.Subscribers)
	}
	return s
}

// MergeBenchShards merges the shards i/n of one benchmark run.
func MergeBenchShards(parts []BenchPart) (*harness.Bench, error) {
	hs := benchHeads(parts)
	if err := sameRun(hs, true, benchDiffers(parts)); err != nil {
		return nil, err
	}
	merged, err := shardsOf(hs)
	if err != nil {
		return nil, err
	}
	out, err := joinFigures(parts)
	if err != nil {
		return nil, err
	}
	if err := allThere(len(out.Records), hs[0].sel.Total, "figures"); err != nil {
		return nil, err
	}
	out.Selection.Shard, out.Selection.Merged = "", merged
	out.Selection.Cells, out.Selection.Total = len(out.Records), hs[0].sel.Total
	return out, nil
}

// MergeBenchScenarios merges the per-scenario benchmark runs of one cross-host run.
func MergeBenchScenarios(parts []BenchPart) (*harness.Bench, error) {
	hs := benchHeads(parts)
	if err := sameRun(hs, false, benchDiffers(parts)); err != nil {
		return nil, err
	}
	scens, total, err := distinctScenarios(hs)
	if err != nil {
		return nil, err
	}
	out, err := joinFigures(parts)
	if err != nil {
		return nil, err
	}
	out.Selection.Scenarios = scens
	out.Selection.Cells, out.Selection.Total = len(out.Records), total
	return out, nil
}

// benchDiffers is what benchmark parts must also share with the first: the configuration
// (bar the control round trips, which each part times for itself).
func benchDiffers(parts []BenchPart) func(int, differ) error {
	return func(i int, d differ) error {
		cx, cy := parts[0].Res.Config, parts[i].Res.Config
		cx.ControlRTTUS, cy.ControlRTTUS = nil, nil
		if !reflect.DeepEqual(cx, cy) {
			return d("benchmark configurations", fmt.Sprintf("%+v", cx), fmt.Sprintf("%+v", cy))
		}
		return nil
	}
}

// joinFigures concatenates the parts' figures (each once). The control round trips are the
// first part's (each part timed its own; they are the harness's cost, not a figure).
func joinFigures(parts []BenchPart) (*harness.Bench, error) {
	out := *parts[0].Res
	out.Records, out.Notes, out.Selection.Hosts = nil, nil, nil
	where := map[string]string{}
	notes := map[string]bool{}
	for _, p := range parts {
		for _, r := range p.Res.Records {
			k := BenchKey(r)
			if other, dup := where[k]; dup {
				return nil, fmt.Errorf("figure %q is in %s and in %s: the parts overlap", k, base(other), base(p.Path))
			}
			where[k] = p.Path
			out.Records = append(out.Records, r)
		}
		if len(p.Res.Records) != p.Res.Selection.Cells {
			return nil, fmt.Errorf("%s holds %d figures for the %d its selection has: that run did not finish", base(p.Path), len(p.Res.Records), p.Res.Selection.Cells)
		}
		for _, n := range p.Res.Notes {
			if !notes[n] {
				notes[n] = true
				out.Notes = append(out.Notes, n)
			}
		}
		if p.Res.Generated > out.Generated {
			out.Generated = p.Res.Generated
		}
		out.Selection.Hosts = addHosts(out.Selection.Hosts, p.Res.Selection.Hosts)
	}
	out.Selection.Network = firstNetwork(len(parts), func(i int) string { return parts[i].Res.Selection.Network })
	return &out, nil
}

// firstNetwork is the network of a merge: a cross-host run's loopback part has none, its
// other parts share one.
func firstNetwork(n int, network func(int) string) string {
	for i := 0; i < n; i++ {
		if v := network(i); v != "" {
			return v
		}
	}
	return ""
}

// addHosts adds a part's host placement to the merged one.
func addHosts(into, from map[string]string) map[string]string {
	for k, v := range from {
		if into == nil {
			into = map[string]string{}
		}
		into[k] = v
	}
	return into
}
