package harness

// Internals the external tests check.
var EphemeralLow = ephemeralLow

const UnboundPortMin = unboundPortMin

var FindPythonIn = findPython

// NewTailBuffer exposes the stderr keeper to tests.
func NewTailBuffer(max int) interface {
	Write([]byte) (int, error)
	String() string
} {
	return &tailBuffer{max: max}
}
