//go:build libzmq && cgo

package libzmq

import (
	"fmt"
	"sort"
	"sync"

	zmq "github.com/pebbe/zmq4"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// Available reports whether this binary was built with the libzmq backend.
const Available = true

// Module is the Go binding this backend wraps.
const Module = "github.com/pebbe/zmq4"

const fallbackVersion = "v1.4.0"

// Backend creates libzmq sockets, one *zmq.Context per context name.
type Backend struct {
	mu   sync.Mutex
	ctxs map[string]*zmq.Context
}

// New returns the libzmq backend, or an error if libzmq cannot be used (a header/library
// version mismatch that pebbe/zmq4 detects at start).
func New() (peer.Backend, error) {
	if maj, _, _ := zmq.Version(); maj != 4 {
		if _, err := zmq.NewContext(); err != nil {
			return nil, fmt.Errorf("libzmq: %w", err)
		}
		return nil, fmt.Errorf("libzmq: need libzmq 4.x, have major version %d", maj)
	}
	return &Backend{ctxs: map[string]*zmq.Context{}}, nil
}

// Version returns the pebbe/zmq4 module version linked into this binary.
func Version() string { return peer.ModuleVersion(Module, fallbackVersion) }

// LibzmqVersion is the version of the libzmq the process runs with, "4.3.4".
func LibzmqVersion() string {
	maj, min, pat := zmq.Version()
	return fmt.Sprintf("%d.%d.%d", maj, min, pat)
}

// Info describes pebbe/zmq4 on libzmq; Serve adds the probed transports.
func (b *Backend) Info() peer.Hello {
	declared := []string{"tcp", "inproc"}
	if zmq.HasIpc() {
		declared = append(declared, "ipc")
	}
	if zmq.HasPgm() {
		declared = append(declared, "pgm", "epgm")
	}
	if zmq.HasTipc() {
		declared = append(declared, "tipc")
	}
	if zmq.HasNorm() {
		declared = append(declared, "norm")
	}
	sort.Strings(declared)
	return peer.Hello{
		Name:    "libzmq",
		Version: Version(),
		Libzmq:  LibzmqVersion(),
		Binding: Module,
		Caps: peer.Caps{
			SocketTypes: append([]string(nil), peer.SocketTypes...),
			Options:     optionNames(),
			Declared:    declared,
			Bench:       true,
		},
	}
}

func (b *Backend) context(name string) (*zmq.Context, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c, ok := b.ctxs[name]; ok {
		return c, nil
	}
	c, err := zmq.NewContext()
	if err != nil {
		return nil, peer.Errorf(category(err), "libzmq: new context %q: %v", name, err)
	}
	b.ctxs[name] = c
	return c, nil
}

var types = map[string]zmq.Type{
	"PAIR": zmq.PAIR, "PUB": zmq.PUB, "SUB": zmq.SUB, "REQ": zmq.REQ, "REP": zmq.REP,
	"DEALER": zmq.DEALER, "ROUTER": zmq.ROUTER, "PULL": zmq.PULL, "PUSH": zmq.PUSH,
	"XPUB": zmq.XPUB, "XSUB": zmq.XSUB,
}

// NewSocket creates a socket of an RFC type in the named context.
func (b *Backend) NewSocket(typ, context string) (peer.Socket, error) {
	t, ok := types[typ]
	if !ok {
		return nil, peer.Errorf(peer.ErrUnsupported, "libzmq: no socket type %q", typ)
	}
	c, err := b.context(context)
	if err != nil {
		return nil, err
	}
	zs, err := c.NewSocket(t)
	if err != nil {
		return nil, peer.Errorf(category(err), "libzmq: socket %s: %v", typ, err)
	}
	return &socket{typ: typ, zs: zs}, nil
}

var _ peer.Backend = (*Backend)(nil)
