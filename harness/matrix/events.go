package matrix

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"

	"github.com/onsi/ginkgo/v2"

	"github.com/zmqsuite/zmqsuite/harness"
)

// Events are how a suite's processes talk to the person at the terminal. Ginkgo captures what
// parallel processes write and prints it only inside a failed spec's report, so the engine
// appends one JSON line per event to the file named by ZMQSUITE_EVENTS, and `zmqsuite suite`
// (what make runs) turns them into one line per non-pass cell, a progress line and a closing
// tally. Each event is one write of one line under O_APPEND, so lines from several processes
// never interleave. Without ZMQSUITE_EVENTS (go test or ginkgo run by hand) lines go to the
// GinkgoWriter and fatal errors to stderr.
type Event struct {
	Kind  string `json:"kind"` // plan, cell, late, figure, note, fatal, done
	Suite string `json:"suite"`
	Proc  int    `json:"proc"`
	// plan: how many cells (or figures) this run selected, and the header line.
	Total int    `json:"total,omitempty"`
	Line  string `json:"line,omitempty"` // the one-line rendering of the event
	// cell: its id and outcome.
	ID      string          `json:"id,omitempty"`
	Outcome harness.Outcome `json:"outcome,omitempty"`
	// done: the results file.
	Path string `json:"path,omitempty"`
}

var (
	eventsMu   sync.Mutex
	eventsFile *os.File
	eventsErr  error
	eventsOnce sync.Once
)

// EventsEnv names the file events go to.
const EventsEnv = "ZMQSUITE_EVENTS"

// Emit sends an event to the terminal's reader.
func Emit(e Event) {
	e.Proc = ginkgo.GinkgoParallelProcess()
	eventsOnce.Do(func() {
		if p := os.Getenv(EventsEnv); p != "" {
			eventsFile, eventsErr = os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		}
	})
	eventsMu.Lock()
	defer eventsMu.Unlock()
	if eventsFile == nil {
		switch e.Kind {
		case "fatal", "note", "done":
			fmt.Fprintf(os.Stderr, "%s: %s\n", e.Suite, e.Line)
		case "plan":
		default:
			if e.Line != "" {
				ginkgo.GinkgoWriter.Println(e.Line)
			}
		}
		return
	}
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	_, _ = eventsFile.Write(append(b, '\n'))
}
