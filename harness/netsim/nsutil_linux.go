package netsim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/vishvananda/netns"
)

// netnsDir is where named namespaces are bind-mounted (the place ip netns uses).
const netnsDir = "/run/netns"

// onThreadIn runs fn on an OS thread switched into the namespace target opens, from a
// goroutine of its own: if the thread cannot be switched back, the goroutine ends still
// locked and the Go runtime throws the thread away instead of reusing it in the wrong
// namespace. enter does the switch (Set to a named namespace, or NewNamed).
func onThreadIn(enter func() error, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			done <- fmt.Errorf("netsim: current namespace: %w", err)
			return
		}
		defer orig.Close()
		if err := enter(); err != nil {
			if netns.Set(orig) == nil {
				runtime.UnlockOSThread()
			}
			done <- err
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			// Stay locked: this goroutine ends and takes the thread with it.
			done <- errors.Join(ferr, fmt.Errorf("netsim: switch thread back to the root namespace: %w", err))
			return
		}
		runtime.UnlockOSThread()
		done <- ferr
	}()
	return <-done
}

// doIn runs fn inside the named namespace: sockets fn creates belong to that namespace for
// their whole life; goroutines fn starts do not run there.
func doIn(ns string, fn func() error) error {
	return onThreadIn(func() error {
		h, err := netns.GetFromName(ns)
		if err != nil {
			return fmt.Errorf("netsim: open namespace %s: %w", ns, err)
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			return fmt.Errorf("netsim: enter namespace %s: %w", ns, err)
		}
		return nil
	}, fn)
}

// createNS creates the named namespace (what ip netns add does).
func createNS(name string) error {
	return onThreadIn(func() error {
		h, err := netns.NewNamed(name)
		if err != nil {
			return fmt.Errorf("netsim: create namespace %s: %w", name, err)
		}
		return h.Close()
	}, func() error { return nil })
}

// nsExists says whether the named namespace is mounted.
func nsExists(name string) bool {
	_, err := os.Stat(filepath.Join(netnsDir, name))
	return err == nil
}

// listNS returns the namespaces under /run/netns whose names carry Prefix.
func listNS() ([]string, error) {
	ents, err := os.ReadDir(netnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("netsim: list %s: %w", netnsDir, err)
	}
	var out []string
	for _, e := range ents {
		if nsRe.MatchString(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// nsID is what names a namespace for good: the device and inode of its nsfs file.
type nsID struct{ dev, ino uint64 }

func nsIDOf(path string) (nsID, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return nsID{}, err
	}
	return nsID{uint64(st.Dev), st.Ino}, nil
}

// pidsIn lists the processes whose network namespace is id, the way ip netns pids finds
// them: same device and inode as /proc/<pid>/ns/net. This process is never listed.
func pidsIn(id nsID) ([]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("netsim: list /proc: %w", err)
	}
	self := os.Getpid()
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		got, err := nsIDOf("/proc/" + e.Name() + "/ns/net")
		if err != nil {
			continue // gone meanwhile, or a zombie
		}
		if got == id {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// killIn SIGKILLs every process inside namespace id until two looks in a row, 50 ms apart,
// find none (a process may fork while it dies, or be entering just now), for up to timeout.
func killIn(name string, id nsID, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	empty := 0
	for empty < 2 {
		pids, err := pidsIn(id)
		if err != nil {
			return err
		}
		if len(pids) == 0 {
			empty++
		} else {
			empty = 0
			if time.Now().After(deadline) {
				return fmt.Errorf("netsim: processes %v still in namespace %s after SIGKILL", pids, name)
			}
			for _, p := range pids {
				_ = syscall.Kill(p, syscall.SIGKILL) // ESRCH: it died meanwhile, which is the aim
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// deleteNS removes the namespace's name first, so nothing new can enter it by name (an
// ip netns exec starting now fails), then kills what runs inside. The kernel frees the
// namespace, and the links inside it, once nothing holds it any more.
func deleteNS(name string) error {
	path := filepath.Join(netnsDir, name)
	id, err := nsIDOf(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("netsim: stat namespace %s: %w", name, err)
	}
	// Another sweeper may be removing it at the same moment: only an error that leaves
	// the name in place counts.
	if err := netns.DeleteNamed(name); err != nil && nsExists(name) {
		return fmt.Errorf("netsim: delete namespace %s: %w", name, err)
	}
	return killIn(name, id, 5*time.Second)
}
