package harness

// Internals the external tests check.
var EphemeralLow = ephemeralLow

const UnboundPortMin = unboundPortMin

var FindPythonIn = findPython
