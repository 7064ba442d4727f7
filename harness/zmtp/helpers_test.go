package zmtp

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// testCtx bounds a test.
func testCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// serveOne accepts one connection on l with a full handshake and hands it to fn in a
// goroutine; the returned channel gives fn's error (or the handshake's).
func serveOne(ctx context.Context, l *Listener, fn func(*Conn) error) <-chan error {
	ch := make(chan error, 1)
	go func() {
		c, err := l.Accept(ctx)
		if err != nil {
			ch <- err
			return
		}
		defer c.Close()
		ch <- fn(c)
	}()
	return ch
}

// noLeak fails the test when goroutines started during it are still running shortly after.
func noLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Errorf("goroutines: %d before, %d after\n%s", before, n, buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
