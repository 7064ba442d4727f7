package zmtp

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/nacl/box"
	"golang.org/x/crypto/nacl/secretbox"
)

// The CurveZMQ handshake (RFC 26 §CurveZMQ Commands) as two state machines that take and
// produce command bodies, so that a Conn can drive them and a Script can damage any field
// between them. Boxes are NaCl crypto_box (Curve25519, XSalsa20, Poly1305) as
// golang.org/x/crypto/nacl/box makes them: the 16-octet authenticator, then the cipher text,
// which is the layout RFC 26's sizes count ("An encrypted box is always 16 octets larger").

// AuthError is a refusal of the peer's credentials (a CURVE client key or PLAIN user the
// server does not accept): the case where the server "SHALL send an ERROR command" rather
// than only disconnecting (RFC 26 §The ERROR Command; RFC 24 via ZAP status 400).
type AuthError struct{ Reason string }

func (e *AuthError) Error() string { return "zmtp: authentication refused: " + e.Reason }

// CurveClientHandshake is the client side: HELLO, read WELCOME, INITIATE, read READY.
type CurveClientHandshake struct {
	Permanent KeyPair // C
	ServerKey Key     // S, "clients MUST know the server public key before they can connect"

	transient       KeyPair // C'
	nonce           uint64  // last short nonce sent
	serverTransient Key     // S'
	cookie          []byte
	shared          [32]byte // precomputed C'/S'
	peerNonce       uint64
}

// NewCurveClientHandshake makes a client with a fresh transient key pair ("The client SHALL
// generate a unique key pair for each connection").
func NewCurveClientHandshake(permanent KeyPair, serverKey Key) (*CurveClientHandshake, error) {
	t, err := GenerateKeyPair()
	if err != nil {
		return nil, err
	}
	return &CurveClientHandshake{Permanent: permanent, ServerKey: serverKey, transient: t}, nil
}

// Transient is C', the client's transient key pair.
func (c *CurveClientHandshake) Transient() KeyPair { return c.transient }

// Hello is the HELLO command body: [5]"HELLO", version 1 0, 72 zero octets, C', short nonce,
// Box[64 * %x0](C'->S).
func (c *CurveClientHandshake) Hello() []byte {
	c.nonce++
	b := make([]byte, 0, curveHelloSize)
	b = append(b, 5)
	b = append(b, CmdHello...)
	b = append(b, 1, 0)
	b = append(b, make([]byte, 72)...)
	b = append(b, c.transient.Public[:]...)
	b = binary.BigEndian.AppendUint64(b, c.nonce)
	pub, sec := [32]byte(c.ServerKey), [32]byte(c.transient.Secret)
	return box.Seal(b, zeros64(64), shortNonce(noncePrefixHello, c.nonce), &pub, &sec)
}

// ReadWelcome opens the WELCOME box with S and c' and keeps S' and the cookie ("The client
// SHALL validate all fields and SHALL disconnect from servers that send malformed WELCOME
// commands"). A box that does not open means the server is not the one whose key we have.
func (c *CurveClientHandshake) ReadWelcome(data []byte) error {
	w, err := ParseCurveWelcome(data)
	if err != nil {
		return err
	}
	pub, sec := [32]byte(c.ServerKey), [32]byte(c.transient.Secret)
	plain, ok := box.Open(nil, w.Box, longNonce(noncePrefixWelcome, w.Nonce[:]), &pub, &sec)
	if !ok {
		return decodeErr(24, "CURVE WELCOME", "welcome box does not open with the server key %s (wrong server, or tampered)", c.ServerKey.Z85())
	}
	if len(plain) != 32+cookieSize {
		return decodeErr(24, "CURVE WELCOME", "welcome box holds %d octets, not S' + cookie (128)", len(plain))
	}
	copy(c.serverTransient[:], plain[:32])
	c.cookie = append([]byte(nil), plain[32:]...)
	st := [32]byte(c.serverTransient)
	box.Precompute(&c.shared, &st, &sec)
	return nil
}

// Initiate is the INITIATE command body: cookie, short nonce, Box[C + vouch + metadata]
// (C'->S'), where vouch = long nonce + Box[C',S](C->S') (RFC 26 §The INITIATE Command).
func (c *CurveClientHandshake) Initiate(md Metadata) ([]byte, error) {
	if c.cookie == nil {
		return nil, errors.New("zmtp: CURVE INITIATE before a valid WELCOME")
	}
	var vn [16]byte
	if _, err := rand.Read(vn[:]); err != nil {
		return nil, fmt.Errorf("zmtp: vouch nonce: %w", err)
	}
	vouchPlain := append(append([]byte(nil), c.transient.Public[:]...), c.ServerKey[:]...)
	st, cs := [32]byte(c.serverTransient), [32]byte(c.Permanent.Secret)
	vouch := box.Seal(append([]byte(nil), vn[:]...), vouchPlain, longNonce(noncePrefixVouch, vn[:]), &st, &cs)

	inner := append(append(append([]byte(nil), c.Permanent.Public[:]...), vouch...), md.Bytes()...)
	c.nonce++
	b := make([]byte, 0, curveInitiateMinSize+len(md.Bytes()))
	b = append(b, 8)
	b = append(b, CmdInitiate...)
	b = append(b, c.cookie...)
	b = binary.BigEndian.AppendUint64(b, c.nonce)
	return box.SealAfterPrecomputation(b, inner, shortNonce(noncePrefixInitiate, c.nonce), &c.shared), nil
}

// ReadReady opens READY (Box[metadata](S'->C')) and returns the server's metadata.
func (c *CurveClientHandshake) ReadReady(data []byte) (Metadata, error) {
	r, err := ParseCurveReady(data)
	if err != nil {
		return nil, err
	}
	plain, ok := box.OpenAfterPrecomputation(nil, r.Box, shortNonce(noncePrefixReady, r.Nonce), &c.shared)
	if !ok {
		return nil, decodeErr(14, "CURVE READY", "ready box does not open with S'/C'")
	}
	c.peerNonce = r.Nonce
	md, err := ParseMetadata(plain)
	if err != nil {
		return nil, fmt.Errorf("CURVE READY metadata: %w", err)
	}
	return md, nil
}

// Session is the message codec after READY.
func (c *CurveClientHandshake) Session() *CurveSession {
	return &CurveSession{shared: c.shared, sendPrefix: noncePrefixMessageC, recvPrefix: noncePrefixMessageS,
		sendNonce: c.nonce, recvNonce: c.peerNonce}
}

// CurveServerHandshake is the server side: read HELLO, WELCOME, read INITIATE, READY.
type CurveServerHandshake struct {
	Permanent KeyPair // S
	// Authorize decides on the client's permanent key C; nil accepts any client ("Where the
	// server does not check client keys at all"). An error is sent back as ERROR.
	Authorize func(client Key) error

	cookieKey       [32]byte
	clientTransient Key
	transient       KeyPair
	helloNonce      uint64
	peerNonce       uint64
	clientKey       Key
	shared          [32]byte
	nonce           uint64
	helloOK         bool
}

// NewCurveServerHandshake makes a server for one connection, with a fresh cookie key.
func NewCurveServerHandshake(permanent KeyPair, authorize func(Key) error) (*CurveServerHandshake, error) {
	s := &CurveServerHandshake{Permanent: permanent, Authorize: authorize}
	if _, err := rand.Read(s.cookieKey[:]); err != nil {
		return nil, fmt.Errorf("zmtp: cookie key: %w", err)
	}
	return s, nil
}

// ReadHello validates HELLO: 200 octets, version 1.0, zero padding, and a signature box that
// opens with C' and s to 64 zero octets ("The server SHALL validate all fields and SHALL
// reject and disconnect clients who send malformed HELLO commands").
func (s *CurveServerHandshake) ReadHello(data []byte) error {
	h, err := ParseCurveHello(data)
	if err != nil {
		return err
	}
	cp, ss := [32]byte(h.ClientKey), [32]byte(s.Permanent.Secret)
	plain, ok := box.Open(nil, h.Box, shortNonce(noncePrefixHello, h.Nonce), &cp, &ss)
	if !ok {
		return decodeErr(HelloBoxOffset, "CURVE HELLO", "signature box does not open (client used another server key, or tampered)")
	}
	if len(plain) != 64 || !allZero(plain) {
		return decodeErr(HelloBoxOffset, "CURVE HELLO", "signature box holds %d octets that are not 64 zeros", len(plain))
	}
	s.clientTransient, s.helloNonce, s.helloOK = h.ClientKey, h.Nonce, true
	return nil
}

// Welcome is the WELCOME body: long nonce, Box[S' + cookie](S->C'), cookie = long nonce +
// Box[C' + s'](K) with a secret cookie key K ("The server SHALL generate a new cookie for
// each WELCOME command it sends").
func (s *CurveServerHandshake) Welcome() ([]byte, error) {
	if !s.helloOK {
		return nil, errors.New("zmtp: CURVE WELCOME before a valid HELLO")
	}
	t, err := GenerateKeyPair()
	if err != nil {
		return nil, err
	}
	s.transient = t
	var cn, wn [16]byte
	if _, err := rand.Read(cn[:]); err != nil {
		return nil, fmt.Errorf("zmtp: cookie nonce: %w", err)
	}
	if _, err := rand.Read(wn[:]); err != nil {
		return nil, fmt.Errorf("zmtp: welcome nonce: %w", err)
	}
	cookiePlain := append(append([]byte(nil), s.clientTransient[:]...), t.Secret[:]...)
	cookie := secretbox.Seal(append([]byte(nil), cn[:]...), cookiePlain, longNonce(noncePrefixCookie, cn[:]), &s.cookieKey)
	inner := append(append([]byte(nil), t.Public[:]...), cookie...)
	b := make([]byte, 0, curveWelcomeSize)
	b = append(b, 7)
	b = append(b, CmdWelcome...)
	b = append(b, wn[:]...)
	ct, ss := [32]byte(s.clientTransient), [32]byte(s.Permanent.Secret)
	return box.Seal(b, inner, longNonce(noncePrefixWelcome, wn[:]), &ct, &ss), nil
}

// ReadInitiate validates INITIATE: the cookie opens with K and names the C' of the HELLO and
// our s'; the nonce is above the HELLO's; the box opens with C'/s'; the vouch opens from C
// to S' and holds C' and S; then Authorize(C). It returns C and the client's metadata. Only
// a refusal by Authorize is an *AuthError (answered with ERROR); the rest are malformed
// commands, answered by disconnecting.
func (s *CurveServerHandshake) ReadInitiate(data []byte) (Key, Metadata, error) {
	in, err := ParseCurveInitiate(data)
	if err != nil {
		return Key{}, nil, err
	}
	cookiePlain, ok := secretbox.Open(nil, in.Cookie[16:], longNonce(noncePrefixCookie, in.Cookie[:16]), &s.cookieKey)
	if !ok || len(cookiePlain) != 64 {
		return Key{}, nil, decodeErr(InitiateCookieOffset, "CURVE INITIATE", "cookie does not open with the cookie key")
	}
	if subtle.ConstantTimeCompare(cookiePlain[:32], s.clientTransient[:]) != 1 || subtle.ConstantTimeCompare(cookiePlain[32:], s.transient.Secret[:]) != 1 {
		return Key{}, nil, decodeErr(InitiateCookieOffset, "CURVE INITIATE", "cookie is for another connection")
	}
	if in.Nonce <= s.helloNonce {
		return Key{}, nil, decodeErr(InitiateNonceOffset, "CURVE INITIATE", "short nonce %d is not above the HELLO's %d (reused or decreasing)", in.Nonce, s.helloNonce)
	}
	ct, st := [32]byte(s.clientTransient), [32]byte(s.transient.Secret)
	box.Precompute(&s.shared, &ct, &st)
	plain, ok := box.OpenAfterPrecomputation(nil, in.Box, shortNonce(noncePrefixInitiate, in.Nonce), &s.shared)
	if !ok {
		return Key{}, nil, decodeErr(InitiateBoxOffset, "CURVE INITIATE", "initiate box does not open with C'/S'")
	}
	if len(plain) < 32+vouchSize {
		return Key{}, nil, decodeErr(InitiateBoxOffset, "CURVE INITIATE", "initiate box holds %d octets, less than C + vouch (128)", len(plain))
	}
	var client Key
	copy(client[:], plain[:32])
	vouch := plain[32 : 32+vouchSize]
	cperm := [32]byte(client)
	vouchPlain, ok := box.Open(nil, vouch[16:], longNonce(noncePrefixVouch, vouch[:16]), &cperm, &st)
	if !ok || len(vouchPlain) != 64 {
		return Key{}, nil, decodeErr(InitiateBoxOffset, "CURVE INITIATE", "vouch box does not open from the client key %s", client.Z85())
	}
	if subtle.ConstantTimeCompare(vouchPlain[:32], s.clientTransient[:]) != 1 {
		return Key{}, nil, decodeErr(InitiateBoxOffset, "CURVE INITIATE", "vouch names another transient key than the HELLO's C'")
	}
	if subtle.ConstantTimeCompare(vouchPlain[32:], s.Permanent.Public[:]) != 1 {
		return Key{}, nil, decodeErr(InitiateBoxOffset, "CURVE INITIATE", "vouch names another server key than ours")
	}
	md, err := ParseMetadata(plain[32+vouchSize:])
	if err != nil {
		return Key{}, nil, fmt.Errorf("CURVE INITIATE metadata: %w", err)
	}
	s.peerNonce, s.clientKey = in.Nonce, client
	if s.Authorize != nil {
		if err := s.Authorize(client); err != nil {
			return client, md, &AuthError{Reason: err.Error()}
		}
	}
	return client, md, nil
}

// Ready is the READY body: short nonce, Box[metadata](S'->C').
func (s *CurveServerHandshake) Ready(md Metadata) []byte {
	s.nonce++
	b := make([]byte, 0, curveReadyMinSize+len(md.Bytes()))
	b = append(b, 5)
	b = append(b, CmdReady...)
	b = binary.BigEndian.AppendUint64(b, s.nonce)
	return box.SealAfterPrecomputation(b, md.Bytes(), shortNonce(noncePrefixReady, s.nonce), &s.shared)
}

// ClientKey is the client's permanent key C, once INITIATE was read.
func (s *CurveServerHandshake) ClientKey() Key { return s.clientKey }

// Session is the message codec after READY.
func (s *CurveServerHandshake) Session() *CurveSession {
	return &CurveSession{shared: s.shared, sendPrefix: noncePrefixMessageS, recvPrefix: noncePrefixMessageC,
		sendNonce: s.nonce, recvNonce: s.peerNonce}
}

// CurveSession encrypts and decrypts MESSAGE commands after the handshake. Short nonces go
// up by one per command sent; received ones must go up ("The server SHALL verify that a
// client connection does use correctly incrementing short nonces, and SHALL disconnect
// clients that reuse a short nonce"; we hold the server to the same rule).
type CurveSession struct {
	shared                 [32]byte
	sendPrefix, recvPrefix string
	sendNonce, recvNonce   uint64
}

// Seal is a MESSAGE command body carrying one frame: flags (PayloadMore, PayloadCommand)
// and payload, with the next short nonce.
func (s *CurveSession) Seal(flags byte, payload []byte) []byte {
	s.sendNonce++
	return s.SealWithNonce(s.sendNonce, flags, payload)
}

// SealWithNonce is Seal with a nonce of the caller's choosing, reused or going backwards on
// purpose (CRV.5). It does not move the session's own counter.
func (s *CurveSession) SealWithNonce(nonce uint64, flags byte, payload []byte) []byte {
	b := make([]byte, 0, curveMessageMinSize+len(payload))
	b = append(b, 7)
	b = append(b, CmdMessage...)
	b = binary.BigEndian.AppendUint64(b, nonce)
	plain := append([]byte{flags}, payload...)
	return box.SealAfterPrecomputation(b, plain, shortNonce(s.sendPrefix, nonce), &s.shared)
}

// NextNonce is the nonce the next Seal will use.
func (s *CurveSession) NextNonce() uint64 { return s.sendNonce + 1 }

// Open decrypts MESSAGE data (the command body after the name): checks the size, the nonce
// order, the box, and the reserved payload flag bits.
func (s *CurveSession) Open(data []byte) (flags byte, payload []byte, err error) {
	m, err := ParseCurveMessage(data)
	if err != nil {
		return 0, nil, err
	}
	if m.Nonce <= s.recvNonce {
		return 0, nil, decodeErr(8, "CURVE MESSAGE", "short nonce %d is not above the last one %d (reused or decreasing)", m.Nonce, s.recvNonce)
	}
	plain, ok := box.OpenAfterPrecomputation(nil, m.Box, shortNonce(s.recvPrefix, m.Nonce), &s.shared)
	if !ok {
		return 0, nil, decodeErr(16, "CURVE MESSAGE", "message box does not open (tampered, or wrong nonce prefix)")
	}
	s.recvNonce = m.Nonce
	if plain[0]&payloadReserved != 0 {
		return 0, nil, decodeErr(16, "CURVE MESSAGE", "payload flags %#02x have reserved bits 7-2 set", plain[0])
	}
	return plain[0], plain[1:], nil
}

func zeros64(n int) []byte { return make([]byte, n) }
