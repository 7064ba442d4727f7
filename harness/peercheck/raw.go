package peercheck

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// rawPeer is the peer command started directly, for the few checks that need what
// harness.Peer hides: the reply line as written (field types), and the exit status after
// quit or after the end of its input. It gets the environment StartPeer gives.
type rawPeer struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	lines   chan []byte
	exited  chan struct{}
	exitErr error
	stderr  *tail
}

// tail keeps the end of a peer's stderr.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 8<<10 {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-8<<10:]...)
	}
	return len(p), nil
}

// last is the last non-empty line written.
func (t *tail) last() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(string(t.buf)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func startRaw(argv, env []string) (*rawPeer, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	// A wrapper script's children may hold stderr open after it is killed: do not wait for
	// them longer than this.
	cmd.WaitDelay = 2 * time.Second
	r := &rawPeer{cmd: cmd, lines: make(chan []byte, 16), exited: make(chan struct{}), stderr: &tail{}}
	cmd.Stderr = r.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	r.stdin = stdin
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %q: %w", strings.Join(argv, " "), err)
	}
	go func() {
		br := bufio.NewReaderSize(stdout, 1<<20)
		for {
			line, err := br.ReadBytes('\n')
			if len(bytes.TrimSpace(line)) > 0 {
				r.lines <- line
			}
			if err != nil {
				close(r.lines)
				return
			}
		}
	}()
	go func() {
		r.exitErr = cmd.Wait()
		close(r.exited)
	}()
	return r, nil
}

// request writes one request line.
func (r *rawPeer) request(req map[string]any) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	_, err = r.stdin.Write(append(b, '\n'))
	return err
}

var errNoLine = errors.New("no line")

// line returns the next stdout line, or an error saying why there is none within timeout.
func (r *rawPeer) line(timeout time.Duration) ([]byte, error) {
	select {
	case l, ok := <-r.lines:
		if !ok {
			return nil, fmt.Errorf("%w: the peer closed its stdout (%s)", errNoLine, r.status(time.Second))
		}
		return l, nil
	case <-time.After(timeout):
		return nil, fmt.Errorf("%w: no reply within %v", errNoLine, timeout)
	}
}

// call writes req and decodes the reply line, keeping numbers as json.Number so integer
// fields can be told from floats.
func (r *rawPeer) call(req map[string]any, timeout time.Duration) (map[string]any, []byte, error) {
	if err := r.request(req); err != nil {
		return nil, nil, fmt.Errorf("write %v request: %w (%s)", req["op"], err, r.status(time.Second))
	}
	l, err := r.line(timeout)
	if err != nil {
		return nil, nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(l))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, l, fmt.Errorf("reply %q is not a JSON object: %v", truncate(l), err)
	}
	return m, l, nil
}

// status says whether and how the process ended, waiting up to d for it.
func (r *rawPeer) status(d time.Duration) string {
	code, ok := r.exitCode(d)
	switch {
	case !ok:
		return "still running"
	case code < 0:
		return "killed: " + r.exitErr.Error()
	}
	return fmt.Sprintf("exit status %d", code)
}

// exitCode waits up to d for the process to end and returns its exit status (-1 when a
// signal ended it); ok is false if it is still running.
func (r *rawPeer) exitCode(d time.Duration) (code int, ok bool) {
	select {
	case <-r.exited:
	case <-time.After(d):
		return 0, false
	}
	var ee *exec.ExitError
	if errors.As(r.exitErr, &ee) {
		return ee.ExitCode(), true
	}
	if r.exitErr != nil {
		return -1, true
	}
	return 0, true
}

// kill ends the process if it still runs, and waits for it.
func (r *rawPeer) kill() {
	select {
	case <-r.exited:
		return
	default:
	}
	_ = r.cmd.Process.Kill()
	<-r.exited
}

func truncate(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 160 {
		return s[:160] + "…"
	}
	return s
}
