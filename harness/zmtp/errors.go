package zmtp

import (
	"errors"
	"fmt"
)

// ErrShort says a decoder needs more bytes than it was given; stream readers treat it as
// "wait for more", never as a protocol error.
var ErrShort = errors.New("zmtp: need more bytes")

// DecodeError is a protocol violation found while decoding: what was wrong and the offset,
// counted from the start of the decoded stream (or buffer), of the first octet that could not
// be accepted. It is what a wire case quotes when an implementation sends garbage, and what
// the fuzz targets require instead of a panic.
type DecodeError struct {
	Offset int64  // offset of the offending octet
	What   string // the part being decoded: "greeting", "frame header", "READY metadata", ...
	Reason string // what was wrong, with the numbers
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("zmtp: %s at offset %d: %s", e.What, e.Offset, e.Reason)
}

// decodeErr builds a DecodeError; reason is a format string.
func decodeErr(off int64, what, reason string, args ...any) *DecodeError {
	return &DecodeError{Offset: off, What: what, Reason: fmt.Sprintf(reason, args...)}
}

// shifted moves a DecodeError found inside a sub-buffer to the offset of the enclosing
// stream; other errors pass unchanged.
func shifted(err error, base int64) error {
	var de *DecodeError
	if errors.As(err, &de) {
		c := *de
		c.Offset += base
		return &c
	}
	return err
}

// PeerError is an ERROR command received from the peer (RFC 23/37 §Error Handling: "The
// peer SHALL treat an incoming ERROR command as fatal"). Reason is the peer's error-reason.
type PeerError struct {
	Reason string
}

func (e *PeerError) Error() string { return fmt.Sprintf("zmtp: peer sent ERROR %q", e.Reason) }
