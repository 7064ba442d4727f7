package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Expectation is one known failure: a failure reproduced, with the reason written as an
// upstream bug report would say it, and where it is tracked.
type Expectation struct {
	// Suite is the suite whose case this is: conformance (the default), wire, faults, hosts;
	// "*" (AllSuites, an interop entry's default) is every suite.
	Suite     string `yaml:"suite"`
	Case      string `yaml:"case"`
	Transport string `yaml:"transport"` // tcp, ipc, inproc, or "*"
	Bind      string `yaml:"bind"`      // implementation name or "*"
	Connect   string `yaml:"connect"`   // implementation name or "*"
	OS        string `yaml:"os"`        // GOOS or "*"
	// Versions limits the entry to version ranges: ">=4.3.0 <4.4". A key names an
	// implementation ("gozmq": its binding version, e.g. v0.17.0; "libzmq": pebbe/zmq4's), or
	// "<impl>/libzmq" for the libzmq underneath it ("pyzmq/libzmq": 4.3.4).
	Versions     map[string]string `yaml:"versions"`
	Intermittent bool              `yaml:"intermittent"`
	Reason       string            `yaml:"reason"`
	Link         string            `yaml:"link"` // upstream issue URL, or "not reported upstream"
	line         int
	file         string
}

// Impls are the implementations an entry names: its bind and connect (when not "*") and the
// implementations of its version keys ("pyzmq/libzmq" names pyzmq). Sorted, unique.
func (e *Expectation) Impls() []string {
	set := map[string]bool{}
	for _, v := range []string{e.Bind, e.Connect} {
		if v != "*" && v != "" {
			set[v] = true
		}
	}
	for k := range e.Versions {
		set[strings.TrimSuffix(k, "/libzmq")] = true
	}
	var out []string
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Where names the entry's file and line.
func (e *Expectation) Where() string { return fmt.Sprintf("%s:%d", e.file, e.line) }

// Cell identifies what an expectation is matched against.
type Cell struct {
	Suite                              string // "" = conformance
	Case, Transport, Bind, Connect, OS string
	// Versions by implementation name ("libzmq" → "4.3.4"), and "<impl>/libzmq" for the
	// libzmq underneath a binding.
	Versions map[string]string
}

// Expectations is the parsed expectations file.
type Expectations struct{ list []*Expectation }

// DefaultExpectationFiles is scenarios/expectations.yaml under root, followed by any
// scenarios/expectations.d/*.yaml (a way to keep long lists per implementation).
func DefaultExpectationFiles(root string) []string {
	files := []string{filepath.Join(root, "scenarios", "expectations.yaml")}
	more, _ := filepath.Glob(filepath.Join(root, "scenarios", "expectations.d", "*.yaml"))
	sort.Strings(more)
	return append(files, more...)
}

// LoadExpectations reads expectations files, in order. Every error names the file, the line
// and what to fix: a malformed file must never silently expect nothing.
func LoadExpectations(paths ...string) (*Expectations, error) {
	all := &Expectations{}
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("expectations: %w", err)
		}
		x, err := ParseExpectations(path, b)
		if err != nil {
			return nil, err
		}
		all.list = append(all.list, x.list...)
	}
	return all, nil
}

// ParseExpectations parses the YAML list of entries in b (file names the source in errors).
func ParseExpectations(file string, b []byte) (*Expectations, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &Expectations{}, nil
		}
		return nil, fmt.Errorf("%s:%d: %s", file, syntaxErrorLine(b), yamlMessage(err))
	}
	if len(doc.Content) == 0 {
		return &Expectations{}, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d: want a list of entries (\"- case: …\")", file, root.Line)
	}
	out := &Expectations{}
	for _, n := range root.Content {
		var e Expectation
		if err := decodeStrict(n, &e); err != nil {
			line, msg := n.Line, err.Error()
			if te, ok := err.(*yaml.TypeError); ok && len(te.Errors) > 0 {
				line, msg = typeErrorLine(te.Errors[0], n.Line)
			}
			return nil, fmt.Errorf("%s:%d: %s", file, line, msg)
		}
		e.line, e.file = n.Line, file
		if err := e.validate(); err != nil {
			return nil, fmt.Errorf("%s:%d: entry for %q: %v", file, n.Line, e.Case, err)
		}
		out.list = append(out.list, &e)
	}
	return out, nil
}

// decodeStrict decodes one entry, refusing unknown keys (a typo must not widen a match).
func decodeStrict(n *yaml.Node, e *Expectation) error {
	known := map[string]bool{"suite": true, "case": true, "transport": true, "bind": true, "connect": true, "os": true,
		"versions": true, "intermittent": true, "reason": true, "link": true}
	if n.Kind != yaml.MappingNode {
		return errors.New("an entry must be a mapping of suite, case, transport, bind, connect, os, versions, intermittent, reason, link")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; !known[k] {
			return fmt.Errorf("unknown key %q (known: suite, case, transport, bind, connect, os, versions, intermittent, reason, link)", k)
		}
	}
	return n.Decode(e)
}

// yamlMessage drops the parser's "yaml: line N: " prefix: the caller names the line itself.
func yamlMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if strings.HasPrefix(msg, "line ") {
		if _, rest, ok := strings.Cut(msg, ": "); ok {
			msg = rest
		}
	}
	return strings.ReplaceAll(msg, "\n", " ")
}

// syntaxErrorLine finds the line of a YAML syntax error. The parser's own line is the start of
// the construct it was in, not always the line at fault ("reason: [a" on line 5 of an entry
// starting on line 4 is reported at line 4). The smallest k from which every prefix of k or
// more lines fails to parse is the line where the document went wrong: a prefix that fails
// only because it cuts a valid multi-line string in half parses again once the string closes.
func syntaxErrorLine(b []byte) int {
	lines := strings.SplitAfter(string(b), "\n")
	fails := func(k int) bool {
		var n yaml.Node
		err := yaml.Unmarshal([]byte(strings.Join(lines[:k], "")), &n)
		return err != nil
	}
	k := len(lines)
	for k > 1 && fails(k-1) {
		k--
	}
	return k
}

// typeErrorLine splits one of yaml's "line N: cannot unmarshal …" messages into its line and
// text; fallback is the entry's line.
func typeErrorLine(msg string, fallback int) (int, string) {
	msg = strings.TrimSpace(msg)
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, text, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				return n, text
			}
		}
	}
	return fallback, msg
}

// AllSuites is the suite of an entry for every suite: an interop entry's default.
const AllSuites = "*"

// Suites whose cases expectations may name: the project's, and any suite a test binary
// registers (RegisterSuite).
var Suites = []string{"conformance", "wire", "faults", "hosts", "bench"}

// RegisterSuite makes a suite's name valid in expectations (the engine calls it for every
// suite it builds, so that a suite of its own tests can have entries).
func RegisterSuite(name string) {
	for _, s := range Suites {
		if s == name {
			return
		}
	}
	Suites = append(Suites, name)
}

func (e *Expectation) validate() error {
	if e.Case == "" {
		return errors.New("missing \"case\"")
	}
	if e.Suite == "" {
		e.Suite = "conformance"
		if e.IsInterop() {
			// Two implementations that never connect do not connect in any suite: an
			// interop entry holds for every suite unless it names one.
			e.Suite = AllSuites
		}
	}
	known := e.Suite == AllSuites
	for _, s := range Suites {
		known = known || s == e.Suite
	}
	if !known {
		return fmt.Errorf("suite %q: want one of %s", e.Suite, strings.Join(Suites, ", "))
	}
	for _, f := range []*string{&e.Transport, &e.Bind, &e.Connect, &e.OS} {
		if *f == "" {
			*f = "*"
		}
	}
	if e.Transport != "*" && e.Transport != "tcp" && e.Transport != "ipc" && e.Transport != "inproc" {
		return fmt.Errorf("transport %q: want tcp, ipc, inproc or *", e.Transport)
	}
	if strings.TrimSpace(e.Reason) == "" {
		return errors.New("missing \"reason\": say in one sentence what goes wrong and why")
	}
	if strings.TrimSpace(e.Link) == "" {
		return errors.New("missing \"link\": the upstream issue URL, or \"not reported upstream\"")
	}
	for k, r := range e.Versions {
		if _, err := parseRange(r); err != nil {
			return fmt.Errorf("versions[%s]: %v", k, err)
		}
	}
	return nil
}

// Match returns the first entry that covers c, or nil. Interop entries (case "*") never
// match a cell: they say a pairing does not interoperate at all (see Interop).
func (x *Expectations) Match(c Cell) *Expectation {
	if x == nil {
		return nil
	}
	for _, e := range x.list {
		if !e.IsInterop() && e.matches(c) {
			return e
		}
	}
	return nil
}

// IsInterop reports whether an entry is an interop entry: `case: "*"` with a concrete bind and
// connect says that those two implementations do not exchange messages at all over the
// transport (they do not speak a common protocol revision, say). The engine checks that with
// one probe per pairing; when it holds, the pairing's cells are known failures without being
// run one by one; when a message crosses, the entry is stale, and that is red.
func (e *Expectation) IsInterop() bool { return e.Case == "*" }

// Interop returns the interop entry that covers c's pairing, transport, OS and versions (the
// case is ignored), or nil.
func (x *Expectations) Interop(c Cell) *Expectation {
	if x == nil {
		return nil
	}
	for _, e := range x.list {
		if e.IsInterop() {
			probe := c
			probe.Case = "*"
			if e.matches(probe) {
				return e
			}
		}
	}
	return nil
}

// Check refuses entries of suite that could never match: a case the suite does not have (a
// typo or a renamed id), an implementation name that no registry knows ("gozmqq"), a version
// key that is neither an implementation nor "<impl>/libzmq". Such an entry silently expects
// nothing. known reports whether a case id exists; impls are every implementation name the
// registry has (available or not) plus pseudo-implementations a suite uses.
func (x *Expectations) Check(suite string, known func(string) bool, impls []string) error {
	isImpl := map[string]bool{}
	for _, n := range impls {
		isImpl[n] = true
	}
	names := append([]string(nil), impls...)
	sort.Strings(names)
	for _, e := range x.list {
		if e.Suite != suite && e.Suite != AllSuites {
			continue
		}
		if e.IsInterop() && (e.Bind == "*" || e.Connect == "*") {
			return fmt.Errorf("%s: an interop entry (case \"*\") names the pairing: give both bind and connect", e.Where())
		}
		if !e.IsInterop() && !known(e.Case) {
			return fmt.Errorf("%s: no case %q in the %s suite (a typo, or a renamed id?)", e.Where(), e.Case, suite)
		}
		for _, side := range []struct{ field, v string }{{"bind", e.Bind}, {"connect", e.Connect}} {
			if side.v != "*" && !isImpl[side.v] {
				return fmt.Errorf("%s: %s: unknown implementation %q (known: %s)", e.Where(), side.field, side.v, strings.Join(names, ", "))
			}
		}
		for k := range e.Versions {
			if !isImpl[strings.TrimSuffix(k, "/libzmq")] {
				return fmt.Errorf("%s: versions: %q names no implementation (want one of %s, or <impl>/libzmq)", e.Where(), k, strings.Join(names, ", "))
			}
		}
	}
	return nil
}

// Entries returns every entry, for reports and for the test that checks ids exist.
func (x *Expectations) Entries() []*Expectation { return x.list }

func glob(pattern, v string) bool { return pattern == "*" || pattern == v }

func (e *Expectation) matches(c Cell) bool {
	suite := c.Suite
	if suite == "" {
		suite = "conformance"
	}
	if (e.Suite != suite && e.Suite != AllSuites) || e.Case != c.Case || !glob(e.Transport, c.Transport) || !glob(e.Bind, c.Bind) ||
		!glob(e.Connect, c.Connect) || !glob(e.OS, c.OS) {
		return false
	}
	for impl, r := range e.Versions {
		v, ok := c.Versions[impl]
		if !ok {
			return false
		}
		rg, _ := parseRange(r)
		if !rg.contains(v) {
			return false
		}
	}
	return true
}

// versionRange is a conjunction of comparisons: ">=4.3.0 <4.4".
type versionRange []struct {
	op string
	v  []int
}

func parseRange(s string) (versionRange, error) {
	var r versionRange
	for _, f := range strings.Fields(s) {
		op := strings.TrimRight(f[:min(2, len(f))], "0123456789.")
		if op == "" {
			op = "="
		}
		v, err := parseVersion(strings.TrimPrefix(f, op))
		if err != nil || (op != ">=" && op != "<=" && op != ">" && op != "<" && op != "=") {
			return nil, fmt.Errorf("%q: want comparisons like \">=4.3.0 <4.4\"", s)
		}
		r = append(r, struct {
			op string
			v  []int
		}{op, v})
	}
	if len(r) == 0 {
		return nil, fmt.Errorf("empty range")
	}
	return r, nil
}

func parseVersion(s string) ([]int, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(s, "-+ "); i >= 0 {
		s = s[:i]
	}
	var out []int
	for _, p := range strings.Split(s, ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("version %q is not dotted numbers", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// CompareVersions compares dotted versions numerically (missing parts count as 0).
func CompareVersions(a, b []int) int {
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func (r versionRange) contains(version string) bool {
	v, err := parseVersion(version)
	if err != nil {
		return false
	}
	for _, c := range r {
		d := CompareVersions(v, c.v)
		ok := map[string]bool{">=": d >= 0, "<=": d <= 0, ">": d > 0, "<": d < 0, "=": d == 0}[c.op]
		if !ok {
			return false
		}
	}
	return true
}
