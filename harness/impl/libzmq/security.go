//go:build libzmq && cgo

package libzmq

import (
	"strings"

	zmq "github.com/pebbe/zmq4"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// securityOptions are the mechanism options of the protocol (docs/peer-protocol.md,
// "Security"). CURVE keys are the protocol's z85 text, handed to libzmq unchanged: libzmq
// itself decides which lengths it takes (40 characters of Z85, or 32 raw bytes), so a wrong
// size is libzmq's refusal (EINVAL), which CRV.6 checks, not this adapter's.
var securityOptions = map[string]option{
	"plain_server":    {set: setBoolInt((*zmq.Socket).SetPlainServer), get: getIntBool((*zmq.Socket).GetPlainServer)},
	"plain_username":  {set: setBytes((*zmq.Socket).SetPlainUsername), get: getBytes((*zmq.Socket).GetPlainUsername)},
	"plain_password":  {set: setBytes((*zmq.Socket).SetPlainPassword), get: getBytes((*zmq.Socket).GetPlainPassword)},
	"curve_server":    {set: setBoolInt((*zmq.Socket).SetCurveServer)}, // pebbe/zmq4 has no getter
	"curve_publickey": {set: setText((*zmq.Socket).SetCurvePublickey), get: getText((*zmq.Socket).GetCurvePublickeykeyZ85)},
	"curve_secretkey": {set: setText((*zmq.Socket).SetCurveSecretkey), get: getText((*zmq.Socket).GetCurveSecretkeyZ85)},
	"curve_serverkey": {set: setText((*zmq.Socket).SetCurveServerkey), get: getText((*zmq.Socket).GetCurveServerkeyZ85)},
	"zap_domain":      {set: setText((*zmq.Socket).SetZapDomain), get: getText((*zmq.Socket).GetZapDomain)},
	"handshake_ivl":   {set: setMS((*zmq.Socket).SetHandshakeIvl), get: getMS((*zmq.Socket).GetHandshakeIvl)},
	"mechanism": {get: func(s *zmq.Socket) (any, error) {
		m, err := s.GetMechanism()
		return m.String(), err
	}},
}

// The curve_ options need libzmq built with CURVE (libsodium or tweetnacl): without it libzmq
// refuses them, and they are neither listed nor offered.
func init() {
	for name, o := range securityOptions {
		if !zmq.HasCurve() && strings.HasPrefix(name, "curve_") {
			continue
		}
		options[name] = o
	}
}

func setText(f func(*zmq.Socket, string) error) func(*zmq.Socket, any) error {
	return func(s *zmq.Socket, v any) error {
		t, err := peer.DecodeString(v)
		if err != nil {
			return err
		}
		return f(s, t)
	}
}

// getText answers a text option without the NUL that libzmq's getsockopt includes.
func getText(f func(*zmq.Socket) (string, error)) func(*zmq.Socket) (any, error) {
	return func(s *zmq.Socket) (any, error) {
		v, err := f(s)
		return strings.TrimRight(v, "\x00"), err
	}
}

// ZAPSocket gives the peer server an unbound REP socket in a context, for its ZAP handler:
// libzmq's PLAIN and CURVE servers (and NULL with a ZAP domain) ask the handler bound at
// inproc://zeromq.zap.01 in their own context.
func (b *Backend) ZAPSocket(context string) (peer.Socket, error) {
	return b.NewSocket("REP", context)
}

var _ peer.ZAPBackend = (*Backend)(nil)
