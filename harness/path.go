package harness

import (
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/netsim"
)

// The path between the hosts, and what it does to the harness's waits.
//
// Every wait of the harness was sized for loopback: a quiet window a few times what a delivery
// takes there, a bound a few times what a loaded machine needs. Across a path with delay and
// loss, TCP itself takes longer than some of them: a lost segment is resent no sooner than
// the minimum retransmission timeout, a lost SYN after a second, and a lossy connection
// carries a few hundred kilobytes a second. Then a probe arrives after the drain that should
// have caught it, and a bound fails a correct implementation. So the runner says what the path
// does (PathEnv, in netsim's scenario syntax) and one function, SlackOf, derives from it what
// every wait gains. Without PathEnv (loopback, or hosts a person placed without saying what
// lies between them) every wait keeps its loopback value exactly.

// PathEnv says what the path between the two hosts does, in netsim's scenario syntax
// ("20ms-1%", "mtu1280", "100ms-jitter5ms"; "none" for a clean path): set by `zmqsuite
// suite --net` to the scenario it built; a person who placed the hosts may set it to what
// their network does (a LAN: "1ms"). Absent: loopback, nothing grows.
const PathEnv = "ZMQSUITE_PATH"

// Facts of TCP the slack is built from (Linux's values, which are RFC 6298's or tighter).
const (
	// rtoMin is Linux's minimum retransmission timeout (TCP_RTO_MIN): a lost segment is sent
	// again no sooner than 200 ms after it was first sent, however short the round trip.
	rtoMin = 200 * time.Millisecond
	// synRetry is the initial retransmission timeout (RFC 6298 §2.1, Linux's
	// TCP_TIMEOUT_INIT): a lost SYN or SYN-ACK is sent again after 1 s, and again 2 s later.
	synRetry = time.Second
	// mathisC is the constant of Mathis, Semke, Mahdavi and Ott, "The Macroscopic Behavior of
	// the TCP Congestion Avoidance Algorithm" (1997): a connection that loses a fraction p of
	// its packets carries about MSS/RTT · C/√p, with C ≈ 1.22 (√(3/2)).
	mathisC = 1.22
	// tcpOverhead is what a segment carries besides its payload: IPv4 and TCP headers and the
	// timestamp option Linux sends (20 + 20 + 12 bytes).
	tcpOverhead = 52
	// initialWindow is Linux's initial congestion window (RFC 6928): 10 segments, growing
	// about twofold a round trip in slow start.
	initialWindow = 10
)

// Slack is what a path adds to the harness's waits. The zero Slack is loopback's.
type Slack struct {
	// Path is what the slack was derived from.
	Path netsim.Scenario
	// RTT is the path's longest round trip: twice the one-way delay and its jitter.
	RTT time.Duration
	// Quiet is added to every quiet window (a window decides that nothing more comes, so it
	// must outlast a message still in flight behind the last one seen): one round trip (a
	// message that waited for an acknowledgement or its connection's window) and, on a lossy
	// path, the retransmission of a segment lost twice in a row — the first resend after
	// rtoMin, the second after twice that (RTO backoff), each then crossing once more:
	// 3·rtoMin + RTT. At 1 % loss a segment is lost twice one time in 10,000, a few times a
	// run; three times, once in a million.
	Quiet time.Duration
	// Arrive is added to every bound on something that must come (a connection, a
	// subscription, a message, a send's room): ten round trips for what a step exchanges (TCP's
	// handshake, ZMTP's greeting and handshake, a subscription and the message behind it) and,
	// on a lossy path, a SYN lost twice (synRetry + 2·synRetry) and a data segment lost three
	// times (rtoMin + 2·rtoMin + 4·rtoMin). A bound only costs a cell that fails, so it errs
	// long.
	Arrive time.Duration
	// Rate is how many bytes a second one connection of the path carries at worst, for the
	// bounds of bulk transfers: the lesser of the path's bandwidth cap and the Mathis bound
	// at its loss rate. 0: the path does not limit it (no loss, no cap).
	Rate float64
	// mss is the payload of one segment across the path.
	mss int
}

// SlackOf derives the slack of every wait from what the path does: the one place that knows
// how delay, jitter, loss, bandwidth and MTU lengthen TCP's deliveries. A clean path (the zero
// Scenario) gives the zero Slack. A partition is what a case does to a path, not what the path
// is, and is left out.
func SlackOf(p netsim.Scenario) Slack {
	p.Partition = 0
	if p == (netsim.Scenario{}) {
		return Slack{}
	}
	s := Slack{Path: p, RTT: 2 * (p.Delay + p.Jitter)}
	mtu := p.MTU
	if mtu == 0 {
		mtu = 1500
	}
	s.mss = mtu - tcpOverhead
	s.Quiet = s.RTT
	s.Arrive = 10 * s.RTT
	if p.Loss > 0 {
		s.Quiet += 3*rtoMin + s.RTT
		s.Arrive += 3*synRetry + 7*rtoMin
		// Mathis et al. need a round trip: with loss but no delay, the path's round trip is
		// the machine's (taken as 1 ms, far more than loopback's: the bound stays long).
		rtt := max(s.RTT, time.Millisecond).Seconds()
		s.Rate = float64(s.mss) / rtt * mathisC / math.Sqrt(p.Loss/100)
	}
	if p.Rate > 0 {
		capped := float64(p.Rate) / 8
		if s.Rate == 0 || capped < s.Rate {
			s.Rate = capped
		}
	}
	return s
}

// Transfer is how much longer than on loopback moving n bytes over one connection of the path
// may take, for the bounds of a case that moves megabytes: the round trips slow start needs to
// open the window to n bytes (about log2 of n over the initial window), and, where loss or a
// cap limits the rate, n at half the rate Slack.Rate says (Mathis's figure is an average; loss
// comes in bursts). Zero on loopback.
func (s Slack) Transfer(n int64) time.Duration {
	if s.Path == (netsim.Scenario{}) || n <= 0 {
		return 0
	}
	rounds := 1 + math.Ceil(math.Log2(max(1, float64(n)/float64(initialWindow*s.mss))))
	d := time.Duration(rounds) * s.RTT
	if s.Rate > 0 {
		d += time.Duration(2 * float64(n) / s.Rate * float64(time.Second))
	}
	return d
}

// String says the slack in one line, for the run's header.
func (s Slack) String() string {
	if s.Path == (netsim.Scenario{}) {
		return "loopback waits"
	}
	out := fmt.Sprintf("waits for path %s: quiet windows +%v, bounds +%v", s.Path.Name(), s.Quiet, s.Arrive)
	if s.Rate > 0 {
		out += fmt.Sprintf(", bulk at ≥ %.0f KB/s", s.Rate/2/1000)
	}
	return out
}

// PathSlack is this process's slack: from PathEnv, applied once to every wait at start-up
// (zero when PathEnv is unset).
var PathSlack Slack

// PathErr is why PathEnv could not be read ("" when it could): the run refuses to start with
// it (matrix), so a typo never runs a path with loopback's waits.
var PathErr string

// pathKnown says that PathEnv described the path (a clean one too: "none").
var pathKnown bool

func init() {
	v := strings.TrimSpace(os.Getenv(PathEnv))
	if v == "" {
		return
	}
	p, err := netsim.Parse(v)
	if err != nil {
		PathErr = fmt.Sprintf("%s=%q: %v", PathEnv, v, err)
		return
	}
	PathSlack, pathKnown = SlackOf(p), true
	applySlack(PathSlack)
}

// applySlack lengthens every wait by s. Quiet windows gain s.Quiet; QuietReconnect also the
// three round trips a reconnection takes before it can deliver (TCP's handshake, ZMTP's
// greeting and handshake); TailQuiet, which tells a lost message from a slow one, gains
// s.Arrive like the bounds. JobLimit, which bounds any batch, gains what moving 64 MiB takes:
// more than any case moves on one connection.
func applySlack(s Slack) {
	for _, w := range []*time.Duration{&QuietWindow, &QuietAfterFence, &DrainQuiet} {
		*w += s.Quiet
	}
	QuietReconnect += s.Quiet + 3*s.RTT
	for _, w := range []*time.Duration{&TailQuiet, &ArriveLimit, &SubscribeLimit, &SettleLimit,
		&RecvTimeout, &SendTimeout, &OpTimeout, &PacedSendLimit} {
		*w += s.Arrive
	}
	JobLimit += s.Arrive + s.Transfer(64<<20)
}

// TransferLimit is bound plus what moving n bytes across the path adds (Slack.Transfer): for a
// per-message bound of a message of n bytes, or a case's bound on a transfer of n bytes.
// Exactly bound on loopback.
func TransferLimit(bound time.Duration, n int64) time.Duration {
	return bound + PathSlack.Transfer(n)
}

// CellLimit is a cell's bound (its SpecTimeout) across the path: bound, plus four steps' worth
// of Slack.Arrive (a cell is a sequence of steps, any of which may meet a lost segment), plus
// what moving the case's largest transfer (moves bytes, 0 for none) takes. Exactly bound on
// loopback.
func CellLimit(bound time.Duration, moves int64) time.Duration {
	return bound + 4*PathSlack.Arrive + PathSlack.Transfer(moves)
}

// FenceOrdersArrival reports whether a Fence passed after messages were handed over proves that
// they have arrived: on one machine (and across a path without delay) it does, since every
// connection's segments go out at once. Across a path with delay or loss it does not: the messages
// wait for their own connection's congestion window (Linux restarts an idle connection's
// window at 10 segments, and one that lost a segment waits for its retransmission), while the
// fence's connection, with one message in flight, overtakes them. Hosts placed without PathEnv
// are taken to have a delay.
func FenceOrdersArrival() bool { return !AcrossSlowPath() }

// AcrossSlowPath reports whether the sides are placed across a path with delay or loss, or
// one whose character is unknown (hosts placed without PathEnv): where a fence no longer
// orders arrivals, and TCP's windows and buffers grow past one machine's.
func AcrossSlowPath() bool {
	if p, _ := CurrentPlacement(); p == nil {
		return false
	}
	return !pathKnown || PathSlack.RTT > 0 || PathSlack.Path.Loss > 0
}

// Bound is a case's own bound on something that must come (a connection torn down, a reply,
// a send's room): d on loopback, plus what the path adds to every bound (Slack.Arrive).
func Bound(d time.Duration) time.Duration { return d + PathSlack.Arrive }
