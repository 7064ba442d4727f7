//go:build !(libzmq && cgo)

package libzmq

import (
	"errors"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// Available reports whether this binary was built with the libzmq backend.
const Available = false

// ErrNotBuilt is what New returns in a binary built without cgo or without the libzmq tag.
var ErrNotBuilt = errors.New("libzmq: built without cgo/libzmq (build with -tags libzmq and CGO_ENABLED=1, with libzmq's development files and pkg-config installed)")

// New returns ErrNotBuilt: this binary has no libzmq backend.
func New() (peer.Backend, error) { return nil, ErrNotBuilt }
