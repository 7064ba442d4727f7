package wire

// A minimal sampler of a peer process's resources, to be replaced by harness/resources.go
// (RSS, descriptors and threads of a peer process with github.com/shirou/gopsutil/v4) when it
// lands: the lead merges the two. It reads Linux's /proc; elsewhere it reports nothing and
// the cases record no resource metrics (they still run every other check).

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// usage is what a peer process holds at one moment.
type usage struct {
	RSSKiB  int64 // resident set size, KiB (/proc/<pid>/status VmRSS)
	FDs     int64 // open descriptors (/proc/<pid>/fd entries)
	Threads int64 // OS threads (/proc/<pid>/status Threads)
}

func (u usage) String() string {
	return fmt.Sprintf("RSS %.1f MiB, %d descriptors, %d threads", float64(u.RSSKiB)/1024, u.FDs, u.Threads)
}

// sampleUsage reads pid's resources; ok is false where /proc is not there.
func sampleUsage(pid int) (u usage, ok bool, err error) {
	if runtime.GOOS != "linux" || pid <= 0 {
		return u, false, nil
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, false, fmt.Errorf("peer process %d: %w", pid, err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, found := strings.Cut(line, ":")
		if !found {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		n, perr := strconv.ParseInt(fields[0], 10, 64)
		if perr != nil {
			continue
		}
		switch k {
		case "VmRSS":
			u.RSSKiB = n
		case "Threads":
			u.Threads = n
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return u, false, fmt.Errorf("peer process %d: %w", pid, err)
	}
	u.FDs = int64(len(fds))
	return u, true, nil
}

// Bounds on what a peer process may gain over one robust cell: generous, because a cell is a
// handful of connections and runtimes grow their heaps and thread pools on their own (a Go
// peer's heap, Node's libuv pool, CPython's allocator arenas). They catch a connection that
// allocates what a frame header announces, or a socket that keeps every refused connection's
// descriptor; W.ROB.1 repeats a malformed connection dozens of times with a tighter bound so
// that a per-connection leak shows.
var (
	// GrowthRSSKiB is the resident memory a cell may add (64 MiB).
	GrowthRSSKiB int64 = 64 << 10
	// GrowthFDs is the descriptors a cell may add (the socket's own listener and connections
	// are in the baseline; a closing connection may take a moment to be released).
	GrowthFDs int64 = 16
	// GrowthThreads is the threads a cell may add (libzmq's I/O thread exists from the first
	// socket on; Node and Go start workers on demand).
	GrowthThreads int64 = 16
)

// within says whether after stays within the bounds over before, and if not, what grew.
func within(before, after usage, rss, fds, threads int64) (bool, string) {
	var over []string
	if d := after.RSSKiB - before.RSSKiB; d > rss {
		over = append(over, fmt.Sprintf("RSS grew by %.1f MiB (bound %.0f MiB)", float64(d)/1024, float64(rss)/1024))
	}
	if d := after.FDs - before.FDs; d > fds {
		over = append(over, fmt.Sprintf("descriptors grew by %d (bound %d)", d, fds))
	}
	if d := after.Threads - before.Threads; d > threads {
		over = append(over, fmt.Sprintf("threads grew by %d (bound %d)", d, threads))
	}
	return len(over) == 0, strings.Join(over, "; ")
}
