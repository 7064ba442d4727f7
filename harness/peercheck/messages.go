package peercheck

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// diffMessage says how got differs from want, "" when it does not.
func diffMessage(got, want [][]byte) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d frames arrived, %d were sent (%s)", len(got), len(want), harness.Describe(got))
	}
	for i := range want {
		if bytes.Equal(got[i], want[i]) {
			continue
		}
		if len(got[i]) != len(want[i]) {
			return fmt.Sprintf("frame %d has %d bytes, %d were sent", i, len(got[i]), len(want[i]))
		}
		k := 0
		for got[i][k] == want[i][k] {
			k++
		}
		return fmt.Sprintf("frame %d byte %d is 0x%02x, 0x%02x was sent", i, k, got[i][k], want[i][k])
	}
	return ""
}

// payloads are the messages every transport must carry unchanged: frame boundaries, empty
// frames (which a careless base64 or JSON null handling loses), every byte value, and a frame
// larger than any line buffer a peer might assume.
func payloads() []struct {
	name string
	msg  [][]byte
} {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	big := make([]byte, 1<<20)
	peer.Fill(big, 1, 0)
	return []struct {
		name string
		msg  [][]byte
	}{
		{"multipart (3 frames)", harness.Msg("one", "two", "three")},
		{"one empty frame", [][]byte{{}}},
		{"empty frames around a full one", [][]byte{{}, []byte("middle"), {}}},
		{"all 256 byte values", [][]byte{all}},
		{"a 1 MiB frame", [][]byte{big}},
	}
}

// checkPayloads sends each payload over a fresh PAIR on every probed transport (the
// multipart one back the other way too), and judges the failures across transports. The
// peer's part (decoding the frames, passing them to the binding, encoding what it receives)
// does not depend on the transport: a payload that crosses one transport unchanged and fails
// on another has met the binding's transport, not the peer's code. Such a failure is a note
// (the conformance matrix records it as the binding's result; go-zeromq's inproc loses the
// bytes of frames of 256 bytes or more); a payload that fails on every transport is the peer's.
func checkPayloads(c *checkCtx) {
	var ts []string
	for _, t := range c.hello().Caps.Transports {
		if peer.Has(harness.Transports, t) {
			ts = append(ts, t)
		}
	}
	for _, p := range payloads() {
		failed := map[string]Finding{}
		var passed []string
		for _, t := range ts {
			f, ok, peersFault := payloadRoundTrip(c, t, p.name, p.msg)
			switch {
			case ok:
				passed = append(passed, t)
				continue
			case peersFault:
				c.add(f)
			default:
				failed[t] = f
			}
			// A failed round trip leaves the peer in an unknown state (go-zeromq's reader of
			// a corrupted inproc stream crashes a moment later, during the next request):
			// the next round trip gets a fresh peer, so no failure is blamed on another.
			c.discardPeer()
		}
		for _, t := range ts {
			f, bad := failed[t]
			if !bad {
				continue
			}
			if len(passed) == 0 {
				c.add(f)
				continue
			}
			c.note(f.Op, fmt.Sprintf("%s; the same payload crossed %s unchanged, so the binding's %s transport fails it, not the peer (the suite records it as the binding's result)",
				f.What, strings.Join(passed, " and "), t))
		}
	}
}

// payloadRoundTrip carries one payload over a fresh pair of transport t, and returns the
// finding when it does not arrive unchanged (the peer may have died: the next request starts
// a fresh one). peersFault says the failure cannot be the transport's: a recv that answers
// again long before its timeout_ms has not waited for the message.
func payloadRoundTrip(c *checkCtx, t, name string, msg [][]byte) (f Finding, ok, peersFault bool) {
	what := fmt.Sprintf("%s PAIR, %s", t, name)
	bound, conn, _ := c.pair(t)
	dirs := [][2]string{{conn, bound}}
	if len(msg) > 1 {
		dirs = append(dirs, [2]string{bound, conn})
	}
	for _, d := range dirs {
		_, we, fault := c.tryCall(peer.Request{Op: peer.OpSend, Socket: d[0], Frames: msg, TimeoutMS: ms(sendTimeout)}, sendTimeout)
		if bad, ok := roundTripFault(peer.OpSend, what, we, fault); !ok {
			return bad, false, false
		}
		rep, we, fault, took := c.tryTimed(peer.Request{Op: peer.OpRecv, Socket: d[1], TimeoutMS: ms(recvTimeout)}, recvTimeout)
		if bad, ok := roundTripFault(peer.OpRecv, what, we, fault); !ok {
			early := we != nil && we.Category == peer.ErrAgain && took < recvTimeout/2
			if early {
				bad.What += fmt.Sprintf(" after %v, with timeout_ms %d", took.Round(time.Millisecond), recvTimeout.Milliseconds())
				bad.Fix, bad.Anchor = "wait up to timeout_ms for the message", "deadlines-the-peer-enforces-them"
			}
			return bad, false, early
		}
		if diff := diffMessage(rep.Frames, msg); diff != "" {
			return Finding{Kind: Problem, Op: peer.OpRecv, Level: Mandatory, What: what + ": " + diff,
				Fix: "carry frames unchanged: standard base64 with padding, \"\" for an empty frame", Anchor: "framing"}, false, false
		}
	}
	return Finding{}, true, false
}

func roundTripFault(op, what string, we *peer.WireError, f *harness.Fault) (Finding, bool) {
	switch {
	case f != nil:
		return Finding{Kind: Problem, Op: op, Level: Mandatory, What: what + ": the peer " + faultText(f),
			Fix: "a crash is a result in the suite, but a peer must carry every payload", Anchor: "a-peers-obligations-in-short"}, false
	case we != nil:
		return Finding{Kind: Problem, Op: op, Level: Mandatory, What: what + ": answered " + describe(we), Fix: "it must succeed here", Anchor: "operations"}, false
	}
	return Finding{}, true
}

// Bounds for "at once" and "after about 200 ms": generous, so that a loaded machine does not
// fail a correct peer, and tight enough that a peer ignoring timeout_ms does not pass.
const (
	atOnce     = time.Second
	shortTmo   = 200 * time.Millisecond
	shortMin   = 100 * time.Millisecond
	shortMax   = 3 * time.Second
	stillThere = 700 * time.Millisecond // how long a recv without timeout_ms must at least wait here
)

// checkRecvTimeouts: timeout_ms 0 answers again at once, 200 answers again after about
// 200 ms, and a missing timeout_ms waits (10 s by default; here only "not at once" is
// checked, through an async recv that a message ends).
func checkRecvTimeouts(c *checkCtx) {
	bound, conn, _ := c.pair(c.transport())
	fix := "a recv answers again when timeout_ms passes without a message, not before"
	recv := func(tmo *int64) (peer.Reply, *peer.WireError, time.Duration) {
		return c.timed(peer.Request{Op: peer.OpRecv, Socket: bound, TimeoutMS: tmo}, shortMax)
	}
	rep, we, took := recv(peer.Ptr[int64](0))
	switch {
	case we == nil:
		c.problem(peer.OpRecv, Mandatory, fmt.Sprintf("timeout_ms 0 with nothing sent answered a message %s", harness.Describe(rep.Frames)), "", "deadlines-the-peer-enforces-them")
	case we.Category != peer.ErrAgain:
		c.problem(peer.OpRecv, Mandatory, "timeout_ms 0 with nothing sent answered "+describe(we), "answer again (would block)", "deadlines-the-peer-enforces-them")
	case took > atOnce:
		c.problem(peer.OpRecv, Mandatory, fmt.Sprintf("timeout_ms 0 answered again after %v", took.Round(time.Millisecond)), "0 means do not wait (DONTWAIT)", "deadlines-the-peer-enforces-them")
	}
	_, we, took = recv(ms(shortTmo))
	switch {
	case we == nil:
		c.problem(peer.OpRecv, Mandatory, "timeout_ms 200 with nothing sent answered a message", "", "deadlines-the-peer-enforces-them")
	case we.Category != peer.ErrAgain:
		c.problem(peer.OpRecv, Mandatory, "timeout_ms 200 with nothing sent answered "+describe(we), "answer again when the timeout passes", "deadlines-the-peer-enforces-them")
	case took < shortMin || took > shortMax:
		c.problem(peer.OpRecv, Mandatory, fmt.Sprintf("timeout_ms 200 answered again after %v (want 200 ms; accepted %v to %v)", took.Round(time.Millisecond), shortMin, shortMax), fix, "deadlines-the-peer-enforces-them")
	}

	job := c.start(peer.Request{Op: peer.OpRecv, Socket: bound}, "recv without timeout_ms")
	_, we = c.wait(job, stillThere)
	early := we == nil || we.Category != peer.ErrAgain
	if early {
		c.problem(peer.OpWait, Mandatory, fmt.Sprintf("wait (timeout_ms %d) for a recv without timeout_ms, nothing sent yet, answered %s",
			stillThere.Milliseconds(), answerOf(we)), "answer again while the job runs", "async-jobs")
		return
	}
	late := harness.Msg("late")
	c.send(conn, late, "send to a recv without timeout_ms")
	rep, we = c.wait(job, recvTimeout)
	switch {
	case we != nil && we.Category == peer.ErrInval:
		// The first wait collected the job's own again: the recv did not wait.
		c.problem(peer.OpRecv, Mandatory, fmt.Sprintf("without timeout_ms it answered again within %v, before a message came", stillThere),
			"a missing timeout_ms means 10 000 ms", "deadlines-the-peer-enforces-them")
	case we != nil:
		c.problem(peer.OpRecv, Mandatory, "without timeout_ms, a message sent later: the job answered "+describe(we), "a missing timeout_ms means 10 000 ms", "deadlines-the-peer-enforces-them")
	default:
		if d := diffMessage(rep.Frames, late); d != "" {
			c.problem(peer.OpRecv, Mandatory, "without timeout_ms, a message sent later: "+d, "", "operations")
		}
	}
}

func answerOf(we *peer.WireError) string {
	if we == nil {
		return "ok"
	}
	return describe(we)
}

// checkSendTimeouts: a send that cannot be queued (a PAIR with no peer) answers within its
// timeout: again, or ok if the binding queues it anyway. Each send gets a fresh socket, since
// some bindings (go-zeromq) keep a timed-out send in flight.
func checkSendTimeouts(c *checkCtx) {
	t := c.transport()
	for _, tmo := range []time.Duration{0, shortTmo} {
		s := c.socket("PAIR", "")
		c.bind(s, c.endpoint(t))
		_, we, took := c.timed(peer.Request{Op: peer.OpSend, Socket: s, Frames: harness.Msg("nobody"), TimeoutMS: ms(tmo)}, shortMax)
		limit := atOnce
		if tmo > 0 {
			limit = shortMax
		}
		what := fmt.Sprintf("timeout_ms %d on a PAIR with no peer", tmo.Milliseconds())
		switch {
		case we != nil && we.Category != peer.ErrAgain:
			c.problem(peer.OpSend, Mandatory, what+" answered "+describe(we), "a send that cannot be queued within timeout_ms answers again", "deadlines-the-peer-enforces-them")
		case took > limit:
			c.problem(peer.OpSend, Mandatory, fmt.Sprintf("%s answered after %v", what, took.Round(time.Millisecond)), "the peer bounds every send by timeout_ms", "deadlines-the-peer-enforces-them")
		case we != nil && tmo > 0 && took < shortMin:
			c.problem(peer.OpSend, Mandatory, fmt.Sprintf("%s answered again after %v", what, took.Round(time.Millisecond)), "wait up to timeout_ms before answering again", "deadlines-the-peer-enforces-them")
		}
	}
}
