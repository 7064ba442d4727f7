package harness

import (
	"errors"
	"fmt"
	"strings"

	"github.com/onsi/gomega"
)

// Rows runs the rows of a table case in one cell: each row's failure — a failed Gomega
// assertion, a refused step (*StepError) or a returned error — becomes that row's error and
// the next row still runs; a fault (the peer crashed or hung) or a skip (*Unsupported) ends the
// cell, since a dead peer or a missing capability is not one row's result. Err reports every
// failed row at the end.
type Rows struct {
	names  []string
	failed []string
}

// Run runs one row.
func (r *Rows) Run(name string, row func() error) {
	r.names = append(r.names, name)
	if err := Row(row); err != nil {
		r.failed = append(r.failed, name+": "+err.Error())
	}
}

// Fail records a row that failed without running (the reason says why it was not tried).
func (r *Rows) Fail(name, why string) {
	r.names = append(r.names, name)
	r.failed = append(r.failed, name+": "+why)
}

// Failed returns the failed rows, one line each.
func (r *Rows) Failed() []string { return r.failed }

// Err is nil when every row passed, else one error naming each failed row.
func (r *Rows) Err() error {
	if len(r.failed) == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d rows failed: %s", len(r.failed), len(r.names), strings.Join(r.failed, "; "))
}

// Row runs one row of a table and returns its failure: the error it returned, a Gomega
// assertion that failed in it (which ends the row where it failed), or a refused step; faults
// and skips go on up to end the cell.
func Row(row func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			var se *StepError
			if e, ok := r.(error); ok && errors.As(e, &se) {
				err = se
				return
			}
			panic(r)
		}
	}()
	var rowErr error
	// A multi-line Gomega failure ("Expected\n    <int>: 3\nto equal\n    <int>: 4") becomes
	// one line, so that a table's failures read one row per line.
	if failure := gomega.InterceptGomegaFailure(func() { rowErr = row() }); failure != nil {
		return errors.New(strings.Join(strings.Fields(failure.Error()), " "))
	}
	return rowErr
}
