package zmtp_test

import (
	"context"
	"fmt"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/zmtp"
)

// A wire case is a script: W.FR.4, "a frame announcing 2^40 octets closes that connection".
func ExampleScript() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	endpoint := "tcp://127.0.0.1:5555" // the implementation's bound PULL socket
	res := zmtp.Script{
		zmtp.SendGreeting(zmtp.V3_1, "NULL", false),
		zmtp.ExpectGreeting(),
		zmtp.SendReady(zmtp.Props("Socket-Type", "PUSH")),
		zmtp.ExpectCommand("READY", zmtp.WithProps(zmtp.Props("Socket-Type", "PULL"))),
		zmtp.SendRaw(zmtp.AppendFrameRaw(nil, zmtp.FlagLong, 1<<40, nil)),
		zmtp.ExpectClose(zmtp.Within(2 * time.Second)),
	}.Dial(ctx, endpoint, zmtp.Config{})
	if !res.OK() {
		fmt.Println(res.Summary()) // "step 6 (expect close [Within]): expected close within 2s, got ..."
		fmt.Print(res.Transcript)  // both directions, one line per event
	}
}

// A tap between two real peers: the dialing peer connects to tap.Endpoint() instead of
// the target, and the transcript tells what crossed.
func ExampleTap() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tap, err := zmtp.NewTap(zmtp.TapConfig{Target: "tcp://127.0.0.1:5556"})
	if err != nil {
		return
	}
	defer tap.Close()
	// ... connect the other implementation to tap.Endpoint(), exchange messages, close ...
	if err := tap.WaitConns(ctx, 1); err != nil {
		return
	}
	tr := tap.Transcripts()[0]
	out := tr.Dir(zmtp.Out)
	fmt.Println(out.Greeting.Version, out.ClearTextAfterHandshake, tr.Problems())
	fmt.Print(tr) // "→ greeting 3.1 NULL as-server=0", "→ READY Socket-Type=PUSH", ...
}
