package reports

import (
	"fmt"
	"sort"
	"strings"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// The scorecard is what a person choosing a binding reads first: per implementation and
// version, how many cells it took part in and how they ended, its known failures grouped by
// the upstream issue that tracks them, what it lacks, and where it stands in throughput and
// latency against the reference (libzmq↔libzmq) and the ceiling (raw).

type scoreRow struct {
	Name, Version, Libzmq              string
	Cells, Pass, NonStrict, XFail      int
	Skip, Fail, XPass, Crash, Hang     int
	Known                              []knownGroup
	Lacks                              []string
	Throughput, Latency                string // "46 k msg/s: 3 % of libzmq, 2 % of raw"
	ThroughputWhat, LatencyWhat, Where string
}

// Red is the count of cells that fail the run.
func (s scoreRow) Red() int { return s.Fail + s.XPass + s.Crash + s.Hang }

// knownGroup is the known failures of one implementation that share an upstream link (or,
// unreported, a reason).
type knownGroup struct {
	Link, Reason string
	Cells        int
	Cases        string // "PP.1, DLR.1, …"
}

// IsLink reports whether the group's link is a web address.
func (k knownGroup) IsLink() bool { return safeLink(k.Link) }

type scorecard struct {
	Rows []scoreRow
	// Basis says which figures the standing columns use.
	Basis string
}

func buildScorecard(r harness.Results, o order) *scorecard {
	hs := hellos(r)
	if len(hs) == 0 {
		return nil
	}
	recs := r.AllRecords()
	sc := &scorecard{}
	for _, h := range hs {
		if h.Name == Ceiling {
			continue
		}
		row := scoreRow{Name: h.Name, Version: h.Version, Libzmq: h.Libzmq}
		known := map[string]*knownGroup{}
		cases := map[string]map[string]bool{}
		for _, rec := range recs {
			if rec.Bind != h.Name && rec.Connect != h.Name {
				continue
			}
			row.Cells++
			switch rec.Outcome {
			case harness.Pass:
				row.Pass++
			case harness.NonStrict:
				row.NonStrict++
			case harness.XFail:
				row.XFail++
			case harness.Skip:
				row.Skip++
			case harness.Fail:
				row.Fail++
			case harness.XPass:
				row.XPass++
			case harness.Crash:
				row.Crash++
			case harness.Hang:
				row.Hang++
			}
			if rec.Outcome == harness.XFail && rec.Expectation != nil && blamesImpl(rec, h.Name) {
				k := rec.Expectation.Link
				if !safeLink(k) {
					k = rec.Expectation.Reason
				}
				g := known[k]
				if g == nil {
					g = &knownGroup{Link: rec.Expectation.Link, Reason: firstSentence(rec.Expectation.Reason)}
					known[k] = g
					cases[k] = map[string]bool{}
				}
				g.Cells++
				cases[k][rec.Case] = true
			}
		}
		for k, g := range known {
			var ids []string
			for id := range cases[k] {
				ids = append(ids, id)
			}
			sort.Slice(ids, func(i, j int) bool { return naturalLess(ids[i], ids[j]) })
			g.Cases = strings.Join(ids, ", ")
			row.Known = append(row.Known, *g)
		}
		sort.Slice(row.Known, func(i, j int) bool {
			if row.Known[i].Cells != row.Known[j].Cells {
				return row.Known[i].Cells > row.Known[j].Cells
			}
			return row.Known[i].Link+row.Known[i].Reason < row.Known[j].Link+row.Known[j].Reason
		})
		row.Lacks = lacks(h)
		standing(&row, r.Bench)
		sc.Rows = append(sc.Rows, row)
	}
	sort.SliceStable(sc.Rows, func(i, j int) bool { return o.lessImpl(sc.Rows[i].Name, sc.Rows[j].Name) })
	if len(sc.Rows) > 0 {
		sc.Basis = sc.Rows[0].Where
	}
	return sc
}

// blamesImpl reports whether a known failure is this implementation's: the one its entry
// names (a go-zeromq defect seen in gozmq→libzmq is go-zeromq's, not libzmq's); an entry that
// names no implementation counts for every implementation in the cell.
func blamesImpl(rec harness.Record, name string) bool {
	if len(rec.Expectation.Impls) == 0 {
		return true
	}
	for _, n := range rec.Expectation.Impls {
		if n == name {
			return true
		}
	}
	return false
}

// lacks lists what an implementation's peer says it does not have, against the protocol's
// vocabulary: socket types, options, transports (probed).
func lacks(h peer.Hello) []string {
	var out []string
	var types []string
	for _, t := range peer.SocketTypes {
		if !peer.Has(h.Caps.SocketTypes, t) {
			types = append(types, t)
		}
	}
	if len(types) > 0 {
		out = append(out, "socket types "+strings.Join(types, ", "))
	}
	var tr []string
	for _, t := range harness.Transports {
		if !peer.Has(h.Caps.Transports, t) {
			tr = append(tr, t)
		}
	}
	if len(tr) > 0 {
		out = append(out, "transports "+strings.Join(tr, ", "))
	}
	var opts []string
	for name := range peer.Options {
		if !peer.Has(h.Caps.Options, name) {
			opts = append(opts, name)
		}
	}
	sort.Strings(opts)
	if len(opts) > 0 {
		out = append(out, fmt.Sprintf("%d of %d options: %s", len(opts), len(peer.Options), strings.Join(opts, ", ")))
	}
	if !h.Caps.Bench {
		out = append(out, "benchmark loops")
	}
	return out
}

// standing fills the throughput and latency columns: the implementation with itself over tcp
// at the run's smallest size of at least 64 B, against libzmq↔libzmq and the ceiling in the
// same figure.
func standing(row *scoreRow, b *harness.Bench) {
	if b == nil {
		return
	}
	size := -1
	for _, s := range b.Config.Sizes {
		if s >= 64 && (size < 0 || s < size) {
			size = s
		}
	}
	if size < 0 && len(b.Config.Sizes) > 0 {
		size = b.Config.Sizes[0]
	}
	find := func(pattern, bind, connect string) *harness.BenchRecord {
		for i, r := range b.Records {
			if r.Pattern == pattern && r.Transport == harness.TCP && r.Size == size && r.Subscribers == 0 &&
				r.Bind == bind && r.Connect == connect && r.Outcome == benchOK {
				return &b.Records[i]
			}
		}
		return nil
	}
	row.Where = fmt.Sprintf("tcp, %s, the implementation with itself", sizeLabel(size))
	if t := find("push_pull", row.Name, row.Name); t != nil && t.MsgPerSec != nil {
		row.Throughput = si(t.MsgPerSec.Median) + " msg/s"
		var rel []string
		if ref := find("push_pull", harness.LibZMQ, harness.LibZMQ); ref != nil && ref.MsgPerSec != nil && row.Name != harness.LibZMQ {
			rel = append(rel, fmt.Sprintf("%.0f %% of libzmq", 100*t.MsgPerSec.Median/ref.MsgPerSec.Median))
		}
		if raw := find("push_pull", Ceiling, Ceiling); raw != nil && raw.MsgPerSec != nil {
			rel = append(rel, fmt.Sprintf("%.0f %% of raw", 100*t.MsgPerSec.Median/raw.MsgPerSec.Median))
		}
		if len(rel) > 0 {
			row.Throughput += " (" + strings.Join(rel, ", ") + ")"
		}
	}
	if l := find("req_rep", row.Name, row.Name); l != nil && l.P50US != nil {
		row.Latency = fmt.Sprintf("%s µs p50", sig3(l.P50US.Median))
		var rel []string
		if ref := find("req_rep", harness.LibZMQ, harness.LibZMQ); ref != nil && ref.P50US != nil && row.Name != harness.LibZMQ {
			rel = append(rel, fmt.Sprintf("%.2f× libzmq", l.P50US.Median/ref.P50US.Median))
		}
		if raw := find("req_rep", Ceiling, Ceiling); raw != nil && raw.P50US != nil {
			rel = append(rel, fmt.Sprintf("%.2f× raw", l.P50US.Median/raw.P50US.Median))
		}
		if len(rel) > 0 {
			row.Latency += " (" + strings.Join(rel, ", ") + ")"
		}
	}
}

// firstSentence shortens a known failure's reason to its first sentence (bounded).
func firstSentence(s string) string {
	s = oneLine(s)
	if i := strings.Index(s, ". "); i > 0 && i < 240 {
		return s[:i+1]
	}
	if len(s) > 240 {
		return s[:240] + "…"
	}
	return s
}
