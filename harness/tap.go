package harness

import (
	"encoding/json"
	"strings"

	"github.com/zmqsuite/zmqsuite/harness/zmtp"
)

// A cell with Tap set sends its tcp connections through our ZMTP tap (harness/zmtp): a
// socket that connects to a bound socket of the cell dials a relay in the test process, which
// dials the bound endpoint and decodes both directions into a bounded transcript. The relay
// copies octets unchanged through one fixed buffer per direction, so what is measured is the
// implementations' conversation; cases where an extra hop would change what they measure
// (queue limits, timing) opt out. A failing cell's record carries the transcripts, so that a
// reader sees what went over the wire: "→ READY Socket-Type=REQ", "← MESSAGE more [0 B]".

// tapEndpoint returns the endpoint a connection to `to` should dial: its tap's (created at the
// first connection) when the cell taps tcp, else to's own.
func (c *Cell) tapEndpoint(to *Sock) (string, error) {
	if !c.Tap || c.Transport != TCP || !strings.HasPrefix(to.Endpoint, "tcp://") {
		return to.Endpoint, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.taps[to.Endpoint]; t != nil {
		return t.Endpoint(), nil
	}
	t, err := zmtp.NewTap(zmtp.TapConfig{Target: to.Endpoint})
	if err != nil {
		return "", err
	}
	if c.taps == nil {
		c.taps = map[string]*zmtp.Tap{}
	}
	c.taps[to.Endpoint] = t
	c.tapOrder = append(c.tapOrder, t)
	return t.Endpoint(), nil
}

// closeTaps ends the cell's relays (after its sockets closed), keeping their transcripts.
func (c *Cell) closeTaps() {
	c.mu.Lock()
	taps := c.tapOrder
	c.mu.Unlock()
	for _, t := range taps {
		_ = t.Close()
	}
}

// maxTranscripts bounds how many connections' transcripts a record keeps.
const maxTranscripts = 6

// Transcripts returns the decoded transcripts of the cell's tapped connections, in the order
// the connections were made, as the JSON results.json records keep (each also holds a text
// rendering, "text").
func (c *Cell) Transcripts() []json.RawMessage {
	c.mu.Lock()
	taps := append([]*zmtp.Tap(nil), c.tapOrder...)
	c.mu.Unlock()
	var out []json.RawMessage
	for _, t := range taps {
		for _, tr := range t.Transcripts() {
			if len(out) == maxTranscripts {
				return out
			}
			if b, err := json.Marshal(tr); err == nil {
				out = append(out, b)
			}
		}
	}
	return out
}
