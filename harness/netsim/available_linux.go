package netsim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

var probe struct {
	once    sync.Once
	reason  string // why netsim cannot run here, "" when it can
	netem   error  // why the netem backend cannot, nil when it can
	tun     error  // why the tun backend cannot
	backend string // the default backend
}

// Available returns "" when this machine can build networks, else one line saying why not
// (for a Skip). It checks the privileges and tools, then builds a scratch namespace once per
// process to see which shaping backends the kernel supports.
func Available() string {
	probe.once.Do(func() {
		probe.reason = checkPrereqs()
		if probe.reason != "" {
			return
		}
		probe.netem, probe.tun = probeKernel()
		switch {
		case probe.netem == nil:
			probe.backend = BackendNetem
		case probe.tun == nil:
			probe.backend = BackendTun
		default:
			probe.reason = fmt.Sprintf("netsim: the kernel can shape neither with netem (%v) nor through a TUN device (%v)", probe.netem, probe.tun)
		}
	})
	return probe.reason
}

// Backends reports, after Available, why each backend can or cannot run here (nil: it can).
func Backends() map[string]error {
	Available()
	return map[string]error{BackendNetem: probe.netem, BackendTun: probe.tun}
}

// chooseBackend resolves Options.Backend (and ZMQSUITE_NETSIM_BACKEND) against what the
// kernel can do.
func chooseBackend(want string) (string, error) {
	if want == "" {
		want = os.Getenv("ZMQSUITE_NETSIM_BACKEND")
	}
	switch want {
	case "":
		return probe.backend, nil
	case BackendNetem:
		if probe.netem != nil {
			return "", fmt.Errorf("netsim: backend netem unavailable: %w", probe.netem)
		}
	case BackendTun:
		if probe.tun != nil {
			return "", fmt.Errorf("netsim: backend tun unavailable: %w", probe.tun)
		}
	default:
		return "", fmt.Errorf("netsim: unknown backend %q (want %s or %s)", want, BackendNetem, BackendTun)
	}
	return want, nil
}

// checkPrereqs: capabilities and iproute2.
func checkPrereqs() string {
	capEff, err := effectiveCaps()
	if err != nil {
		return "netsim: cannot read own capabilities: " + err.Error()
	}
	const capNetAdmin, capSysAdmin = 12, 21 // linux/capability.h
	if capEff&(1<<capNetAdmin) == 0 || capEff&(1<<capSysAdmin) == 0 {
		return fmt.Sprintf("netsim: needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN, to make network namespaces); running as uid %d without them", os.Geteuid())
	}
	for _, tool := range []string{"ip", "tc"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "netsim: iproute2's " + tool + " is not on PATH (apt-get install iproute2)"
		}
	}
	if _, err := os.Stat("/proc/self/ns/net"); err != nil {
		return "netsim: the kernel has no network namespaces: " + err.Error()
	}
	return ""
}

func effectiveCaps() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CapEff:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	return 0, errors.New("no CapEff line in /proc/self/status")
}

// probeKernel builds a scratch namespace (zsnP-<run>, owned and removed like any run) with a
// veth pair, and tries there what the backends need: HTB with a netem leaf (after
// modprobe sch_netem if the first try fails), and a TUN device.
func probeKernel() (netemErr, tunErr error) {
	pid, start, err := selfIdentity()
	if err != nil {
		return err, err
	}
	run := newRunID()
	if err := writeState(runState{Run: run, OwnerPID: pid, OwnerStart: start, Scenario: "probe", Created: time.Now().UTC()}); err != nil {
		return err, err
	}
	defer func() {
		if err := teardown(run); err != nil {
			netemErr = errors.Join(netemErr, err)
			tunErr = errors.Join(tunErr, err)
		}
	}()
	ns := nsName("P", run)
	if err := createNS(ns); err != nil {
		return err, err
	}
	dev := linkName(run, "ra")
	err = withHandle(ns, func(h *netlink.Handle) error {
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: dev}, PeerName: linkName(run, "rb")}
		if err := h.LinkAdd(veth); err != nil {
			return fmt.Errorf("netsim: add veth: %w", err)
		}
		return h.LinkSetUp(veth)
	})
	if err != nil {
		return err, err
	}
	if err := runTC(htbRootArgs(ns, dev)); err != nil {
		return fmt.Errorf("no HTB: %w", err), fmt.Errorf("no HTB: %w", err)
	}
	if err := runTC(htbClassArgs(ns, dev, 0)); err != nil {
		return fmt.Errorf("no HTB: %w", err), fmt.Errorf("no HTB: %w", err)
	}
	netemErr = runTC(netemArgs("add", ns, dev, Scenario{}))
	if netemErr != nil {
		if mp, err := exec.LookPath("modprobe"); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			out, merr := exec.CommandContext(ctx, mp, "sch_netem").CombinedOutput()
			cancel()
			if merr == nil {
				netemErr = runTC(netemArgs("add", ns, dev, Scenario{}))
			} else {
				netemErr = fmt.Errorf("%w; modprobe sch_netem: %v %s", netemErr, merr, strings.TrimSpace(string(out)))
			}
		} else {
			netemErr = fmt.Errorf("%w; no modprobe to load sch_netem", netemErr)
		}
	}
	tunErr = doIn(ns, func() error {
		fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open /dev/net/tun: %w", err)
		}
		defer unix.Close(fd)
		ifr, err := unix.NewIfreq(tunName)
		if err != nil {
			return err
		}
		ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
		if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
			return fmt.Errorf("TUNSETIFF: %w", err)
		}
		return nil
	})
	return netemErr, tunErr
}

// withHandle runs fn with a netlink handle inside the named namespace.
func withHandle(ns string, fn func(*netlink.Handle) error) error {
	fd, err := netns.GetFromName(ns)
	if err != nil {
		return fmt.Errorf("netsim: open namespace %s: %w", ns, err)
	}
	defer fd.Close()
	h, err := netlink.NewHandleAt(fd)
	if err != nil {
		return fmt.Errorf("netsim: netlink in %s: %w", ns, err)
	}
	defer h.Close()
	return fn(h)
}
