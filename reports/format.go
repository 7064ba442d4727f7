package reports

import (
	"fmt"
	"math"
	"strings"

	"github.com/zmqsuite/zmqsuite/harness"
)

// si formats a figure with three significant digits and an SI suffix (2.51M, 59.2, 1.23k):
// benchmark figures carry ±20 % noise, more digits would only suggest precision.
func si(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprint(v)
	}
	a := math.Abs(v)
	for _, u := range []struct {
		div    float64
		suffix string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		// 999.95k would print as "1e+03k": promote to the next unit first.
		if a >= u.div*0.9995 {
			return sig3(v/u.div) + u.suffix
		}
	}
	return sig3(v)
}

func sig3(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 99.95:
		return fmt.Sprintf("%.0f", v)
	case a >= 9.995:
		return fmt.Sprintf("%.1f", v)
	case a >= 0.9995:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// spread formats a Stat as "median [min–max]".
func spread(s *harness.Stat) string {
	if s == nil {
		return ""
	}
	return fmt.Sprintf("%s [%s–%s]", si(s.Median), si(s.Min), si(s.Max))
}

// median formats a Stat's median alone.
func median(s *harness.Stat) string {
	if s == nil {
		return ""
	}
	return si(s.Median)
}

// percentOf formats v as a percentage of ceiling, "" when there is no ceiling to compare with.
func percentOf(v, ceiling *harness.Stat) string {
	if v == nil || ceiling == nil || ceiling.Median <= 0 {
		return ""
	}
	return fmt.Sprintf("%.0f%%", 100*v.Median/ceiling.Median)
}

// sizeLabel formats a message size in bytes the way the benchmarks are named: 64 B, 1 KiB.
func sizeLabel(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// oneLine folds whitespace so a reason fits a table cell or a title attribute.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// tail keeps the last n lines of s: a stderr tail is read from the bottom.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
