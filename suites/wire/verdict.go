package wire

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/harness/zmtp"
)

// Row is one variant of a case, played on a connection of its own: what it is ("reserved bit
// 0x08") and our peer's steps. Config, when set, replaces the link's (a 3.0 greeting, say).
// Watch, when set, replaces the verdict's last step (Rejects: the close; Survives: the close
// or silence) for rows whose octets are not frames (a broken or legacy greeting): it sets how
// the implementation ended the connection, and fails when a reject's close did not come.
type Row struct {
	What   string
	Steps  []zmtp.Step
	Config *zmtp.Config
	Watch  func(how *string) zmtp.Step
}

func (l *Link) playRow(ctx context.Context, r Row, tail ...zmtp.Step) zmtp.Result {
	cfg := l.Config()
	if r.Config != nil {
		cfg = *r.Config
	}
	steps := append(append([]zmtp.Step(nil), r.Steps...), tail...)
	return l.PlayWith(ctx, cfg, steps...)
}

// Verdict collects everything that went wrong in a cell — rows, the robust oracle, the
// resources — so that the cell's reason names the first failure and its detail all of them
// (with the transcripts), instead of the first assertion hiding the rest.
type Verdict struct {
	lines  []string
	detail []string
}

// failures is the internal name of a Verdict.
type failures = Verdict

// Result adds a play that failed (nothing when it passed).
func (f *Verdict) Result(what string, res zmtp.Result) {
	if !res.OK() {
		f.add(what, res)
	}
}

// Fail adds a line.
func (f *Verdict) Fail(format string, args ...any) {
	f.lines = append(f.lines, fmt.Sprintf(format, args...))
}

// Serves adds the robust oracle on l: the socket serves a well-behaved peer, and the peer
// process's resources are within the default bounds.
func (f *Verdict) Serves(ctx context.Context, l *Link) {
	f.addErr(l.serves(ctx))
	f.addErr(l.w.grown(ctx, GrowthRSSKiB, GrowthFDs, GrowthThreads))
}

// Check fails the cell with every line, if any.
func (f *Verdict) Check() { f.check() }

func (f *failures) add(what string, res zmtp.Result) {
	f.lines = append(f.lines, what+": "+res.Summary())
	if res.Transcript != nil {
		f.detail = append(f.detail, "--- "+what+": "+res.Summary()+"\n"+res.Transcript.String())
	}
}

func (f *failures) addErr(err error) {
	if err != nil {
		f.lines = append(f.lines, err.Error())
	}
}

// check fails the cell with every row that went wrong: the first line is the reason, the
// transcripts are the detail.
func (f *failures) check() {
	if len(f.lines) == 0 {
		return
	}
	msg := strings.Join(f.lines, "; ")
	if len(f.detail) > 0 {
		msg += "\n" + strings.Join(f.detail, "\n")
	}
	gomega.Expect(f.lines).To(gomega.BeEmpty(), msg)
}

// Accepts plays each row, which must pass whole (its steps end with a message crossing); the
// accept verdict of RFC "MUST accept".
func (l *Link) Accepts(ctx context.Context, rows ...Row) {
	var f failures
	for _, r := range rows {
		res := l.playRow(ctx, r)
		if !res.OK() {
			f.add(r.What, res)
		}
	}
	f.check()
}

// Rejects plays each row and requires the implementation to close the connection after it,
// within RejectWithin, an ERROR first being allowed (RFC 23: "ERROR command, and then
// disconnecting"; Note says which happened per row). Then the robust oracle.
func (l *Link) Rejects(ctx context.Context, rows ...Row) {
	var f failures
	for _, r := range rows {
		how := ""
		// The implementation may have sent its own READY before it looked at ours.
		tail := zmtp.ExpectClose(zmtp.Within(RejectWithin), zmtp.Allow(zmtp.CmdReady))
		if r.Watch != nil {
			tail = r.Watch(&how)
		}
		res := l.playRow(ctx, r, tail)
		l.w.Alive(ctx)
		if !res.OK() {
			f.add(r.What, res)
			l.w.Note("%s: %s", r.What, refusal(res))
			continue
		}
		if how == "" {
			how = closing(res)
		}
		l.w.Note("%s: %s", r.What, how)
	}
	f.Serves(ctx, l)
	f.check()
}

// Survives plays each hostile row, then watches the connection for SettleWithin: the
// implementation closes it or ignores it, both fine (Note says which); then the robust
// oracle. A row whose own steps fail (our peer could not send what it meant to) fails the
// cell.
func (l *Link) Survives(ctx context.Context, rows ...Row) {
	var f failures
	for _, r := range rows {
		var how string
		tail := settle(SettleWithin, &how)
		if r.Watch != nil {
			tail = r.Watch(&how)
		}
		res := l.playRow(ctx, r, tail)
		l.w.Alive(ctx)
		if !res.OK() {
			f.add(r.What, res)
			continue
		}
		l.w.Note("%s: %s", r.What, how)
	}
	f.Serves(ctx, l)
	f.check()
}

// Good is a well-behaved peer's whole connection: a 3.1 handshake and a message crossing.
func (l *Link) Good(tag string) []zmtp.Step { return append(l.Greets(zmtp.V3_1), l.Crosses(tag)...) }

// Serves is the robust oracle on its own: the process answers, the same socket serves a
// well-behaved peer, resources are within bounds.
func (l *Link) Serves(ctx context.Context) {
	var f failures
	f.Serves(ctx, l)
	f.check()
}

// serves is the heart of the robust oracle (docs/cases.md W.ROB.1, libzmq's fuzzer tests:
// "garbage from one client, then a HELLO must still reach a good SUB"): the implementation's
// process answers a control round trip, and the same socket takes a new connection from a
// well-behaved peer — our peer with a good handshake — and a message crosses.
func (l *Link) serves(ctx context.Context) error {
	l.w.Alive(ctx)
	// Greets, not zmtp.Handshake: every wait of a well-behaved handshake is bounded by its
	// step, so that a socket that no longer answers fails the cell instead of stalling it.
	res := l.Play(ctx, append(l.Greets(zmtp.V3_1), l.Crosses("after")...)...)
	if !res.OK() {
		return fmt.Errorf("a well-behaved peer afterwards, on the same %s socket: %s", l.Sock.Type, res.Summary())
	}
	return nil
}

// closing says how the implementation closed a connection it refused.
func closing(res zmtp.Result) string {
	if res.Transcript != nil && res.Transcript.Dir(zmtp.In).Commands[zmtp.CmdError] > 0 {
		return "ERROR, closed"
	}
	return "closed"
}

// refusal is what the implementation did instead of closing, for the record (the failure has
// the details): one word, since whether an answer came within the window or after it can
// depend on the machine's load.
func refusal(res zmtp.Result) string {
	if res.Failed == 0 {
		return "could not be played"
	}
	return "did not close"
}

// ClosesRaw is a reject's Watch for a connection whose octets are not frames (a legacy or
// broken greeting): whatever the implementation sends, it must close within RejectWithin.
func ClosesRaw(how *string) zmtp.Step {
	return zmtp.Do(fmt.Sprintf("the implementation closes within %s (its octets not decoded)", RejectWithin),
		func(ctx context.Context, s *zmtp.Session) error {
			_, err := s.ReadGreetingPrefix(ctx, 1<<20, time.Now().Add(RejectWithin))
			if zmtp.IsClosed(err) {
				*how = "closed"
				return nil
			}
			return fmt.Errorf("expected close within %s, got nothing (connection still open)", RejectWithin)
		})
}

// Must fails the cell unless res passed, with its transcript in the detail.
func Must(res zmtp.Result, what string) {
	if res.OK() {
		return
	}
	var f failures
	f.add(what, res)
	f.check()
}

// MustAll fails the cell with every line of what went wrong (none: nothing to do).
func MustAll(lines []string, what string) {
	if len(lines) == 0 {
		return
	}
	var f failures
	for _, l := range lines {
		f.lines = append(f.lines, what+": "+l)
	}
	f.check()
}
