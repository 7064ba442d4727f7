package zmtp

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// The libzmq side of the interop tests: testdata/pyzmq_peer.py run by /usr/bin/python3,
// which has pyzmq with libzmq 4.3.4 and CURVE (the first python3 on PATH has no zmq).
const systemPython = "/usr/bin/python3"

var (
	pyzmqOnce   sync.Once
	pyzmqReason string
)

// needPyzmq skips the test with the reason when /usr/bin/python3 cannot import zmq with
// CURVE support.
func needPyzmq(t *testing.T) {
	t.Helper()
	pyzmqOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, systemPython, "-c", "import zmq; assert zmq.has('curve'); print(zmq.zmq_version())").CombinedOutput()
		if err != nil {
			pyzmqReason = fmt.Sprintf("%s cannot import zmq with CURVE (%v): %s", systemPython, err, strings.TrimSpace(string(out)))
		}
	})
	if pyzmqReason != "" {
		t.Skip(pyzmqReason)
	}
}

// pyEvent is one line the peer printed.
type pyEvent struct {
	Event       string   `json:"event"`
	Endpoint    string   `json:"endpoint"`
	Frames      []string `json:"frames"`
	Mechanism   string   `json:"mechanism"`
	Status      string   `json:"status"`
	Name        string   `json:"name"`
	Value       int      `json:"value"`
	Credentials []string `json:"credentials"`
	Zmq         string   `json:"zmq"`
}

func (e pyEvent) frames() []string {
	var out []string
	for _, f := range e.Frames {
		b, _ := hex.DecodeString(f)
		out = append(out, string(b))
	}
	return out
}

// pyPeer is a running pyzmq_peer.py.
type pyPeer struct {
	t        *testing.T
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	events   chan pyEvent
	Endpoint string
	mu       sync.Mutex
	seen     []pyEvent
	stderr   strings.Builder
}

// startPy starts the peer with args and waits for its "ready" line.
func startPy(t *testing.T, ctx context.Context, args ...string) *pyPeer {
	t.Helper()
	needPyzmq(t)
	p := &pyPeer{t: t, events: make(chan pyEvent, 256)}
	p.cmd = exec.Command(systemPython, append([]string{"testdata/pyzmq_peer.py"}, args...)...)
	p.cmd.Stderr = &p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.events)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var e pyEvent
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				p.mu.Lock()
				p.seen = append(p.seen, e)
				p.mu.Unlock()
				p.events <- e
			}
		}
	}()
	t.Cleanup(p.stop)
	ready := p.wait(ctx, func(e pyEvent) bool { return e.Event == "ready" })
	p.Endpoint = ready.Endpoint
	return p
}

// stop asks the peer to quit and kills it if it does not within 5 s.
func (p *pyPeer) stop() {
	_, _ = io.WriteString(p.stdin, `{"quit": true}`+"\n")
	p.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
	for range p.events {
	}
	if p.t.Failed() {
		p.t.Logf("pyzmq peer %v\nevents: %+v\nstderr: %s", p.cmd.Args[2:], p.Events(), p.stderr.String())
	}
}

// wait returns the first event so far or to come that matches fn, failing the test at
// ctx's end. Events are facts about the peer's life: matching includes those already seen.
func (p *pyPeer) wait(ctx context.Context, fn func(pyEvent) bool) pyEvent {
	p.t.Helper()
	e, ok := p.find(ctx.Done(), nil, fn)
	if !ok {
		p.t.Fatalf("pyzmq peer: no matching event before the deadline (or it exited); seen %+v\nstderr: %s", p.Events(), p.stderr.String())
	}
	return e
}

// waitFor is wait with its own bound, reporting whether it matched.
func (p *pyPeer) waitFor(d time.Duration, fn func(pyEvent) bool) (pyEvent, bool) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	return p.find(nil, timer.C, fn)
}

// find scans the events seen so far, then waits for new ones until done or timeout fires.
func (p *pyPeer) find(done <-chan struct{}, timeout <-chan time.Time, fn func(pyEvent) bool) (pyEvent, bool) {
	checked := 0
	for {
		p.mu.Lock()
		seen := p.seen[checked:]
		checked = len(p.seen)
		p.mu.Unlock()
		for _, e := range seen {
			if fn(e) {
				return e, true
			}
		}
		select {
		case _, ok := <-p.events:
			if !ok {
				p.mu.Lock()
				rest := p.seen[checked:]
				p.mu.Unlock()
				for _, e := range rest {
					if fn(e) {
						return e, true
					}
				}
				return pyEvent{}, false
			}
		case <-done:
			return pyEvent{}, false
		case <-timeout:
			return pyEvent{}, false
		}
	}
}

// Events are all events so far.
func (p *pyPeer) Events() []pyEvent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]pyEvent(nil), p.seen...)
}

// send asks the peer to send one message.
func (p *pyPeer) send(frames ...string) {
	var hx []string
	for _, f := range frames {
		hx = append(hx, hex.EncodeToString([]byte(f)))
	}
	b, _ := json.Marshal(map[string]any{"send": hx})
	if _, err := p.stdin.Write(append(b, '\n')); err != nil {
		p.t.Fatalf("pyzmq peer stdin: %v", err)
	}
}

func isRecv(frames ...string) func(pyEvent) bool {
	return func(e pyEvent) bool {
		return e.Event == "recv" && strings.Join(e.frames(), "\x00") == strings.Join(frames, "\x00")
	}
}

func isMonitor(name string) func(pyEvent) bool {
	return func(e pyEvent) bool { return e.Event == "monitor" && e.Name == name }
}
