'use strict';
// One zeromq.js socket as the protocol drives it: every blocking call bounded by the request's
// timeout, every refusal mapped to a category.
//
// Timeouts use the socket's own ZMQ_SNDTIMEO/ZMQ_RCVTIMEO, set before each call, because that is
// how zeromq.js bounds its promises: with 0 it tries once (DONTWAIT), with t > 0 it polls for t ms
// and then tries once more, and the promise always settles by itself. Racing a promise against
// a timer instead would leave the receive pending inside zeromq.js: the next receive would be
// refused with EBUSY ("busy reading"), and the abandoned one would swallow the next message.
//
// zeromq.js also gives up early: when its poller sees ZMQ_POLLIN it reads once with DONTWAIT and
// settles with that result, so a message that libzmq reads and then discards (a REQ dropping a
// reply with the wrong request id or from the wrong peer, a REP dropping a request without a
// delimiter) rejects receive() with EAGAIN long before receiveTimeout; libzmq's own blocking
// zmq_msg_recv keeps waiting. The protocol's deadline is the peer's to enforce, so an EAGAIN
// before the deadline is retried with the time left (and counted, see earlyWakeups).

const { performance } = require('perf_hooks');
const { Category, WireError, fromBinding } = require('./wire');
const { log } = require('./log');

// libzmq option numbers used directly here (see options.js for why not the JS properties).
const ZMQ_LINGER = 17;
const ZMQ_RCVTIMEO = 27;
const ZMQ_SNDTIMEO = 28;
const MAX_TIMEO_MS = 2 ** 31 - 1; // the options are C ints
// libuv timers run on the loop's cached clock, so zeromq.js's own timeout can end a little
// before ours: an EAGAIN this close to the deadline is the timeout, not an early give-up.
const EARLY_SLACK_MS = 2;
const RETRY_PAUSE_MS = 5;
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** Protocol socket type -> zeromq.js class name. */
const SOCKET_CLASSES = Object.freeze({
  PAIR: 'Pair', PUB: 'Publisher', SUB: 'Subscriber', REQ: 'Request', REP: 'Reply', DEALER: 'Dealer',
  ROUTER: 'Router', PULL: 'Pull', PUSH: 'Push', XPUB: 'XPublisher', XSUB: 'XSubscriber',
});
const SOCKET_TYPES = Object.keys(SOCKET_CLASSES);

/** Creates a raw zeromq.js socket of a protocol type in a zeromq.js Context. */
function makeRawSocket(zmq, type, context) {
  const cls = Object.prototype.hasOwnProperty.call(SOCKET_CLASSES, type) ? zmq[SOCKET_CLASSES[type]] : undefined;
  if (typeof cls !== 'function') {
    throw new WireError(Category.UNSUPPORTED, `socket type ${JSON.stringify(type)} is not a zeromq.js socket class`);
  }
  try {
    return new cls({ context });
  } catch (e) {
    throw fromBinding(e, `create ${type}`);
  }
}

function clampTimeout(ms) {
  return Math.min(Math.max(0, ms), MAX_TIMEO_MS);
}

class Sock {
  constructor(id, type, z) {
    this.id = id;
    this.type = type;
    this.z = z;
    this.jobs = new Set(); // async jobs running on this socket
    // What ZMQ_SNDTIMEO/RCVTIMEO are now (null: not known) and what the harness last set with
    // setopt, which is what getopt reports: the peer changes the real ones per request.
    this.curSnd = null;
    this.curRcv = null;
    this.userSnd = -1;
    this.userRcv = -1;
    // How often zeromq.js gave up (EAGAIN) before the deadline and the peer waited on.
    this.earlyWakeups = 0;
  }

  setSendTimeout(ms) {
    if (ms !== this.curSnd) {
      this.z.setInt32Option(ZMQ_SNDTIMEO, ms);
      this.curSnd = ms;
    }
  }

  setReceiveTimeout(ms) {
    if (ms !== this.curRcv) {
      this.z.setInt32Option(ZMQ_RCVTIMEO, ms);
      this.curRcv = ms;
    }
  }

  async bind(endpoint) {
    try {
      await this.z.bind(endpoint);
      // The real endpoint: tcp://127.0.0.1:* names its port here.
      return this.z.getStringOption(32) || endpoint;
    } catch (e) {
      throw fromBinding(e, `bind ${endpoint}`);
    }
  }

  connect(endpoint) {
    try {
      this.z.connect(endpoint);
    } catch (e) {
      throw fromBinding(e, `connect ${endpoint}`);
    }
  }

  async unbind(endpoint) {
    // Socket.unbindSync is not usable: zeromq.js 6.x registers it as BindSync (src/socket.cc,
    // InstanceMethod<&Socket::BindSync>("unbindSync")), so it binds again. The async one works.
    try {
      await this.z.unbind(endpoint);
    } catch (e) {
      throw fromBinding(e, `unbind ${endpoint}`);
    }
  }

  disconnect(endpoint) {
    try {
      this.z.disconnect(endpoint);
    } catch (e) {
      throw fromBinding(e, `disconnect ${endpoint}`);
    }
  }

  /**
   * Runs one zeromq.js send or receive (op, after setLimit(ms)) until it succeeds, fails other
   * than with EAGAIN, or the deadline ms from now has passed. ms 0 is a single DONTWAIT try.
   */
  async untilDeadline(what, ms, setLimit, op) {
    const t = clampTimeout(ms);
    const deadline = performance.now() + t;
    for (let left = t; ; left = Math.ceil(deadline - performance.now())) {
      const tried = performance.now();
      try {
        setLimit.call(this, Math.max(0, left));
        return await op();
      } catch (e) {
        const we = fromBinding(e, what);
        if (we.category !== Category.AGAIN) throw we;
        if (t === 0 || performance.now() >= deadline - EARLY_SLACK_MS) {
          we.message = `zeromq.js: ${what}: ${what === 'recv' ? 'no message' : 'not accepted'} within ${t} ms`;
          throw we;
        }
        if (this.earlyWakeups++ === 0) {
          log(`${this.id} (${this.type}): zeromq.js gave up a ${what} with EAGAIN ${Math.round(t - (deadline - performance.now()))} ms into its ${t} ms timeout; waiting on until the deadline`);
        }
        // A refusal without any wait (a ROUTER_MANDATORY whose addressed peer is full while
        // another is not: ZMQ_POLLOUT holds, the send does not) would otherwise spin: pause.
        if (performance.now() - tried < 1) await sleep(Math.min(RETRY_PAUSE_MS, Math.max(0, deadline - performance.now())));
      }
    }
  }

  /** Sends one message (a list of Buffers) within ms milliseconds (0 = DONTWAIT). */
  async send(frames, ms) {
    if (frames.length === 0) throw new WireError(Category.INVAL, 'send: a message needs at least one frame');
    return this.untilDeadline('send', ms, this.setSendTimeout, () => this.z.send(frames));
  }

  /** Receives one whole message within ms milliseconds (0 = DONTWAIT); a list of Buffers. */
  async recv(ms) {
    return this.untilDeadline('recv', ms, this.setReceiveTimeout, () => this.z.receive());
  }

  /** Closes the socket, setting ZMQ_LINGER first when lingerMs is given. */
  close(lingerMs) {
    try {
      if (lingerMs !== undefined && lingerMs !== null) this.z.setInt32Option(ZMQ_LINGER, lingerMs);
    } catch (e) {
      // Close anyway: the harness forgets the handle either way, and a socket left open would
      // keep its endpoints bound for the next case.
      this.z.close();
      throw fromBinding(e, 'close (set linger)');
    }
    this.z.close();
  }
}

module.exports = { Sock, SOCKET_TYPES, makeRawSocket, clampTimeout };
