package reports

import (
	_ "embed"
	"html/template"
	"io"
	"sort"

	"github.com/zmqsuite/zmqsuite/harness"
)

// The page is one file that works offline: CSS inline, charts inline SVG, no script (a
// cell's details open with <details>), no URL but the upstream links of known failures.
var (
	//go:embed report.html.tmpl
	htmlSource string
	//go:embed report.css
	htmlCSS string

	htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
		"measuredIntro": func() string { return measuredIntro },
		"pathIntro":     func() string { return pathIntro },
	}).Parse(htmlSource))
)

type htmlData struct {
	View view
	CSS  template.CSS
	// Benches are the benchmark sections: loopback's run, always (it says when there is
	// none), and the cross-host run's when there is one.
	Benches []benchSection
}

// benchSection is one benchmark run's section: its anchor prefixes every id inside, so that
// the two runs' tcp tables do not share ids.
type benchSection struct {
	Anchor, Title, Nav string
	View               *benchView
	Sections           []transportSection
}

// transportSection is the benchmarks of one transport: each group's charts over its table.
type transportSection struct {
	Transport string
	Groups    []chartedTable
}

type chartedTable struct {
	Table  benchTable
	Charts []chart
}

// HTML writes the report as one self-contained HTML page.
func HTML(w io.Writer, r harness.Results) error {
	v := newView(r)
	d := htmlData{View: v, CSS: template.CSS(htmlCSS)}
	d.Benches = []benchSection{{Anchor: "bench", Title: "Benchmarks", Nav: "benchmarks", View: v.Bench}}
	if v.BenchHosts != nil {
		d.Benches = append(d.Benches, benchSection{Anchor: "bench-hosts", Title: "Benchmarks across hosts", Nav: "across hosts", View: v.BenchHosts})
	}
	for i, b := range d.Benches {
		if b.View == nil {
			continue // the section says there are no benchmark results
		}
		sections, err := chartSections(b.View, v.order)
		if err != nil {
			return err
		}
		d.Benches[i].Sections = sections
	}
	return htmlTemplate.Execute(w, d)
}

func chartSections(b *benchView, o order) ([]transportSection, error) {
	style := newSeriesStyle(b.groups, o)
	byTransport := map[string]*transportSection{}
	var transports []string
	tables := append(append([]benchTable(nil), b.Throughput...), b.Latency...)
	for _, t := range tables {
		charts, err := benchCharts(t.benchGroup, style)
		if err != nil {
			return nil, err
		}
		s := byTransport[t.Transport]
		if s == nil {
			s = &transportSection{Transport: t.Transport}
			byTransport[t.Transport] = s
			transports = append(transports, t.Transport)
		}
		s.Groups = append(s.Groups, chartedTable{Table: t, Charts: charts})
	}
	sort.Slice(transports, func(i, j int) bool { return lessTransport(transports[i], transports[j]) })
	var out []transportSection
	for _, t := range transports {
		out = append(out, *byTransport[t])
	}
	return out, nil
}
