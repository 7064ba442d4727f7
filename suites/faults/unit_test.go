package faults_test

// Unit tests of the faults suite's own logic (make unit runs TestUnit* without the suite).

import "testing"

// splitsInOrder accepts the interleavings that n connections one after another can produce,
// and nothing more.
func TestUnitSplitsInOrder(t *testing.T) {
	for _, c := range []struct {
		name  string
		order []int
		parts int
		want  bool
	}{
		{"in order", []int{0, 1, 2, 3}, 1, true},
		{"a swap on one connection", []int{0, 2, 1, 3}, 1, false},
		{"a dead connection's leftovers after the next one's first", []int{0, 1, 5, 6, 2, 3, 7}, 2, true},
		{"leftovers interleaved with the next connection (fair queue)", []int{0, 5, 1, 6, 2, 7, 3}, 2, true},
		{"three connections interleaved", []int{0, 5, 1, 9, 6, 2, 10, 7}, 3, true},
		{"three connections need three ranges", []int{0, 5, 1, 9, 6, 2, 10, 7}, 2, false},
		{"a swap inside a range besides one boundary", []int{0, 2, 1, 5, 3, 6}, 2, false},
	} {
		if got := splitsInOrder(c.order, c.parts); got != c.want {
			t.Errorf("%s: splitsInOrder(%v, %d) = %v, want %v", c.name, c.order, c.parts, got, c.want)
		}
	}
}
