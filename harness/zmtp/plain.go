package zmtp

// PLAIN command bodies (RFC 24 §Implementation: "hello = command-size %d5 "HELLO" username
// password; username = OCTET *VCHAR; password = OCTET *VCHAR"). RFC 24's sentence that "All
// command bodies consist of an 8-character command name, padded with spaces" predates the
// length-prefixed names of ZMTP 3.0 and is not what any implementation sends.

// PlainHelloData is the data of a PLAIN HELLO.
func PlainHelloData(username, password string) []byte {
	b := append([]byte{byte(len(username))}, username...)
	b = append(b, byte(len(password)))
	return append(b, password...)
}

// ParsePlainHello decodes HELLO data, refusing lengths that run past the end, trailing
// octets and characters outside VCHAR.
func ParsePlainHello(data []byte) (username, password string, err error) {
	u, rest, err := plainField(data, 0, "username")
	if err != nil {
		return "", "", err
	}
	p, rest, err := plainField(rest, int64(len(data)-len(rest)), "password")
	if err != nil {
		return "", "", err
	}
	if len(rest) != 0 {
		return "", "", decodeErr(int64(len(data)-len(rest)), "PLAIN HELLO", "%d octets after the password", len(rest))
	}
	return u, p, nil
}

func plainField(b []byte, base int64, what string) (string, []byte, error) {
	if len(b) < 1 {
		return "", nil, decodeErr(base, "PLAIN HELLO", "no %s length octet", what)
	}
	n := int(b[0])
	if n > len(b)-1 {
		return "", nil, decodeErr(base, "PLAIN HELLO", "%s length %d runs past the end (%d octets follow)", what, n, len(b)-1)
	}
	for i, c := range b[1 : 1+n] {
		if !isVChar(c) {
			return "", nil, decodeErr(base+1+int64(i), "PLAIN HELLO", "%s character %#02x is not VCHAR", what, c)
		}
	}
	return string(b[1 : 1+n]), b[1+n:], nil
}
