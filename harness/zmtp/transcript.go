package zmtp

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Direction is one side of a connection in a Transcript. For a Conn, Out is what we sent
// and In what the peer sent; for a Tap, Out is what the dialing peer sent to the target and
// In what the target sent back.
type Direction string

const (
	Out Direction = "out"
	In  Direction = "in"
)

// Arrow is how a direction is printed: → for Out, ← for In.
func (d Direction) Arrow() string {
	if d == Out {
		return "→"
	}
	return "←"
}

// Event kinds.
const (
	EvGreeting    = "greeting"
	EvCommand     = "command"
	EvMessage     = "message" // a whole message (clear text), or one CURVE MESSAGE box
	EvDecodeError = "decode-error"
	EvClose       = "close"   // orderly end of the stream (EOF)
	EvReset       = "reset"   // connection reset or other read/write error
	EvPartial     = "partial" // the stream ended inside a greeting, frame or message
)

// FrameInfo describes one frame of a message: flags as sent, size, a short preview.
type FrameInfo struct {
	Flags   byte   `json:"flags"`
	Size    uint64 `json:"size"`
	Preview string `json:"preview,omitempty"`
}

// GreetingInfo is what a transcript keeps of a greeting.
type GreetingInfo struct {
	Revision   string `json:"revision"`            // ZMTP 1.0, 2.0, 3.x
	Version    string `json:"version,omitempty"`   // "3.1"
	Mechanism  string `json:"mechanism,omitempty"` // "NULL"
	AsServer   byte   `json:"as_server"`
	Padding    string `json:"padding,omitempty"` // hex of signature octets 1-8 when not all zero
	FillerZero bool   `json:"filler_zero"`
	SocketType string `json:"socket_type,omitempty"` // ZMTP 2.0 greetings carry it
}

// Event is one thing seen on the wire.
type Event struct {
	Seq       int64       `json:"seq"`   // order across both directions
	AtMicros  int64       `json:"at_us"` // since the transcript started
	Dir       Direction   `json:"dir"`
	Kind      string      `json:"kind"`
	Offset    int64       `json:"offset"` // stream offset of the event's first octet in its direction
	Text      string      `json:"text"`   // one-line rendering, without the arrow
	Command   string      `json:"command,omitempty"`
	Frames    []FrameInfo `json:"frames,omitempty"`
	Encrypted bool        `json:"encrypted,omitempty"`
	Problems  []string    `json:"problems,omitempty"`
}

// Line is the event as a transcript line: "→ READY Socket-Type=REQ".
func (e Event) Line() string {
	s := e.Dir.Arrow() + " " + e.Text
	if len(e.Problems) > 0 {
		s += "  !! " + strings.Join(e.Problems, "; ")
	}
	return s
}

// TranscriptOptions bounds a transcript.
type TranscriptOptions struct {
	FirstN       int // traffic events kept from the start of each direction (default 16)
	LastM        int // and from its end (default 16)
	HandshakeMax int // greeting and handshake commands kept per direction (default 32)
	MaxProblems  int // problem strings kept per direction (default 32)
}

func (o TranscriptOptions) withDefaults() TranscriptOptions {
	if o.FirstN <= 0 {
		o.FirstN = 16
	}
	if o.LastM <= 0 {
		o.LastM = 16
	}
	if o.HandshakeMax <= 0 {
		o.HandshakeMax = 32
	}
	if o.MaxProblems <= 0 {
		o.MaxProblems = 32
	}
	return o
}

// DirLog is the bounded record of one direction.
type DirLog struct {
	Label     string           `json:"label,omitempty"`
	Bytes     int64            `json:"bytes"`
	Frames    int64            `json:"frames"`
	Messages  int64            `json:"messages"`
	Commands  map[string]int64 `json:"commands,omitempty"`
	Greeting  *GreetingInfo    `json:"greeting,omitempty"`
	Handshake []Event          `json:"handshake,omitempty"` // greeting and handshake commands
	First     []Event          `json:"first,omitempty"`     // first traffic events
	Last      []Event          `json:"last,omitempty"`      // last traffic events, oldest first
	Elided    int64            `json:"elided,omitempty"`    // traffic events between First and Last not kept
	// HandshakeDone says this direction sent its last handshake command (READY, or
	// INITIATE for a PLAIN/CURVE client).
	HandshakeDone bool `json:"handshake_done"`
	// ClearTextAfterHandshake counts data frames (not MESSAGE commands) sent in clear after
	// a CURVE handshake (CRV.7: "after READY only MESSAGE commands").
	ClearTextAfterHandshake int64 `json:"cleartext_after_handshake"`
	// EncryptedMessages counts CURVE MESSAGE boxes; BoxesInDataFrames those of them sent in
	// data frames (COMMAND flag clear) rather than command frames.
	EncryptedMessages int64        `json:"encrypted_messages,omitempty"`
	BoxesInDataFrames int64        `json:"boxes_in_data_frames,omitempty"`
	Problems          []string     `json:"problems,omitempty"`
	ProblemCount      int64        `json:"problem_count"`
	DecodeError       *DecodeError `json:"decode_error,omitempty"` // decoding stopped here
	End               *Event       `json:"end,omitempty"`          // close or reset
}

// Transcript is a bounded two-direction record of a ZMTP connection. It is safe for
// concurrent use (a Tap feeds both directions from two goroutines), marshals to JSON and
// renders as text with String.
type Transcript struct {
	mu    sync.Mutex
	opts  TranscriptOptions
	start time.Time
	seq   int64
	label string
	dirs  map[Direction]*dirState
}

type dirState struct {
	log     DirLog
	ring    []Event
	ringPos int
	dec     *streamDecoder
}

// NewTranscript starts an empty transcript; label names the connection ("raw peer ↔
// tcp://127.0.0.1:5555"), outLabel and inLabel the two directions.
func NewTranscript(label, outLabel, inLabel string, opts TranscriptOptions) *Transcript {
	t := &Transcript{opts: opts.withDefaults(), start: time.Now(), label: label, dirs: map[Direction]*dirState{}}
	for d, l := range map[Direction]string{Out: outLabel, In: inLabel} {
		ds := &dirState{log: DirLog{Label: l, Commands: map[string]int64{}}}
		ds.dec = newStreamDecoder(t, d)
		t.dirs[d] = ds
	}
	return t
}

// Feed gives the transcript octets that crossed the wire in direction d, in order.
func (t *Transcript) Feed(d Direction, p []byte) {
	if t == nil || len(p) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	ds := t.dirs[d]
	ds.log.Bytes += int64(len(p))
	ds.dec.feed(p)
}

// End records the end of direction d: err nil or io.EOF is a close, anything else a reset.
// Only the first end of a direction is kept.
func (t *Transcript) End(d Direction, err error) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	ds := t.dirs[d]
	if ds.log.End != nil {
		return
	}
	ds.dec.end(err)
}

// Note records a free-form line in direction d (a script step, a tap decision).
func (t *Transcript) Note(d Direction, kind, text string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.addLocked(d, Event{Kind: kind, Text: text}, false)
}

// addLocked stamps and stores an event, keeping the bounds: handshake events up to
// HandshakeMax, then the first FirstN traffic events, then a ring of the last LastM.
func (t *Transcript) addLocked(d Direction, e Event, handshake bool) {
	ds := t.dirs[d]
	t.seq++
	e.Seq, e.Dir = t.seq, d
	e.AtMicros = time.Since(t.start).Microseconds()
	for _, p := range e.Problems {
		ds.log.ProblemCount++
		if len(ds.log.Problems) < t.opts.MaxProblems {
			ds.log.Problems = append(ds.log.Problems, fmt.Sprintf("offset %d: %s", e.Offset, p))
		}
	}
	switch {
	case e.Kind == EvClose || e.Kind == EvReset:
		if ds.log.End == nil {
			ev := e
			ds.log.End = &ev
		}
	case handshake && len(ds.log.Handshake) < t.opts.HandshakeMax:
		ds.log.Handshake = append(ds.log.Handshake, e)
	case len(ds.log.First) < t.opts.FirstN:
		ds.log.First = append(ds.log.First, e)
	default:
		if len(ds.ring) < t.opts.LastM {
			ds.ring = append(ds.ring, e)
			return
		}
		ds.log.Elided++
		ds.ring[ds.ringPos] = e
		ds.ringPos = (ds.ringPos + 1) % len(ds.ring)
	}
}

// Dir is a snapshot of one direction.
func (t *Transcript) Dir(d Direction) DirLog {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.snapshotLocked(d)
}

func (t *Transcript) snapshotLocked(d Direction) DirLog {
	ds := t.dirs[d]
	l := ds.log
	l.Commands = make(map[string]int64, len(ds.log.Commands))
	for k, v := range ds.log.Commands {
		l.Commands[k] = v
	}
	l.Handshake = append([]Event(nil), ds.log.Handshake...)
	l.First = append([]Event(nil), ds.log.First...)
	l.Problems = append([]string(nil), ds.log.Problems...)
	l.Last = make([]Event, 0, len(ds.ring))
	l.Last = append(l.Last, ds.ring[ds.ringPos:]...)
	l.Last = append(l.Last, ds.ring[:ds.ringPos]...)
	if ds.log.End != nil {
		e := *ds.log.End
		l.End = &e
	}
	return l
}

// Events are the kept events of both directions in wire order, ends included.
func (t *Transcript) Events() []Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	var all []Event
	for _, d := range []Direction{Out, In} {
		l := t.snapshotLocked(d)
		all = append(all, l.Handshake...)
		all = append(all, l.First...)
		all = append(all, l.Last...)
		if l.End != nil {
			all = append(all, *l.End)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Seq < all[j].Seq })
	return all
}

// Problems lists the protocol problems of both directions, each prefixed with its arrow.
func (t *Transcript) Problems() []string {
	var out []string
	for _, d := range []Direction{Out, In} {
		for _, p := range t.Dir(d).Problems {
			out = append(out, d.Arrow()+" "+p)
		}
	}
	return out
}

// transcriptJSON is the marshalled form.
type transcriptJSON struct {
	Label string `json:"label,omitempty"`
	Out   DirLog `json:"out"`
	In    DirLog `json:"in"`
	Text  string `json:"text"`
}

// MarshalJSON gives both directions and the text rendering, for results.json records.
func (t *Transcript) MarshalJSON() ([]byte, error) {
	text := t.String()
	t.mu.Lock()
	j := transcriptJSON{Label: t.label, Out: t.snapshotLocked(Out), In: t.snapshotLocked(In), Text: text}
	t.mu.Unlock()
	return json.Marshal(j)
}

// String renders the transcript, one line per event, in wire order, with a line where
// events were left out.
func (t *Transcript) String() string {
	if t == nil {
		return ""
	}
	t.mu.Lock()
	label := t.label
	elided := map[Direction]int64{}
	firstLast := map[Direction]int64{} // seq of the first event of the Last ring
	for _, d := range []Direction{Out, In} {
		l := t.snapshotLocked(d)
		elided[d] = l.Elided
		if len(l.Last) > 0 {
			firstLast[d] = l.Last[0].Seq
		}
	}
	t.mu.Unlock()
	var sb strings.Builder
	if label != "" {
		sb.WriteString(label + "\n")
	}
	for _, e := range t.Events() {
		if n := elided[e.Dir]; n > 0 && e.Seq == firstLast[e.Dir] {
			fmt.Fprintf(&sb, "%s … %d events not kept\n", e.Dir.Arrow(), n)
		}
		sb.WriteString(e.Line())
		sb.WriteString("\n")
	}
	return sb.String()
}
