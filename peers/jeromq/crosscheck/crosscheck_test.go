// Package crosscheck pipes plans through the JeroMQ peer (peers/jeromq) and compares what
// arrives with the Go reference, harness/peer's Plan.Message and Fill, byte for byte, and the
// digest mode of recv_batch with a digest computed here. It needs java and the compiled peer:
// without them it skips, unless ZMQSUITE_JEROMQ_REQUIRED is set (peers/jeromq/test.sh sets it).
package crosscheck

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// client speaks the peer protocol with maps, so that fields the Go structs do not have yet
// (digest) can be sent too.
type client struct {
	t   *testing.T
	cmd *exec.Cmd
	in  *bufio.Writer
	out *bufio.Scanner
	id  int64
}

func start(t *testing.T) *client {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Dir(filepath.Dir(file)) // peers/jeromq
	classes := filepath.Join(dir, "build", "classes", "zmqsuite", "jeromq", "Main.class")
	_, jerr := exec.LookPath("java")
	_, cerr := os.Stat(classes)
	if jerr != nil || cerr != nil {
		msg := fmt.Sprintf("JeroMQ peer not available (java: %v, classes: %v): run bash peers/jeromq/deps.sh", jerr, cerr)
		if os.Getenv("ZMQSUITE_JEROMQ_REQUIRED") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cmd := exec.Command("bash", filepath.Join(dir, "run.sh"))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	c := &client{t: t, cmd: cmd, in: bufio.NewWriter(stdin), out: sc}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return c
}

// call sends one request and returns its reply; the whole exchange is bounded.
func (c *client) call(req map[string]any) map[string]any {
	c.t.Helper()
	c.id++
	req["id"] = c.id
	line, _ := json.Marshal(req)
	if _, err := c.in.Write(append(line, '\n')); err != nil {
		c.t.Fatal(err)
	}
	if err := c.in.Flush(); err != nil {
		c.t.Fatal(err)
	}
	got := make(chan map[string]any, 1)
	go func() {
		var rep map[string]any
		if c.out.Scan() {
			if err := json.Unmarshal(c.out.Bytes(), &rep); err != nil {
				rep = map[string]any{"garbage": c.out.Text()}
			}
		}
		got <- rep
	}()
	select {
	case rep := <-got:
		if rep == nil || rep["garbage"] != nil {
			c.t.Fatalf("%v: no reply (%v)", req["op"], rep)
		}
		if id, _ := rep["id"].(float64); int64(id) != c.id {
			c.t.Fatalf("%v: reply id %v, want %d", req["op"], rep["id"], c.id)
		}
		return rep
	case <-time.After(60 * time.Second):
		c.t.Fatalf("%v: no reply within 60 s", req["op"])
	}
	return nil
}

func (c *client) must(req map[string]any) map[string]any {
	c.t.Helper()
	rep := c.call(req)
	if rep["ok"] != true {
		c.t.Fatalf("%v: %v", req["op"], rep["error"])
	}
	return rep
}

// pair returns a bound and a connected PAIR over inproc in one context.
func (c *client) pair(name string) (string, string) {
	a := c.must(map[string]any{"op": "socket", "type": "PAIR"})["socket"].(string)
	b := c.must(map[string]any{"op": "socket", "type": "PAIR"})["socket"].(string)
	ep := "inproc://crosscheck-" + name
	c.must(map[string]any{"op": "bind", "socket": a, "endpoint": ep})
	c.must(map[string]any{"op": "connect", "socket": b, "endpoint": ep})
	return a, b
}

// transfer sends plan from b and receives it on a; returns the recv_batch reply.
func (c *client) transfer(a, b string, plan peer.Plan, digest bool) map[string]any {
	c.t.Helper()
	recv := map[string]any{"op": "recv_batch", "socket": a, "count": plan.Count, "timeout_ms": 5000, "async": true}
	if digest {
		recv["digest"] = true
	}
	rj := c.must(recv)["job"]
	sj := c.must(map[string]any{"op": "send_batch", "socket": b, "plan": plan, "timeout_ms": 5000, "async": true})["job"]
	sent := c.must(map[string]any{"op": "wait", "job": sj, "timeout_ms": 30000})
	if int(sent["sent"].(float64)) != plan.Count {
		c.t.Fatalf("sent %v of %d", sent["sent"], plan.Count)
	}
	return c.must(map[string]any{"op": "wait", "job": rj, "timeout_ms": 30000})
}

var plans = map[string]peer.Plan{
	"one frame of 14": {Count: 3, Start: 1, Size: 14},
	"short frames":    {Count: 5, Start: 7, Frames: 3, Size: 5},
	"mixed sizes":     {Count: 4, Start: 41206, Sizes: []int{0, 11, 12, 300}},
	"prefix":          {Count: 3, Start: 9, Frames: 2, Size: 40, Prefix: [][]byte{[]byte("topic"), {}}},
	"large seq":       {Count: 2, Start: 1 << 40, Size: 1024},
}

func TestPlansMatchGoFill(t *testing.T) {
	c := start(t)
	if rep := c.must(map[string]any{"op": "hello"}); rep["hello"].(map[string]any)["protocol"].(float64) != peer.Version {
		t.Fatalf("protocol %v", rep["hello"])
	}
	c.must(map[string]any{"op": "ping"})
	for name, plan := range plans {
		a, b := c.pair(name)
		rep := c.transfer(a, b, plan, false)
		msgs := rep["messages"].([]any)
		if len(msgs) != plan.Count {
			t.Fatalf("%s: %d messages, want %d", name, len(msgs), plan.Count)
		}
		for i, m := range msgs {
			want := plan.Message(i)
			frames := m.([]any)
			if len(frames) != len(want) {
				t.Fatalf("%s: message %d has %d frames, want %d", name, i, len(frames), len(want))
			}
			for j, f := range frames {
				got, err := base64.StdEncoding.DecodeString(f.(string))
				if err != nil || !bytes.Equal(got, want[j]) {
					t.Fatalf("%s: message %d frame %d: got %x, want %x (%v)", name, i, j, got, want[j], err)
				}
			}
		}
	}
}

// digest is the recv_batch digest of one message, computed from the specification.
func digest(m [][]byte) []byte {
	out := make([]byte, 16)
	seq := ^uint64(0)
	for _, f := range m {
		if len(f) >= 12 {
			seq = binary.BigEndian.Uint64(f)
			break
		}
	}
	h := crc32.NewIEEE()
	for _, f := range m {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(f)))
		h.Write(n[:])
		h.Write(f)
	}
	binary.BigEndian.PutUint64(out, seq)
	binary.BigEndian.PutUint32(out[8:], h.Sum32())
	binary.BigEndian.PutUint32(out[12:], uint32(len(m)))
	return out
}

func TestDigestMatchesGo(t *testing.T) {
	c := start(t)
	for name, plan := range plans {
		a, b := c.pair("digest-" + name)
		rep := c.transfer(a, b, plan, true)
		if _, has := rep["messages"]; has {
			t.Fatalf("%s: a digest reply carries messages", name)
		}
		got, err := base64.StdEncoding.DecodeString(rep["digest"].(string))
		if err != nil {
			t.Fatalf("%s: digest is not base64: %v", name, err)
		}
		var want []byte
		for i := 0; i < plan.Count; i++ {
			want = append(want, digest(plan.Message(i))...)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: digest\n got %x\nwant %x", name, got, want)
		}
	}
	// Partial results: 2 sent, 3 asked for: the digest of the 2 and an "again" error.
	a, b := c.pair("digest-partial")
	c.must(map[string]any{"op": "send_batch", "socket": b, "plan": peer.Plan{Count: 2, Size: 16}, "timeout_ms": 5000})
	rep := c.call(map[string]any{"op": "recv_batch", "socket": a, "count": 3, "timeout_ms": 300, "digest": true})
	if rep["ok"] != false || rep["error"].(map[string]any)["category"] != "again" {
		t.Fatalf("partial digest: want an again error, got %v", rep)
	}
	got, _ := base64.StdEncoding.DecodeString(rep["digest"].(string))
	p := peer.Plan{Count: 2, Size: 16}
	if want := append(digest(p.Message(0)), digest(p.Message(1))...); !bytes.Equal(got, want) {
		t.Fatalf("partial digest: got %x, want %x", got, want)
	}
}

// category is the error category of a reply, "" when it succeeded.
func category(rep map[string]any) string {
	if rep["ok"] == true {
		return ""
	}
	e, _ := rep["error"].(map[string]any)
	c, _ := e["category"].(string)
	return c
}

// TestProtocolBasics checks the peer's answers that do not depend on JeroMQ's behaviour: how
// malformed requests, unknown and closed handles, deadlines and jobs are answered.
func TestProtocolBasics(t *testing.T) {
	c := start(t)
	checks := []struct {
		what string
		req  map[string]any
		want string
	}{
		{"unknown op", map[string]any{"op": "frobnicate"}, "protocol"},
		{"unknown socket", map[string]any{"op": "recv", "socket": "s999", "timeout_ms": 0}, "protocol"},
		{"unknown socket type", map[string]any{"op": "socket", "type": "STREAM"}, "unsupported"},
		{"async control op", map[string]any{"op": "ping", "async": true}, "protocol"},
		{"unknown job", map[string]any{"op": "wait", "job": 4242, "timeout_ms": 0}, "inval"},
		{"ping", map[string]any{"op": "ping"}, ""},
	}
	for _, ch := range checks {
		if got := category(c.call(ch.req)); got != ch.want {
			t.Errorf("%s: category %q, want %q", ch.what, got, ch.want)
		}
	}
	s := c.must(map[string]any{"op": "socket", "type": "PULL"})["socket"].(string)
	for _, o := range []struct {
		name string
		want string
	}{{"probe_router", "unsupported"}, {"conflate", "unsupported"}, {"no_such_option", "unsupported"}} {
		if got := category(c.call(map[string]any{"op": "setopt", "socket": s, "name": o.name, "value": 1})); got != o.want {
			t.Errorf("setopt %s: category %q, want %q", o.name, got, o.want)
		}
	}
	c.must(map[string]any{"op": "setopt", "socket": s, "name": "rcvtimeo", "value": 250})
	if v := c.must(map[string]any{"op": "getopt", "socket": s, "name": "rcvtimeo"})["value"]; v != float64(250) {
		t.Errorf("getopt rcvtimeo: %v, want the 250 that was set", v)
	}
	if got := category(c.call(map[string]any{"op": "bind", "socket": s, "endpoint": "ipc:///tmp/zs-jeromq-x"})); got != "unsupported" {
		t.Errorf("bind ipc: category %q, want unsupported (JeroMQ 0.3.6 only emulates ipc over tcp)", got)
	}
	ep := c.must(map[string]any{"op": "bind", "socket": s, "endpoint": "tcp://127.0.0.1:*"})["endpoint"].(string)
	if ep == "tcp://127.0.0.1:*" || ep == "tcp://127.0.0.1:0" {
		t.Errorf("bind of a wildcard reported %q, not the real endpoint", ep)
	}
	// Deadlines: DONTWAIT and a short timeout both say again, within bounds.
	for _, ms := range []int{0, 200} {
		t0 := time.Now()
		rep := c.call(map[string]any{"op": "recv", "socket": s, "timeout_ms": ms})
		took := time.Since(t0)
		if category(rep) != "again" || took > time.Duration(ms)*time.Millisecond+2*time.Second ||
			took < time.Duration(ms)*time.Millisecond*3/4 {
			t.Errorf("recv timeout_ms %d: %v after %v, want again after about %d ms", ms, rep["error"], took, ms)
		}
	}
	// A job: started, still running, cancelled, then collected with its partial result.
	job := c.must(map[string]any{"op": "recv_batch", "socket": s, "count": 5, "timeout_ms": 10000, "async": true})["job"]
	if got := category(c.call(map[string]any{"op": "wait", "job": job, "timeout_ms": 50})); got != "again" {
		t.Errorf("wait on a running job: category %q, want again", got)
	}
	c.must(map[string]any{"op": "cancel", "job": job})
	rep := c.call(map[string]any{"op": "wait", "job": job, "timeout_ms": 5000})
	if category(rep) != "again" || rep["messages"] == nil {
		t.Errorf("cancelled recv_batch: %v, want an again error with the (empty) messages", rep)
	}
	// Closed handles are "closed", not unknown.
	c.must(map[string]any{"op": "close", "socket": s, "linger_ms": 0})
	if got := category(c.call(map[string]any{"op": "recv", "socket": s, "timeout_ms": 0})); got != "closed" {
		t.Errorf("recv on a closed socket: category %q, want closed", got)
	}
	if rep := c.call(map[string]any{"op": "quit"}); rep["ok"] != true {
		t.Errorf("quit: %v", rep)
	}
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the peer did not exit 0 after quit: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("the peer did not exit within 10 s of quit")
	}
}
