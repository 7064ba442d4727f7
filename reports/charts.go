package reports

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"image/color"
	"math"
	"regexp"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/zmqsuite/zmqsuite/harness"
)

// chart is one figure, an SVG drawn by gonum/plot, ready to inline in the HTML.
type chart struct {
	Title string
	SVG   template.HTML
}

// figure is what one chart plots from a record: its name, axis label and statistic.
type figure struct {
	name, unit string
	stat       func(harness.BenchRecord) *harness.Stat
}

var (
	throughputFigures = []figure{
		{"msg/s", "messages per second", func(r harness.BenchRecord) *harness.Stat { return r.MsgPerSec }},
		{"MB/s", "megabytes per second", func(r harness.BenchRecord) *harness.Stat { return r.MBPerSec }},
	}
	latencyFigures = []figure{
		{"p50 latency", "µs", func(r harness.BenchRecord) *harness.Stat { return r.P50US }},
		{"p99 latency", "µs", func(r harness.BenchRecord) *harness.Stat { return r.P99US }},
	}
)

// Series colours, picked to stay distinguishable for common colour-vision deficiencies;
// each series also has its own glyph shape, so colour is never the only cue.
var palette = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xd6, 0x27, 0x28, 0xff}, {0x2c, 0xa0, 0x2c, 0xff},
	{0xff, 0x7f, 0x0e, 0xff}, {0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff},
	{0xe3, 0x77, 0xc2, 0xff}, {0x17, 0xbe, 0xcf, 0xff}, {0xbc, 0xbd, 0x22, 0xff},
	{0x7f, 0x7f, 0x7f, 0xff},
}

// seriesStyle gives each pairing the same colour and glyph in every chart of a report.
type seriesStyle map[pairing]int

func newSeriesStyle(groups []benchGroup, o order) seriesStyle {
	seen := map[pairing]bool{}
	var ps []pairing
	for _, g := range groups {
		for _, r := range g.Records {
			if p := pairingOf(r); !p.ceiling() && !seen[p] {
				seen[p] = true
				ps = append(ps, p)
			}
		}
	}
	o.sortPairings(ps)
	s := seriesStyle{}
	for i, p := range ps {
		s[p] = i
	}
	return s
}

// benchCharts draws the charts of one group: msg/s and MB/s for throughput, p50 and p99
// for latency; a figure no record measured is left out.
func benchCharts(g benchGroup, style seriesStyle) ([]chart, error) {
	figs := throughputFigures
	if g.Metric == metricLatency {
		figs = latencyFigures
	}
	var charts []chart
	for _, f := range figs {
		title := fmt.Sprintf("%s — %s", f.name, g.Title())
		svg, err := drawChart(title, f, g, style)
		if err != nil {
			return nil, fmt.Errorf("chart %q: %w", title, err)
		}
		if svg != "" {
			charts = append(charts, chart{Title: title, SVG: svg})
		}
	}
	return charts, nil
}

// chartSeries is one pairing's points: x = message size, y = median with its min–max spread.
type chartSeries struct {
	pairing pairing
	xys     plotter.XYs
	errs    plotter.YErrors
}

// Len, XY and YError let plotter.NewYErrorBars draw the min–max bars.
func (s chartSeries) Len() int                        { return len(s.xys) }
func (s chartSeries) XY(i int) (float64, float64)     { return s.xys[i].X, s.xys[i].Y }
func (s chartSeries) YError(i int) (float64, float64) { return s.errs[i].Low, s.errs[i].High }

// bounds is the vertical extent of the series, error bars included.
func (s chartSeries) bounds() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for i, p := range s.xys {
		lo = math.Min(lo, p.Y-s.errs[i].Low)
		hi = math.Max(hi, p.Y+s.errs[i].High)
	}
	return lo, hi
}

func collectSeries(g benchGroup, f figure) []chartSeries {
	var out []chartSeries
	idx := map[pairing]int{}
	for _, r := range g.Records {
		st := f.stat(r)
		// A log axis cannot place zero; a zero figure is a failed run, shown in the table.
		if r.Outcome != benchOK || st == nil || st.Median <= 0 || r.Size <= 0 {
			continue
		}
		p := pairingOf(r)
		i, ok := idx[p]
		if !ok {
			i = len(out)
			idx[p] = i
			out = append(out, chartSeries{pairing: p})
		}
		lo, hi := math.Min(st.Min, st.Median), math.Max(st.Max, st.Median)
		if lo <= 0 {
			lo = st.Median
		}
		out[i].xys = append(out[i].xys, plotter.XY{X: float64(r.Size), Y: st.Median})
		out[i].errs = append(out[i].errs, struct{ Low, High float64 }{st.Median - lo, hi - st.Median})
	}
	return out
}

// Chart geometry, in points: wide enough for two side by side on a laptop screen.
const (
	chartW = 480
	chartH = 300
)

func drawChart(title string, f figure, g benchGroup, style seriesStyle) (template.HTML, error) {
	all := collectSeries(g, f)
	if len(all) == 0 {
		return "", nil
	}
	p := plot.New()
	sans(&p.Title.TextStyle, 11)
	sans(&p.X.Label.TextStyle, 10)
	sans(&p.Y.Label.TextStyle, 10)
	sans(&p.X.Tick.Label, 9)
	sans(&p.Y.Tick.Label, 9)
	p.Title.Text = title
	p.X.Label.Text = "message size"
	p.Y.Label.Text = f.name + " (" + f.unit + ")"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.Add(plotter.NewGrid())

	legend := plot.NewLegend()
	sans(&legend.TextStyle, 9)
	legend.Top, legend.Left = true, true
	legend.Padding = vg.Points(3)
	var names []string
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	var sizes []float64
	for _, s := range all {
		line, points, err := plotter.NewLinePoints(s.xys)
		if err != nil {
			return "", err
		}
		if s.pairing.ceiling() {
			// The ceiling is a reference, not a contender: black and dashed.
			line.Color, points.Color = color.Black, color.Black
			line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			points.Shape = draw.CircleGlyph{}
		} else {
			i := style[s.pairing]
			c := palette[i%len(palette)]
			line.Color, points.Color = c, c
			points.Shape = plotutil.Shape(i)
		}
		line.Width = vg.Points(1.5)
		bars, err := plotter.NewYErrorBars(s)
		if err != nil {
			return "", err
		}
		bars.Color = line.Color
		p.Add(line, points, bars)
		legend.Add(s.pairing.String(), line, points)
		names = append(names, s.pairing.String())
		lo, hi := s.bounds()
		ylo, yhi = math.Min(ylo, lo), math.Max(yhi, hi)
		for _, xy := range s.xys {
			xlo, xhi = math.Min(xlo, xy.X), math.Max(xhi, xy.X)
			sizes = append(sizes, xy.X)
		}
	}
	// Pad the log axes so end points and error bars are not drawn on the frame.
	p.X.Min, p.X.Max = xlo/1.6, xhi*1.6
	p.Y.Min, p.Y.Max = ylo/1.3, yhi*1.3
	p.X.Tick.Marker = sizeTicks(sizes)
	p.Y.Tick.Marker = siLogTicks{}

	return renderSVG(p, &legend, names, title)
}

// renderSVG draws the plot with its legend in a column to its right, where it can never
// hide a data point, and returns the SVG ready to inline.
func renderSVG(p *plot.Plot, legend *plot.Legend, names []string, label string) (template.HTML, error) {
	c := vgsvg.New(vg.Points(chartW), vg.Points(chartH))
	dc := draw.New(c)
	legendW := legend.ThumbnailWidth + 2*legend.TextStyle.Width(" ")
	for _, name := range names {
		legendW = max(legendW, legend.ThumbnailWidth+legend.TextStyle.Width(" "+name+"  "))
	}
	p.Draw(draw.Crop(dc, 0, -legendW, 0, 0))
	legend.Draw(draw.Crop(dc, vg.Points(chartW)-legendW+4, 0, 0, -24))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", err
	}
	return inlineSVG(buf.String(), label), nil
}

var (
	svgNamespaces = regexp.MustCompile(`\s+xmlns(:xlink)?="[^"]*"`)
	svgFontFamily = regexp.MustCompile(`font-family:Liberation (Sans|Serif|Mono);`)
)

// inlineSVG adapts a standalone SVG document for inlining in HTML: no XML prolog, no
// namespace declarations (the HTML parser supplies them, and the page then names no URL at
// all), a class for the page's CSS, an accessible name, and font fallbacks for machines
// without the Liberation fonts gonum/plot measured the text with.
func inlineSVG(doc, label string) template.HTML {
	if i := strings.Index(doc, "<svg"); i >= 0 {
		doc = doc[i:]
	}
	if end := strings.Index(doc, ">"); end > 0 {
		doc = svgNamespaces.ReplaceAllString(doc[:end], "") + doc[end:]
	}
	doc = strings.Replace(doc, "<svg", `<svg class="chart" role="img" aria-label="`+html.EscapeString(label)+`"`, 1)
	doc = svgFontFamily.ReplaceAllStringFunc(doc, func(m string) string {
		generic := map[string]string{"Sans": "Arial,Helvetica,sans-serif", "Serif": "serif", "Mono": "monospace"}
		v := svgFontFamily.FindStringSubmatch(m)[1]
		return "font-family:'Liberation " + v + "'," + generic[v] + ";"
	})
	// gonum/plot escapes the text it draws (html.EscapeString), so the document is safe
	// to trust as HTML.
	return template.HTML(doc)
}

// sans switches a text style to Liberation Sans, which reads better than the default serif
// at small sizes.
func sans(s *text.Style, size vg.Length) {
	s.Font.Typeface, s.Font.Variant, s.Font.Size = "Liberation", "Sans", size
}
