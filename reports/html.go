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

	htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{"measuredIntro": func() string { return measuredIntro }}).Parse(htmlSource))
)

type htmlData struct {
	View  view
	CSS   template.CSS
	Bench []transportSection
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
	if v.Bench != nil {
		sections, err := chartSections(v)
		if err != nil {
			return err
		}
		d.Bench = sections
	}
	return htmlTemplate.Execute(w, d)
}

func chartSections(v view) ([]transportSection, error) {
	style := newSeriesStyle(v.Bench.groups, v.order)
	byTransport := map[string]*transportSection{}
	var transports []string
	tables := append(append([]benchTable(nil), v.Bench.Throughput...), v.Bench.Latency...)
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
