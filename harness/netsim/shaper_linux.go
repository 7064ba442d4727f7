package netsim

import (
	"bufio"
	"container/heap"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// The tun backend's shaper: a process inside the router namespace that receives every
// forwarded packet on a TUN device, delays or drops it, and writes it back.

// shaperEnv, when set to a run's state directory, turns any binary that links this package
// into that run's shaper (see init): the shaper is the creating binary re-executed, so there is
// no second program to build or find.
const shaperEnv = "ZMQSUITE_NETSIM_SHAPER"

// tunName is the shaper's device; it only ever exists inside a router namespace.
const tunName = "zsnshape"

func init() {
	if dir := os.Getenv(shaperEnv); dir != "" {
		os.Exit(runShaper(dir))
	}
}

func shaperSock(dir string) string { return filepath.Join(dir, "shaper.sock") }

// runShaper is the shaper process's main. It returns the exit code.
func runShaper(dir string) int {
	logf := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "%s netsim shaper %s: %s\n", time.Now().Format(time.RFC3339Nano), filepath.Base(dir), fmt.Sprintf(format, a...))
	}
	sh, err := newShaper()
	if err != nil {
		logf("%v", err)
		return 1
	}
	sock := shaperSock(dir)
	_ = os.Remove(sock) // a dead predecessor's socket
	ln, err := net.Listen("unix", sock)
	if err != nil {
		logf("listen %s: %v", sock, err)
		return 1
	}
	defer ln.Close()
	logf("shaping on %s (pid %d)", tunName, os.Getpid())
	go sh.readLoop(logf)
	go sh.writeLoop(logf)
	go serveControl(ln, sh, logf)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	s := <-sigs
	logf("stopping on %v", s)
	return 0
}

// shaper holds the TUN device and the packets waiting for their time.
type shaper struct {
	tun  *os.File
	cur  atomic.Pointer[Scenario]
	t0   time.Time
	mu   sync.Mutex
	q    pktHeap
	seq  uint64
	wake chan struct{}
}

func newShaper() (*shaper, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(tunName)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("ifreq %s: %w", tunName, err)
	}
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("create %s: %w", tunName, err)
	}
	l, err := netlink.LinkByName(tunName)
	if err == nil {
		// The TUN only carries packets the veths already accepted, so its own MTU must not be
		// the one that refuses them: the path MTU is the routes' business.
		err = netlink.LinkSetMTU(l, 65535)
	}
	if err == nil {
		// The kernel queues packets for the shaper here while it is not scheduled; the
		// default 500 is 100 ms of a 5000 packet/s burst, less than a loaded machine can
		// keep a process waiting.
		err = netlink.LinkSetTxQLen(l, 20000)
	}
	if err == nil {
		err = netlink.LinkSetUp(l)
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("set %s up: %w", tunName, err)
	}
	sh := &shaper{tun: os.NewFile(uintptr(fd), tunName), t0: time.Now(), wake: make(chan struct{}, 1)}
	sh.cur.Store(&Scenario{})
	return sh, nil
}

// readLoop takes each packet the kernel forwards to the TUN and decides its fate as netem
// would: dropped with probability Loss; else sent at once with probability Reorder; else
// after Delay plus a uniform draw in [-Jitter, +Jitter]. Packets leave in order of the time
// they are due, so jitter reorders and a plain delay does not.
func (sh *shaper) readLoop(logf func(string, ...any)) {
	buf := make([]byte, 65536)
	for {
		n, err := sh.tun.Read(buf)
		if err != nil {
			logf("read %s: %v", tunName, err)
			os.Exit(1) // without its device the shaper is useless, and the route behind it says so
		}
		s := sh.cur.Load()
		if s.Loss > 0 && rand.Float64()*100 < s.Loss {
			continue
		}
		d := s.Delay
		if s.Jitter > 0 {
			d += time.Duration(rand.Int64N(int64(2*s.Jitter)+1)) - s.Jitter
		}
		if s.Reorder > 0 && rand.Float64()*100 < s.Reorder {
			d = 0
		}
		p := &pkt{due: time.Since(sh.t0) + d, b: append([]byte(nil), buf[:n]...)}
		sh.mu.Lock()
		if len(sh.q) >= netemLimit {
			sh.mu.Unlock()
			continue // a full queue drops, as netem's limit does
		}
		sh.seq++
		p.seq = sh.seq
		heap.Push(&sh.q, p)
		sh.mu.Unlock()
		select {
		case sh.wake <- struct{}{}:
		default:
		}
	}
}

// writeLoop hands each packet back to the kernel when it is due.
func (sh *shaper) writeLoop(logf func(string, ...any)) {
	timer := time.NewTimer(time.Hour)
	for {
		sh.mu.Lock()
		if len(sh.q) == 0 {
			sh.mu.Unlock()
			<-sh.wake
			continue
		}
		wait := sh.q[0].due - time.Since(sh.t0)
		if wait <= 0 {
			p := heap.Pop(&sh.q).(*pkt)
			sh.mu.Unlock()
			if _, err := sh.tun.Write(p.b); err != nil {
				logf("write %s: %v", tunName, err) // one packet lost, as a link would lose it
			}
			continue
		}
		sh.mu.Unlock()
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-sh.wake: // maybe an earlier packet (a reordered one)
			timer.Stop()
		}
	}
}

type pkt struct {
	due time.Duration // since shaper.t0
	seq uint64        // arrival order, to keep equal due times in order
	b   []byte
}

type pktHeap []*pkt

func (h pktHeap) Len() int { return len(h) }
func (h pktHeap) Less(i, j int) bool {
	if h[i].due != h[j].due {
		return h[i].due < h[j].due
	}
	return h[i].seq < h[j].seq
}
func (h pktHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pktHeap) Push(x any)   { *h = append(*h, x.(*pkt)) }
func (h *pktHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return p
}

// serveControl answers one JSON Scenario per line with "ok" once it is in force, or
// "error: ...".
func serveControl(ln net.Listener, sh *shaper, logf func(string, ...any)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			logf("accept: %v", err)
			return
		}
		go func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			sc := bufio.NewScanner(c)
			for sc.Scan() {
				var s Scenario
				reply := "ok"
				if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
					reply = "error: " + err.Error()
				} else if err := s.Validate(); err != nil {
					reply = "error: " + err.Error()
				} else {
					sh.cur.Store(&s)
					logf("now %s", s.Name())
				}
				if _, err := fmt.Fprintln(c, reply); err != nil {
					return
				}
			}
		}()
	}
}

// shaperProc is the parent's handle on a run's shaper.
type shaperProc struct {
	dir   string
	pid   int
	start uint64
}

// set puts s's delay, jitter, loss and reorder in force in the shaper.
func (p *shaperProc) set(s Scenario) error {
	c, err := net.DialTimeout("unix", shaperSock(p.dir), 2*time.Second)
	if err != nil {
		return fmt.Errorf("netsim: reach shaper of %s: %w", filepath.Base(p.dir), err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("netsim: encode %s: %w", s.Name(), err)
	}
	if _, err := c.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("netsim: send %s to shaper: %w", s.Name(), err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("netsim: shaper's answer to %s: %w", s.Name(), err)
	}
	if line != "ok\n" {
		return fmt.Errorf("netsim: shaper refused %s: %s", s.Name(), line)
	}
	return nil
}

// startShaper re-executes this binary as the run's shaper inside the router namespace and
// waits until it answers. A persistent run's shaper gets a session of its own, so it outlives
// the terminal that ran zmqsuite netsim up; otherwise a process group of its own, so a Ctrl-C
// meant for the test run does not cut the path before the cleanup has run.
func startShaper(run, routerNS string, persist bool) (*shaperProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("netsim: own executable for the shaper: %w", err)
	}
	dir := stateDir(run)
	logPath := filepath.Join(dir, "shaper.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("netsim: shaper log: %w", err)
	}
	defer logf.Close()
	cmd := newCmd(append([]string{"ip", "netns", "exec", routerNS, exe}, "netsim-shaper"))
	cmd.Env = append(os.Environ(), shaperEnv+"="+dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: !persist, Setsid: persist}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("netsim: start shaper: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // reaps it whenever it ends
	sp := &shaperProc{dir: dir, pid: cmd.Process.Pid}
	sp.start, _ = procStart(sp.pid)
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("netsim: shaper exited at start (%v): %s", err, tail(logPath))
		default:
		}
		err := sp.set(Scenario{})
		if err == nil {
			return sp, nil
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			return nil, fmt.Errorf("netsim: shaper did not answer within 15s: %w; log: %s", err, tail(logPath))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tail is the end of a log file, for error messages.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if len(b) > 600 {
		b = b[len(b)-600:]
	}
	return string(b)
}

func newCmd(argv []string) *exec.Cmd { return exec.Command(argv[0], argv[1:]...) }
