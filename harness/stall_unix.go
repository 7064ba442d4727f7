//go:build unix

package harness

import "syscall"

// stopProcess and continueProcess freeze and thaw a peer (Cell.Stall).
func stopProcess(pid int) error     { return syscall.Kill(pid, syscall.SIGSTOP) }
func continueProcess(pid int) error { return syscall.Kill(pid, syscall.SIGCONT) }

// processRuns says whether a process pid exists (signal 0; EPERM: it exists, not ours).
func processRuns(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
