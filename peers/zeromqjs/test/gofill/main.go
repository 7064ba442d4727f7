// Command gofill prints the messages of a plan as harness/peer generates them (Plan.Message,
// which uses Fill): the reference the zeromq.js peer's content pattern is compared with, byte
// for byte, in test/content.test.js. It reads one plan as JSON on stdin and writes the messages
// as a JSON array of base64 frame lists on stdout.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

func main() {
	var p peer.Plan
	if err := json.NewDecoder(os.Stdin).Decode(&p); err != nil {
		fmt.Fprintln(os.Stderr, "gofill: read plan:", err)
		os.Exit(2)
	}
	if err := p.Validate(); err != nil {
		fmt.Fprintln(os.Stderr, "gofill:", err)
		os.Exit(2)
	}
	msgs := make([][][]byte, p.Count)
	for i := range msgs {
		msgs[i] = p.Message(i)
	}
	if err := json.NewEncoder(os.Stdout).Encode(msgs); err != nil {
		fmt.Fprintln(os.Stderr, "gofill: write:", err)
		os.Exit(2)
	}
}
