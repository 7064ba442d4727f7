package gozmq

import (
	"github.com/go-zeromq/zmq4"
	"github.com/go-zeromq/zmq4/security/plain"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// SecurityOptions are the mechanism options go-zeromq has: PLAIN only (security/plain; there
// is no CURVE and no ZAP in v0.17.0). go-zeromq takes the mechanism at socket creation
// (zmq4.WithSecurity), so the adapter keeps what setopt asks for until the library socket is
// created at the first bind/connect (see socket.lib); a socket without them is created as
// before, with go-zeromq's NULL default.
var SecurityOptions = []string{"plain_server", "plain_username", "plain_password"}

// security is what setopt asked for before the library socket exists.
type security struct {
	plain     bool // a PLAIN option was set
	server    bool // plain_server
	user      []byte
	pass      []byte
	serverSet bool
}

// libOption is the zmq4.Option creating the socket with the mechanism asked for; nil for NULL.
func (sec *security) libOption() zmq4.Option {
	if !sec.plain {
		return nil
	}
	return zmq4.WithSecurity(plain.Security(string(sec.user), string(sec.pass)))
}

// checkRole refuses a PLAIN role go-zeromq cannot take: its handshake makes the accepting
// side the PLAIN server and the dialling side the client (zmq4.Open's server flag is "this
// connection was accepted"), whatever ZMQ_PLAIN_SERVER would say in libzmq.
func (sec *security) checkRole(binding bool) error {
	if !sec.plain || sec.server == binding {
		return nil
	}
	if binding {
		return peer.Errorf(peer.ErrUnsupported, "gozmq: go-zeromq's PLAIN role follows the connection direction: a binding socket is always the server (plain_server false)")
	}
	return peer.Errorf(peer.ErrUnsupported, "gozmq: go-zeromq's PLAIN role follows the connection direction: a connecting socket is always the client (plain_server true)")
}

// setSecurityOption handles the mechanism options; handled is false for every other name.
func (s *socket) setSecurityOption(name string, value any) (handled bool, err error) {
	switch name {
	case "plain_server", "plain_username", "plain_password":
	case "curve_server", "curve_publickey", "curve_secretkey", "curve_serverkey":
		return true, peer.Errorf(peer.ErrUnsupported, "gozmq: go-zeromq has no CURVE mechanism (its security/ has null and plain only)")
	case "zap_domain":
		return true, peer.Errorf(peer.ErrUnsupported, "gozmq: go-zeromq has no ZAP (RFC 27): its PLAIN server consults no handler")
	default:
		return false, nil
	}
	return true, s.beforeCreation("the security mechanism", func() error {
		switch name {
		case "plain_server":
			b, err := peer.DecodeBool(value)
			if err != nil {
				return err
			}
			s.sec.server, s.sec.serverSet = b, true
		case "plain_username", "plain_password":
			b, err := peer.DecodeBytes(value)
			if err != nil {
				return err
			}
			if len(b) > 255 {
				// RFC 24: the name and the password are each at most 255 octets (one size octet).
				return peer.Errorf(peer.ErrInval, "gozmq: %s longer than 255 bytes", name)
			}
			if name == "plain_username" {
				s.sec.user = b
			} else {
				s.sec.pass = b
			}
		}
		s.sec.plain = true
		return nil
	})
}
