package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"sort"
	"strings"
	"sync"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// Impl is one implementation the suite can run: a name and the command that starts its peer.
type Impl struct {
	Name    string
	Command []string // argv of the peer process
	Env     []string // extra environment, on top of the harness's own
	Builtin bool
	// Unavailable says why this implementation cannot run here ("" = it should). Such an
	// implementation is listed by doctor and left out of the matrix, with the reason.
	Unavailable string
	// Source says where the definition came from: "builtin", "ZMQSUITE_PEERS".
	Source string
	// Ceiling marks the benchmark ceiling (framed messages over plain sockets): it is not a
	// ZeroMQ implementation, so it is never in the conformance matrix.
	Ceiling bool
	// Optional says why a run may go on without this implementation ("" = required): the user
	// named it in ZMQSUITE_OPTIONAL, or it is a built-in that make deps cannot provide on this
	// platform. A required implementation that does not answer hello makes the run red at once.
	Optional string
}

func (i *Impl) hint() string {
	if i.Source == "ZMQSUITE_PEERS" {
		return " in ZMQSUITE_PEERS"
	}
	return ""
}

// Builtin implementation names.
const (
	GoZMQ    = "gozmq"
	LibZMQ   = "libzmq"
	PyZMQ    = "pyzmq"
	JeroMQ   = "jeromq"   // JeroMQ (pure Java), peers/jeromq
	ZeroMQJS = "zeromqjs" // zeromq.js (Node.js), peers/zeromqjs
	Raw      = "raw"      // the benchmark ceiling row
)

// Registry resolves implementation names to peer commands: the built-ins plus any program
// named in ZMQSUITE_PEERS ("name=command args;name2=command2"), which joins every matrix.
type Registry struct {
	impls map[string]*Impl
	order []string
}

var (
	defaultRegistry     *Registry
	defaultRegistryErr  error
	defaultRegistryOnce sync.Once
)

// DefaultRegistry builds (once per process) the registry from this machine and environment.
func DefaultRegistry() (*Registry, error) {
	defaultRegistryOnce.Do(func() {
		defaultRegistry, defaultRegistryErr = NewRegistry(os.Getenv("ZMQSUITE_PEERS"))
		if defaultRegistryErr == nil {
			defaultRegistryErr = defaultRegistry.MarkOptional(os.Getenv("ZMQSUITE_OPTIONAL"))
		}
	})
	return defaultRegistry, defaultRegistryErr
}

// NewRegistry builds the built-ins and adds the external peers described by spec.
func NewRegistry(spec string) (*Registry, error) {
	r := &Registry{impls: map[string]*Impl{}}
	bin, binErr := PeerBinary()
	for _, name := range []string{GoZMQ, LibZMQ} {
		im := &Impl{Name: name, Builtin: true, Source: "builtin", Command: []string{bin, name}}
		if binErr != nil {
			im.Unavailable = binErr.Error()
		}
		r.add(im)
	}
	ceiling := &Impl{Name: Raw, Builtin: true, Source: "builtin", Ceiling: true, Command: []string{bin, Raw}}
	if binErr != nil {
		ceiling.Unavailable = binErr.Error()
	}
	r.add(ceiling)
	py := &Impl{Name: PyZMQ, Builtin: true, Source: "builtin"}
	if python, tried, err := FindPython(); err != nil {
		py.Unavailable = fmt.Sprintf("no Python with zmq: tried %s", strings.Join(tried, ", "))
	} else {
		py.Command = []string{python, "-u", filepath.Join(RepoRoot(), "pyclients", "peer.py")}
	}
	r.add(py)
	r.add(&Impl{Name: JeroMQ, Builtin: true, Source: "builtin",
		Command:  []string{"bash", filepath.Join(RepoRoot(), "peers", "jeromq", "run.sh")},
		Optional: optionalUnless(runtime.GOOS == "linux" && onPath("apt-get"), "make deps installs JeroMQ from Debian's libjeromq-java, and this machine has no apt-get")})
	r.add(&Impl{Name: ZeroMQJS, Builtin: true, Source: "builtin",
		Command:  []string{"node", filepath.Join(RepoRoot(), "peers", "zeromqjs", "peer.js")},
		Optional: optionalUnless(onPath("node") && onPath("npm"), "make deps installs zeromq.js with npm, and node or npm is not on PATH")})
	ext, err := ParsePeers(spec)
	if err != nil {
		return r, err
	}
	for _, im := range ext {
		if _, dup := r.impls[im.Name]; dup {
			return r, fmt.Errorf("ZMQSUITE_PEERS: %q is already an implementation name; pick another", im.Name)
		}
		r.add(im)
	}
	return r, nil
}

// optionalUnless is the Optional reason of a built-in that make deps provides only where
// provided holds: required there, optional (saying why) elsewhere.
func optionalUnless(provided bool, why string) string {
	if provided {
		return ""
	}
	return why
}

func onPath(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}

func (r *Registry) add(im *Impl) {
	r.impls[im.Name] = im
	r.order = append(r.order, im.Name)
}

// ParsePeers parses ZMQSUITE_PEERS: "name=command args;name2=command2". Arguments are split
// on white space; a command that does not exist is reported when the peer is started.
func ParsePeers(spec string) ([]*Impl, error) {
	var out []*Impl
	for _, part := range strings.Split(spec, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, cmd, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		argv := strings.Fields(cmd)
		if !ok || name == "" || len(argv) == 0 {
			return nil, fmt.Errorf("ZMQSUITE_PEERS: %q is not name=command (example: ZMQSUITE_PEERS=\"jeromq=java -jar peer.jar\")", part)
		}
		if strings.ContainsAny(name, " \t/:,") {
			return nil, fmt.Errorf("ZMQSUITE_PEERS: name %q may not contain spaces, '/', ':' or ','", name)
		}
		out = append(out, &Impl{Name: name, Command: argv, Source: "ZMQSUITE_PEERS"})
	}
	return out, nil
}

// MarkOptional applies ZMQSUITE_OPTIONAL ("libzmq,pyzmq"): the named implementations may be
// missing from a run. An unknown name is an error, since a typo would otherwise leave the
// implementation the user meant required and the one they typed silently ignored.
func (r *Registry) MarkOptional(list string) error {
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		im, err := r.Get(n)
		if err != nil {
			return fmt.Errorf("ZMQSUITE_OPTIONAL: %w", err)
		}
		im.Optional = "ZMQSUITE_OPTIONAL names it"
	}
	return nil
}

// Names lists every implementation in registry order (built-ins first).
func (r *Registry) Names() []string { return append([]string(nil), r.order...) }

// Get returns the named implementation, or an error that lists the known names.
func (r *Registry) Get(name string) (*Impl, error) {
	if im, ok := r.impls[name]; ok {
		return im, nil
	}
	known := r.Names()
	sort.Strings(known)
	return nil, fmt.Errorf("unknown implementation %q (known: %s; add others with ZMQSUITE_PEERS=\"name=command\")", name, strings.Join(known, ", "))
}

// Select returns the implementations named in a comma-separated list (ZMQSUITE_IMPLS), or
// all ZeroMQ implementations (not the benchmark ceiling) for "".
func (r *Registry) Select(list string) ([]*Impl, error) {
	if strings.TrimSpace(list) == "" {
		var all []*Impl
		for _, n := range r.order {
			if !r.impls[n].Ceiling {
				all = append(all, r.impls[n])
			}
		}
		return all, nil
	}
	var out []*Impl
	for _, n := range strings.Split(list, ",") {
		im, err := r.Get(strings.TrimSpace(n))
		if err != nil {
			return nil, fmt.Errorf("ZMQSUITE_IMPLS: %w", err)
		}
		out = append(out, im)
	}
	return out, nil
}

// Discovered is an implementation after its peer was started once and said hello.
type Discovered struct {
	Impl  *Impl
	Hello *peer.Hello
	Err   error // why it cannot run here
}

// Absent is an optional implementation that is not in a run, and why.
type Absent struct {
	Name, Why, Optional string
}

// Require splits what discovery found: the implementations that answered, the optional ones
// that did not (with why), and an error naming every required one that did not — one line
// each, saying what to fix. A required implementation that cannot run makes the run red; it
// is never silently left out.
func Require(found []Discovered) (ok []Discovered, absent []Absent, err error) {
	var missing []string
	for _, d := range found {
		switch {
		case d.Err == nil:
			ok = append(ok, d)
		case d.Impl.Optional != "":
			absent = append(absent, Absent{Name: d.Impl.Name, Why: oneLine(d.Err.Error()), Optional: d.Impl.Optional})
		default:
			missing = append(missing, fmt.Sprintf("%s is required but unavailable: %s (run `make deps`, or set ZMQSUITE_OPTIONAL=%s to run without it)",
				d.Impl.Name, oneLine(d.Err.Error()), d.Impl.Name))
		}
	}
	if len(missing) > 0 {
		return ok, absent, errors.New(strings.Join(missing, "\n"))
	}
	if len(ok) == 0 {
		return ok, absent, errors.New("no implementation works here (run `zmqsuite doctor`)")
	}
	return ok, absent, nil
}

// oneLine keeps the first line of a message.
func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Discover starts each implementation's peer once, in parallel, and records its hello (or why
// it failed). The matrix is built from the ones that answered.
func Discover(ctx context.Context, impls []*Impl) []Discovered {
	out := make([]Discovered, len(impls))
	var wg sync.WaitGroup
	for i, im := range impls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i].Impl = im
			p, err := StartPeer(ctx, im, "", 30*time.Second)
			if err != nil {
				out[i].Err = err
				return
			}
			out[i].Hello = p.Hello
			p.Quit()
		}()
	}
	wg.Wait()
	return out
}
