package netsim

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// While at least one network with the default signal handling is open, SIGINT, SIGTERM and
// SIGHUP close every such network and then kill the process with the same signal, so it ends
// as it would have, minus the leftovers. With none open, the signals are left alone.
var sigs struct {
	sync.Mutex
	open map[*Network]bool
	ch   chan os.Signal
}

var handled = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

func registerSignals(n *Network) {
	sigs.Lock()
	defer sigs.Unlock()
	if sigs.open == nil {
		sigs.open = map[*Network]bool{}
	}
	sigs.open[n] = true
	if sigs.ch != nil {
		return
	}
	var want []os.Signal
	for _, s := range handled {
		if !signal.Ignored(s) { // nohup'ed: SIGHUP stays ignored
			want = append(want, s)
		}
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, want...)
	sigs.ch = ch
	go onSignal(ch)
}

func unregisterSignals(n *Network) {
	sigs.Lock()
	defer sigs.Unlock()
	delete(sigs.open, n)
	if len(sigs.open) == 0 && sigs.ch != nil {
		signal.Stop(sigs.ch)
		close(sigs.ch)
		sigs.ch = nil
	}
}

func onSignal(ch chan os.Signal) {
	s, ok := <-ch
	if !ok {
		return // the last network closed
	}
	sigs.Lock()
	var open []*Network
	for n := range sigs.open {
		open = append(open, n)
	}
	sigs.Unlock()
	for _, n := range open {
		if err := n.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "netsim: on %v: %v\n", s, err)
		}
	}
	// Die of the signal itself, so the exit status says what happened.
	signal.Reset(s)
	_ = syscall.Kill(os.Getpid(), s.(syscall.Signal))
}
