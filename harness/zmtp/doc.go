// Package zmtp is the suite's own ZeroMQ Message Transport Protocol: a codec, a scripted
// peer that speaks well or badly on purpose, and a tap that decodes what two real peers say
// to each other. It is written from the RFCs alone, without any binding, so that it can
// judge bindings:
//
//   - RFC 23 (ZMTP 3.0) and RFC 37 (ZMTP 3.1): greeting, framing, commands, metadata,
//     NULL, subscriptions, heartbeats (PING/PONG), backwards interoperability;
//   - RFC 13 (ZMTP 1.0) and RFC 15 (ZMTP 2.0): just enough to detect and imitate old peers;
//   - RFC 24 (PLAIN), RFC 25 (ZMTP-CURVE) and RFC 26 (CurveZMQ): the two other mechanisms,
//     client and server sides, validating every field on receipt so that our server can be
//     used as a strict oracle;
//   - RFC 32 (Z85): the printable form of CURVE keys.
//
// Nothing here trusts a length read from the wire: decoders compare every announced size
// with what is left and with a limit before allocating, and report the byte offset of the
// first octet they could not accept (see DecodeError).
//
// The three layers:
//
//   - codec (greeting.go, frame.go, command.go, metadata.go, ...): pure functions over
//     byte slices;
//   - Conn (conn.go): one connection with a buffered, limit-checking frame reader, a
//     mechanism (null.go, plain.go, curve_*.go) and a Transcript of both directions; Dial
//     and Listen give one. A Script (script.go, steps.go) runs a list of steps on a Conn,
//     one step per sentence of the RFC a wire case checks;
//   - Tap (tap.go): a relay between two real peers whose Transcript tells what crossed it.
package zmtp
