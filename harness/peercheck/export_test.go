package peercheck

// Internals the tests check.
var OptionProbes = optionProbes

func (p optionProbe) SockType() string { return p.sockType }
