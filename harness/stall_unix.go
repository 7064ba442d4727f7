//go:build unix

package harness

import "syscall"

// stopProcess and continueProcess freeze and thaw a peer (Cell.Stall).
func stopProcess(pid int) error     { return syscall.Kill(pid, syscall.SIGSTOP) }
func continueProcess(pid int) error { return syscall.Kill(pid, syscall.SIGCONT) }
