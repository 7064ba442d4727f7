package peercheck

import (
	"fmt"
	"time"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// noSuchJob is a job id no peer hands out in a check run.
const noSuchJob = 999999937

// checkJobs: an async op answers its job id at once; wait on a running job answers again
// (at once for timeout_ms 0, after about timeout_ms otherwise); wait after completion answers
// the op's own reply, once; cancel stops a job at its next check; unknown jobs are inval.
func checkJobs(c *checkCtx) {
	bound, conn, _ := c.pair(c.transport())
	req := peer.Request{Op: peer.OpRecvBatch, Socket: bound, Count: 1, TimeoutMS: ms(recvTimeout), Async: true}
	rep, we, took := c.timed(req, opTimeout)
	if we != nil {
		c.refused(peer.OpRecvBatch, "async recv_batch", we)
		c.stop()
	}
	c.jobs = append(c.jobs, rep.Job)
	job := rep.Job
	if took > atOnce {
		c.problem(peer.OpRecvBatch, Mandatory, fmt.Sprintf("async recv_batch answered its job after %v", took.Round(time.Millisecond)),
			"start the op in a thread and answer the job id at once", "async-jobs")
	}
	if !waitOnRunning(c, job) {
		return
	}
	done := harness.Msg("done")
	c.send(conn, done, "send to a running recv_batch job")
	got, we := c.wait(job, jobWait)
	switch {
	case we != nil:
		c.problem(peer.OpWait, Mandatory, "wait on a job whose message was sent answered "+describe(we), "answer the op's own reply", "async-jobs")
	case len(got.Messages) != 1 || diffMessage(got.Messages[0], done) != "":
		c.problem(peer.OpWait, Mandatory, fmt.Sprintf("wait on a finished recv_batch job answered %d messages", len(got.Messages)), "answer the op's own reply", "async-jobs")
	}
	if _, we := c.wait(job, 0); we == nil || we.Category != peer.ErrInval {
		c.problem(peer.OpWait, Mandatory, "a second wait on a collected job answered "+answerOf(we), "a job's reply is collected once; then the job is unknown (inval)", "async-jobs")
	}
	checkCancel(c, bound, conn)
	for _, op := range []string{peer.OpWait, peer.OpCancel} {
		if _, we := c.call(peer.Request{Op: op, Job: noSuchJob, TimeoutMS: peer.Ptr[int64](0)}, opTimeout); we == nil || we.Category != peer.ErrInval {
			c.problem(op, Mandatory, fmt.Sprintf("%s of an unknown job answered %s", op, answerOf(we)), "answer inval", "async-jobs")
		}
	}
}

// waitOnRunning checks that wait on a running job answers again, at once for timeout_ms 0
// and after about timeout_ms otherwise. The job (a recv_batch with timeout_ms 5000 and
// nothing sent) would itself end with again, so an early again is resolved by asking once
// more: a job that is unknown by then had ended, and the wait only collected its reply. It
// returns false when the job is gone.
func waitOnRunning(c *checkCtx, job int64) bool {
	jobEnded := func(before string) bool {
		_, we := c.wait(job, 0)
		if we == nil || we.Category != peer.ErrInval {
			return false
		}
		c.problem(peer.OpRecvBatch, Mandatory, fmt.Sprintf("an async recv_batch with timeout_ms %d and nothing sent ended %s (a wait collected its again)", recvTimeout.Milliseconds(), before),
			"wait timeout_ms for each message", "deadlines-the-peer-enforces-them")
		return true
	}
	for _, tmo := range []time.Duration{0, shortTmo} {
		_, we, took := c.timed(peer.Request{Op: peer.OpWait, Job: job, TimeoutMS: ms(tmo)}, shortMax)
		what := fmt.Sprintf("wait (timeout_ms %d) on a running job", tmo.Milliseconds())
		switch {
		case we != nil && we.Category == peer.ErrInval:
			jobEnded("at once") // the previous wait collected it
			return false
		case we == nil || we.Category != peer.ErrAgain:
			c.problem(peer.OpWait, Mandatory, what+" answered "+answerOf(we), "answer again while the job runs", "async-jobs")
			return false
		case tmo == 0 && took > atOnce:
			c.problem(peer.OpWait, Mandatory, fmt.Sprintf("%s answered again after %v", what, took.Round(time.Millisecond)), "0 means do not wait", "async-jobs")
		case tmo > 0 && took > shortMax:
			c.problem(peer.OpWait, Mandatory, fmt.Sprintf("%s answered again after %v", what, took.Round(time.Millisecond)), "wait up to timeout_ms for the job", "async-jobs")
		case tmo > 0 && took < shortMin:
			if jobEnded(fmt.Sprintf("within %v", took.Round(time.Millisecond))) {
				return false
			}
			c.problem(peer.OpWait, Mandatory, fmt.Sprintf("%s answered again after %v", what, took.Round(time.Millisecond)), "wait up to timeout_ms for the job", "async-jobs")
		}
	}
	return true
}

// cancelWait is how long a cancelled job may take to end once a message has woken it.
const cancelWait = 2 * time.Second

// checkCancel cancels a recv_batch that waits for many messages, then sends one more so
// that a job blocked in a receive reaches its next check. A job that honours cancel ends
// there; one that does not keeps waiting for the rest.
func checkCancel(c *checkCtx, bound, conn string) {
	job := c.start(peer.Request{Op: peer.OpRecvBatch, Socket: bound, Count: 100, TimeoutMS: ms(3 * time.Second)}, "recv_batch of 100")
	c.send(conn, harness.Msg("before cancel 1"), "send to a recv_batch job")
	c.send(conn, harness.Msg("before cancel 2"), "send to a recv_batch job")
	c.must(peer.Request{Op: peer.OpCancel, Job: job}, opTimeout, "cancel a recv_batch job")
	c.send(conn, harness.Msg("after cancel"), "send to a cancelled recv_batch job")
	rep, we := c.wait(job, cancelWait)
	if we == nil || len(rep.Messages) > 0 || we.Category != peer.ErrAgain {
		return // the job's own reply: it ended
	}
	// again without messages: still running, or ended before its first message. A collected
	// job is unknown now.
	if _, we := c.wait(job, 0); we != nil && we.Category == peer.ErrInval {
		return
	}
	c.problem(peer.OpCancel, Mandatory, fmt.Sprintf("a cancelled recv_batch job was still running %v after cancel, with a message to wake it", cancelWait),
		"stop the job at its next check (before each message) and reply to wait with what it has", "async-jobs")
}
