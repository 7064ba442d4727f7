//go:build !unix

package harness

import "errors"

// Windows has no SIGSTOP: cases that stall a peer skip there (Cell.Stall).
func stopProcess(pid int) error     { return errors.New("no SIGSTOP") }
func continueProcess(pid int) error { return nil }

// processRuns is true where the suite cannot ask cheaply (Windows): no directory is swept.
func processRuns(pid int) bool { return true }
