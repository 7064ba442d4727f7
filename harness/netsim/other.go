//go:build !linux

package netsim

import (
	"errors"
	"runtime"
)

// Elsewhere than Linux there are no network namespaces: everything says so.

var errNotLinux = errors.New("netsim: needs Linux network namespaces (this is " + runtime.GOOS + ")")

type platform struct{}

func (platform) set(_, _ Scenario) error { return errNotLinux }
func (platform) noteScenario(Scenario)   {}

// RunInfo describes one run found on the machine.
type RunInfo struct {
	Run        string   `json:"run"`
	Namespaces []string `json:"namespaces"`
	RootLinks  []string `json:"root_links,omitempty"`
	HasState   bool     `json:"has_state"`
	OwnerPID   int      `json:"owner_pid,omitempty"`
	Persistent bool     `json:"persistent,omitempty"`
	Backend    string   `json:"backend,omitempty"`
	Scenario   string   `json:"scenario,omitempty"`
	Orphan     bool     `json:"orphan"`
	Why        string   `json:"why"`
}

func Available() string { return errNotLinux.Error() }
func Backends() map[string]error {
	return map[string]error{BackendNetem: errNotLinux, BackendTun: errNotLinux}
}
func New(Options) (*Network, error)   { return nil, errNotLinux }
func Open(string) (*Network, error)   { return nil, errNotLinux }
func Runs() ([]RunInfo, error)        { return nil, nil }
func Sweep() ([]string, error)        { return nil, nil }
func Down(string) error               { return errNotLinux }
func (h *Host) Do(func() error) error { return errNotLinux }
func (n *Network) Close() error       { return nil }
