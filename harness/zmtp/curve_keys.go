package zmtp

import (
	"crypto/rand"
	"fmt"

	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/nacl/box"

	"github.com/zmqsuite/zmqsuite/harness/z85"
)

// Key is a Curve25519 public or secret key: "keys are 32 octets (256 bits)" (RFC 26
// §CurveZMQ Commands).
type Key [32]byte

// Z85 is the 40-character printable form of the key (RFC 32), as libzmq's CURVE options
// and zmq_curve_keypair use it.
func (k Key) Z85() string {
	s, _ := z85.Encode(k[:]) // 32 is a multiple of 4
	return s
}

func (k Key) String() string { return k.Z85() }

// ParseKey reads a key from its Z85 form (40 characters) or raw form (32 octets).
func ParseKey(s string) (Key, error) {
	var k Key
	switch len(s) {
	case 40:
		b, err := z85.Decode(s)
		if err != nil {
			return k, fmt.Errorf("curve key: %w", err)
		}
		copy(k[:], b)
	case 32:
		copy(k[:], s)
	default:
		return k, fmt.Errorf("curve key: %d characters, need 40 (Z85) or 32 (raw)", len(s))
	}
	return k, nil
}

// KeyPair is a permanent or transient Curve25519 key pair.
type KeyPair struct {
	Public, Secret Key
}

// GenerateKeyPair makes a key pair from crypto/rand.
func GenerateKeyPair() (KeyPair, error) {
	pub, sec, err := box.GenerateKey(rand.Reader)
	if err != nil {
		return KeyPair{}, fmt.Errorf("curve key pair: %w", err)
	}
	return KeyPair{Public: *pub, Secret: *sec}, nil
}

// KeyPairFromSecret derives the public key of a secret key (X25519 base point
// multiplication), so a pair given only its secret half can be used.
func KeyPairFromSecret(secret Key) (KeyPair, error) {
	pub, err := curve25519.X25519(secret[:], curve25519.Basepoint)
	if err != nil {
		return KeyPair{}, fmt.Errorf("curve public key from secret: %w", err)
	}
	kp := KeyPair{Secret: secret}
	copy(kp.Public[:], pub)
	return kp, nil
}
