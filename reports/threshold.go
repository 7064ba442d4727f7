package reports

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseThreshold reads a regression threshold written "10%" or "0.1". A bare number of 1
// or more is refused rather than guessed at: "10" could mean 10 % or 1000 %.
func ParseThreshold(s string) (float64, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(t, "%")), 64)
	switch {
	case err != nil:
		return 0, fmt.Errorf("threshold %q: want a percentage (10%%) or a fraction (0.1)", s)
	case pct:
		v /= 100
	case v >= 1:
		return 0, fmt.Errorf("threshold %q: a fraction must be below 1; did you mean %s%%?", s, t)
	}
	if v < 0 || v != v {
		return 0, fmt.Errorf("threshold %q: must not be negative", s)
	}
	return v, nil
}
