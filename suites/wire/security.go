package wire

import (
	"encoding/base64"

	"github.com/zmqsuite/zmqsuite/harness"
)

// Security options a wire case needs on the implementation's socket. The peer protocol
// (docs/peer-protocol.md, version 1) has none yet, so every peer answers them "unsupported"
// and the cases that need them (W.GR.7, W.MEC.5, W.MEC.6, W.TAP.5) are skipped with that
// reason. The proposed additions, as options of the table (a peer lists those it supports):
//
//	plain_server    bool    ZMQ_PLAIN_SERVER
//	plain_username  bytes   ZMQ_PLAIN_USERNAME
//	plain_password  bytes   ZMQ_PLAIN_PASSWORD
//	zap_users       bytes   "user:password,…": the peer answers ZAP requests (RFC 27) for the
//	                        socket's context, 200 for these pairs and 400 for anything else
//	curve_server    bool    ZMQ_CURVE_SERVER
//	curve_secretkey bytes   ZMQ_CURVE_SECRETKEY (Z85 text)
//	curve_publickey bytes   ZMQ_CURVE_PUBLICKEY (Z85 text)
//	curve_serverkey bytes   ZMQ_CURVE_SERVERKEY (Z85 text)
//
// go-zeromq takes security at socket construction (zmq4.WithSecurity), so its peer has to
// create the library socket lazily — it already does, for routing_id.
var (
	PlainServerOptions = []string{"plain_server", "zap_users"}
	CurveServerOptions = []string{"curve_server", "curve_secretkey", "curve_publickey"}
)

// PlainUser and PlainPassword are the one pair a PLAIN server of the wire cases accepts.
const (
	PlainUser     = "admin"
	PlainPassword = "secret"
)

// PlainServer are the options of a PLAIN server that accepts PlainUser/PlainPassword only.
func PlainServer() []harness.Opt {
	return []harness.Opt{harness.BoolOpt("plain_server", true),
		{Name: "zap_users", Value: b64(PlainUser + ":" + PlainPassword)}}
}

// CurveServer are the options of a CURVE server with this key pair (Z85).
func CurveServer(secret, public string) []harness.Opt {
	return []harness.Opt{harness.BoolOpt("curve_server", true),
		{Name: "curve_secretkey", Value: b64(secret)}, {Name: "curve_publickey", Value: b64(public)}}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
