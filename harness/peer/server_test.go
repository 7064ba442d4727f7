package peer_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/impl/gozmq"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// served is peer.Serve running a real go-zeromq backend in this process, driven line by
// line as the harness drives a peer process.
type served struct {
	t    *testing.T
	in   *io.PipeWriter
	out  chan []byte
	done chan error
	id   int64
}

func serve(t *testing.T) *served {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := &served{t: t, in: inW, out: make(chan []byte, 16), done: make(chan error, 1)}
	go func() {
		err := peer.Serve(inR, outW, gozmq.New())
		_ = outW.Close()
		s.done <- err
	}()
	go func() {
		r := bufio.NewReaderSize(outR, 1<<20)
		for {
			line, err := r.ReadBytes('\n')
			if len(line) > 0 {
				s.out <- line
			}
			if err != nil {
				close(s.out)
				return
			}
		}
	}()
	t.Cleanup(func() {
		// quit closes the sockets: go-zeromq's inproc names are process-wide, and the next
		// test (or -count run) binds them again.
		if !t.Failed() {
			s.ok(peer.Request{Op: peer.OpQuit})
		}
		_ = inW.Close()
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after the end of its input")
		}
	})
	return s
}

// call sends req and returns the reply, failing the test after 15 s.
func (s *served) call(req peer.Request) peer.Reply {
	s.t.Helper()
	s.id++
	req.ID = s.id
	line, err := json.Marshal(req)
	if err != nil {
		s.t.Fatal(err)
	}
	s.raw(string(line))
	return s.reply()
}

func (s *served) raw(line string) {
	s.t.Helper()
	if _, err := io.WriteString(s.in, line+"\n"); err != nil {
		s.t.Fatalf("write request: %v", err)
	}
}

func (s *served) reply() peer.Reply {
	s.t.Helper()
	select {
	case line, ok := <-s.out:
		if !ok {
			s.t.Fatal("Serve closed its output")
		}
		var rep peer.Reply
		if err := json.Unmarshal(line, &rep); err != nil {
			s.t.Fatalf("reply %q: %v", line, err)
		}
		return rep
	case <-time.After(15 * time.Second):
		s.t.Fatal("no reply within 15 s")
	}
	return peer.Reply{}
}

func (s *served) ok(req peer.Request) peer.Reply {
	s.t.Helper()
	rep := s.call(req)
	if !rep.OK {
		s.t.Fatalf("%s: %v", req.Op, rep.Error)
	}
	return rep
}

func (s *served) category(req peer.Request) string {
	s.t.Helper()
	rep := s.call(req)
	if rep.OK || rep.Error == nil {
		s.t.Fatalf("%s: succeeded, want an error", req.Op)
	}
	return rep.Error.Category
}

// pair returns a bound and a connected PAIR over inproc.
func (s *served) pair(name string) (string, string) {
	a := s.ok(peer.Request{Op: peer.OpSocket, Type: "PAIR"}).Socket
	ep := s.ok(peer.Request{Op: peer.OpBind, Socket: a, Endpoint: "inproc://" + name}).Endpoint
	b := s.ok(peer.Request{Op: peer.OpSocket, Type: "PAIR"}).Socket
	s.ok(peer.Request{Op: peer.OpConnect, Socket: b, Endpoint: ep})
	return a, b
}

func TestServePing(t *testing.T) {
	s := serve(t)
	rep := s.ok(peer.Request{Op: peer.OpPing})
	if rep.Hello != nil || rep.Socket != "" {
		t.Fatalf("ping answered more than ok: %+v", rep)
	}
}

// Requests without the fields their op needs are protocol errors, decided before the backend
// sees an empty endpoint or name (which go-zeromq would refuse as inval).
func TestServeRequiredFields(t *testing.T) {
	s := serve(t)
	sock := s.ok(peer.Request{Op: peer.OpSocket, Type: "PAIR"}).Socket
	plan := &peer.Plan{Count: 1, Size: 1}
	for _, c := range []struct {
		req  peer.Request
		want string
	}{
		{peer.Request{Op: "frobnicate"}, `unknown op "frobnicate"`},
		{peer.Request{Op: peer.OpSocket}, `socket: missing "type"`},
		{peer.Request{Op: peer.OpBind, Socket: sock}, `bind: missing "endpoint"`},
		{peer.Request{Op: peer.OpConnect, Socket: sock}, `connect: missing "endpoint"`},
		{peer.Request{Op: peer.OpUnbind, Socket: sock}, `unbind: missing "endpoint"`},
		{peer.Request{Op: peer.OpDisconnect, Socket: sock}, `disconnect: missing "endpoint"`},
		{peer.Request{Op: peer.OpSetOpt, Socket: sock, Value: 1}, `setopt: missing "name"`},
		{peer.Request{Op: peer.OpSetOpt, Socket: sock, Name: "linger"}, `setopt: missing "value"`},
		{peer.Request{Op: peer.OpGetOpt, Socket: sock}, `getopt: missing "name"`},
		{peer.Request{Op: peer.OpSend, Socket: sock}, `send: missing "frames"`},
		{peer.Request{Op: peer.OpSend, Frames: [][]byte{{1}}}, `send: missing "socket"`},
		{peer.Request{Op: peer.OpRecv, Socket: "s999"}, `unknown socket "s999"`},
		{peer.Request{Op: peer.OpSendBatch, Socket: sock, Plan: plan, Messages: [][][]byte{{{1}}}}, `both "plan" and "messages"`},
		{peer.Request{Op: peer.OpBench, Socket: sock}, `bench: missing "bench"`},
		{peer.Request{Op: peer.OpWait}, `wait: missing "job"`},
		{peer.Request{Op: peer.OpCancel}, `cancel: missing "job"`},
		{peer.Request{Op: peer.OpHello, Async: true}, `cannot run async`},
		{peer.Request{Op: peer.OpSend, Socket: sock, Async: true}, `send: missing "frames"`},
	} {
		rep := s.call(c.req)
		if rep.OK || rep.Error == nil || rep.Error.Category != peer.ErrProtocol || !strings.Contains(rep.Error.Message, c.want) {
			t.Errorf("%+v: got %+v, want a protocol error saying %s", c.req, rep.Error, c.want)
		}
	}
	// A setopt of 0 or false has a value: only a missing one is refused.
	if cat := s.category(peer.Request{Op: peer.OpSetOpt, Socket: sock, Name: "linger", Value: 0}); cat != peer.ErrUnsupported {
		t.Errorf("setopt linger=0 on go-zeromq: %s, want unsupported (it has no linger)", cat)
	}
	// An unknown job is not a malformed request: the harness's control round trip uses it.
	if cat := s.category(peer.Request{Op: peer.OpWait, Job: -1}); cat != peer.ErrInval {
		t.Errorf("wait for job -1: %s, want inval", cat)
	}
	s.ok(peer.Request{Op: peer.OpPing}) // still serving
}

func TestServeUnknownOptionIsUnsupported(t *testing.T) {
	s := serve(t)
	sock := s.ok(peer.Request{Op: peer.OpSocket, Type: "DEALER"}).Socket
	if cat := s.category(peer.Request{Op: peer.OpSetOpt, Socket: sock, Name: "zmqsuite_no_such_option", Value: 1}); cat != peer.ErrUnsupported {
		t.Errorf("setopt of an unknown option: %s, want unsupported", cat)
	}
	if cat := s.category(peer.Request{Op: peer.OpGetOpt, Socket: sock, Name: "zmqsuite_no_such_option"}); cat != peer.ErrUnsupported {
		t.Errorf("getopt of an unknown option: %s, want unsupported", cat)
	}
}

func TestServeDigest(t *testing.T) {
	s := serve(t)
	a, b := s.pair("digest")
	plan := peer.Plan{Count: 50, Start: 41200, Sizes: []int{3, 12, 40}, Prefix: [][]byte{[]byte("t")}}
	// go-zeromq's inproc does not queue without a reader: send while the receiver runs.
	recv := s.ok(peer.Request{Op: peer.OpRecvBatch, Socket: a, Count: 50, Digest: true, Async: true, TimeoutMS: peer.Ptr[int64](5000)}).Job
	if rep := s.ok(peer.Request{Op: peer.OpSendBatch, Socket: b, Plan: &plan, TimeoutMS: peer.Ptr[int64](5000)}); rep.Sent != 50 {
		t.Fatalf("sent %d", rep.Sent)
	}
	rep := s.ok(peer.Request{Op: peer.OpWait, Job: recv, TimeoutMS: peer.Ptr[int64](5000)})
	if rep.Messages != nil {
		t.Fatalf("digest mode answered %d messages too", len(rep.Messages))
	}
	ds, err := peer.DecodeDigests(rep.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 50 {
		t.Fatalf("%d digests", len(ds))
	}
	for i, d := range ds {
		if want := peer.DigestOf(plan.Message(i)); d != want {
			t.Fatalf("message %d: %v, want %v", i, d, want)
		}
		if d.Seq != uint64(41200+i) {
			t.Fatalf("message %d: seq %d", i, d.Seq)
		}
	}

	// Partial results on timeout: the digests of what arrived, and the error.
	s.ok(peer.Request{Op: peer.OpSend, Socket: b, Frames: [][]byte{[]byte("x")}, TimeoutMS: peer.Ptr[int64](1000)})
	s.ok(peer.Request{Op: peer.OpSend, Socket: b, Frames: [][]byte{{}, filled(12, 7, 0)}, TimeoutMS: peer.Ptr[int64](1000)})
	start := time.Now()
	rep = s.call(peer.Request{Op: peer.OpRecvBatch, Socket: a, Count: 3, Digest: true, TimeoutMS: peer.Ptr[int64](200)})
	if rep.OK || rep.Error.Category != peer.ErrAgain {
		t.Fatalf("partial recv_batch: %+v", rep)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > 5*time.Second {
		t.Errorf("partial recv_batch took %v with a 200 ms timeout", d)
	}
	want := peer.AppendDigest(peer.AppendDigest(nil, [][]byte{[]byte("x")}), [][]byte{{}, filled(12, 7, 0)})
	if !bytes.Equal(rep.Digest, want) {
		t.Fatalf("partial digest %x, want %x", rep.Digest, want)
	}

	// As an async job.
	job := s.ok(peer.Request{Op: peer.OpRecvBatch, Socket: a, Count: 2, Digest: true, Async: true, TimeoutMS: peer.Ptr[int64](5000)}).Job
	msgs := [][][]byte{{[]byte("one")}, {filled(30, 9, 0), filled(12, 10, 1)}}
	s.ok(peer.Request{Op: peer.OpSendBatch, Socket: b, Messages: msgs, TimeoutMS: peer.Ptr[int64](1000)})
	rep = s.ok(peer.Request{Op: peer.OpWait, Job: job, TimeoutMS: peer.Ptr[int64](5000)})
	if want := peer.AppendDigest(peer.AppendDigest(nil, msgs[0]), msgs[1]); !bytes.Equal(rep.Digest, want) {
		t.Fatalf("async digest %x, want %x", rep.Digest, want)
	}
}
