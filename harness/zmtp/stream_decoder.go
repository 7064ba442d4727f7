package zmtp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// streamDecoder follows one direction of a ZMTP connection octet by octet and turns it into
// transcript events. It never holds more than a bounded prefix of any frame (captureCommand
// or captureData octets), so a frame that announces 2^62 octets costs nothing: sizes are
// counted down, never allocated. Its caller (Transcript.Feed) holds the transcript lock.
type streamDecoder struct {
	t   *Transcript
	dir Direction
	off int64 // octets consumed

	state int
	g     [GreetingSize]byte
	glen  int
	gEnd  int // octets the greeting needs once its revision is known
	rev   Revision
	mech  string

	hdr      [10]byte
	hlen     int
	fh       FrameHeader
	fstart   int64
	left     uint64
	capture  []byte
	capLimit int

	msg         []FrameInfo
	msgStart    int64
	msgFrames   int64
	msgProblems []string

	downgraded bool // a 3.x greeting turned into 2.0 after 11 octets
	hsDone     bool
	readyCount int
	socketType string
	version    Version
}

const (
	stGreeting = iota
	stHeader
	stBody
	stFailed

	captureCommand = 4096 // enough for every handshake command and READY metadata
	captureData    = 32   // a preview and the subscription octet
	// captureCurveData holds the name and nonce of a MESSAGE box in a data frame.
	captureCurveData = 64
	keepFrames       = 8 // frames listed per message event
)

func newStreamDecoder(t *Transcript, d Direction) *streamDecoder {
	return &streamDecoder{t: t, dir: d}
}

func (d *streamDecoder) other() Direction {
	if d.dir == Out {
		return In
	}
	return Out
}

func (d *streamDecoder) emit(e Event, handshake bool) { d.t.addLocked(d.dir, e, handshake) }

func (d *streamDecoder) log() *DirLog { return &d.t.dirs[d.dir].log }

func (d *streamDecoder) fail(err error, at int64) {
	var de *DecodeError
	if !errors.As(err, &de) {
		de = decodeErr(at, "stream", "%v", err)
	} else {
		c := *de
		c.Offset += at
		de = &c
	}
	d.log().DecodeError = de
	d.emit(Event{Kind: EvDecodeError, Offset: de.Offset, Text: fmt.Sprintf("decode error at offset %d: %s: %s", de.Offset, de.What, de.Reason)}, false)
	d.state = stFailed
}

// feed consumes p.
func (d *streamDecoder) feed(p []byte) {
	for len(p) > 0 {
		switch d.state {
		case stFailed:
			d.off += int64(len(p))
			return
		case stGreeting:
			d.g[d.glen] = p[0]
			d.glen++
			d.off++
			p = p[1:]
			d.greetingStep()
		case stHeader:
			d.hdr[d.hlen] = p[0]
			d.hlen++
			d.off++
			p = p[1:]
			d.headerStep()
		case stBody:
			n := uint64(len(p))
			if n > d.left {
				n = d.left
			}
			if room := d.capLimit - len(d.capture); room > 0 {
				c := int(n)
				if c > room {
					c = room
				}
				d.capture = append(d.capture, p[:c]...)
			}
			d.left -= n
			d.off += int64(n)
			p = p[n:]
			if d.left == 0 {
				d.frameDone()
			}
		}
	}
}

// greetingStep runs RFC 37's detection on the octets so far, then waits for the rest of
// the greeting of the detected revision.
func (d *streamDecoder) greetingStep() {
	if d.gEnd == 0 {
		rev, err := DetectRevision(d.g[:d.glen])
		if err == ErrShort {
			return
		}
		if err != nil {
			d.fail(err, 0)
			return
		}
		d.rev = rev
		switch rev {
		case Rev10:
			// The octets read are the start of the ZMTP 1.0 identity frame.
			info := &GreetingInfo{Revision: rev.String()}
			d.log().Greeting = info
			d.emit(Event{Kind: EvGreeting, Text: "greeting ZMTP 1.0 (no signature)"}, true)
			d.state, d.hsDone = stHeader, true
			pending := append([]byte(nil), d.g[:d.glen]...)
			d.off -= int64(len(pending))
			d.feed(pending)
			return
		case Rev20:
			d.gEnd = 12 // signature, revision, socket-type; the identity frame follows
		default:
			d.gEnd = GreetingSize
			// A 3.x peer answering a ZMTP 2.0 greeting downgrades after its 11 octets: it
			// sends the 2.0 socket type and identity (RFC 37 "Detecting ZMTP 2.0 Peers").
			if o := d.t.dirs[d.other()].dec; o.rev == Rev20 && o.state != stGreeting {
				d.rev, d.gEnd, d.downgraded = Rev20, 12, true
			}
		}
	}
	if d.glen < d.gEnd {
		return
	}
	if d.rev == Rev20 {
		info := &GreetingInfo{Revision: d.rev.String(), Version: fmt.Sprintf("%d", d.g[10]), SocketType: V2SocketTypeName(d.g[11])}
		info.Padding = paddingHex(d.g[1:9])
		d.log().Greeting = info
		text := fmt.Sprintf("greeting ZMTP 2.0 revision %d socket-type %s", d.g[10], info.SocketType)
		if d.downgraded {
			text = fmt.Sprintf("greeting downgraded to ZMTP 2.0 (version octet %d) socket-type %s", d.g[10], info.SocketType)
		}
		d.emit(Event{Kind: EvGreeting, Text: text}, true)
		d.state, d.hsDone = stHeader, true
		d.log().HandshakeDone = true
		return
	}
	g, err := ParseGreeting(d.g[:])
	if err != nil {
		d.fail(err, 0)
		return
	}
	d.mech, d.version = g.MechanismName(), g.Version
	info := &GreetingInfo{Revision: d.rev.String(), Version: g.Version.String(), Mechanism: g.MechanismName(),
		AsServer: g.AsServer, Padding: paddingHex(g.Padding[:]), FillerZero: allZero(g.Filler[:])}
	d.log().Greeting = info
	text := fmt.Sprintf("greeting %s %s as-server=%d", g.Version, printableMech(g.Mechanism[:]), g.AsServer)
	if info.Padding != "" {
		text += " padding=" + info.Padding
	}
	d.emit(Event{Kind: EvGreeting, Text: text, Problems: g.CheckGrammar()}, true)
	d.state = stHeader
}

func paddingHex(b []byte) string {
	if allZero(b) {
		return ""
	}
	return fmt.Sprintf("%x", b)
}

func printableMech(m []byte) string {
	if ValidMechanism(m) == nil {
		return strings.TrimRight(string(m), "\x00")
	}
	return fmt.Sprintf("%q", strings.TrimRight(string(m), "\x00"))
}

// headerStep decodes a frame header once it has its octets: 3.x and 2.0 share the flags
// and size layout (RFC 15/23); 1.0 has a length that counts the flags octet (RFC 13).
func (d *streamDecoder) headerStep() {
	if d.hlen == 1 {
		d.fstart = d.off - 1
	}
	if d.rev == Rev10 {
		d.v1HeaderStep()
		return
	}
	h, err := ParseFrameHeader(d.hdr[:d.hlen])
	if err == ErrShort {
		return
	}
	if err != nil {
		d.fail(err, d.fstart)
		return
	}
	d.startBody(h)
}

func (d *streamDecoder) v1HeaderStep() {
	var length uint64
	need := 2
	if d.hdr[0] == 0xFF {
		need = 10
	}
	if d.hlen < need {
		return
	}
	if need == 2 {
		length = uint64(d.hdr[0])
	} else {
		length = binary.BigEndian.Uint64(d.hdr[1:9])
	}
	if length == 0 {
		d.fail(decodeErr(0, "ZMTP 1.0 frame", "length 0 (it counts the flags octet, so at least 1)"), d.fstart)
		return
	}
	d.startBody(FrameHeader{Flags: d.hdr[need-1], Size: length - 1, Len: need})
}

func (d *streamDecoder) startBody(h FrameHeader) {
	d.fh, d.hlen, d.left = h, 0, h.Size
	d.capture = d.capture[:0]
	d.capLimit = captureData
	if h.Flags&FlagCommand != 0 && d.rev == Rev3 {
		d.capLimit = captureCommand
	} else if d.mech == "CURVE" {
		d.capLimit = captureCurveData
	}
	d.state = stBody
	if h.Size == 0 {
		d.frameDone()
	}
}

func (d *streamDecoder) frameDone() {
	defer func() { d.log().HandshakeDone = d.hsDone }()
	d.state = stHeader
	d.log().Frames++
	h := d.fh
	var problems []string
	if d.rev == Rev3 {
		if err := h.Check(); err != nil {
			problems = append(problems, err.(*DecodeError).Reason)
		}
		if !h.Canonical() {
			if h.Flags&FlagCommand != 0 && h.Size <= 255 {
				problems = append(problems, fmt.Sprintf("long size for a %d-octet command (SHOULD use a short size)", h.Size))
			} else if h.Size > 255 {
				// cannot happen: a short size is at most 255
			}
		}
	} else if d.rev == Rev20 && h.Flags&^(FlagMore|FlagLong) != 0 {
		problems = append(problems, fmt.Sprintf("ZMTP 2.0 frame flags %#02x use reserved bits", h.Flags))
	} else if d.rev == Rev10 && h.Flags&^FlagMore != 0 {
		problems = append(problems, fmt.Sprintf("ZMTP 1.0 frame flags %#02x use reserved bits", h.Flags))
	}
	if h.Flags&FlagCommand != 0 && d.rev == Rev3 {
		d.commandDone(h, problems)
		return
	}
	d.dataFrameDone(h, problems)
}

func (d *streamDecoder) dataFrameDone(h FrameHeader, problems []string) {
	l := d.log()
	if d.rev == Rev3 {
		switch {
		case d.mech == "CURVE" && d.hsDone && isCurveMessageBody(d.capture):
			// libzmq 4.3 frames MESSAGE boxes this way: encrypted, but not a command frame.
			l.EncryptedMessages++
			l.BoxesInDataFrames++
			text := "MESSAGE (CURVE box in a data frame, " + fmt.Sprintf("%d B", h.Size)
			if h.Size < curveMessageMinSize {
				problems = append(problems, fmt.Sprintf("CURVE MESSAGE of %d octets, RFC 26 requires at least 33", h.Size))
			} else {
				text += fmt.Sprintf(", nonce %d", binary.BigEndian.Uint64(d.capture[8:16]))
			}
			problems = append(problems, "CURVE MESSAGE in a data frame (COMMAND flag clear): RFC 25/26 make MESSAGE a command, RFC 37 says message data SHALL be encoded as commands")
			if d.msgFrames > 0 {
				d.flushMessage("message cut by a CURVE MESSAGE box before its last frame")
			}
			d.emit(Event{Kind: EvMessage, Offset: d.fstart, Text: text + ")", Encrypted: true, Problems: problems}, false)
			return
		case d.mech == "CURVE":
			problems = append(problems, "clear-text data frame on a CURVE connection (message data SHALL be encoded as commands)")
			if d.hsDone {
				l.ClearTextAfterHandshake++
			}
		case !d.hsDone:
			problems = append(problems, "data frame before the handshake completed")
		}
	}
	if len(d.msg) == 0 && d.msgFrames == 0 {
		d.msgStart = d.fstart
	}
	d.msgFrames++
	if len(d.msg) < keepFrames {
		d.msg = append(d.msg, FrameInfo{Flags: h.Flags, Size: h.Size, Preview: framePreview(h.Size, d.capture, h.Flags&FlagLong != 0)})
	}
	d.msgProblems = append(d.msgProblems, problems...)
	if h.Flags&FlagMore != 0 {
		return
	}
	d.flushMessage("")
}

// flushMessage emits the message collected so far; why is set when it was cut short.
func (d *streamDecoder) flushMessage(why string) {
	if d.msgFrames == 0 {
		return
	}
	l := d.log()
	parts := []string{"MESSAGE"}
	for _, f := range d.msg {
		parts = append(parts, f.Preview)
	}
	if extra := d.msgFrames - int64(len(d.msg)); extra > 0 {
		parts = append(parts, fmt.Sprintf("… %d more frames", extra))
	}
	if len(d.msg) == 1 && (d.socketType == "SUB" || d.socketType == "XSUB") {
		// RFC 23 subscription message: first octet 1 (subscribe) or 0 (cancel).
		if len(d.capture) > 0 && d.capture[0] <= 1 && d.msg[0].Size > 0 {
			kind := "cancel"
			if d.capture[0] == 1 {
				kind = "subscribe"
			}
			parts = append(parts, fmt.Sprintf("(3.0 %s %s)", kind, preview(d.capture[1:], 24)))
		}
	}
	problems := d.msgProblems
	kind := EvMessage
	if why != "" {
		problems = append(problems, why)
		kind = EvPartial
	} else {
		l.Messages++
	}
	d.emit(Event{Kind: kind, Offset: d.msgStart, Text: strings.Join(parts, " "), Frames: d.msg, Problems: dedupe(problems)}, false)
	d.msg, d.msgFrames, d.msgProblems = nil, 0, nil
}

// isCurveMessageBody says whether a frame body starts like a CURVE MESSAGE command body.
func isCurveMessageBody(b []byte) bool {
	return len(b) >= 8 && b[0] == 7 && string(b[1:8]) == CmdMessage
}

func dedupe(s []string) []string {
	if len(s) < 2 {
		return s
	}
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func (d *streamDecoder) commandDone(h FrameHeader, problems []string) {
	l := d.log()
	if d.msgFrames > 0 {
		d.flushMessage("message cut by a command frame before its last frame")
	}
	complete := h.Size <= uint64(len(d.capture))
	cmd, err := ParseCommand(d.capture)
	if err != nil {
		problems = append(problems, err.(*DecodeError).Reason)
		d.emit(Event{Kind: EvCommand, Offset: d.fstart, Text: fmt.Sprintf("command? [%d B %s]", h.Size, preview(d.capture, 16)), Problems: problems}, !d.hsDone)
		return
	}
	l.Commands[cmd.Name]++
	wasHandshake := !d.hsDone
	text := cmd.String()
	if !complete {
		text = fmt.Sprintf("%s [%d B, first %d decoded]", cmd.Name, h.Size, len(d.capture))
	}
	ev := Event{Kind: EvCommand, Offset: d.fstart, Command: cmd.Name}
	switch d.mech {
	case "CURVE":
		text, problems = d.curveCommand(cmd, h, text, problems, &ev)
	case "PLAIN":
		text, problems = d.plainCommand(cmd, complete, text, problems)
	default:
		problems = d.nullCommand(cmd, complete, problems)
	}
	if d.mech != "CURVE" || cmd.Name == CmdError {
		switch cmd.Name {
		case CmdPing, CmdPong, CmdSubscribe, CmdCancel:
			if wasHandshake {
				problems = append(problems, cmd.Name+" before the handshake completed")
			}
		}
	}
	if cmd.Name == CmdPing && complete {
		if _, err := ParsePing(cmd.Data); err != nil {
			problems = append(problems, err.(*DecodeError).Reason)
		}
	}
	if cmd.Name == CmdPong && complete && len(cmd.Data) > MaxPingContext {
		problems = append(problems, fmt.Sprintf("PONG context of %d octets (0*16 allowed)", len(cmd.Data)))
	}
	if role := roleOf(d.mech, cmd.Name); role != "" && d.log().Greeting != nil {
		as := d.log().Greeting.AsServer
		if (role == "server") != (as == 1) {
			problems = append(problems, fmt.Sprintf("sends %s (the %s's command) but its greeting said as-server=%d (RFC 24/25: as-server identifies the server)", cmd.Name, role, as))
		}
	}
	ev.Text, ev.Problems = text, problems
	d.emit(ev, wasHandshake)
}

// roleOf is the role whose handshake command name is in a mechanism with roles.
func roleOf(mech, name string) string {
	if mech != "PLAIN" && mech != "CURVE" {
		return ""
	}
	switch name {
	case CmdHello, CmdInitiate:
		return "client"
	case CmdWelcome:
		return "server"
	}
	return ""
}

// nullCommand checks the NULL handshake (RFC 23/37 §The NULL Security Mechanism: "null =
// ready *message | error").
func (d *streamDecoder) nullCommand(cmd Command, complete bool, problems []string) []string {
	switch cmd.Name {
	case CmdReady:
		d.readyCount++
		if d.readyCount > 1 {
			problems = append(problems, "READY sent twice")
		}
		if complete {
			md, err := ParseMetadata(cmd.Data)
			if err != nil {
				problems = append(problems, "READY metadata: "+err.(*DecodeError).Reason)
			}
			d.noteMetadata(md)
		}
		d.hsDone = true
	case CmdError:
		d.hsDone = true
	default:
		if !d.hsDone && d.mech == "NULL" {
			problems = append(problems, fmt.Sprintf("%s before READY in the NULL handshake", cmd.Name))
		}
	}
	return problems
}

func (d *streamDecoder) noteMetadata(md Metadata) {
	if st := md.SocketType(); st != "" {
		d.socketType = st
	}
}

// plainCommand renders RFC 24 commands (HELLO username password, WELCOME, INITIATE, READY).
// The password is shown by its length only: transcripts end up in reports.
func (d *streamDecoder) plainCommand(cmd Command, complete bool, text string, problems []string) (string, []string) {
	switch cmd.Name {
	case CmdHello:
		if u, p, err := ParsePlainHello(cmd.Data); err == nil {
			text = fmt.Sprintf("HELLO username=%q password=[%d B]", u, len(p))
		} else {
			problems = append(problems, err.(*DecodeError).Reason)
		}
	case CmdInitiate, CmdReady:
		if complete {
			md, err := ParseMetadata(cmd.Data)
			if err != nil {
				problems = append(problems, cmd.Name+" metadata: "+err.(*DecodeError).Reason)
			} else {
				text = joinNonEmpty(cmd.Name, md.String())
				d.noteMetadata(md)
			}
		}
		d.hsDone = true
	case CmdError:
		d.hsDone = true
	case CmdWelcome:
		if len(cmd.Data) != 0 {
			problems = append(problems, fmt.Sprintf("PLAIN WELCOME with %d octets of data (welcome = command-size %%d7 \"WELCOME\")", len(cmd.Data)))
		}
	}
	return text, problems
}

// curveCommand checks the clear parts of RFC 26 commands; after the handshake only MESSAGE
// commands may cross (RFC 37 §Wire Analysis: "On an encrypted connection, message data SHALL
// be encoded as commands").
func (d *streamDecoder) curveCommand(cmd Command, h FrameHeader, text string, problems []string, ev *Event) (string, []string) {
	l := d.log()
	size := fmt.Sprintf("%d B", h.Size)
	check := func(err error) {
		if err != nil {
			problems = append(problems, err.(*DecodeError).Reason)
		}
	}
	switch cmd.Name {
	case CmdHello:
		if h.Size <= uint64(len(d.capture)) {
			_, err := ParseCurveHello(cmd.Data)
			check(err)
		} else {
			problems = append(problems, fmt.Sprintf("CURVE HELLO of %d octets, RFC 26 requires 200", h.Size))
		}
		text = "HELLO (CURVE, " + size + ")"
	case CmdWelcome:
		if h.Size != curveWelcomeSize {
			problems = append(problems, fmt.Sprintf("CURVE WELCOME of %d octets, RFC 26 requires 168", h.Size))
		}
		text = "WELCOME (CURVE, " + size + ")"
	case CmdInitiate:
		if h.Size < curveInitiateMinSize {
			problems = append(problems, fmt.Sprintf("CURVE INITIATE of %d octets, RFC 26 requires at least 257", h.Size))
		}
		text = "INITIATE (CURVE box, " + size + ")"
		d.hsDone = true
	case CmdReady:
		if h.Size < curveReadyMinSize {
			problems = append(problems, fmt.Sprintf("CURVE READY of %d octets, RFC 26 requires at least 30", h.Size))
		}
		text = "READY (CURVE box, " + size + ")"
		d.hsDone = true
	case CmdError:
		d.hsDone = true
	case CmdMessage:
		ev.Encrypted = true
		ev.Kind = EvMessage
		l.EncryptedMessages++
		if m, err := ParseCurveMessage(cmd.Data); err != nil {
			check(err)
			text = "MESSAGE (CURVE box, " + size + ")"
		} else {
			text = fmt.Sprintf("MESSAGE (CURVE box, %s, nonce %d)", size, m.Nonce)
		}
		if !d.hsDone {
			problems = append(problems, "CURVE MESSAGE before the handshake completed")
		}
	default:
		if d.hsDone {
			problems = append(problems, fmt.Sprintf("clear-text %s command on a CURVE connection after the handshake (expected only MESSAGE)", cmd.Name))
		} else {
			problems = append(problems, fmt.Sprintf("%s is not a CurveZMQ handshake command", cmd.Name))
		}
	}
	return text, problems
}

// end records the end of the stream, with what was left unfinished.
func (d *streamDecoder) end(err error) {
	switch d.state {
	case stGreeting:
		if d.glen > 0 {
			d.emit(Event{Kind: EvPartial, Offset: 0, Text: fmt.Sprintf("stream ended inside the greeting (%d octets)", d.glen)}, true)
		}
	case stHeader:
		if d.hlen > 0 {
			d.emit(Event{Kind: EvPartial, Offset: d.fstart, Text: fmt.Sprintf("stream ended inside a frame header (%d octets)", d.hlen)}, false)
		}
	case stBody:
		d.emit(Event{Kind: EvPartial, Offset: d.fstart, Text: fmt.Sprintf("stream ended inside a frame of %d octets, %d missing", d.fh.Size, d.left)}, false)
	}
	if d.msgFrames > 0 {
		d.flushMessage("stream ended before the message's last frame")
	}
	kind, text := EvClose, "close"
	if errors.Is(err, ErrLocalClose) {
		text = "closed from this side"
	} else if err != nil && !errors.Is(err, io.EOF) {
		kind, text = EvReset, "reset: "+err.Error()
	}
	d.emit(Event{Kind: kind, Offset: d.off, Text: fmt.Sprintf("%s after %d octets", text, d.off)}, false)
}
