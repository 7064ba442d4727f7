package harness

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// Receiving plans: the volume cases send generated messages (peer.Plan) and check what arrived
// against the plan. Receiving and checking live here, in one place. Messages come back as
// digests (recv_batch in digest mode: 16 bytes per message, checked against the plan's own
// digests by VerifyPlanDigest), which cut the full matrix's CPU — 100,000 messages in base64
// JSON were half of it; a peer without digest mode answers with the messages, checked byte
// for byte by VerifyPlan.

// JobLimit bounds a Wait for a job that ends by itself (a batch whose every message has its
// own bound): far more than any transfer of the suite takes.
var JobLimit = 60 * time.Second

// maxReplyBytes bounds the payload of one recv_batch reply (base64 adds a third): a reply of
// a few tens of MB is still quick to decode, one of a gigabyte is not.
const maxReplyBytes = 16 << 20

// batchFor is how many of plan's messages one recv_batch may carry: digests are 16 bytes a
// message, but a peer without digest mode answers with the messages, so the bound is theirs.
func batchFor(plan peer.Plan) int {
	size := 0
	for _, n := range plan.FrameSizes() {
		size += n + 8 // and a little per frame
	}
	for _, p := range plan.Prefix {
		size += len(p) + 8
	}
	return max(1, min(plan.Count, maxReplyBytes/max(size, 1)))
}

// digests returns what a recv_batch reply carries as one digest per message, whichever mode
// the peer answered in.
func digests(rep peer.Reply) ([]peer.Digest, error) {
	if len(rep.Digest) > 0 {
		d, err := peer.DecodeDigests(rep.Digest)
		if err != nil {
			return nil, fmt.Errorf("the peer's digest: %w", err)
		}
		return d, nil
	}
	out := make([]peer.Digest, len(rep.Messages))
	for i, m := range rep.Messages {
		out[i] = peer.DigestOf(m)
	}
	return out, nil
}

// ReceivePlan receives plan's messages on s and checks them: nil when all plan.Count arrived
// whole, in order, byte for byte (VerifyPlan), else the first difference, or after how many
// messages the receiver stopped and why. Each message must arrive within RecvTimeout of the
// previous one.
func ReceivePlan(ctx context.Context, s *Sock, plan peer.Plan) error {
	return startReceipt(ctx, s, plan, batchFor(plan)).Wait(ctx)
}

// ReceivePlanPaced is ReceivePlan for a slow receiver: the harness asks for batch messages at
// a time and checks each batch before asking for the next, and meanwhile the socket does not
// read (its queues fill: the sender must wait).
func ReceivePlanPaced(ctx context.Context, s *Sock, plan peer.Plan, batch int) error {
	r := startReceipt(ctx, s, plan, batch)
	return r.Wait(ctx)
}

// PlanReceipt is a plan being received in the background, in s's peer.
type PlanReceipt struct {
	s     *Sock
	plan  peer.Plan
	batch int
	each  time.Duration
	got   int
	job   *Job
}

// StartReceivePlan starts receiving plan's messages on s, each within each of the previous
// one, for a case that acts while they arrive (closes the sender, starts it); Wait collects
// and checks them as ReceivePlan does.
func StartReceivePlan(ctx context.Context, s *Sock, plan peer.Plan, each time.Duration) *PlanReceipt {
	r := &PlanReceipt{s: s, plan: plan, batch: batchFor(plan), each: each}
	r.next(ctx)
	return r
}

func startReceipt(ctx context.Context, s *Sock, plan peer.Plan, batch int) *PlanReceipt {
	r := &PlanReceipt{s: s, plan: plan, batch: max(batch, 1), each: TransferLimit(RecvTimeout, planMessageBytes(plan))}
	r.next(ctx)
	return r
}

func (r *PlanReceipt) next(ctx context.Context) {
	r.job = r.s.RecvDigests(ctx, min(r.batch, r.plan.Count-r.got), r.each)
}

// Wait collects the plan's messages and checks them (see ReceivePlan).
func (r *PlanReceipt) Wait(ctx context.Context) error {
	for {
		n, err := recvPlanBatch(ctx, r.job, r.plan, r.got)
		r.got += n
		if err != nil {
			return fmt.Errorf("%s received %d of %d messages: %w", r.s.Name, r.got, r.plan.Count, err)
		}
		if r.got >= r.plan.Count {
			return nil
		}
		r.next(ctx)
	}
}

// Received is how many messages have arrived so far.
func (r *PlanReceipt) Received() int { return r.got }

// recvPlanBatch collects one recv_batch job of plan's messages, the first of which is message
// plan.Start+from, and checks them: it returns how many arrived, and the first that differs
// from the plan or else why the batch ended early, if it did. The one function that knows
// what a recv_batch reply carries.
func recvPlanBatch(ctx context.Context, job *Job, plan peer.Plan, from int) (int, error) {
	rep, err := job.Wait(ctx, JobLimit)
	part := plan
	part.Start = plan.Start + from
	if len(rep.Digest) == 0 && len(rep.Messages) > 0 {
		// A peer without digest mode: the messages themselves, checked byte for byte.
		part.Count = len(rep.Messages)
		if verr := VerifyPlan(part, rep.Messages); verr != nil {
			return len(rep.Messages), verr
		}
		return len(rep.Messages), err
	}
	got, derr := digests(rep)
	if derr != nil {
		return 0, derr
	}
	part.Count = len(got)
	if verr := VerifyPlanDigest(part, got); verr != nil {
		return len(got), verr
	}
	return len(got), err
}

// planMessageBytes is the size of one of plan's messages: across a lossy path a message of
// megabytes takes seconds to cross (TransferLimit), more than a per-message bound allows.
func planMessageBytes(plan peer.Plan) int64 {
	n := 0
	for _, f := range plan.FrameSizes() {
		n += f
	}
	for _, p := range plan.Prefix {
		n += len(p)
	}
	return int64(n)
}

// Transfer sends plan from one socket while another receives it, concurrently (both run as
// jobs inside their peers, so back-pressure works as it would in an application), and checks
// what arrived (ReceivePlan). The sender is kept open by the caller: closing right after the
// loop is what LNG.3 is about, not what exact-count cases should depend on (libzmq #4660).
func Transfer(ctx context.Context, from, to *Sock, plan peer.Plan) error {
	r := startReceipt(ctx, to, plan, batchFor(plan))
	send := from.SendPlan(ctx, plan, TransferLimit(SendTimeout, planMessageBytes(plan)))
	rerr := r.Wait(ctx)
	if serr := send.WaitSent(ctx, plan.Count); serr != nil {
		return fmt.Errorf("%w (receiver: %v)", serr, rerr)
	}
	return rerr
}

// PacedSendLimit bounds each send of a paced transfer: the sender waits for room while the
// receiver does not read, and the receiver reads again only after the harness has checked its
// last batch, which on a loaded machine took more than SendTimeout (PP.7: "send not done
// within 5s" at a load average of 28, with the messages all intact). Waiting is the behaviour
// under test; only a stall this long is a failure.
var PacedSendLimit = 30 * time.Second

// TransferPaced is Transfer to a slow receiver (ReceivePlanPaced).
func TransferPaced(ctx context.Context, from, to *Sock, plan peer.Plan, batch int) error {
	send := from.SendPlan(ctx, plan, PacedSendLimit)
	rerr := ReceivePlanPaced(ctx, to, plan, batch)
	if serr := send.WaitSent(ctx, plan.Count); serr != nil {
		return fmt.Errorf("%w (receiver: %v)", serr, rerr)
	}
	return rerr
}

// WaitSent waits for a sending job that ends by itself and says whether it sent all count
// messages: the error says how many the socket accepted, and why it stopped.
func (j *Job) WaitSent(ctx context.Context, count int) error {
	rep, err := j.Wait(ctx, JobLimit)
	if err != nil {
		return fmt.Errorf("%s accepted %d of %d messages: %w", j.sock.Name, rep.Sent, count, err)
	}
	return nil
}

// ReceiveN receives exactly n messages on s, in batches that keep each reply small, and
// returns what arrived and, if fewer came, the error that says after how many it stopped.
func ReceiveN(ctx context.Context, s *Sock, n int) ([][][]byte, error) {
	got := make([][][]byte, 0, n)
	for len(got) < n {
		rep, err := s.RecvN(ctx, min(n-len(got), 50_000), RecvTimeout).Wait(ctx, JobLimit)
		got = append(got, rep.Messages...)
		if err != nil {
			return got, fmt.Errorf("%s received %d of %d messages: %w", s.Name, len(got), n, err)
		}
	}
	return got, nil
}

// ReceivePlans receives on s the messages of several senders' plans, interleaved in whatever
// order s hands them over, tells them apart by their first prefix frame (each plan's must be
// distinct), and checks each sender's messages as ReceivePlan does. It returns the senders in
// reception order, for fairness measurements.
func ReceivePlans(ctx context.Context, s *Sock, plans []peer.Plan) (Origins, error) {
	total := 0
	for _, p := range plans {
		total += p.Count
	}
	got, rerr := ReceiveN(ctx, s, total)
	per := make([][][][]byte, len(plans))
	origins := make(Origins, 0, len(got))
	for k, m := range got {
		i := -1
		for j, p := range plans {
			if len(m) > 0 && len(p.Prefix) > 0 && bytes.Equal(m[0], p.Prefix[0]) {
				i = j
			}
		}
		if i < 0 {
			return origins, fmt.Errorf("%s: message %d does not start with a sender's prefix frame: %s (frames of messages mixed?)", s.Name, k, Describe(m))
		}
		per[i] = append(per[i], m)
		origins = append(origins, i)
	}
	if rerr != nil {
		return origins, rerr
	}
	for i, p := range plans {
		if err := VerifyPlan(p, per[i]); err != nil {
			return origins, fmt.Errorf("messages with prefix %q: %w", p.Prefix[0], err)
		}
	}
	return origins, nil
}

// Delivery is one plan's messages as several receivers got them: each message is checked
// against the plan on arrival, by the sequence number it carries, and kept as that number.
// For the cases where how the messages split is what is judged (round-robin, availability,
// duplicates) and no receiver's count is known in advance.
type Delivery struct {
	Plan    peer.Plan
	Socks   []*Sock
	Seqs    [][]int // per receiver, the sequence numbers received, in arrival order
	Sent    int     // messages the sender accepted (ReceiveWhile)
	SendErr error   // why the sender stopped early, if it did
	bad     error   // the first message that is not the plan's
}

// NewDelivery starts an empty delivery of plan to socks.
func NewDelivery(plan peer.Plan, socks ...*Sock) *Delivery {
	return &Delivery{Plan: plan, Socks: socks, Seqs: make([][]int, len(socks))}
}

// ReceiveWhile receives on the given receivers (of d's) concurrently, in rounds, while send (a
// started job) runs, and records the sender's outcome. What is still queued when the sender
// finishes is for ReceiveRest.
//
// A round that brings nothing does not end the reading: the receivers are read for as long as
// the sender runs. Nothing for DrainQuiet does not mean the transfer is over: across a path the
// first round's window opens before the first message can have crossed (64 KiB on an idle
// connection is three round trips of slow start, 120 ms at 20ms), and a loaded machine holds
// the shaper's packets as long. A receiver no longer read fills up, and a sender with nowhere
// else to put its messages (DLR.4's DEALER, whose other peer never reads) then blocks until
// its own bound gives up: a stall of the harness's making (docs/hosts.md, DLR.4). Only after
// JobLimit with nothing at all does it stop reading and wait for the sender, as before, so the
// loop stays bounded.
func (d *Delivery) ReceiveWhile(ctx context.Context, send *Job, socks ...*Sock) {
	last := time.Now() // of the last round that brought something
	for {
		n := d.round(ctx, d.Plan.Count, DrainQuiet, socks)
		wait := time.Duration(0)
		if n > 0 {
			last = time.Now()
		} else if time.Since(last) >= JobLimit {
			wait = JobLimit // nothing moves: let the sender finish (it gives up after its own bound)
		}
		rep, err := send.Wait(ctx, wait)
		if IsStillRunning(err) {
			continue
		}
		d.Sent, d.SendErr = rep.Sent, err
		return
	}
}

// ReceiveRest goes on receiving from every receiver until the plan's count has arrived in
// total; when a round brings nothing, one last round listens for TailQuiet, so that a loss is
// told from a slow tail. The sender must have finished.
func (d *Delivery) ReceiveRest(ctx context.Context) { d.ReceiveUpTo(ctx, d.Plan.Count) }

// ReceiveUpTo is ReceiveRest for want messages in total (fewer than the plan: what a sender
// that stopped early accepted).
func (d *Delivery) ReceiveUpTo(ctx context.Context, want int) {
	for last := false; d.Total() < want; {
		q := DrainQuiet
		if last {
			q = TailQuiet
		}
		n := d.round(ctx, want-d.Total(), q, d.Socks)
		if n == 0 && last {
			return
		}
		last = n == 0
	}
}

// Listen takes what arrives at the receivers until each has been quiet for window: what is
// queued for a sender that drops (PUB, ROUTER), whose count nobody knows, or a message more
// than was accepted.
func (d *Delivery) Listen(ctx context.Context, window time.Duration) {
	d.round(ctx, d.Plan.Count, window, d.Socks)
}

// round runs one recv_batch job of at most most messages on each of socks at once, each ending
// after quiet without a message, and records what arrived; it returns how many did.
func (d *Delivery) round(ctx context.Context, most int, quiet time.Duration, socks []*Sock) int {
	// A digest reads the sequence number from the first frame of 12 bytes or more: behind a
	// prefix frame that long it would read the prefix, so such plans come back as messages.
	long := false
	for _, p := range d.Plan.Prefix {
		long = long || len(p) >= peer.HeaderLen
	}
	jobs := make([]*Job, len(socks))
	for i, s := range socks {
		if long {
			jobs[i] = s.RecvN(ctx, max(most, 1), quiet)
		} else {
			jobs[i] = s.RecvDigests(ctx, max(most, 1), quiet)
		}
	}
	n := 0
	for i, j := range jobs {
		rep, _ := j.Wait(ctx, JobLimit) // ending by quiet is the normal end of a round
		at := d.index(socks[i])
		if long {
			for _, m := range rep.Messages {
				d.addMessage(at, m)
			}
			n += len(rep.Messages)
			continue
		}
		got, err := digests(rep)
		if err != nil && d.bad == nil {
			d.bad = fmt.Errorf("%s: %w", socks[i].Name, err)
		}
		for _, dg := range got {
			d.add(at, dg)
		}
		n += len(got)
	}
	return n
}

func (d *Delivery) index(s *Sock) int {
	for i, o := range d.Socks {
		if o == s {
			return i
		}
	}
	panic(&StepError{Step: "deliver", Err: fmt.Errorf("%s is not a receiver of this delivery", s.Name)})
}

// add checks one message's digest against the plan's message of the same sequence number and
// records the number (-1: not the plan's).
func (d *Delivery) add(at int, dg peer.Digest) {
	seq := -1
	if dg.Seq != peer.NoSeq && dg.Seq >= uint64(d.Plan.Start) && dg.Seq < uint64(d.Plan.Start+d.Plan.Count) {
		seq = int(dg.Seq)
	}
	if seq < 0 {
		if d.bad == nil {
			d.bad = fmt.Errorf("%s message %d carries no sequence number of the plan (%s, %d frames)", d.Socks[at].Name, len(d.Seqs[at]), digestSeq(dg), dg.Frames)
		}
	} else if err := VerifyPlanDigest(d.one(seq), []peer.Digest{dg}); err != nil && d.bad == nil {
		d.bad = fmt.Errorf("%s: %w", d.Socks[at].Name, err)
	}
	d.Seqs[at] = append(d.Seqs[at], seq)
}

// addMessage is add for a message received whole.
func (d *Delivery) addMessage(at int, m [][]byte) {
	seq := seqOf(m, len(d.Plan.Prefix))
	if seq < 0 || seq >= d.Plan.Start+d.Plan.Count {
		if d.bad == nil {
			d.bad = fmt.Errorf("%s message %d carries no sequence number of the plan (%s)", d.Socks[at].Name, len(d.Seqs[at]), Describe(m))
		}
		seq = -1
	} else if err := VerifyPlan(d.one(seq), [][][]byte{m}); err != nil && d.bad == nil {
		d.bad = fmt.Errorf("%s: %w", d.Socks[at].Name, err)
	}
	d.Seqs[at] = append(d.Seqs[at], seq)
}

func (d *Delivery) one(seq int) peer.Plan {
	p := d.Plan
	p.Start, p.Count = seq, 1
	return p
}

// seqOf returns the sequence number a plan message carries in its first data frame (after
// prefix frames), or -1.
func seqOf(m [][]byte, prefix int) int {
	if len(m) <= prefix || len(m[prefix]) < peer.HeaderLen {
		return -1
	}
	return int(binary.BigEndian.Uint64(m[prefix][0:8]))
}

// Total is how many messages arrived over all receivers.
func (d *Delivery) Total() int {
	n := 0
	for _, s := range d.Seqs {
		n += len(s)
	}
	return n
}

// Count is how many messages receiver i got.
func (d *Delivery) Count(i int) int { return len(d.Seqs[i]) }

// Split says how many messages each receiver got: "connect PULL: 3, connect PULL #2: 7".
func (d *Delivery) Split() string {
	parts := make([]string, len(d.Socks))
	for i, s := range d.Socks {
		parts[i] = fmt.Sprintf("%s: %d", s.Name, len(d.Seqs[i]))
	}
	return strings.Join(parts, ", ")
}

// ExactlyOnce checks that the receivers got the plan's messages, each exactly once, each
// receiver's share in increasing order and byte-exact. The error names the first duplicate,
// loss or corruption.
func (d *Delivery) ExactlyOnce() error {
	if d.bad != nil {
		return d.bad
	}
	seen := map[int]string{}
	for i, seqs := range d.Seqs {
		last := -1
		for _, s := range seqs {
			if other, dup := seen[s]; dup {
				return fmt.Errorf("message %d delivered twice: to %s and to %s", s, other, d.Socks[i].Name)
			}
			seen[s] = d.Socks[i].Name
			if s < last {
				return fmt.Errorf("%s received message %d after message %d (out of order)", d.Socks[i].Name, s, last)
			}
			last = s
		}
	}
	if len(seen) < d.Plan.Count {
		var missing []int
		for s := d.Plan.Start; s < d.Plan.Start+d.Plan.Count && len(missing) < 5; s++ {
			if _, ok := seen[s]; !ok {
				missing = append(missing, s)
			}
		}
		return fmt.Errorf("%d of %d messages received in total; lost, e.g., %v", len(seen), d.Plan.Count, missing)
	}
	return nil
}

// InOrderSubset checks that every receiver got an in-order subset of the plan's messages, each
// whole, none twice: what a sender that drops at a full queue (PUB, ROUTER) may deliver.
func (d *Delivery) InOrderSubset() error {
	if d.bad != nil {
		return d.bad
	}
	for i, seqs := range d.Seqs {
		last := -1
		for k, s := range seqs {
			if s <= last {
				return fmt.Errorf("%s: message %d received carries seq %d after seq %d (duplicate or reordered)", d.Socks[i].Name, k, s, last)
			}
			last = s
		}
	}
	return nil
}

// First checks that receiver i got exactly the plan's first n messages, in order.
func (d *Delivery) First(i, n int) error {
	if d.bad != nil {
		return d.bad
	}
	seqs := d.Seqs[i]
	for k, s := range seqs {
		if k >= n {
			return fmt.Errorf("%d messages received, %d accepted: message %d is extra (it carries seq %d)", len(seqs), n, k, s)
		}
		if s != d.Plan.Start+k {
			return fmt.Errorf("message %d: expected seq %d, got seq %d (%s)", d.Plan.Start+k, d.Plan.Start+k, s, misorder(d.Plan.Start+k, s))
		}
	}
	if len(seqs) < n {
		return fmt.Errorf("%d of %d messages received; first missing is message %d", len(seqs), n, d.Plan.Start+len(seqs))
	}
	return nil
}
