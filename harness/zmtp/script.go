package zmtp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// A Script is a wire case as a list of steps, each one sentence of the RFC it checks:
//
//	Script{
//		SendGreeting(V3_0, "NULL", false),
//		ExpectGreeting(),
//		SendReady(Props("Socket-Type", "PUSH")),
//		ExpectCommand("READY", Within(2*time.Second)),
//		SendRaw(AppendFrameRaw(nil, FlagLong, 1<<40, nil)),
//		ExpectClose(Within(2*time.Second)),
//	}.Dial(ctx, endpoint, Config{})
//
// Steps run in order on one Conn; the first that fails ends the run.
type Script []Step

// Step is one action or expectation.
type Step interface {
	Describe() string
	Run(ctx context.Context, s *Session) error
}

// Session is the state a script's steps share: the connection and what was last seen.
type Session struct {
	*Conn
	Last         Incoming  // the last command or message an Expect step accepted
	LastGreeting *Greeting // the greeting last sent by SendGreeting (for SendGreetingRest)
	greetingSent int       // octets of LastGreeting already sent
	// Legacy is the peer's answer to a ZMTP 2.0 greeting we sent (SendLegacyGreeting).
	Legacy     *LegacyGreeting
	legacySent bool
	// Closed says the peer closed (or reset) the connection and a step accepted it.
	Closed bool
	// CloseErr is how it closed: nil or EOF for an orderly close, else the reset.
	CloseErr error
	stop     string // set by a step that ends the script successfully (OrClose)
}

// StepLog is what happened at one step.
type StepLog struct {
	Index    int           `json:"index"` // 1-based
	Step     string        `json:"step"`
	OK       bool          `json:"ok"`
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// Result is the outcome of a run.
type Result struct {
	Failed     int         `json:"failed"`                // 1-based index of the failed step; 0 when all passed
	Err        error       `json:"-"`                     // why it failed
	Error      string      `json:"error,omitempty"`       // Err as text, for JSON
	EndedEarly string      `json:"ended_early,omitempty"` // a step accepted a close and ended the script
	Steps      []StepLog   `json:"steps"`
	Transcript *Transcript `json:"transcript,omitempty"`
}

// OK says every step passed.
func (r Result) OK() bool { return r.Failed == 0 && r.Err == nil }

// Summary is one line: "ok (6 steps)" or "step 4 (expect close within 2s): expected close
// within 2s, got READY command".
func (r Result) Summary() string {
	if r.OK() {
		s := fmt.Sprintf("ok (%d steps)", len(r.Steps))
		if r.EndedEarly != "" {
			s += ", " + r.EndedEarly
		}
		return s
	}
	if r.Failed == 0 {
		return r.Err.Error()
	}
	return fmt.Sprintf("step %d (%s): %v", r.Failed, r.Steps[r.Failed-1].Step, r.Err)
}

// String is the summary and the transcript.
func (r Result) String() string {
	return r.Summary() + "\n" + r.Transcript.String()
}

// Run runs the steps on c and closes it afterwards.
func (sc Script) Run(ctx context.Context, c *Conn) Result {
	s := &Session{Conn: c}
	res := Result{Transcript: c.Transcript()}
	defer c.Close()
	for i, st := range sc {
		t0 := time.Now()
		c.tr.Note(Out, "step", fmt.Sprintf("step %d: %s", i+1, st.Describe()))
		err := st.Run(ctx, s)
		log := StepLog{Index: i + 1, Step: st.Describe(), OK: err == nil, Duration: time.Since(t0)}
		if err != nil {
			log.Error = err.Error()
			res.Steps = append(res.Steps, log)
			res.Failed, res.Err, res.Error = i+1, err, err.Error()
			c.tr.Note(Out, "step", fmt.Sprintf("step %d failed: %v", i+1, err))
			return res
		}
		res.Steps = append(res.Steps, log)
		if s.stop != "" {
			res.EndedEarly = fmt.Sprintf("step %d: %s", i+1, s.stop)
			return res
		}
	}
	return res
}

// Dial connects to endpoint without a handshake and runs the script.
func (sc Script) Dial(ctx context.Context, endpoint string, cfg Config) Result {
	c, err := DialRaw(ctx, endpoint, cfg)
	if err != nil {
		return Result{Err: err, Error: err.Error()}
	}
	return sc.Run(ctx, c)
}

// Accept waits for the implementation to connect to l and runs the script.
func (sc Script) Accept(ctx context.Context, l *Listener) Result {
	c, err := l.AcceptRaw(ctx)
	if err != nil {
		return Result{Err: err, Error: err.Error()}
	}
	return sc.Run(ctx, c)
}

// Opt tunes a step. Options a step has no use for are refused when the script runs, so a
// misplaced option cannot silently weaken a check.
type Opt struct {
	name  string
	apply func(*stepOpts)
}

type stepOpts struct {
	within      time.Duration
	dribble     time.Duration
	padding     *[8]byte
	filler      *[31]byte
	sigEnd      *byte
	asServer    *byte
	mechRaw     *[20]byte
	first       int
	ignore      []string
	allow       []string
	data        []byte
	hasData     bool
	props       Metadata
	frames      [][]byte
	hasFrames   bool
	allowLegacy bool
	orClose     bool
	used        map[string]bool
}

// Within bounds an Expect step (default 2 s).
func Within(d time.Duration) Opt { return Opt{"Within", func(o *stepOpts) { o.within = d }} }

// Dribble sends one octet per write, pausing between writes.
func Dribble(pause time.Duration) Opt { return Opt{"Dribble", func(o *stepOpts) { o.dribble = pause }} }

// Padding sets greeting octets 1-8 (the signature padding that "MUST NOT" be validated).
func Padding(b [8]byte) Opt { return Opt{"Padding", func(o *stepOpts) { o.padding = &b }} }

// Filler sets greeting octets 33-63.
func Filler(b [31]byte) Opt { return Opt{"Filler", func(o *stepOpts) { o.filler = &b }} }

// SigEnd sets greeting octet 9 (normally %x7F).
func SigEnd(b byte) Opt { return Opt{"SigEnd", func(o *stepOpts) { o.sigEnd = &b }} }

// AsServerByte sets greeting octet 32 to any value.
func AsServerByte(b byte) Opt { return Opt{"AsServerByte", func(o *stepOpts) { o.asServer = &b }} }

// MechanismField sets greeting octets 12-31 exactly (lowercase, illegal characters).
func MechanismField(m [20]byte) Opt {
	return Opt{"MechanismField", func(o *stepOpts) { o.mechRaw = &m }}
}

// FirstOctets sends only the first n octets of a greeting (11 for version detection);
// SendGreetingRest sends the others.
func FirstOctets(n int) Opt { return Opt{"FirstOctets", func(o *stepOpts) { o.first = n }} }

// Ignore lets an Expect step skip commands with these names while it waits (PING, say).
func Ignore(names ...string) Opt {
	return Opt{"Ignore", func(o *stepOpts) { o.ignore = append(o.ignore, names...) }}
}

// Allow lets ExpectClose accept these commands before the close (ERROR is always allowed).
func Allow(names ...string) Opt {
	return Opt{"Allow", func(o *stepOpts) { o.allow = append(o.allow, names...) }}
}

// Data requires a command's data to be exactly b.
func Data(b []byte) Opt {
	return Opt{"Data", func(o *stepOpts) { o.data, o.hasData = append([]byte(nil), b...), true }}
}

// WithProps requires a command's metadata to hold these properties (names matched ignoring
// case, values exactly).
func WithProps(md Metadata) Opt { return Opt{"WithProps", func(o *stepOpts) { o.props = md }} }

// Frames requires a message to be exactly these frames.
func Frames(frames ...string) Opt {
	return Opt{"Frames", func(o *stepOpts) {
		o.hasFrames = true
		for _, f := range frames {
			o.frames = append(o.frames, []byte(f))
		}
	}}
}

// AllowLegacy lets ExpectGreeting accept a ZMTP 1.0/2.0 greeting (a downgrade, W.GR.6).
func AllowLegacy() Opt { return Opt{"AllowLegacy", func(o *stepOpts) { o.allowLegacy = true }} }

// OrClose makes a close by the peer an accepted outcome of an Expect step; the script then
// ends there, successfully, and the Result says so (W.GR.6 "downgrade or close").
func OrClose() Opt { return Opt{"OrClose", func(o *stepOpts) { o.orClose = true }} }

// collect applies options, refusing those not in allowed.
func collect(step string, opts []Opt, allowed ...string) (stepOpts, error) {
	o := stepOpts{within: 2 * time.Second}
	for _, op := range opts {
		ok := false
		for _, a := range allowed {
			if a == op.name {
				ok = true
			}
		}
		if !ok {
			return o, fmt.Errorf("option %s does not apply to %s", op.name, step)
		}
		op.apply(&o)
	}
	return o, nil
}

func optNames(opts []Opt) string {
	var s []string
	for _, o := range opts {
		s = append(s, o.name)
	}
	if len(s) == 0 {
		return ""
	}
	return " [" + strings.Join(s, ",") + "]"
}

// got describes an error from a read as what the peer did instead.
func got(err error) string {
	switch {
	case err == nil:
		return "nothing"
	case isTimeout(err):
		return "nothing"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "nothing before the test's deadline"
	case IsClosed(err):
		if isReset(err) {
			return "reset"
		}
		return "close"
	}
	return err.Error()
}
