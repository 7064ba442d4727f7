package reports

import (
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot"
)

// sizeTicks labels the message-size axis at the sizes measured, in the units the
// benchmarks are named with (64 B, 1 KiB), rather than at powers of ten nobody measured.
func sizeTicks(sizes []float64) plot.ConstantTicks {
	sort.Float64s(sizes)
	var ticks plot.ConstantTicks
	for i, s := range sizes {
		if i == 0 || s != sizes[i-1] {
			ticks = append(ticks, plot.Tick{Value: s, Label: sizeLabel(int(s))})
		}
	}
	return ticks
}

// siLogTicks marks a log axis at 1, 2 and 5 of every decade, labelled with SI suffixes
// (10k, 2M): the default ticker prints only powers of ten, in exponent notation, which on
// a range narrower than a decade leaves the axis unlabelled.
type siLogTicks struct{}

func (siLogTicks) Ticks(min, max float64) []plot.Tick {
	if min <= 0 || max <= min {
		return nil
	}
	var ticks []plot.Tick
	steps := []float64{1, 2, 5}
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		decade := math.Pow(10, e)
		for m := 1.0; m < 10; m++ {
			v := m * decade
			if v < min || v > max {
				continue
			}
			t := plot.Tick{Value: v}
			for _, s := range steps {
				if m == s {
					t.Label = tickLabel(v)
				}
			}
			ticks = append(ticks, t)
		}
	}
	// A range narrower than 1–2–5 steps labels every tick, so the axis is never mute.
	labelled := 0
	for _, t := range ticks {
		if t.Label != "" {
			labelled++
		}
	}
	if labelled < 2 {
		for i := range ticks {
			ticks[i].Label = tickLabel(ticks[i].Value)
		}
	}
	// Wide ranges keep labels at the decades only, so they do not collide.
	if math.Log10(max/min) > 3 {
		for i := range ticks {
			if m := ticks[i].Value / math.Pow(10, math.Floor(math.Log10(ticks[i].Value)+1e-9)); math.Abs(m-1) > 1e-9 {
				ticks[i].Label = ""
			}
		}
	}
	return ticks
}

// tickLabel is si without trailing zeros: an axis reads "1M", not "1.00M".
func tickLabel(v float64) string {
	s := si(v)
	num := strings.TrimRight(s, "kMGT")
	if strings.Contains(num, ".") {
		num = strings.TrimRight(strings.TrimRight(num, "0"), ".")
	}
	return num + s[len(strings.TrimRight(s, "kMGT")):]
}
