package harness_test

import (
	"strings"
	"testing"

	"github.com/zmqsuite/zmqsuite/harness"
)

// A Go crash with a long goroutine dump must still show its headline: the tail alone would
// end in a stack frame.
func TestStderrKeepsTheCrashHeadline(t *testing.T) {
	b := harness.NewTailBuffer(256)
	b.Write([]byte("starting\nfatal error: runt"))
	b.Write([]byte("ime: out of memory\n\ngoroutine 1 [running]:\n"))
	for i := 0; i < 100; i++ {
		b.Write([]byte("main.f(...)\n\t/src/main.go:12 +0x1f\n"))
	}
	got := b.String()
	if !strings.HasPrefix(got, "fatal error: runtime: out of memory\n…\n") {
		t.Errorf("the headline is gone: %q", got[:80])
	}
	if !strings.HasSuffix(got, "+0x1f\n") {
		t.Errorf("the tail is gone")
	}
}
