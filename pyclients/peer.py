#!/usr/bin/env python3
"""pyzmq peer for zmqsuite: speaks the peer protocol of harness/peer (Go) over stdin/stdout.

One JSON request per line on stdin, one JSON reply per line on stdout, in order. Only the main
loop writes to stdout; async jobs (send, recv, batches, bench) run in threads and hand their
reply to "wait". Bytes travel as base64 strings, as Go's encoding/json writes []byte.
Diagnostics go to stderr. Python 3.8+, standard library and pyzmq only.

The normative description is docs/peer-protocol.md; harness/peer (protocol.go, server.go,
bench.go, plan.go, digest.go) is the Go reference, and the comments below say where this peer has
to choose something neither spells out.
"""

import base64
import binascii
import errno
import json
import os
import platform
import shutil
import struct
import sys
import tempfile
import threading
import time
import zlib

import zmq
import zmq.utils.z85

PROTOCOL_VERSION = 1

# Error categories (harness/peer/protocol.go).
UNSUPPORTED = "unsupported"
AGAIN = "again"
EFSM = "efsm"
HOSTUNREACH = "hostunreach"
TERM = "term"
CLOSED = "closed"
INVAL = "inval"
NAMETOOLONG = "nametoolong"
PROTOCOL = "protocol"
OTHER = "other"

DEFAULT_TIMEOUT_MS = 10000  # DefaultTimeout: a send/recv that names no timeout_ms
POLL_SLICE_MS = 100  # pollSlice: how often a blocked bench loop looks at its cancel flag
HEADER_LEN = 12  # plan.go HeaderLen
MAX_TIMEO_MS = 2 ** 31 - 1  # ZMQ_SNDTIMEO/RCVTIMEO are C ints
COPY_THRESHOLD = 65536  # frames this big go zero-copy
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1

SOCKET_TYPES = ["PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB"]
# Types this peer will also create if asked, though the protocol does not list them.
EXTRA_SOCKET_TYPES = ["STREAM", "SERVER", "CLIENT", "RADIO", "DISH", "GATHER", "SCATTER",
                      "DGRAM", "PEER", "CHANNEL"]

OPS = {"hello", "socket", "bind", "connect", "unbind", "disconnect", "setopt", "getopt", "send",
       "recv", "send_batch", "recv_batch", "bench", "wait", "cancel", "close", "quit", "ping",
       "zap", "zap_log", "zap_stop"}
ZAP_OPS = {"zap", "zap_log", "zap_stop"}
ASYNC_OPS = {"send", "recv", "send_batch", "recv_batch", "bench"}

# The protocol's Options map (protocol.go), in its order: name -> (kind, zmq constant names,
# socket types to probe support on, how to probe). Kinds: bytes, int, bool; "ro_*" are getopt
# only. A probe by "set" writes libzmq's default value (0 or empty) to a throwaway socket.
OPTIONS = [
    ("subscribe", "bytes", ("SUBSCRIBE",), ("SUB",), "set"),
    ("unsubscribe", "bytes", ("UNSUBSCRIBE",), ("SUB",), "set"),
    ("routing_id", "bytes", ("ROUTING_ID", "IDENTITY"), ("DEALER",), "get"),
    ("connect_routing_id", "bytes", ("CONNECT_ROUTING_ID", "CONNECT_RID"), ("ROUTER",), "set"),
    ("sndhwm", "int", ("SNDHWM",), ("DEALER",), "get"),
    ("rcvhwm", "int", ("RCVHWM",), ("DEALER",), "get"),
    ("linger", "int", ("LINGER",), ("DEALER",), "get"),
    ("sndtimeo", "int", ("SNDTIMEO",), ("DEALER",), "get"),
    ("rcvtimeo", "int", ("RCVTIMEO",), ("DEALER",), "get"),
    ("router_mandatory", "bool", ("ROUTER_MANDATORY",), ("ROUTER",), "set"),
    ("probe_router", "bool", ("PROBE_ROUTER",), ("DEALER",), "set"),
    ("req_relaxed", "bool", ("REQ_RELAXED",), ("REQ",), "set"),
    ("req_correlate", "bool", ("REQ_CORRELATE",), ("REQ",), "set"),
    ("xpub_verbose", "bool", ("XPUB_VERBOSE",), ("XPUB",), "set"),
    ("xpub_verboser", "bool", ("XPUB_VERBOSER",), ("XPUB",), "set"),
    ("xpub_nodrop", "bool", ("XPUB_NODROP",), ("XPUB",), "set"),
    ("xpub_manual", "bool", ("XPUB_MANUAL",), ("XPUB",), "set"),
    ("xpub_welcome_msg", "bytes", ("XPUB_WELCOME_MSG",), ("XPUB",), "set"),
    ("invert_matching", "bool", ("INVERT_MATCHING",), ("SUB",), "get"),
    ("conflate", "bool", ("CONFLATE",), ("PULL",), "set"),
    ("immediate", "bool", ("IMMEDIATE",), ("DEALER",), "get"),
    ("maxmsgsize", "int", ("MAXMSGSIZE",), ("DEALER",), "get"),
    ("heartbeat_ivl", "int", ("HEARTBEAT_IVL",), ("DEALER",), "get"),
    ("heartbeat_timeout", "int", ("HEARTBEAT_TIMEOUT",), ("DEALER",), "get"),
    ("heartbeat_ttl", "int", ("HEARTBEAT_TTL",), ("DEALER",), "get"),
    ("router_notify", "int", ("ROUTER_NOTIFY",), ("ROUTER",), "get"),
    # Security (docs/peer-protocol.md "Security"): z85 is 40 characters of Z85 text, passed to
    # libzmq as its ASCII bytes, so that libzmq decides which key sizes it takes (CRV.6).
    ("plain_server", "bool", ("PLAIN_SERVER",), ("DEALER",), "get"),
    ("plain_username", "bytes", ("PLAIN_USERNAME",), ("DEALER",), "get"),
    ("plain_password", "bytes", ("PLAIN_PASSWORD",), ("DEALER",), "get"),
    ("curve_server", "bool", ("CURVE_SERVER",), ("DEALER",), "set"),
    ("curve_publickey", "z85", ("CURVE_PUBLICKEY",), ("DEALER",), "set"),
    ("curve_secretkey", "z85", ("CURVE_SECRETKEY",), ("DEALER",), "set"),
    ("curve_serverkey", "z85", ("CURVE_SERVERKEY",), ("DEALER",), "set"),
    ("zap_domain", "string", ("ZAP_DOMAIN",), ("DEALER",), "get"),
    ("handshake_ivl", "int", ("HANDSHAKE_IVL",), ("DEALER",), "get"),
    ("mechanism", "ro_mechanism", ("MECHANISM",), ("DEALER",), "get"),
    ("last_endpoint", "ro_string", ("LAST_ENDPOINT",), ("DEALER",), "get"),
    ("rcvmore", "ro_bool", ("RCVMORE",), ("DEALER",), "get"),
    ("topics_count", "ro_int", ("TOPICS_COUNT",), ("XPUB", "XSUB", "SUB"), "get"),
]
OPTION_INFO = {o[0]: o for o in OPTIONS}
# Probe values other than the default: libzmq refuses an empty CONNECT_ROUTING_ID (EINVAL).
# A CURVE key probe writes a valid key (libzmq refuses an empty one): Z85 of 32 zero bytes.
_ZERO_KEY = b"0" * 40
PROBE_VALUES = {"connect_routing_id": b"probe", "curve_publickey": _ZERO_KEY,
                "curve_secretkey": _ZERO_KEY, "curve_serverkey": _ZERO_KEY}


def log(*args):
    print("pyzmq peer:", *args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Errors


class WireError(Exception):
    """A refusal with a category, sent as {"category":..., "message":...}."""

    def __init__(self, category, message):
        Exception.__init__(self, message)
        self.category = category
        self.message = message

    def text(self):
        # Go's WireError.Error(): "category: message".
        return self.category + ": " + self.message


class BadRequest(Exception):
    """A request line that cannot be decoded: the stream is no longer trusted."""


def _errno_map():
    m = {}
    for name, cat in (("EAGAIN", AGAIN), ("EFSM", EFSM), ("EHOSTUNREACH", HOSTUNREACH),
                      ("ETERM", TERM), ("ENOTSOCK", CLOSED), ("EINVAL", INVAL),
                      ("ENAMETOOLONG", NAMETOOLONG),
                      # The transport is not built into this libzmq (ipc in Windows wheels):
                      # "the binding lacks the ... transport".
                      ("EPROTONOSUPPORT", UNSUPPORTED),
                      # The socket type cannot do that (send on a SUB), the option is not
                      # there, the peer speaks an incompatible protocol: the libzmq Go peer
                      # maps these to unsupported too (docs/peer-protocol.md, errno table).
                      ("ENOTSUP", UNSUPPORTED), ("ENOPROTOOPT", UNSUPPORTED),
                      ("ENOCOMPATPROTO", UNSUPPORTED)):
        for num in (getattr(zmq, name, None), getattr(errno, name, None)):
            if isinstance(num, int):
                m.setdefault(num, cat)
    return m


ERRNO_CATEGORY = _errno_map()


def wire(e):
    """Turns any exception raised by the binding into a WireError."""
    if isinstance(e, WireError):
        return e
    if isinstance(e, zmq.ZMQError):
        return WireError(ERRNO_CATEGORY.get(e.errno, OTHER), str(e) or "errno %s" % e.errno)
    return WireError(OTHER, "%s: %s" % (type(e).__name__, e))


def fail(e):
    e = wire(e)
    return {"ok": False, "error": {"category": e.category, "message": e.message}}


# ---------------------------------------------------------------------------------------------
# Message content (plan.go)

_RING = bytes(range(256))


def fill(size, seq, frame):
    """Frame `frame` of message `seq`, `size` bytes, exactly as plan.go's Fill writes it."""
    if size < HEADER_LEN:
        start, head = 0, b""
    else:
        start = HEADER_LEN
        head = struct.pack(">QI", seq & 0xFFFFFFFFFFFFFFFF, frame & 0xFFFFFFFF)
    n = size - start
    if n <= 0:
        return head
    off = (seq * 131 + frame * 17 + start) & 255
    reps = (off + n + 255) // 256
    return head + (_RING * reps)[off:off + n]


# Digest mode (digest.go): 16 bytes per received message instead of the message itself.
DIGEST_LEN = 16
NO_SEQ = 0xFFFFFFFFFFFFFFFF
_DIGEST = struct.Struct(">QII")  # seq, crc, frame count
_LEN = struct.Struct(">I")
_SEQ = struct.Struct(">Q")


def digest_into(buf, off, frames, _crc32=zlib.crc32, _len=_LEN.pack, _seq=_SEQ.unpack_from,
                _pack=_DIGEST.pack_into):
    """Writes the digest of one message (a list of bytes-like frames) at buf[off:off+16]:
    seq from the first frame of at least HEADER_LEN bytes (NO_SEQ if none), the CRC-32 of each
    frame's big-endian uint32 length followed by its bytes, and the frame count. The helpers
    are bound as defaults (local lookups): this runs once per message of a volume case."""
    if len(frames) == 1:  # the common case, without the loop
        f = frames[0]
        n = len(f)
        _pack(buf, off, _seq(f)[0] if n >= HEADER_LEN else NO_SEQ, _crc32(f, _crc32(_len(n))), 1)
        return
    seq = NO_SEQ
    crc = 0
    for f in frames:
        n = len(f)
        if seq == NO_SEQ and n >= HEADER_LEN:
            seq = _seq(f)[0]
        crc = _crc32(f, _crc32(_len(n), crc))
    _pack(buf, off, seq, crc, len(frames))


def digest_of(frames):
    b = bytearray(DIGEST_LEN)
    digest_into(b, 0, frames)
    return bytes(b)


def recv_batch_digest(sock, req, job):
    """recv_batch with "digest": true. The messages are reduced to their digests as they
    arrive and dropped, so 100 000 of them cost a CRC each instead of base64 and JSON. Uses the
    backend's recv/get directly, as the bench loops do (half the per-message cost)."""
    t = timeout_ms(req)
    count = req["count"]
    buf = bytearray(DIGEST_LEN * min(count, 1 << 16))
    n = 0
    err = None
    zs = sock.zs
    try:
        if t <= 0:
            flags = zmq.DONTWAIT
        else:
            sock.set_rcvtimeo(min(t, MAX_TIMEO_MS))
            flags = 0
        _, recv, get = fast_methods(zs)
        RCVMORE = zmq.RCVMORE
        while n < count:
            if job is not None and job.cancel:
                err = WireError(AGAIN, "recv_batch cancelled after %d" % n)
                break
            frames = [recv(flags, True)]
            while get(RCVMORE):
                frames.append(recv(flags, True))
            off = n * DIGEST_LEN
            if off + DIGEST_LEN > len(buf):
                buf.extend(bytes(len(buf)))  # double
            digest_into(buf, off, frames)
            n += 1
    except Exception as e:
        e = wire(e)
        err = WireError(e.category, "after %d of %d messages: %s" % (n, count, e.message))
    r = fail(err) if err is not None else {"ok": True}
    if n:
        r["digest"] = memoryview(buf)[:n * DIGEST_LEN]
    return r


class Plan:
    def __init__(self, d):
        self.count = d["count"]
        self.start = d["start"]
        self.prefix = d["prefix"]
        if d["sizes"]:
            self.sizes = d["sizes"]
        else:
            self.sizes = [d["size"]] * (d["frames"] if d["frames"] > 0 else 1)
        if any(s < 0 for s in self.sizes):
            raise WireError(INVAL, "plan: negative frame size")

    def message(self, i):
        seq = self.start + i
        return list(self.prefix) + [fill(n, seq, j) for j, n in enumerate(self.sizes)]


# ---------------------------------------------------------------------------------------------
# Request decoding: the shapes of protocol.go's Request, checked as strictly as encoding/json
# would (a wrong type there fails the whole line). null leaves a field at its zero value.


def _int(v, what):
    if isinstance(v, bool) or not isinstance(v, int) or not INT64_MIN <= v <= INT64_MAX:
        raise BadRequest("%s: want an integer, got %s" % (what, json.dumps(v)))
    return v


def _str(v, what):
    if not isinstance(v, str):
        raise BadRequest("%s: want a string, got %s" % (what, json.dumps(v)))
    return v


def _bool(v, what):
    if not isinstance(v, bool):
        raise BadRequest("%s: want a boolean, got %s" % (what, json.dumps(v)))
    return v


def _b64(v, what):
    if v is None:
        return b""
    if not isinstance(v, str):
        raise BadRequest("%s: want a base64 string, got %s" % (what, json.dumps(v)))
    if "\n" in v or "\r" in v:  # Go's base64 decoder skips line breaks
        v = v.replace("\n", "").replace("\r", "")
    try:
        return base64.b64decode(v, validate=True)
    except (binascii.Error, ValueError) as e:
        raise BadRequest("%s: illegal base64 data: %s" % (what, e))


def _list(v, what):
    if v is None:
        return []
    if not isinstance(v, list):
        raise BadRequest("%s: want an array, got %s" % (what, json.dumps(v)[:40]))
    return v


def _frames(v, what):
    return [_b64(f, what) for f in _list(v, what)]


def _object(v, what, spec):
    """Decodes object v by spec {field: (decoder, zero)}; keys match case-insensitively, as
    encoding/json matches them; unknown keys are ignored."""
    out = {k: z for k, (_, z) in spec.items()}
    if v is None:
        return out
    if not isinstance(v, dict):
        raise BadRequest("%s: want an object, got %s" % (what, json.dumps(v)[:40]))
    lower = {k.lower(): k for k in spec}
    for key, val in v.items():
        name = key if key in spec else lower.get(key.lower())
        if name is None:
            continue
        dec = spec[name][0]
        out[name] = spec[name][1] if val is None else dec(val, what + "." + name)
    return out


def _opt_int(v, what):
    return _int(v, what)


PLAN_SPEC = {
    "count": (_int, 0), "start": (_int, 0), "frames": (_int, 0), "size": (_int, 0),
    "sizes": (lambda v, w: [_int(x, w) for x in _list(v, w)], []),
    "prefix": (_frames, []),
}
BENCH_SPEC = {
    "mode": (_str, ""), "size": (_int, 0), "duration_ms": (_int, 0),
    "first_timeout_ms": (_int, 0), "max_run_ms": (_int, 0),
}
ZAP_USER_SPEC = {"username": (_b64, b""), "password": (_b64, b"")}
ZAP_SPEC = {
    "domain": (_str, ""),
    "users": (lambda v, w: [_object(u, w, ZAP_USER_SPEC) for u in _list(v, w)], []),
    "curve_keys": (lambda v, w: [_str(k, w) for k in _list(v, w)], []),
    "allow_null": (_bool, False),
}
REQUEST_SPEC = {
    "id": (_int, 0), "op": (_str, ""), "async": (_bool, False),
    "socket": (_str, ""), "type": (_str, ""), "context": (_str, ""), "endpoint": (_str, ""),
    "name": (_str, ""), "value": (lambda v, w: v, None),
    "frames": (_frames, []),
    "timeout_ms": (_opt_int, None),
    "messages": (lambda v, w: [_frames(m, w) for m in _list(v, w)], None),
    "plan": (lambda v, w: _object(v, w, PLAN_SPEC), None),
    "count": (_int, 0),
    "bench": (lambda v, w: _object(v, w, BENCH_SPEC), None),
    "job": (_int, 0),
    "linger_ms": (_opt_int, None),
    "digest": (_bool, False),
    "zap": (lambda v, w: _object(v, w, ZAP_SPEC), None),
}


def _no_constant(name):
    raise ValueError("invalid JSON literal %s" % name)


def decode_request(line):
    try:
        obj = json.loads(line, parse_constant=_no_constant)
    except (ValueError, RecursionError) as e:
        raise BadRequest(str(e))
    return _object(obj, "request", REQUEST_SPEC)


# Ops that name a socket, and the fields other ops cannot do without (required.go): a request
# without them is a harness bug, answered "protocol" before the binding sees an empty value it
# would refuse as inval or unsupported (which a case could take for the binding's answer).
SOCKET_OPS = {"bind", "connect", "unbind", "disconnect", "setopt", "getopt", "send", "recv",
              "send_batch", "recv_batch", "bench", "close"}
# How each required field looks when it is missing (its decoded zero value; 0 and false are
# real values of "value", so each test is explicit).
_ABSENT = {"type": lambda v: v == "", "endpoint": lambda v: v == "", "name": lambda v: v == "",
           "value": lambda v: v is None, "frames": lambda v: len(v) == 0,
           "bench": lambda v: v is None, "job": lambda v: v == 0, "zap": lambda v: v is None}
REQUIRED = {"socket": ("type",), "bind": ("endpoint",), "connect": ("endpoint",),
            "unbind": ("endpoint",), "disconnect": ("endpoint",), "setopt": ("name", "value"),
            "getopt": ("name",), "send": ("frames",), "bench": ("bench",), "wait": ("job",),
            "cancel": ("job",), "zap": ("zap",)}


def check_required(req):
    """Returns the WireError for a request that names an unknown op or lacks a field its op
    needs, else None."""
    op = req["op"]
    if op not in OPS:
        return WireError(PROTOCOL, "unknown op %s" % json.dumps(op))
    for field in REQUIRED.get(op, ()):
        if _ABSENT[field](req[field]):
            return WireError(PROTOCOL, "%s: missing %s" % (op, json.dumps(field)))
    # "messages" decodes to None when the line has none, so an empty list still counts here.
    if op == "send_batch" and req["plan"] is not None and req["messages"] is not None:
        return WireError(PROTOCOL, 'send_batch: both "plan" and "messages"; send one')
    if op in SOCKET_OPS and req["socket"] == "":
        return WireError(PROTOCOL, '%s: missing "socket"' % op)
    return None


def timeout_ms(req):
    """server.go timeout(): missing = 10 s, negative = 0 (do not wait)."""
    t = req["timeout_ms"]
    if t is None:
        return DEFAULT_TIMEOUT_MS
    return max(t, 0)


# ---------------------------------------------------------------------------------------------
# Option values (protocol.go DecodeBytes/DecodeInt/DecodeBool)


def decode_bytes(v):
    if v is None:
        return b""
    if isinstance(v, str):
        try:
            return _b64(v, "value")
        except BadRequest as e:
            raise WireError(INVAL, "value %s is not base64: %s" % (json.dumps(v), e))
    raise WireError(INVAL, "value %s is not a base64 string" % json.dumps(v))


def decode_int(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")) or v != int(v):
            raise WireError(INVAL, "value %r is not an integer" % v)
        return int(v)
    raise WireError(INVAL, "value %s is not a number" % json.dumps(v))


def decode_bool(v):
    if isinstance(v, bool):
        return v
    return decode_int(v) != 0


# ---------------------------------------------------------------------------------------------
# Fast paths for the bench loops: the Cython backend's send/recv/get skip the Python-level
# checks of zmq.sugar.Socket (about 2x faster per message). Verified once on a private pair;
# any surprise falls back to the public methods.

_FAST = None


def _fast_methods_ok():
    global _FAST
    if _FAST is not None:
        return _FAST
    _FAST = False
    ctx = zmq.Context()
    a = b = None
    try:
        a, b = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
        a.bind("inproc://zmqsuite-fastpath")
        b.connect("inproc://zmqsuite-fastpath")
        send, _, _ = _backend_methods(a)
        _, recv, get = _backend_methods(b)
        if send is None:
            return False
        send(b"x", zmq.SNDMORE, True)
        send(b"yz", 0, True)
        b.rcvtimeo = 1000
        if recv(0, True) != b"x" or get(zmq.RCVMORE) != 1:
            return False
        if recv(0, True) != b"yz" or get(zmq.RCVMORE) != 0:
            return False
        _FAST = True
    except Exception as e:  # an unknown pyzmq layout: use the public methods
        log("backend fast path unavailable:", repr(e))
    finally:
        for s in (a, b):
            if s is not None:
                s.close(linger=0)
        ctx.term()
    return _FAST


def _backend_methods(zs):
    for k in type(zs).__mro__:
        if getattr(k, "__module__", "").startswith("zmq.backend"):
            send, recv, get = (k.__dict__.get(n) for n in ("send", "recv", "get"))
            if send is not None and recv is not None and get is not None:
                return send.__get__(zs), recv.__get__(zs), get.__get__(zs)
    return None, None, None


def fast_methods(zs):
    if _fast_methods_ok():
        send, recv, get = _backend_methods(zs)
        if send is not None:
            return send, recv, get
    return zs.send, zs.recv, zs.getsockopt


# ---------------------------------------------------------------------------------------------
# Sockets


class Sock:
    def __init__(self, sid, zs, typ):
        self.id = sid
        self.zs = zs
        self.type = typ
        self.jobs = set()  # async jobs started on this socket (main thread only)
        # What libzmq's SNDTIMEO/RCVTIMEO are now (the peer sets them per request) and what
        # the harness last set with setopt (what getopt reports).
        self.cur_snd = self.cur_rcv = -1
        self.user_snd = self.user_rcv = -1

    def set_sndtimeo(self, ms):
        if ms != self.cur_snd:
            self.zs.setsockopt(zmq.SNDTIMEO, ms)
            self.cur_snd = ms

    def set_rcvtimeo(self, ms):
        if ms != self.cur_rcv:
            self.zs.setsockopt(zmq.RCVTIMEO, ms)
            self.cur_rcv = ms

    def running_jobs(self):
        """The jobs still using the socket; forgets finished ones. Main thread only."""
        self.jobs = {j for j in self.jobs if not j.done.is_set()}
        return list(self.jobs)

    # The operations; each raises WireError.

    def bind(self, ep):
        try:
            self.zs.bind(ep)
            last = self.zs.getsockopt(zmq.LAST_ENDPOINT)
        except Exception as e:
            raise wire(e)
        return last.decode("utf-8", "replace") if isinstance(last, bytes) else str(last)

    def connect(self, ep):
        try:
            self.zs.connect(ep)
        except Exception as e:
            raise wire(e)

    def unbind(self, ep):
        try:
            self.zs.unbind(ep)
        except Exception as e:
            raise wire(e)

    def disconnect(self, ep):
        try:
            self.zs.disconnect(ep)
        except Exception as e:
            raise wire(e)

    def send(self, frames, tmo):
        """Sends one message; tmo in ms, 0 = DONTWAIT. libzmq's own SNDTIMEO bounds the wait,
        so EFSM, EHOSTUNREACH and friends come back at once as they would from zmq_send."""
        if not frames:
            raise WireError(INVAL, "send: a message needs at least one frame")
        zs = self.zs
        try:
            if tmo <= 0:
                flags = zmq.DONTWAIT
            else:
                self.set_sndtimeo(min(tmo, MAX_TIMEO_MS))
                flags = 0
            last = len(frames) - 1
            for i, f in enumerate(frames):
                zs.send(f, flags | zmq.SNDMORE if i < last else flags,
                        copy=len(f) < COPY_THRESHOLD)
        except Exception as e:
            raise wire(e)

    def recv(self, tmo):
        """Receives one whole message; tmo in ms, 0 = DONTWAIT."""
        zs = self.zs
        try:
            if tmo <= 0:
                flags = zmq.DONTWAIT
            else:
                self.set_rcvtimeo(min(tmo, MAX_TIMEO_MS))
                flags = 0
            frames = [zs.recv(flags)]
            while zs.getsockopt(zmq.RCVMORE):
                frames.append(zs.recv(flags))
            return frames
        except Exception as e:
            raise wire(e)

    def setopt(self, name, value):
        info = OPTION_INFO.get(name)
        if info is None:
            raise WireError(UNSUPPORTED, "setopt: unknown option %s" % json.dumps(name))
        kind = info[1]
        if kind.startswith("ro_"):
            raise WireError(INVAL, "setopt: %s is read-only" % name)
        const = option_constant(name)
        if const is None:
            raise WireError(UNSUPPORTED, "setopt: %s is not supported by pyzmq %s / libzmq %s"
                            % (name, zmq.pyzmq_version(), zmq.zmq_version()))
        if kind == "bytes":
            v = decode_bytes(value)
        elif kind in ("z85", "string"):
            if not isinstance(value, str):
                raise WireError(INVAL, "value %s is not a string" % json.dumps(value))
            v = value.encode("utf-8")
        elif kind == "int":
            v = decode_int(value)
        else:
            v = 1 if decode_bool(value) else 0
        try:
            self.zs.setsockopt(const, v)
        except Exception as e:
            raise wire(e)
        if name == "sndtimeo":
            self.cur_snd = self.user_snd = v
        elif name == "rcvtimeo":
            self.cur_rcv = self.user_rcv = v

    def getopt(self, name):
        info = OPTION_INFO.get(name)
        if info is None:
            raise WireError(UNSUPPORTED, "getopt: unknown option %s" % json.dumps(name))
        const = option_constant(name)
        if const is None:
            raise WireError(UNSUPPORTED, "getopt: %s is not supported by pyzmq %s / libzmq %s"
                            % (name, zmq.pyzmq_version(), zmq.zmq_version()))
        # The peer sets the timeouts per request; report what the harness asked for.
        if name == "sndtimeo":
            return self.user_snd
        if name == "rcvtimeo":
            return self.user_rcv
        try:
            v = self.zs.getsockopt(const)
        except Exception as e:
            raise wire(e)
        kind = info[1]
        if kind == "bytes":
            return v if isinstance(v, bytes) else str(v).encode()
        if kind in ("ro_string", "z85", "string"):
            if isinstance(v, bytes):
                return v.rstrip(b"\0").decode("utf-8", "replace")
            return str(v)
        if kind == "ro_mechanism":
            return {zmq.NULL: "NULL", zmq.PLAIN: "PLAIN", zmq.CURVE: "CURVE"}.get(v, str(v))
        if kind in ("bool", "ro_bool"):
            return bool(v)
        return int(v)

    def close(self, linger_ms):
        try:
            if linger_ms is None or linger_ms < 0:
                self.zs.close()  # the binding's default linger
            else:
                self.zs.close(linger=linger_ms)
        except Exception as e:
            raise wire(e)


_OPTION_SUPPORT = None  # name -> zmq constant, for the options this pyzmq/libzmq supports


def option_constant(name):
    return supported_options().get(name)


def supported_options():
    """Probes each option of the protocol on a throwaway socket once: pyzmq may define a
    constant that this libzmq refuses (draft options such as router_notify, topics_count)."""
    global _OPTION_SUPPORT
    if _OPTION_SUPPORT is not None:
        return _OPTION_SUPPORT
    found = {}
    ctx = zmq.Context()
    try:
        for name, kind, consts, types, how in OPTIONS:
            const = next((getattr(zmq, c) for c in consts if isinstance(getattr(zmq, c, None), int)),
                         None)
            if const is None:
                continue
            for typ in types:
                s = None
                try:
                    s = ctx.socket(getattr(zmq, typ))
                    if how == "get":
                        s.getsockopt(const)
                    else:
                        s.setsockopt(const, PROBE_VALUES.get(name, b"" if kind in ("bytes", "z85", "string") else 0))
                    found[name] = const
                    break
                except zmq.ZMQError:
                    continue
                finally:
                    if s is not None:
                        s.close(linger=0)
    finally:
        ctx.term()
    _OPTION_SUPPORT = found
    return found


def socket_type(name):
    if name in SOCKET_TYPES or name in EXTRA_SOCKET_TYPES:
        v = getattr(zmq, name, None)
        if isinstance(v, int):
            return v
    return None


# ---------------------------------------------------------------------------------------------
# Benchmark loops (bench.go)


def wrap_first(what, e):
    e = wire(e)
    return WireError(e.category, "bench: waiting for " + what + ": " + e.message)


def latency_summary(samples):
    """exactRecorder.Summary: exact percentiles from the sorted samples."""
    if not samples:
        return {"count": 0, "mean_ns": 0.0, "p50_ns": 0.0, "p90_ns": 0.0, "p99_ns": 0.0,
                "p999_ns": 0.0, "max_ns": 0.0, "min_ns": 0.0}
    s = sorted(samples)
    n = len(s)

    def q(p):
        return float(s[int(p * float(n - 1))])

    total = 0.0
    for v in s:  # summed in order as float64, as Go does
        total += float(v)
    return {"count": n, "mean_ns": total / n, "p50_ns": q(.5), "p90_ns": q(.9), "p99_ns": q(.99),
            "p999_ns": q(.999), "max_ns": float(s[-1]), "min_ns": float(s[0])}


def run_bench(sock, spec, job):
    size, window = spec["size"], spec["duration_ms"]
    if size < 0 or window < 0:
        raise WireError(INVAL, "bench: negative size or duration")
    first = spec["first_timeout_ms"]
    if first <= 0:
        first = 10000
    first = min(first, MAX_TIMEO_MS)
    max_run = spec["max_run_ms"]
    if max_run <= 0:
        max_run = window + 30000
    deadline = time.perf_counter() + max_run / 1000.0
    mode = spec["mode"]
    if mode == "thr_send":
        return thr_send(sock, size, job, deadline)
    if mode == "thr_recv":
        return thr_recv(sock, window, first)
    if mode == "lat_ping":
        return lat_ping(sock, size, window, first)
    if mode == "lat_pong":
        return lat_pong(sock, job, deadline)
    raise WireError(INVAL, "bench: unknown mode %s (want thr_send, thr_recv, lat_ping, lat_pong)"
                    % json.dumps(mode))


def thr_send(sock, size, job, deadline):
    """Sends size-byte messages until cancelled, the run limit passes, or the socket fails.
    The cancel flag and clock are looked at every 256 messages and on every EAGAIN."""
    send, _, _ = fast_methods(sock.zs)
    sock.set_sndtimeo(POLL_SLICE_MS)
    msg = bytes(size)
    copy = size < COPY_THRESHOLD
    batch = range(256)
    clock = time.perf_counter
    n = 0
    while True:
        if job.cancel or clock() > deadline:
            stopped = "cancelled"
            break
        i = 0
        try:
            for i in batch:
                send(msg, 0, copy)
        except zmq.Again:
            n += i
            continue
        except Exception as e:
            n += i
            stopped = wire(e).text()
            break
        n += 256
    return {"messages": n, "bytes": n * size, "elapsed_ns": 0, "stopped": stopped}


def thr_recv(sock, window_ms, first_ms):
    """Counts messages for window_ms from the first one (libzmq's local_thr), looking at the
    clock every 64 messages; stops early when nothing arrives for a second."""
    zs = sock.zs
    try:
        m = sock.recv(first_ms)
    except WireError as e:
        raise wrap_first("first message", e)
    clock = time.perf_counter_ns
    start = clock()
    end = start + window_ms * 1000000
    last = start
    n = 1
    nbytes = sum(len(f) for f in m)
    stopped = None
    sock.set_rcvtimeo(1000)
    _, recv, get = fast_methods(zs)
    RCVMORE = zmq.RCVMORE
    copy = len(m[-1]) < COPY_THRESHOLD
    # Fast path: a stream of one-frame messages (what thr_send sends) needs no RCVMORE per
    # message (it costs more than the recv). RCVMORE is checked with the clock, every 64
    # messages; a multi-frame stream switches to counting exactly from then on.
    multipart = len(m) > 1
    # The clock is read every 64 small messages but after every large one, so a sender that
    # stalls after a few large messages still leaves a timed count (as the Go peers do).
    step = 1 if nbytes >= 1024 else 64
    try:
        if not multipart:
            need = step - 1  # to the next multiple of step
            while True:
                i = 0
                try:
                    for i in range(need):
                        nbytes += len(recv(0, copy))
                except zmq.Again:
                    n += i
                    stopped = "sender went quiet"
                    break
                n += need
                last = clock()
                if get(RCVMORE):
                    multipart = True
                    while get(RCVMORE):
                        nbytes += len(recv(0, copy))
                if last > end:
                    break
                if multipart:
                    break
                need = step
        if multipart and stopped is None and last <= end:
            while True:
                try:
                    b = len(recv(0, copy))
                except zmq.Again:
                    stopped = "sender went quiet"
                    break
                while get(RCVMORE):
                    b += len(recv(0, copy))
                n += 1
                nbytes += b
                if n & 63 == 0:
                    last = clock()
                    if last > end:
                        break
    except WireError:
        raise
    except Exception as e:
        raise wire(e)
    res = {"messages": n, "bytes": nbytes, "elapsed_ns": last - start}
    if stopped:
        res["stopped"] = stopped
    return res


def lat_ping(sock, size, window_ms, first_ms):
    """Request/reply round trips for window_ms; each sample is half a round trip."""
    msg = bytes(size)
    try:
        sock.send([msg], first_ms)
    except WireError as e:
        raise wrap_first("first request", e)
    try:
        reply = sock.recv(first_ms)
    except WireError as e:
        raise wrap_first("first reply", e)
    # The reply's shape is that of the first reply; RCVMORE is only asked for if that one had
    # several frames (it costs ~0.5 us a call).
    multipart = len(reply) > 1
    sock.set_sndtimeo(5000)
    sock.set_rcvtimeo(5000)
    send, recv, get = fast_methods(sock.zs)
    RCVMORE = zmq.RCVMORE
    copy = size < COPY_THRESHOLD
    samples = []
    record = samples.append
    clock = time.perf_counter_ns
    n = 0
    start = clock()
    end = start + window_ms * 1000000
    t0 = start
    try:
        while True:
            send(msg, 0, copy)
            recv(0, copy)
            if multipart:
                while get(RCVMORE):
                    recv(0, copy)
            t1 = clock()
            record((t1 - t0) // 2)
            n += 1
            t0 = t1
            if t1 > end:
                break
    except Exception as e:
        raise wire(e)
    return {"messages": n, "bytes": n * 2 * size, "elapsed_ns": t0 - start,
            "latency": latency_summary(samples)}


def lat_pong(sock, job, deadline):
    """Echoes every message (all its frames: a ROUTER echoes the envelope) until cancelled."""
    sock.set_rcvtimeo(POLL_SLICE_MS)
    sock.set_sndtimeo(5000)
    send, recv, get = fast_methods(sock.zs)
    RCVMORE, SNDMORE = zmq.RCVMORE, zmq.SNDMORE
    clock = time.perf_counter
    n = 0
    while not job.cancel and clock() < deadline:
        try:
            f = recv(0, True)
        except zmq.Again:
            continue
        except Exception as e:
            return {"messages": n, "bytes": 0, "elapsed_ns": 0, "stopped": wire(e).text()}
        try:
            if get(RCVMORE):
                frames = [f]
                while get(RCVMORE):
                    frames.append(recv(0, True))
                for g in frames[:-1]:
                    send(g, SNDMORE, True)
                send(frames[-1], 0, True)
            else:
                send(f, 0, True)
        except Exception as e:
            return {"messages": n, "bytes": 0, "elapsed_ns": 0, "stopped": wire(e).text()}
        n += 1
    return {"messages": n, "bytes": 0, "elapsed_ns": 0, "stopped": "cancelled"}


# ---------------------------------------------------------------------------------------------
# The server (server.go)


class Job:
    def __init__(self, jid, sock):
        self.id = jid
        self.sock = sock
        self.cancel = False
        self.done = threading.Event()
        self.reply = None


def goos():
    p = sys.platform
    if p.startswith("win") or p == "cygwin":
        return "windows"
    if p == "sunos5":
        return "solaris"
    return p.rstrip("0123456789") or p


ZAP_ENDPOINT = "inproc://zeromq.zap.01"  # RFC 27: "The ZAP handler SHALL bind to ..."


def zap_decide(spec, mechanism, domain, creds):
    """security.go ZAPSpec.Decide: the record of one request, with the status answered: 200 for
    exactly the credentials of spec in its domain, 400 for anything else."""
    rec = {"mechanism": mechanism, "domain": domain, "status": "400"}
    key = None
    if mechanism == "PLAIN" and creds:
        rec["username"] = creds[0]
    if mechanism == "CURVE" and creds and len(creds[0]) == 32:
        key = zmq.utils.z85.encode(creds[0]).decode("ascii")
        rec["key"] = key
    if domain != spec["domain"]:
        return rec
    if mechanism == "NULL" and spec["allow_null"]:
        rec["status"] = "200"
    elif mechanism == "PLAIN" and len(creds) == 2:
        if any(u["username"] == creds[0] and u["password"] == creds[1] for u in spec["users"]):
            rec["status"] = "200"
    elif mechanism == "CURVE" and key is not None and key in spec["curve_keys"]:
        rec["status"] = "200"
    return rec


def zap_reply(spec, req):
    """security.go ZAPReply: the RFC 27 reply to the frames of a request, and its record."""
    if len(req) < 6 or req[0] != b"1.0":
        rid = req[1] if len(req) > 1 else b""
        return [b"1.0", rid, b"500", b"malformed ZAP request", b"", b""], {"mechanism": "?", "domain": "", "status": "500"}
    rec = zap_decide(spec, req[5].decode("utf-8", "replace"), req[2].decode("utf-8", "replace"), req[6:])
    if rec["status"] == "200":
        user = rec.get("username") or rec.get("key", "").encode("ascii")
        return [b"1.0", req[1], b"200", b"OK", user, b""], rec
    return [b"1.0", req[1], b"400", b"refused", b"", b""], rec


class ZapHandler:
    """The peer's own ZAP handler in one context: a REP socket at ZAP_ENDPOINT, owned by one
    thread, answering by the suite's spec and logging every request."""

    def __init__(self, ctx, spec):
        self.ctx = ctx
        self.spec = spec
        self.log = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.ready = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self.loop, name="zap", daemon=True)

    def start(self):
        self.thread.start()
        self.ready.wait(5.0)
        if self.error is not None:
            raise self.error

    def rearm(self, spec):
        with self.lock:
            self.spec, self.log = spec, []

    def records(self):
        with self.lock:
            return list(self.log)

    def stop(self):
        self.stopping.set()
        self.thread.join(5.0)

    def loop(self):
        try:
            s = self.ctx.socket(zmq.REP)
        except Exception as e:
            self.error = wire(e)
            self.ready.set()
            return
        try:
            # An endpoint of a handler stopped a moment ago is released when libzmq reaps its
            # socket, asynchronously: retry the bind for a while.
            end = time.monotonic() + 2.0
            while True:
                try:
                    s.bind(ZAP_ENDPOINT)
                    break
                except zmq.ZMQError as e:
                    if time.monotonic() > end:
                        self.error = wire(e)
                        return
                    time.sleep(0.02)
            self.ready.set()
            while not self.stopping.is_set():
                if not s.poll(50):
                    continue
                req = s.recv_multipart()
                with self.lock:
                    rep, rec = zap_reply(self.spec, req)
                    self.log.append(rec)
                s.send_multipart(rep)
        except zmq.ZMQError as e:
            log("ZAP handler:", e)
        finally:
            s.close(linger=0)
            self.ready.set()


class Server:
    def __init__(self):
        self.contexts = {}
        self.sockets = {}
        self.next_sock = 0
        self.jobs = {}
        self.next_job = 0
        self.leftover = 0  # sockets quit could not close (still in a job's hands)
        self.zaps = {}  # context name -> ZapHandler

    def context(self, name):
        ctx = self.contexts.get(name)
        if ctx is None:
            ctx = self.contexts[name] = zmq.Context()
        return ctx

    # Dispatch ------------------------------------------------------------------------------

    def handle(self, req):
        op = req["op"]
        bad = check_required(req)
        if bad is not None:
            return fail(bad)
        if req["async"]:
            if op not in ASYNC_OPS:
                return fail(WireError(PROTOCOL, "op %s cannot run async" % json.dumps(op)))
            sock = self.sockets.get(req["socket"])
            if sock is not None:
                busy = self.busy(sock, wait=True)
                if busy is not None:
                    return fail(busy)
            self.next_job += 1
            job = Job(self.next_job, sock)
            self.jobs[job.id] = job
            if sock is not None:
                sock.jobs.add(job)
            t = threading.Thread(target=self._run_job, args=(req, job),
                                 name="job-%d" % job.id, daemon=True)
            t.start()
            return {"ok": True, "job": job.id}
        if op in ("wait", "cancel"):
            return self.job_op(req)
        return self.run(req, None)

    def _run_job(self, req, job):
        try:
            job.reply = self.run(req, job)
        finally:
            job.done.set()

    def job_op(self, req):
        job = self.jobs.get(req["job"])
        if job is None:
            return fail(WireError(INVAL, "no job %d" % req["job"]))
        if req["op"] == "cancel":
            job.cancel = True
            return {"ok": True}
        t = timeout_ms(req)
        if not job.done.wait(t / 1000.0):
            return fail(WireError(AGAIN, "job %d still running after %dms" % (job.id, t)))
        del self.jobs[job.id]
        return job.reply

    def busy(self, sock, wait, cancel=False):
        """A socket is used by one thread at a time (libzmq sockets are not thread-safe): an
        operation on a socket an async job is using is refused with "protocol" rather than
        risking a crash that would be blamed on pyzmq. Cancelled jobs are given 3 s to end."""
        running = sock.running_jobs()
        if not running:
            return None
        if cancel:
            for j in running:
                j.cancel = True
        if wait and all(j.cancel for j in running):
            end = time.monotonic() + 3.0
            for j in running:
                j.done.wait(max(0.0, end - time.monotonic()))
            running = sock.running_jobs()
            if not running:
                return None
        return WireError(PROTOCOL, "socket %s is in use by async job %s; cancel and wait for it first"
                         % (sock.id, ", ".join(str(j.id) for j in sorted(running, key=lambda j: j.id))))

    def run(self, req, job):
        try:
            return self._run(req, job)
        except Exception as e:
            return fail(e)

    def _run(self, req, job):
        op = req["op"]
        if op == "ping":
            return {"ok": True}
        if op == "hello":
            return {"ok": True, "hello": self.hello()}
        if op == "socket":
            return self.op_socket(req)
        if op in ZAP_OPS:
            return self.zap_op(req)
        if op == "quit":
            self.close_all()
            return {"ok": True}
        if op not in OPS:
            return fail(WireError(PROTOCOL, "unknown op %s" % json.dumps(op)))
        sock = self.sockets.get(req["socket"])
        if sock is None:
            return fail(WireError(PROTOCOL, "%s: unknown socket %s" % (op, json.dumps(req["socket"]))))
        if job is None:  # a synchronous request: the socket must not be in a job's hands
            busy = self.busy(sock, wait=True, cancel=(op == "close"))
            if busy is not None:
                return fail(busy)
        if op == "bind":
            return {"ok": True, "endpoint": sock.bind(req["endpoint"])}
        if op == "connect":
            sock.connect(req["endpoint"])
            return {"ok": True}
        if op == "unbind":
            sock.unbind(req["endpoint"])
            return {"ok": True}
        if op == "disconnect":
            sock.disconnect(req["endpoint"])
            return {"ok": True}
        if op == "setopt":
            sock.setopt(req["name"], req["value"])
            return {"ok": True}
        if op == "getopt":
            return {"ok": True, "value": sock.getopt(req["name"])}
        if op == "send":
            sock.send(req["frames"], timeout_ms(req))
            return {"ok": True}
        if op == "recv":
            return {"ok": True, "frames": sock.recv(timeout_ms(req))}
        if op == "send_batch":
            return self.send_batch(sock, req, job)
        if op == "recv_batch":
            return self.recv_batch(sock, req, job)
        if op == "bench":
            if req["bench"] is None:
                return fail(WireError(PROTOCOL, 'bench: missing "bench" spec'))
            return {"ok": True, "bench": run_bench(sock, req["bench"], job or Job(0, sock))}
        if op == "close":
            try:
                sock.close(req["linger_ms"])
            finally:
                self.sockets.pop(req["socket"], None)
            return {"ok": True}
        return fail(WireError(PROTOCOL, "unknown op %s" % json.dumps(op)))

    # ZAP (docs/peer-protocol.md "Security") -------------------------------------------------

    def zap_op(self, req):
        name = req["context"]
        h = self.zaps.get(name)
        if req["op"] == "zap_log":
            if h is None:
                return fail(WireError(INVAL, "zap_log: no ZAP handler in context %s" % json.dumps(name)))
            return {"ok": True, "zap_log": h.records()}
        if req["op"] == "zap_stop":
            if h is None:
                return {"ok": True}
            h.stop()
            del self.zaps[name]
            return {"ok": True, "zap_log": h.records()}
        if h is not None:
            h.rearm(req["zap"])
            return {"ok": True}
        h = ZapHandler(self.context(name), req["zap"])
        h.start()  # raises the bind's WireError
        self.zaps[name] = h
        return {"ok": True}

    # Operations ----------------------------------------------------------------------------

    def op_socket(self, req):
        typ = socket_type(req["type"])
        if typ is None:
            return fail(WireError(UNSUPPORTED, "socket type %s is not supported by pyzmq %s"
                                  % (json.dumps(req["type"]), zmq.pyzmq_version())))
        try:
            zs = self.context(req["context"]).socket(typ)
        except zmq.ZMQError as e:
            if e.errno == zmq.EINVAL:  # a draft type this libzmq was built without
                return fail(WireError(UNSUPPORTED, "socket type %s: %s" % (req["type"], e)))
            raise
        self.next_sock += 1
        sid = "s%d" % self.next_sock
        self.sockets[sid] = Sock(sid, zs, req["type"])
        return {"ok": True, "socket": sid}

    def send_batch(self, sock, req, job):
        plan = Plan(req["plan"]) if req["plan"] is not None else None
        msgs = req["messages"] or []
        n = plan.count if plan is not None else len(msgs)
        t = timeout_ms(req)
        for i in range(n):
            if job is not None and job.cancel:
                r = fail(WireError(OTHER, "send_batch cancelled after %d" % i))
                if i:
                    r["sent"] = i
                return r
            m = plan.message(i) if plan is not None else msgs[i]
            try:
                sock.send(m, t)
            except WireError as e:
                r = fail(WireError(e.category, "message %d of %d: %s" % (i, n, e.message)))
                if i:
                    r["sent"] = i
                return r
        r = {"ok": True}
        if n > 0:
            r["sent"] = n
        return r

    def recv_batch(self, sock, req, job):
        if req["digest"]:
            return recv_batch_digest(sock, req, job)
        t = timeout_ms(req)
        count = req["count"]
        msgs = []
        while len(msgs) < count:
            if job is not None and job.cancel:
                r = fail(WireError(AGAIN, "recv_batch cancelled after %d" % len(msgs)))
                if msgs:
                    r["messages"] = msgs
                return r
            try:
                msgs.append(sock.recv(t))
            except WireError as e:
                r = fail(WireError(e.category, "after %d of %d messages: %s"
                                   % (len(msgs), count, e.message)))
                if msgs:
                    r["messages"] = msgs
                return r
        r = {"ok": True}
        if msgs:
            r["messages"] = msgs
        return r

    def hello(self):
        declared = ["tcp"]
        try:
            if zmq.has("ipc"):
                declared.append("ipc")
        except Exception:
            pass
        declared.append("inproc")
        transports, probe_errors = self.probe_transports()
        try:
            draft = zmq.has("draft")
        except Exception:
            draft = False
        caps = {
            "socket_types": [t for t in SOCKET_TYPES if socket_type(t) is not None],
            "options": [o[0] for o in OPTIONS if o[0] in supported_options()],
            "transports": transports,
            "declared": declared,
        }
        if probe_errors:
            caps["probe_errors"] = probe_errors
        caps["bench"] = True
        return {
            "name": "pyzmq",
            "version": zmq.pyzmq_version(),
            "libzmq": zmq.zmq_version(),
            "runtime": "%s %s" % (platform.python_implementation(), platform.python_version()),
            "protocol": PROTOCOL_VERSION,
            "os": goos(),
            "binding": "pyzmq",
            "notes": "libzmq draft API %s; bench latency from exact samples"
                     % ("on" if draft else "off"),
            "capabilities": caps,
            "pid": os.getpid(),
            "language": "python",
        }

    def probe_transports(self):
        """ProbeTransports: bind a PAIR, carry one message, for tcp, ipc and inproc."""
        base = None
        if os.name != "nt" and len(tempfile.gettempdir()) > 60 and os.path.isdir("/tmp"):
            base = "/tmp"  # keep the ipc path short (sun_path is 104 bytes on macOS)
        try:
            d = tempfile.mkdtemp(prefix="zp", dir=base)
        except OSError as e:
            return [], {"ipc": str(e)}
        ok, errs = [], {}
        try:
            for t, ep in (("tcp", "tcp://127.0.0.1:*"),
                          ("ipc", "ipc://" + os.path.join(d, "probe")),
                          ("inproc", "inproc://zmqsuite-probe")):
                try:
                    self.probe(ep)
                    ok.append(t)
                except WireError as e:
                    errs[t] = e.message
        finally:
            shutil.rmtree(d, ignore_errors=True)
        return ok, errs

    def probe(self, ep):
        ctx = self.context("")
        a = c = None
        try:
            try:
                a = Sock("probe-a", ctx.socket(zmq.PAIR), "PAIR")
                c = Sock("probe-c", ctx.socket(zmq.PAIR), "PAIR")
            except Exception as e:
                raise wire(e)
            try:
                real = a.bind(ep)
            except WireError as e:
                raise WireError(e.category, "bind %s: %s" % (ep, e.text()))
            steps = (("connect", lambda: c.connect(real)),
                     ("send over", lambda: c.send([b"probe"], 2000)),
                     ("recv over", lambda: a.recv(2000)))
            got = None
            for what, fn in steps:
                try:
                    got = fn()
                except WireError as e:
                    raise WireError(e.category, "%s %s: %s" % (what, real, e.text()))
            if got != [b"probe"]:
                raise WireError(OTHER, "probe over %s: got %r" % (real, got))
        finally:
            for s in (a, c):
                if s is not None:
                    try:
                        s.close(0)
                    except WireError:
                        pass

    # Shutdown ------------------------------------------------------------------------------

    def close_all(self):
        """quit: cancel the jobs, give them a moment, close every socket with linger 0. A
        socket still in a job's hands is left open (closing it under the job could crash)."""
        for h in self.zaps.values():
            h.stop()
        self.zaps = {}
        socks = list(self.sockets.values())
        self.sockets = {}
        running = [j for s in socks for j in s.running_jobs()]
        for j in running:
            j.cancel = True
        end = time.monotonic() + 2.0
        for j in running:
            j.done.wait(max(0.0, end - time.monotonic()))
        self.leftover = 0
        for s in socks:
            if s.running_jobs():
                self.leftover += 1
                continue
            try:
                s.close(0)
            except WireError:
                pass

    def terminate(self, seconds=2.0):
        """Terminates the contexts, giving up after `seconds` (a socket closed earlier with an
        infinite linger can hold zmq_ctx_term forever)."""
        if self.leftover:
            return
        ctxs = list(self.contexts.values())
        t = threading.Thread(target=lambda: [c.term() for c in ctxs], daemon=True)
        t.start()
        t.join(seconds)
        if t.is_alive():
            log("context termination did not finish in %.0fs; exiting anyway" % seconds)


# ---------------------------------------------------------------------------------------------
# Main loop


def _json_default(o):
    if isinstance(o, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(o)).decode("ascii")
    raise TypeError("cannot encode %s" % type(o).__name__)


def encode_reply(rid, rep):
    out = {"id": rid}
    out.update(rep)
    return json.dumps(out, separators=(",", ":"), default=_json_default).encode("utf-8") + b"\n"


def _exit(code):
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def main():
    out = sys.stdout.buffer
    inp = sys.stdin.buffer
    server = Server()
    while True:
        line = inp.readline()
        if not line:  # end of stdin: quit without a reply
            server.close_all()
            server.terminate()
            _exit(0)
        if not line.strip():
            continue
        try:
            req = decode_request(line)
        except BadRequest as e:
            # A malformed line cannot be answered by id: say so once and stop.
            out.write(encode_reply(0, fail(WireError(PROTOCOL, "unreadable request: %s" % e))))
            out.flush()
            log("unreadable request:", e)
            _exit(1)
        rep = server.handle(req)
        try:
            data = encode_reply(req["id"], rep)
        except Exception as e:  # a reply that cannot be encoded is a peer bug: say so
            data = encode_reply(req["id"], fail(WireError(OTHER, "encode reply: %s" % e)))
        out.write(data)
        out.flush()
        if req["op"] == "quit" and not req["async"]:
            server.terminate()
            _exit(0)


if __name__ == "__main__":
    main()
