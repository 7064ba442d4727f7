package scenarios

import (
	"fmt"
	"strconv"
	"strings"
)

// IPC.1 (libzmq test_capabilities; NEWS 4.3.3 "#3691 IPC on Windows 10 via AF_UNIX"): whether an
// implementation has the ipc transport depends on the OS, on the implementation and on how it
// was built. The case compares three things per implementation: what the binding declares
// (zmq_has("ipc") or its equivalent), what a real bind + round trip shows, and what this table
// expects. For an implementation the table does not know (an external peer) the expectation is
// IPCUnknown and the case compares only declared with probed.

// IPCWant is what the table expects for one implementation on one OS.
type IPCWant string

const (
	IPCYes     IPCWant = "yes"
	IPCNo      IPCWant = "no"
	IPCUnknown IPCWant = "unknown" // no expectation: only declared vs probed is checked
)

// IPCVersions are the versions that decide a row: each as the peer reports it in hello
// ("4.3.5", "v0.17.0", "27.1.0"); "" when unknown or not applicable.
type IPCVersions struct {
	LibZMQ  string // the libzmq the implementation links (libzmq peer; pyzmq's bundled one)
	PyZMQ   string // pyzmq's own version (falls back to Binding for the pyzmq peer)
	Binding string // the binding's version (go-zeromq/zmq4, pebbe/zmq4, an external binding)
}

// ipcVersionOf names the version a row's range applies to.
type ipcVersionOf int

const (
	ipcAnyVersion ipcVersionOf = iota
	ipcLibZMQVersion
	ipcPyZMQVersion
	ipcBindingVersion
)

// ipcUnix is the os of rows that hold on every unix-like GOOS (see ipcUnixGOOS).
const ipcUnix = "unix"

// ipcUnixGOOS are the GOOS values whose libzmq, Go runtime and pyzmq all have AF_UNIX ipc.
// GNU/Hurd (libzmq marks its ipc tests XFAIL there, Makefile.am) has no GOOS, so never appears.
var ipcUnixGOOS = map[string]bool{
	"linux": true, "darwin": true, "freebsd": true, "netbsd": true, "openbsd": true,
	"dragonfly": true, "solaris": true, "illumos": true, "aix": true, "android": true, "ios": true,
}

// ipcRule is one row: on os, impl has ipc (want) when its version (on) is in [from, below).
// An empty bound is open. Rows are tried in order; the first that matches answers.
type ipcRule struct {
	os, impl    string
	on          ipcVersionOf
	from, below string
	want        IPCWant
	why         string
}

// ipcTable is the expected availability of ipc. Sources per row; keep them when editing.
var ipcTable = []ipcRule{
	// Linux, macOS and the other unixes: ipc is AF_UNIX, available to all three. libzmq builds
	// ipc on every unix (ZMQ_HAVE_IPC; its CMake only builds the ipc tests if(ZMQ_HAVE_IPC),
	// which holds there); pyzmq's unix wheels bundle such a libzmq; go-zeromq/zmq4 registers
	// "ipc" as Go's "unix" network (transport.go init: RegisterTransport("ipc", transport.New("unix"))).
	{os: ipcUnix, impl: "libzmq", want: IPCYes, why: "libzmq has ipc (AF_UNIX) on every unix"},
	{os: ipcUnix, impl: "pyzmq", want: IPCYes, why: "pyzmq's libzmq has ipc (AF_UNIX) on every unix"},
	{os: ipcUnix, impl: "gozmq", want: IPCYes, why: "go-zeromq/zmq4 maps ipc to Go's unix network"},
	// zeromq.js 6 bundles libzmq 4.3.5 in its prebuilt addon (zmq.capability.ipc is true on Linux
	// x64, checked by its peer's hello).
	{os: ipcUnix, impl: "zeromqjs", want: IPCYes, why: "zeromq.js bundles a libzmq with ipc (AF_UNIX)"},

	// JeroMQ (pure Java) has no ipc transport up to 0.3.x: zmq.IpcAddress maps ipc://PATH to
	// tcp://127.0.0.1:(10000 + |PATH.hashCode()| mod 55536) ("fake Unix domain socket"), so no
	// socket file exists and no other implementation can reach it (jeromq #953). Java 16 added
	// unix-domain SocketChannels (JEP 380), which later JeroMQ releases do not use either.
	// Later releases are not checked: the probe decides.
	{os: "*", impl: "jeromq", on: ipcBindingVersion, below: "0.4", want: IPCNo, why: "JeroMQ emulates ipc over a loopback tcp port: no unix socket (zmq.IpcAddress; jeromq #953)"},

	// Windows, libzmq: ipc over AF_UNIX since 4.3.3 (NEWS 4.3.3: "#3691 IPC on Windows 10 via
	// AF_UNIX"), on Windows 10 1803+ and only when libzmq is built with its epoll poller (wepoll
	// on Windows); a select-poller build has no ipc. The MSYS2 UCRT64 package CI uses is such a
	// build. Before 4.3.3 libzmq had no ipc on Windows at all (issue #153).
	{os: "windows", impl: "libzmq", on: ipcLibZMQVersion, below: "4.3.3", want: IPCNo,
		why: "libzmq < 4.3.3 has no ipc on Windows (added in 4.3.3, #3691)"},
	{os: "windows", impl: "libzmq", on: ipcLibZMQVersion, from: "4.3.3", want: IPCYes,
		why: "libzmq >= 4.3.3 has ipc via AF_UNIX on Windows 10 1803+ when built with the epoll (wepoll) poller, as MSYS2's is (#3691)"},

	// Windows, pyzmq: the PyPI wheels decide (a source build follows the libzmq it links).
	//   < 22.2      no:  wheels built libzmq as a Python extension without ipc (pyzmq #1462, on 20.0).
	//   22.2 - 23.x yes: changelog 22.2.0 "IPC support on Windows ... 64bit Windows wheels, via wepoll".
	//   24.0 - 25.x no:  changelog 24.0.0 "Windows wheels no longer bundle libzmq with AF_UNIX
	//                    support" (pyzmq PR #1758; libzmq crash #4422).
	//   26.0 - 26.1 yes: re-enabled by accident by the new CMake build of the bundled libzmq
	//                    (pyzmq PR #2024: "It was reintroduced in pyzmq 26 due to the new build system").
	//   26.2 - 27.x no:  PR #2024 "disable IPC in Windows wheels (again)", released in 26.2;
	//                    pyzmq issue #2026 (re-enable) still open in 2026.
	//   >= 28       unknown: not checked; the probe decides.
	{os: "windows", impl: "pyzmq", on: ipcPyZMQVersion, below: "22.2", want: IPCNo,
		why: "pyzmq < 22.2 Windows wheels have no ipc (pyzmq #1462)"},
	{os: "windows", impl: "pyzmq", on: ipcPyZMQVersion, from: "22.2", below: "24.0", want: IPCYes,
		why: "pyzmq 22.2-23.x 64-bit Windows wheels bundle libzmq with ipc via wepoll (changelog 22.2.0)"},
	{os: "windows", impl: "pyzmq", on: ipcPyZMQVersion, from: "24.0", below: "26.0", want: IPCNo,
		why: "pyzmq 24.0-25.x Windows wheels ship without ipc (changelog 24.0.0, pyzmq #1758)"},
	{os: "windows", impl: "pyzmq", on: ipcPyZMQVersion, from: "26.0", below: "26.2", want: IPCYes,
		why: "pyzmq 26.0-26.1 Windows wheels have ipc again via the CMake-built libzmq (pyzmq #2024)"},
	{os: "windows", impl: "pyzmq", on: ipcPyZMQVersion, from: "26.2", below: "28.0", want: IPCNo,
		why: "pyzmq 26.2-27.x Windows wheels ship without ipc (pyzmq #2024, #2026)"},
	{os: "windows", impl: "pyzmq", on: ipcPyZMQVersion, from: "28.0", want: IPCUnknown,
		why: "pyzmq >= 28 on Windows: not checked yet (pyzmq #2026); the probe decides"},

	// Windows, go-zeromq/zmq4: Go's net package supports AF_UNIX on Windows 10 1803+ (since
	// Go 1.12, golang/go#26072) and go-zeromq registers ipc as net "unix" on every OS (no build
	// tags in transport.go or transport/transport.go). go-zeromq's own CI runs on Linux only.
	{os: "windows", impl: "gozmq", want: IPCYes,
		why: "go-zeromq/zmq4 uses Go's AF_UNIX, which Go supports on Windows 10 1803+ (golang/go#26072)"},
}

// ExpectIPC says whether impl ("gozmq", "libzmq", "pyzmq", or an external peer's name) is
// expected to have the ipc transport on goos, and why.
func ExpectIPC(goos, impl string, v IPCVersions) (IPCWant, string) {
	matchedOS := false
	for _, r := range ipcTable {
		if !r.matchesOS(goos) {
			continue
		}
		matchedOS = true
		if r.impl != impl {
			continue
		}
		if r.on == ipcAnyVersion {
			return r.want, r.why
		}
		ver := v.of(r.on)
		in, err := ipcInRange(ver, r.from, r.below)
		if err != nil {
			return IPCUnknown, fmt.Sprintf("%s on %s: %v; the probe decides", impl, goos, err)
		}
		if in {
			return r.want, r.why
		}
	}
	if !matchedOS {
		return IPCUnknown, fmt.Sprintf("no ipc expectation for %s on %s; the probe decides", impl, goos)
	}
	return IPCUnknown, fmt.Sprintf("no ipc expectation for %s on %s (external or unknown implementation): declared is compared with probed", impl, goos)
}

func (r ipcRule) matchesOS(goos string) bool {
	if r.os == "*" {
		return true
	}
	if r.os == ipcUnix {
		return ipcUnixGOOS[goos]
	}
	return r.os == goos
}

func (v IPCVersions) of(which ipcVersionOf) string {
	switch which {
	case ipcLibZMQVersion:
		return v.LibZMQ
	case ipcPyZMQVersion:
		if v.PyZMQ != "" {
			return v.PyZMQ
		}
		return v.Binding
	case ipcBindingVersion:
		return v.Binding
	}
	return ""
}

// ipcInRange reports whether version is in [from, below); an empty bound is open.
func ipcInRange(version, from, below string) (bool, error) {
	got, err := ipcParseVersion(version)
	if err != nil {
		return false, err
	}
	if from != "" && ipcCompare(got, ipcMustVersion(from)) < 0 {
		return false, nil
	}
	if below != "" && ipcCompare(got, ipcMustVersion(below)) >= 0 {
		return false, nil
	}
	return true, nil
}

// ipcParseVersion reads "4.3.5", "v0.17.0", "27.1.0rc1", "v0.17.1-0.2024…" as numbers: up to
// three dot-separated components, each the leading digits of its part; missing ones are 0.
func ipcParseVersion(s string) ([3]int, error) {
	var out [3]int
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	if t == "" {
		return out, fmt.Errorf("version unknown")
	}
	for i, part := range strings.SplitN(t, ".", 3) {
		digits := part
		if n := strings.IndexFunc(part, func(r rune) bool { return r < '0' || r > '9' }); n >= 0 {
			digits = part[:n]
		}
		if digits == "" {
			if i == 0 {
				return out, fmt.Errorf("version %q is not a version number", s)
			}
			break
		}
		n, err := strconv.Atoi(digits)
		if err != nil {
			return out, fmt.Errorf("version %q: %w", s, err)
		}
		out[i] = n
		if len(digits) < len(part) { // a suffix ends the number: "1rc1", "1-0.2024…"
			break
		}
	}
	return out, nil
}

func ipcMustVersion(s string) [3]int {
	v, err := ipcParseVersion(s)
	if err != nil {
		panic(fmt.Sprintf("scenarios: bad version bound %q in ipcTable: %v", s, err))
	}
	return v
}

func ipcCompare(a, b [3]int) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}
