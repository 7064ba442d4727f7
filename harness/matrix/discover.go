package matrix

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	"github.com/zmqsuite/zmqsuite/scenarios"
)

// Found is what discovery established for a run: the implementations that answered hello (in
// registry order), what they said, and the optional ones that are absent.
type Found struct {
	Impls  []*harness.Impl
	Hellos map[string]*peer.Hello
	Absent []harness.Absent
	// Registry names every implementation known here, available or not (for checking
	// expectations and filters).
	Registry []string
}

// DiscoverImpls finds the implementations a run is asked for — ZMQSUITE_IMPLS, or every
// ZeroMQ implementation of the registry (built-ins and ZMQSUITE_PEERS) — plus extra (the
// benchmark ceiling), and starts each peer once. Every asked-for implementation is required
// unless ZMQSUITE_OPTIONAL (or the registry, for a built-in make deps cannot provide here)
// marks it optional: one that does not answer hello is an error naming it and why.
func DiscoverImpls(extra ...string) (*Found, error) {
	reg, impls, err := askedFor(extra)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ok, absent, err := harness.Require(harness.Discover(ctx, impls))
	if err != nil {
		return nil, err
	}
	f := &Found{Hellos: map[string]*peer.Hello{}, Absent: absent, Registry: reg.Names()}
	for _, d := range ok {
		f.Impls = append(f.Impls, d.Impl)
		f.Hellos[d.Impl.Name] = d.Hello
	}
	return f, nil
}

// askedFor is the registry and the implementations a run is asked for: ZMQSUITE_IMPLS (or all
// of the registry's), then extra.
func askedFor(extra []string) (*harness.Registry, []*harness.Impl, error) {
	reg, err := harness.DefaultRegistry()
	if err != nil {
		return nil, nil, err
	}
	impls, err := reg.Select(os.Getenv("ZMQSUITE_IMPLS"))
	if err != nil {
		return nil, nil, err
	}
	for _, n := range extra {
		im, err := reg.Get(n)
		if err != nil {
			return nil, nil, err
		}
		impls = append(impls, im)
	}
	return reg, impls, nil
}

// Versions maps implementation names to binding versions and "<impl>/libzmq" to the libzmq
// underneath, for expectations' version ranges.
func (f *Found) Versions() map[string]string {
	v := map[string]string{}
	for name, h := range f.Hellos {
		v[name] = h.Version
		if h.Libzmq != "" {
			v[name+"/libzmq"] = h.Libzmq
		}
	}
	return v
}

// AbsentNotes renders the absent optional implementations, one line each.
func (f *Found) AbsentNotes() []string {
	var out []string
	for _, a := range f.Absent {
		out = append(out, fmt.Sprintf("%s left out (optional: %s): %s", a.Name, a.Optional, a.Why))
	}
	return out
}

// LoadExpectations reads the expectations files (ZMQSUITE_EXPECTATIONS, a path list, default
// scenarios/expectations.yaml and scenarios/expectations.d/*.yaml) and refuses entries of
// suite that could never match: unknown cases, unknown implementation names.
func LoadExpectations(suite string, known func(string) bool, implNames []string) (*scenarios.Expectations, error) {
	paths := filepath.SplitList(os.Getenv("ZMQSUITE_EXPECTATIONS"))
	if len(paths) == 0 {
		paths = scenarios.DefaultExpectationFiles(harness.RepoRoot())
	}
	exps, err := scenarios.LoadExpectations(paths...)
	if err != nil {
		return nil, err
	}
	if err := exps.Check(suite, known, implNames); err != nil {
		return nil, fmt.Errorf("expectations: %w", err)
	}
	return exps, nil
}

// describeImpls is the header line's list: "gozmq v0.17.0, libzmq v1.4.0 (libzmq 4.3.4), …".
func describeImpls(f *Found) string {
	var parts []string
	for _, im := range f.Impls {
		h := f.Hellos[im.Name]
		s := im.Name + " " + h.Version
		if h.Libzmq != "" {
			s += " (libzmq " + h.Libzmq + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}
