package harness

import (
	"errors"
	"strings"
	"testing"

	"github.com/onsi/gomega"
)

func TestRowsIsolateFailures(t *testing.T) {
	gomega.RegisterTestingT(t) // cases run with Ginkgo's handler; Row intercepts whichever is set
	var rows Rows
	ran := 0
	rows.Run("a failed assertion", func() error {
		ran++
		gomega.Expect(3).To(gomega.Equal(4), "three is not four")
		t.Error("a failed Expect must end its row")
		return nil
	})
	rows.Run("a refused step", func() error {
		ran++
		panic(&StepError{Step: "bind x", Err: errors.New("inval: bad endpoint")})
	})
	rows.Run("a returned error", func() error { ran++; return errors.New("lost message 7") })
	rows.Run("a pass", func() error { ran++; return nil })
	rows.Fail("not tried", "the connect already failed")
	if ran != 4 {
		t.Fatalf("%d rows ran, want 4", ran)
	}
	f := rows.Failed()
	if len(f) != 4 {
		t.Fatalf("failed rows %q, want 4", f)
	}
	for i, want := range []string{"a failed assertion: three is not four Expected <int>: 3 to equal <int>: 4",
		"a refused step: bind x: inval: bad endpoint", "a returned error: lost message 7", "not tried: the connect already failed"} {
		if f[i] != want {
			t.Errorf("row %d: %q, want %q", i, f[i], want)
		}
	}
	if err := rows.Err(); err == nil || !strings.HasPrefix(err.Error(), "4 of 5 rows failed: ") {
		t.Errorf("Err() = %v", err)
	}
	var none Rows
	none.Run("ok", func() error { return nil })
	if none.Err() != nil {
		t.Error("no failed row, no error")
	}
}

func TestRowLetsFaultsAndSkipsEndTheCell(t *testing.T) {
	for _, p := range []any{&Fault{Kind: FaultCrash, Impl: "gozmq"}, &Unsupported{Impl: "gozmq", What: "option conflate"}, "a harness bug"} {
		func() {
			defer func() {
				if r := recover(); r != p {
					t.Errorf("recovered %v, want %v to go on up", r, p)
				}
			}()
			_ = Row(func() error { panic(p) })
			t.Errorf("Row returned after %v", p)
		}()
	}
}
