package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"
)

// Link faults: a Link is a Shopify toxiproxy proxy (the library, in this process) between
// the two peers of a tcp cell. The connecting side dials the link's endpoint, toxiproxy dials
// the binder, and toxics change what crosses: latency and jitter, a bandwidth limit, silence
// (data dropped until the toxic goes), a reset, a stream sliced into tiny writes. The link
// also counts the connections it accepted, which is how a case sees a side give up on a
// connection and redial (heartbeats, a reset) without a tap.

// Link is one toxiproxy proxy in front of a bound tcp endpoint.
type Link struct {
	// Endpoint is what the connecting side connects to: tcp://127.0.0.1:<proxy port>.
	Endpoint string
	// Upstream is the binder's endpoint the proxy dials for every accepted connection.
	Upstream string

	proxy *toxiproxy.Proxy
	mu    sync.Mutex
	// accepts holds the time of every connection the proxy accepted, in order.
	accepts []time.Time
	// refused counts accepted connections the proxy could not open upstream (binder down).
	refused int
	changed chan struct{} // closed and replaced on every event
}

// Toxiproxy's messages the link listens for (toxiproxy v2.5.0 proxy.go): one per accepted
// client, one per client whose upstream could not be dialled. TestLink fails if a new
// toxiproxy version words them otherwise.
const (
	msgAccepted   = "Accepted client"
	msgNoUpstream = "Unable to open connection to upstream"
)

// NewLink starts a proxy on a fresh loopback port in front of upstream (a tcp:// endpoint).
func NewLink(upstream string) (*Link, error) {
	addr, ok := strings.CutPrefix(upstream, "tcp://")
	if !ok {
		return nil, fmt.Errorf("link: upstream %q is not a tcp endpoint", upstream)
	}
	l := &Link{Upstream: upstream, changed: make(chan struct{})}
	// Toxiproxy reports connections only in its log: a hook counts them and writes nothing.
	logger := zerolog.New(io.Discard).Level(zerolog.InfoLevel).Hook(zerolog.HookFunc(l.hook))
	server := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), logger)
	l.proxy = toxiproxy.NewProxy(server, "zmqsuite", "127.0.0.1:0", addr)
	if err := l.proxy.Start(); err != nil {
		return nil, fmt.Errorf("link: start toxiproxy in front of %s: %w", upstream, err)
	}
	l.Endpoint = "tcp://" + l.proxy.Listen
	return l, nil
}

func (l *Link) hook(_ *zerolog.Event, _ zerolog.Level, msg string) {
	switch msg {
	case msgAccepted, msgNoUpstream:
	default:
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if msg == msgAccepted {
		l.accepts = append(l.accepts, time.Now())
	} else {
		l.refused++
	}
	close(l.changed)
	l.changed = make(chan struct{})
}

// Accepted returns how many connections the proxy has accepted so far.
func (l *Link) Accepted() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.accepts)
}

// Refused returns how many accepted connections found no binder to dial.
func (l *Link) Refused() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refused
}

// AcceptedAt returns when the n-th connection (1-based) was accepted, if it was.
func (l *Link) AcceptedAt(n int) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n < 1 || n > len(l.accepts) {
		return time.Time{}, false
	}
	return l.accepts[n-1], true
}

// AwaitAccepted waits until the proxy has accepted n connections in all, at most timeout;
// it reports whether it did.
func (l *Link) AwaitAccepted(ctx context.Context, n int, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		got, ch := len(l.accepts), l.changed
		l.mu.Unlock()
		if got >= n {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// Toxic is one toxiproxy toxic: Type is toxiproxy's name ("latency", "bandwidth", "timeout",
// "reset_peer", "slicer"), Attributes its settings as toxiproxy documents them. Stream is
// "upstream" (connecting side → binder), "downstream", or "" for both.
type Toxic struct {
	Name       string
	Type       string
	Stream     string
	Attributes map[string]any
	// Dormant adds the toxic with toxicity 0: in place (so that what toxiproxy does when a
	// connection starts with it applies) but doing nothing until Fire.
	Dormant bool
}

// Latency delays every chunk by ms ± jitter ms (toxiproxy applies it in order: no reordering).
func Latency(ms, jitter int) Toxic {
	return Toxic{Name: "latency", Type: "latency", Attributes: map[string]any{"latency": ms, "jitter": jitter}}
}

// Bandwidth limits each direction to kbps kilobytes per second.
func Bandwidth(kbps int) Toxic {
	return Toxic{Name: "bandwidth", Type: "bandwidth", Attributes: map[string]any{"rate": kbps}}
}

// Silence makes the link drop everything and close nothing, as a path that went dead without
// a reset would look from each end: only a timeout (heartbeats) notices. Removing it closes
// the connections that were open through it (toxiproxy's timeout toxic cleans up so), and
// the sides reconnect through the healed link.
func Silence() Toxic {
	return Toxic{Name: "silence", Type: "timeout", Attributes: map[string]any{"timeout": 0}}
}

// ResetPeer resets (TCP RST, linger 0) the connections through the link: it swallows the next
// chunk that comes from the connecting side, waits ms, and closes both ends. Toxiproxy sets
// linger 0 (so that the close is a reset) only on connections that start with the toxic
// present, and a reset_peer present from the start swallows the greeting: arm it dormant
// before the connection (ArmedReset) and Fire it mid-stream.
func ResetPeer(ms int) Toxic {
	return Toxic{Name: "reset", Type: "reset_peer", Stream: "upstream", Attributes: map[string]any{"timeout": ms}}
}

// Cut resets every connection through the link at once, wherever their data is: it closes the
// link's quiet binder-to-connecting direction (a timeout toxic added there and removed again;
// toxiproxy closes a connection when its timeout toxic goes), and the other direction follows.
// Toxiproxy never has to interrupt the busy direction, which it cannot do while that
// direction's data is held up by a slow reader. The close is a TCP reset on connections that
// started with an ArmedReset in place (toxiproxy sets linger 0 on those), a plain close on
// others.
func (l *Link) Cut() error {
	cut := Toxic{Name: "cut", Type: "timeout", Stream: "downstream", Attributes: map[string]any{"timeout": 0}}
	if err := l.Add(cut); err != nil {
		return err
	}
	return l.Remove(cut)
}

// ArmedReset is ResetPeer(0), dormant until Fire.
func ArmedReset() Toxic {
	t := ResetPeer(0)
	t.Dormant = true
	return t
}

// LimitData closes the connections through the link once they have carried octets in stream
// ("upstream": connecting side → binder, "downstream": the other way), each counted from its
// own start: the close (FIN, not a reset) falls at exactly that octet, in the middle of
// whatever is being sent. Toxiproxy then closes the other direction too.
func LimitData(stream string, octets int) Toxic {
	return Toxic{Name: "limit", Type: "limit_data", Stream: stream, Attributes: map[string]any{"bytes": octets}}
}

// Slicer splits every chunk into writes of about avg ± variation bytes, delayUS apart.
func Slicer(avg, variation, delayUS int) Toxic {
	return Toxic{Name: "slicer", Type: "slicer", Attributes: map[string]any{"average_size": avg, "size_variation": variation, "delay": delayUS}}
}

func (t Toxic) streams() []string {
	if t.Stream != "" {
		return []string{t.Stream}
	}
	return []string{"upstream", "downstream"}
}

func (t Toxic) nameFor(stream string) string { return t.Name + "_" + stream }

// Add puts a toxic on the link (on both streams unless it names one): on the connections
// already open and on every later one, until Remove.
func (l *Link) Add(t Toxic) error {
	for _, st := range t.streams() {
		toxicity := 1.0
		if t.Dormant {
			toxicity = 0
		}
		body, err := json.Marshal(map[string]any{"name": t.nameFor(st), "type": t.Type, "stream": st,
			"toxicity": toxicity, "attributes": t.Attributes})
		if err != nil {
			return err
		}
		if _, err := l.proxy.Toxics.AddToxicJson(bytes.NewReader(body)); err != nil {
			return fmt.Errorf("link: add toxic %s (%s): %w", t.nameFor(st), t.Type, err)
		}
	}
	return nil
}

// Fire makes a dormant toxic act (toxicity 1) on the open connections and the later ones.
func (l *Link) Fire(t Toxic) error {
	for _, st := range t.streams() {
		body, err := json.Marshal(map[string]any{"toxicity": 1.0, "attributes": t.Attributes})
		if err != nil {
			return err
		}
		name := t.nameFor(st)
		done := make(chan error, 1)
		go func() {
			_, err := l.proxy.Toxics.UpdateToxicJson(name, bytes.NewReader(body))
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("link: fire toxic %s: %w", name, err)
			}
		case <-time.After(RemoveBound):
			return fmt.Errorf("link: toxiproxy did not fire toxic %s within %v (data held up on the link)", name, RemoveBound)
		}
	}
	return nil
}

// RemoveBound bounds Remove and Fire. Toxiproxy v2.5.0 removes a toxic by interrupting its goroutine
// on every connection, which waits forever for a toxic blocked handing data to a later toxic
// that has stopped reading (a bandwidth toxic in front of a reset_peer that fired): past the
// bound the removal is left running and Remove says so, rather than hang the cell.
var RemoveBound = 5 * time.Second

// Remove takes a toxic off the link.
func (l *Link) Remove(t Toxic) error {
	for _, st := range t.streams() {
		name := t.nameFor(st)
		done := make(chan error, 1)
		go func() { done <- l.proxy.Toxics.RemoveToxic(context.Background(), name) }()
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("link: remove toxic %s: %w", name, err)
			}
		case <-time.After(RemoveBound):
			return fmt.Errorf("link: toxiproxy did not remove toxic %s within %v", name, RemoveBound)
		}
	}
	return nil
}

// Close stops the proxy and closes every connection through it.
func (l *Link) Close() { l.proxy.Stop() }
