package scenarios

import (
	"strings"
	"testing"
)

func TestIPCExpectations(t *testing.T) {
	lib := func(v string) IPCVersions { return IPCVersions{LibZMQ: v} }
	py := func(v string) IPCVersions { return IPCVersions{PyZMQ: v, LibZMQ: "4.3.5"} }
	rows := []struct {
		goos, impl string
		ver        IPCVersions
		want       IPCWant
		why        string // a word the reason must contain
	}{
		// unix: everyone, any version (even unknown ones)
		{"linux", "libzmq", lib("4.3.4"), IPCYes, "unix"},
		{"linux", "pyzmq", py("24.0.1"), IPCYes, "unix"},
		{"linux", "gozmq", IPCVersions{Binding: "v0.17.0"}, IPCYes, "unix"},
		{"darwin", "libzmq", lib("4.3.5"), IPCYes, "unix"},
		{"darwin", "pyzmq", py("27.1.0"), IPCYes, "unix"},
		{"darwin", "gozmq", IPCVersions{}, IPCYes, "unix"},
		{"freebsd", "libzmq", IPCVersions{}, IPCYes, "unix"},
		{"openbsd", "pyzmq", IPCVersions{}, IPCYes, "unix"},
		{"illumos", "gozmq", IPCVersions{}, IPCYes, "unix"},

		// windows, libzmq: the 4.3.3 boundary
		{"windows", "libzmq", lib("4.3.2"), IPCNo, "#3691"},
		{"windows", "libzmq", lib("4.3.3"), IPCYes, "#3691"},
		{"windows", "libzmq", lib("4.3.5"), IPCYes, "wepoll"},
		{"windows", "libzmq", lib("4.2.5"), IPCNo, "4.3.3"},
		{"windows", "libzmq", lib("v4.3.3"), IPCYes, "AF_UNIX"},
		{"windows", "libzmq", lib(""), IPCUnknown, "version unknown"},
		{"windows", "libzmq", lib("master"), IPCUnknown, "not a version"},

		// windows, pyzmq wheels: every boundary of the history
		{"windows", "pyzmq", py("20.0.0"), IPCNo, "#1462"},
		{"windows", "pyzmq", py("22.1.0"), IPCNo, "#1462"},
		{"windows", "pyzmq", py("22.2.0"), IPCYes, "22.2"},
		{"windows", "pyzmq", py("23.2.1"), IPCYes, "22.2"},
		{"windows", "pyzmq", py("24.0"), IPCNo, "24.0"},
		{"windows", "pyzmq", py("24.0.1"), IPCNo, "#1758"},
		{"windows", "pyzmq", py("25.1.2"), IPCNo, "#1758"},
		{"windows", "pyzmq", py("26.0.0"), IPCYes, "#2024"},
		{"windows", "pyzmq", py("26.1.1"), IPCYes, "#2024"},
		{"windows", "pyzmq", py("26.2.0"), IPCNo, "#2026"},
		{"windows", "pyzmq", py("27.1"), IPCNo, "#2026"},
		{"windows", "pyzmq", py("27.1.0"), IPCNo, "#2026"},
		{"windows", "pyzmq", py("27.3.0"), IPCNo, "#2026"},
		{"windows", "pyzmq", py("28.0"), IPCUnknown, "probe"},
		{"windows", "pyzmq", py("28.0.0rc1"), IPCUnknown, "probe"},
		{"windows", "pyzmq", IPCVersions{Binding: "27.1.0"}, IPCNo, "#2026"}, // falls back to Binding
		{"windows", "pyzmq", IPCVersions{}, IPCUnknown, "version unknown"},

		// windows, go-zeromq: any version
		{"windows", "gozmq", IPCVersions{Binding: "v0.17.0"}, IPCYes, "golang/go#26072"},
		{"windows", "gozmq", IPCVersions{}, IPCYes, "AF_UNIX"},

		// JeroMQ up to 0.3.x: ipc emulated over tcp, on every OS; later releases unchecked
		{"linux", "jeromq", IPCVersions{Binding: "0.3.6"}, IPCNo, "jeromq #953"},
		{"windows", "jeromq", IPCVersions{Binding: "0.3.6"}, IPCNo, "loopback tcp"},
		{"linux", "jeromq", IPCVersions{Binding: "0.6.0"}, IPCUnknown, "declared is compared with probed"},

		// unknown implementations (external peers): no expectation, on any OS
		{"darwin", "zmq.rs", IPCVersions{}, IPCUnknown, "declared is compared with probed"},
		{"windows", "netmq", IPCVersions{Binding: "4.0.1"}, IPCUnknown, "declared is compared with probed"},

		// unknown OS: no expectation for anyone
		{"plan9", "gozmq", IPCVersions{}, IPCUnknown, "plan9"},
		{"wasip1", "libzmq", lib("4.3.5"), IPCUnknown, "wasip1"},
	}
	for _, r := range rows {
		got, why := ExpectIPC(r.goos, r.impl, r.ver)
		if got != r.want {
			t.Errorf("ExpectIPC(%s, %s, %+v) = %s (%s), want %s", r.goos, r.impl, r.ver, got, why, r.want)
			continue
		}
		if !strings.Contains(why, r.why) {
			t.Errorf("ExpectIPC(%s, %s, %+v): reason %q does not mention %q", r.goos, r.impl, r.ver, why, r.why)
		}
	}
}

// Every row of the table is reached by some input, its bounds parse and are ordered, and
// it says why: a row nobody can reach, or without a reason, is a mistake.
func TestIPCTableRows(t *testing.T) {
	for i, r := range ipcTable {
		if r.why == "" {
			t.Errorf("row %d (%s %s) has no reason", i, r.os, r.impl)
		}
		for _, b := range []string{r.from, r.below} {
			if b == "" {
				continue
			}
			if _, err := ipcParseVersion(b); err != nil {
				t.Errorf("row %d (%s %s): bound %q: %v", i, r.os, r.impl, b, err)
			}
		}
		if r.from != "" && r.below != "" && ipcCompare(ipcMustVersion(r.from), ipcMustVersion(r.below)) >= 0 {
			t.Errorf("row %d (%s %s): empty range [%s, %s)", i, r.os, r.impl, r.from, r.below)
		}
		goos := r.os
		if goos == ipcUnix || goos == "*" {
			goos = "linux"
		}
		probe := r.from
		if probe == "" && r.below != "" {
			probe = "0.0.1"
		}
		v := IPCVersions{LibZMQ: probe, PyZMQ: probe, Binding: probe}
		if got, why := ExpectIPC(goos, r.impl, v); got != r.want || why != r.why {
			t.Errorf("row %d (%s %s %s..%s) is shadowed: ExpectIPC(%s, %s, %q) = %s (%s)",
				i, r.os, r.impl, r.from, r.below, goos, r.impl, probe, got, why)
		}
	}
}

func TestIPCParseVersion(t *testing.T) {
	for in, want := range map[string][3]int{
		"4.3.5":                    {4, 3, 5},
		"v0.17.0":                  {0, 17, 0},
		"27.1":                     {27, 1, 0},
		"28":                       {28, 0, 0},
		"28.0.0rc1":                {28, 0, 0},
		"v0.17.1-0.20240101-abcde": {0, 17, 1},
		" 4.3.4 ":                  {4, 3, 4},
	} {
		got, err := ipcParseVersion(in)
		if err != nil || got != want {
			t.Errorf("ipcParseVersion(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "v", "master", "x.1"} {
		if _, err := ipcParseVersion(bad); err == nil {
			t.Errorf("ipcParseVersion(%q) succeeded, want an error", bad)
		}
	}
}
