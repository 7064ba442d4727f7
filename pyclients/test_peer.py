"""Tests of peer.py, driven as the harness drives it: a subprocess fed JSON lines.

Run from the repository root with the Python that has pyzmq:
    /usr/bin/python3 -m unittest discover -s pyclients -v
Every request waits at most a few seconds for its reply, and every peer is killed in tearDown
if it does not quit, so no test can hang.
"""

import base64
import json
import os
import queue
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import zlib

PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer.py")
REPLY_TIMEOUT = 15.0  # seconds for any one reply


def b64(b):
    return base64.b64encode(b).decode("ascii")


def unb64(s):
    return base64.b64decode(s)


def reference_fill(size, seq, frame):
    """plan.go's Fill, written out the slow way, independently of peer.py."""
    b = bytearray(size)
    start = 0
    if size >= 12:
        b[0:8] = (seq % (1 << 64)).to_bytes(8, "big")
        b[8:12] = (frame % (1 << 32)).to_bytes(4, "big")
        start = 12
    for k in range(start, size):
        b[k] = (seq * 131 + frame * 17 + k) % 256
    return bytes(b)


def reference_digest(frames):
    """digest.go's DigestOf, written out the slow way, independently of peer.py: seq from the
    first frame of 12+ bytes, CRC-32 of (u32 length + bytes) per frame, frame count."""
    seq = (1 << 64) - 1
    data = b""
    for f in frames:
        if seq == (1 << 64) - 1 and len(f) >= 12:
            seq = int.from_bytes(f[:8], "big")
        data += len(f).to_bytes(4, "big") + f
    crc = zlib.crc32(data) & 0xFFFFFFFF
    return seq.to_bytes(8, "big") + crc.to_bytes(4, "big") + len(frames).to_bytes(4, "big")


class Peer:
    """One peer.py process and a line reader with a deadline."""

    def __init__(self):
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, PEER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr)
        self.lines = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def write(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def read(self, timeout=REPLY_TIMEOUT):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no reply from the peer within %.0fs; stderr: %s"
                                 % (timeout, self.stderr_text()))
        if line is None:
            raise AssertionError("the peer closed its stdout (exit code %s); stderr: %s"
                                 % (self.proc.poll(), self.stderr_text()))
        return json.loads(line)

    def stderr_text(self):
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")[-2000:]

    def request(self, op, **fields):
        self.next_id += 1
        req = {"id": self.next_id, "op": op}
        req.update(fields)
        self.write(json.dumps(req).encode() + b"\n")
        rep = self.read()
        assert rep["id"] == self.next_id, (req, rep)
        return rep

    def ok(self, op, **fields):
        rep = self.request(op, **fields)
        assert rep["ok"], (op, fields, rep)
        return rep

    def error(self, op, **fields):
        rep = self.request(op, **fields)
        assert not rep["ok"], (op, fields, rep)
        return rep["error"]["category"]

    def socket(self, typ, context=""):
        return self.ok("socket", type=typ, context=context)["socket"]

    def bind(self, sock, ep):
        return self.ok("bind", socket=sock, endpoint=ep)["endpoint"]

    def wait(self, job, timeout_ms=10000):
        return self.request("wait", job=job, timeout_ms=timeout_ms)

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.write(b'{"id":999999,"op":"quit"}\n')
            except OSError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise AssertionError("the peer did not exit after quit")
        finally:
            self.proc.stdin.close()
            self.proc.stdout.close()
            self.stderr.close()


class PeerTest(unittest.TestCase):
    def setUp(self):
        self.peer = Peer()
        self.addCleanup(self.peer.stop)

    # hello -----------------------------------------------------------------------------------

    def test_hello(self):
        h = self.peer.ok("hello")["hello"]
        self.assertEqual(h["name"], "pyzmq")
        self.assertEqual(h["protocol"], 1)
        self.assertEqual(h["language"], "python")
        self.assertEqual(h["binding"], "pyzmq")
        self.assertTrue(h["runtime"].split()[0] in ("CPython", "PyPy"), h["runtime"])
        self.assertEqual(h["pid"], self.peer.proc.pid)
        caps = h["capabilities"]
        self.assertIn("tcp", caps["transports"])
        self.assertIn("inproc", caps["transports"])
        if sys.platform.startswith("linux"):
            self.assertEqual(h["os"], "linux")
            self.assertIn("ipc", caps["transports"], caps.get("probe_errors"))
        self.assertEqual(set(caps["socket_types"]),
                         {"PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH",
                          "XPUB", "XSUB"})
        for o in ("subscribe", "linger", "rcvhwm", "routing_id", "last_endpoint", "rcvmore"):
            self.assertIn(o, caps["options"])
        self.assertTrue(caps["bench"])

    # patterns over each transport ------------------------------------------------------------

    def round_trip(self, ep):
        p = self.peer
        rep = p.socket("REP")
        real = p.bind(rep, ep)
        req = p.socket("REQ")
        p.ok("connect", socket=req, endpoint=real)
        p.ok("send", socket=req, frames=[b64(b"hello"), b64(b""), b64(bytes(range(256)))],
             timeout_ms=5000)
        got = p.ok("recv", socket=rep, timeout_ms=5000)["frames"]
        self.assertEqual([unb64(f) for f in got], [b"hello", b"", bytes(range(256))])
        p.ok("send", socket=rep, frames=[b64(b"world")], timeout_ms=5000)
        got = p.ok("recv", socket=req, timeout_ms=5000)["frames"]
        self.assertEqual([unb64(f) for f in got], [b"world"])
        # REQ may not send twice in a row... it may here (reply received); a REP may not send
        # before it received.
        self.assertEqual(p.error("send", socket=rep, frames=[b64(b"x")], timeout_ms=1000), "efsm")
        p.ok("close", socket=req, linger_ms=0)
        p.ok("close", socket=rep, linger_ms=0)
        return real

    def test_req_rep_tcp(self):
        real = self.round_trip("tcp://127.0.0.1:*")
        self.assertRegex(real, r"^tcp://127\.0\.0\.1:\d+$")
        self.assertNotEqual(real, "tcp://127.0.0.1:0")

    def test_req_rep_ipc(self):
        caps = self.peer.ok("hello")["hello"]["capabilities"]
        if "ipc" not in caps["transports"]:
            if sys.platform.startswith("linux"):
                self.fail("ipc should work on Linux: %s" % caps.get("probe_errors"))
            self.skipTest("no ipc here: %s" % caps.get("probe_errors", {}).get("ipc"))
        d = tempfile.mkdtemp(prefix="zpt", dir="/tmp" if os.path.isdir("/tmp") else None)
        self.addCleanup(shutil.rmtree, d, True)
        ep = "ipc://" + os.path.join(d, "rr")
        self.assertEqual(self.round_trip(ep), ep)

    def test_req_rep_inproc(self):
        self.assertEqual(self.round_trip("inproc://rr"), "inproc://rr")

    def test_inproc_is_per_context(self):
        p = self.peer
        a = p.socket("PAIR", context="one")
        p.bind(a, "inproc://ctx")
        b = p.socket("PAIR", context="two")
        p.ok("connect", socket=b, endpoint="inproc://ctx")  # pending: another context's name
        p.request("send", socket=b, frames=[b64(b"x")], timeout_ms=0)  # may queue, may refuse
        self.assertEqual(p.error("recv", socket=a, timeout_ms=50), "again")

    def test_pub_sub_filter(self):
        p = self.peer
        pub = p.socket("PUB")
        ep = p.bind(pub, "tcp://127.0.0.1:*")
        sub = p.socket("SUB")
        p.ok("setopt", socket=sub, name="subscribe", value=b64(b"A"))
        p.ok("connect", socket=sub, endpoint=ep)
        # The subscription travels asynchronously: publish until one arrives.
        deadline = time.monotonic() + 10
        while True:
            self.assertLess(time.monotonic(), deadline, "subscription never reached the PUB")
            p.ok("send", socket=pub, frames=[b64(b"A-sync")], timeout_ms=1000)
            if p.request("recv", socket=sub, timeout_ms=50)["ok"]:
                break
        while p.request("recv", socket=sub, timeout_ms=100)["ok"]:
            pass
        for m in (b"B-1", b"A-1", b"B-2", b"AB", b"A-2"):
            p.ok("send", socket=pub, frames=[b64(m)], timeout_ms=1000)
        got = [unb64(p.ok("recv", socket=sub, timeout_ms=5000)["frames"][0]) for _ in range(3)]
        self.assertEqual(got, [b"A-1", b"AB", b"A-2"])
        self.assertEqual(p.error("recv", socket=sub, timeout_ms=200), "again")

    # plans -------------------------------------------------------------------------------------

    def test_reference_fill_golden(self):
        # The same bytes are asserted by the Go tests of plan.go: seq 41207, frame 3, 20 bytes.
        want = bytes.fromhex("000000000000a0f7" "00000003" "a4a5a6a7a8a9aaab")
        self.assertEqual(reference_fill(20, 41207, 3), want)
        # docs/peer-protocol.md's example: seq 1, frame 0, 14 bytes.
        self.assertEqual(reference_fill(14, 1, 0), bytes.fromhex("0000000000000001000000008f90"))

    def test_plan_content(self):
        p = self.peer
        a = p.socket("PAIR")
        p.bind(a, "inproc://plan")
        b = p.socket("PAIR")
        p.ok("connect", socket=b, endpoint="inproc://plan")
        sizes = [0, 5, 11, 12, 13, 20, 300, 1000]
        plan = {"count": 4, "start": 41205, "sizes": sizes, "prefix": [b64(b"topic")]}
        self.assertEqual(p.ok("send_batch", socket=a, plan=plan, timeout_ms=5000)["sent"], 4)
        msgs = p.ok("recv_batch", socket=b, count=4, timeout_ms=5000)["messages"]
        self.assertEqual(len(msgs), 4)
        for i, m in enumerate(msgs):
            frames = [unb64(f) for f in m]
            self.assertEqual(frames[0], b"topic")
            want = [reference_fill(n, 41205 + i, j) for j, n in enumerate(sizes)]
            self.assertEqual(frames[1:], want, "message %d" % i)
        # The golden triple: seq 41207, frame 3, 20 bytes (message 2 above has 20 bytes at
        # frame 5; this plan puts them at frame 3).
        plan = {"count": 1, "start": 41207, "sizes": [1, 2, 3, 20]}
        p.ok("send_batch", socket=a, plan=plan, timeout_ms=5000)
        m = p.ok("recv", socket=b, timeout_ms=5000)["frames"]
        self.assertEqual(unb64(m[3]), bytes.fromhex("000000000000a0f700000003a4a5a6a7a8a9aaab"))
        self.assertEqual([unb64(f) for f in m[:3]], [bytes([(41207 * 131 + j * 17 + k) % 256
                                                            for k in range(j + 1)])
                                                     for j in range(3)])
        p.ok("send_batch", socket=a, plan={"count": 1, "start": 1, "size": 14}, timeout_ms=5000)
        m = p.ok("recv", socket=b, timeout_ms=5000)["frames"]
        self.assertEqual([unb64(f) for f in m], [bytes.fromhex("0000000000000001000000008f90")])
        # frames/size instead of sizes
        plan = {"count": 2, "start": 7, "frames": 3, "size": 64}
        p.ok("send_batch", socket=a, plan=plan, timeout_ms=5000)
        msgs = p.ok("recv_batch", socket=b, count=2, timeout_ms=5000)["messages"]
        for i, m in enumerate(msgs):
            self.assertEqual([unb64(f) for f in m], [reference_fill(64, 7 + i, j) for j in range(3)])
        # explicit messages
        sent = p.ok("send_batch", socket=a, messages=[[b64(b"x")], [b64(b"y"), b64(b"z")]],
                    timeout_ms=5000)["sent"]
        self.assertEqual(sent, 2)
        msgs = p.ok("recv_batch", socket=b, count=2, timeout_ms=5000)["messages"]
        self.assertEqual(msgs, [[b64(b"x")], [b64(b"y"), b64(b"z")]])

    # timeouts ----------------------------------------------------------------------------------

    def test_recv_timeout_again(self):
        p = self.peer
        pull = p.socket("PULL")
        p.bind(pull, "tcp://127.0.0.1:*")
        t0 = time.monotonic()
        self.assertEqual(p.error("recv", socket=pull, timeout_ms=200), "again")
        took = time.monotonic() - t0
        self.assertGreaterEqual(took, 0.15)
        self.assertLess(took, 3.0)
        self.assertEqual(p.error("recv", socket=pull, timeout_ms=0), "again")

    def test_recv_batch_partial(self):
        p = self.peer
        pull = p.socket("PULL")
        push = p.socket("PUSH")
        p.bind(pull, "inproc://partial")
        p.ok("connect", socket=push, endpoint="inproc://partial")
        p.ok("send", socket=push, frames=[b64(b"one")], timeout_ms=1000)
        rep = p.request("recv_batch", socket=pull, count=3, timeout_ms=100)
        self.assertFalse(rep["ok"])
        self.assertEqual(rep["error"]["category"], "again")
        self.assertEqual(rep["messages"], [[b64(b"one")]])

    def test_dontwait_push_without_peer(self):
        p = self.peer
        push = p.socket("PUSH")
        p.bind(push, "tcp://127.0.0.1:*")
        self.assertEqual(p.error("send", socket=push, frames=[b64(b"x")], timeout_ms=0), "again")
        t0 = time.monotonic()
        self.assertEqual(p.error("send", socket=push, frames=[b64(b"x")], timeout_ms=150), "again")
        self.assertLess(time.monotonic() - t0, 3.0)
        rep = p.request("send_batch", socket=push, messages=[[b64(b"x")]], timeout_ms=0)
        self.assertEqual(rep["error"]["category"], "again")
        self.assertNotIn("sent", rep)

    # options -----------------------------------------------------------------------------------

    def test_options(self):
        p = self.peer
        d = p.socket("DEALER")
        p.ok("setopt", socket=d, name="routing_id", value=b64(b"me"))
        self.assertEqual(p.ok("getopt", socket=d, name="routing_id")["value"], b64(b"me"))
        p.ok("setopt", socket=d, name="sndhwm", value=7)
        self.assertEqual(p.ok("getopt", socket=d, name="sndhwm")["value"], 7)
        p.ok("setopt", socket=d, name="immediate", value=True)
        self.assertIs(p.ok("getopt", socket=d, name="immediate")["value"], True)
        p.ok("setopt", socket=d, name="rcvtimeo", value=250)
        self.assertEqual(p.ok("getopt", socket=d, name="rcvtimeo")["value"], 250)
        self.assertIs(p.ok("getopt", socket=d, name="rcvmore")["value"], False)
        self.assertEqual(p.error("setopt", socket=d, name="no_such_option", value=1), "unsupported")
        self.assertEqual(p.error("getopt", socket=d, name="no_such_option"), "unsupported")
        self.assertEqual(p.error("setopt", socket=d, name="sndhwm", value="many"), "inval")
        self.assertEqual(p.error("setopt", socket=d, name="subscribe", value=b64(b"x")), "inval")
        self.assertEqual(p.error("socket", type="NOPE"), "unsupported")

    # async jobs --------------------------------------------------------------------------------

    def test_async_batches_inproc(self):
        p = self.peer
        pull = p.socket("PULL", context="batch")
        p.bind(pull, "inproc://batch")
        push = p.socket("PUSH", context="batch")
        p.ok("connect", socket=push, endpoint="inproc://batch")
        n = 2000
        rjob = p.ok("recv_batch", socket=pull, count=n, timeout_ms=5000, **{"async": True})["job"]
        sjob = p.ok("send_batch", socket=push, plan={"count": n, "start": 100, "size": 40},
                    timeout_ms=5000, **{"async": True})["job"]
        self.assertNotEqual(rjob, sjob)
        s = p.wait(sjob)
        self.assertTrue(s["ok"], s)
        self.assertEqual(s["sent"], n)
        r = p.wait(rjob)
        self.assertTrue(r["ok"], {k: v for k, v in r.items() if k != "messages"})
        self.assertEqual(len(r["messages"]), n)
        for i in (0, 1, 999, n - 1):
            self.assertEqual(r["messages"][i], [b64(reference_fill(40, 100 + i, 0))])
        self.assertEqual(p.error("wait", job=rjob), "inval")  # collected already

    def test_wait_again_and_cancel(self):
        p = self.peer
        pull = p.socket("PULL")
        p.bind(pull, "inproc://cancel")
        job = p.ok("recv_batch", socket=pull, count=5, timeout_ms=200, **{"async": True})["job"]
        self.assertEqual(p.error("wait", job=job, timeout_ms=0), "again")
        p.ok("cancel", job=job)
        r = p.wait(job)
        self.assertFalse(r["ok"])
        self.assertEqual(r["error"]["category"], "again")
        self.assertEqual(p.error("hello", **{"async": True}), "protocol")

    # benchmarks --------------------------------------------------------------------------------

    def test_bench_throughput_inproc(self):
        p = self.peer
        pull = p.socket("PULL")
        p.bind(pull, "inproc://thr")
        push = p.socket("PUSH")
        p.ok("connect", socket=push, endpoint="inproc://thr")
        rjob = p.ok("bench", socket=pull, bench={"mode": "thr_recv", "size": 64,
                                                 "duration_ms": 300}, **{"async": True})["job"]
        sjob = p.ok("bench", socket=push, bench={"mode": "thr_send", "size": 64},
                    **{"async": True})["job"]
        r = p.wait(rjob)
        self.assertTrue(r["ok"], r)
        p.ok("cancel", job=sjob)
        s = p.wait(sjob)
        self.assertTrue(s["ok"], s)
        rb, sb = r["bench"], s["bench"]
        self.assertGreater(rb["messages"], 0)
        self.assertEqual(rb["bytes"], 64 * rb["messages"])
        self.assertGreaterEqual(rb["elapsed_ns"], 300 * 1000000)
        self.assertLess(rb["elapsed_ns"], 5 * 1000000000)
        self.assertGreaterEqual(sb["messages"], rb["messages"])
        self.assertEqual(sb["stopped"], "cancelled")
        self.assertEqual(sb["bytes"], 64 * sb["messages"])

    def test_bench_thr_recv_counts_whole_messages(self):
        p = self.peer
        pull = p.socket("PULL")
        p.bind(pull, "inproc://multi")
        push = p.socket("PUSH")
        p.ok("connect", socket=push, endpoint="inproc://multi")
        rjob = p.ok("bench", socket=pull, bench={"mode": "thr_recv", "duration_ms": 200},
                    **{"async": True})["job"]
        p.ok("send_batch", socket=push, plan={"count": 3000, "frames": 3, "size": 10},
             timeout_ms=5000)
        r = p.wait(rjob)
        self.assertTrue(r["ok"], r)
        b = r["bench"]
        self.assertGreater(b["messages"], 0)
        self.assertLessEqual(b["messages"], 3000)
        self.assertEqual(b["bytes"], 30 * b["messages"])

    def test_socket_in_use_by_a_job(self):
        p = self.peer
        rep = p.socket("REP")
        p.bind(rep, "inproc://closing")
        job = p.ok("bench", socket=rep, bench={"mode": "lat_pong"}, **{"async": True})["job"]
        # lat_pong runs until cancelled: the socket is the job's, not the main loop's.
        self.assertEqual(p.error("recv", socket=rep, timeout_ms=0), "protocol")
        self.assertEqual(p.error("getopt", socket=rep, name="rcvhwm"), "protocol")
        p.ok("close", socket=rep, linger_ms=0)  # close cancels the job and lets it end first
        r = p.wait(job)
        self.assertTrue(r["ok"], r)
        self.assertEqual(r["bench"]["stopped"], "cancelled")
        self.assertEqual(p.error("recv", socket=rep, timeout_ms=0), "protocol")  # unknown now

    def test_bench_latency_tcp(self):
        p = self.peer
        rep = p.socket("REP")
        ep = p.bind(rep, "tcp://127.0.0.1:*")
        req = p.socket("REQ")
        p.ok("connect", socket=req, endpoint=ep)
        pong = p.ok("bench", socket=rep, bench={"mode": "lat_pong", "size": 32},
                    **{"async": True})["job"]
        ping = p.ok("bench", socket=req, bench={"mode": "lat_ping", "size": 32,
                                                "duration_ms": 300}, **{"async": True})["job"]
        r = p.wait(ping)
        self.assertTrue(r["ok"], r)
        p.ok("cancel", job=pong)
        s = p.wait(pong)
        self.assertTrue(s["ok"], s)
        self.assertEqual(s["bench"]["stopped"], "cancelled")
        b = r["bench"]
        lat = b["latency"]
        self.assertGreater(b["messages"], 0)
        self.assertEqual(lat["count"], b["messages"])
        self.assertEqual(b["bytes"], 2 * 32 * b["messages"])
        self.assertGreaterEqual(s["bench"]["messages"], b["messages"])
        self.assertLessEqual(lat["min_ns"], lat["p50_ns"])
        self.assertLessEqual(lat["p50_ns"], lat["p90_ns"])
        self.assertLessEqual(lat["p90_ns"], lat["p99_ns"])
        self.assertLessEqual(lat["p99_ns"], lat["p999_ns"])
        self.assertLessEqual(lat["p999_ns"], lat["max_ns"])
        self.assertGreater(lat["min_ns"], 0)
        self.assertGreater(lat["mean_ns"], 0)
        self.assertLessEqual(lat["mean_ns"], lat["max_ns"])
        self.assertGreaterEqual(b["elapsed_ns"], 300 * 1000000)

    def test_bench_first_timeout(self):
        p = self.peer
        pull = p.socket("PULL")
        p.bind(pull, "inproc://quiet")
        rep = p.request("bench", socket=pull, bench={"mode": "thr_recv", "size": 1,
                                                     "duration_ms": 100, "first_timeout_ms": 100})
        self.assertEqual(rep["error"]["category"], "again")
        self.assertEqual(p.error("bench", socket=pull, bench={"mode": "warp"}), "inval")
        self.assertEqual(p.error("bench", socket=pull), "protocol")

    # digest mode -------------------------------------------------------------------------------

    def test_digest_golden(self):
        # The same hex strings are asserted by harness/peer/digest_test.go (TestDigestGolden).
        golden = [
            ([b"topic", reference_fill(20, 41207, 3)], "000000000000a0f727c3313c00000002"),
            ([b"", b"ab"], "ffffffffffffffff3f54e68a00000002"),
            ([], "ffffffffffffffff0000000000000000"),
            ([b"ab", b"c"], "ffffffffffffffff8cff5e3200000002"),
            ([b"a", b"bc"], "ffffffffffffffff0a181b8a00000002"),
        ]
        sys.path.insert(0, os.path.dirname(PEER))
        try:
            import peer as peer_module
        finally:
            sys.path.pop(0)
        for frames, want in golden:
            self.assertEqual(reference_digest(frames).hex(), want, frames)
            self.assertEqual(peer_module.digest_of(frames).hex(), want, frames)

    def digest_pair(self, name):
        p = self.peer
        a = p.socket("PAIR")
        p.bind(a, "inproc://" + name)
        b = p.socket("PAIR")
        p.ok("connect", socket=b, endpoint="inproc://" + name)
        return a, b

    def test_recv_batch_digest(self):
        p = self.peer
        a, b = self.digest_pair("digest")
        sizes = [3, 12, 40]
        plan = {"count": 300, "start": 41200, "sizes": sizes, "prefix": [b64(b"t")]}
        self.assertEqual(p.ok("send_batch", socket=b, plan=plan, timeout_ms=5000)["sent"], 300)
        rep = p.ok("recv_batch", socket=a, count=300, digest=True, timeout_ms=5000)
        self.assertNotIn("messages", rep)
        d = unb64(rep["digest"])
        self.assertEqual(len(d), 300 * 16)
        for i in range(300):
            frames = [b"t"] + [reference_fill(n, 41200 + i, j) for j, n in enumerate(sizes)]
            self.assertEqual(d[16 * i:16 * i + 16], reference_digest(frames), "message %d" % i)
            self.assertEqual(struct.unpack(">Q", d[16 * i:16 * i + 8])[0], 41200 + i)

    def test_recv_batch_digest_partial_and_async(self):
        p = self.peer
        a, b = self.digest_pair("digest-partial")
        msgs = [[b"x"], [b"", reference_fill(12, 7, 0)]]
        for m in msgs:
            p.ok("send", socket=b, frames=[b64(f) for f in m], timeout_ms=1000)
        t0 = time.monotonic()
        rep = p.request("recv_batch", socket=a, count=3, digest=True, timeout_ms=200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.1)
        self.assertFalse(rep["ok"])
        self.assertEqual(rep["error"]["category"], "again")
        self.assertNotIn("messages", rep)
        self.assertEqual(unb64(rep["digest"]), b"".join(reference_digest(m) for m in msgs))
        # Nothing arrived: no digest at all, as no "messages" in the other mode.
        rep = p.request("recv_batch", socket=a, count=1, digest=True, timeout_ms=0)
        self.assertEqual(rep["error"]["category"], "again")
        self.assertNotIn("digest", rep)
        # As an async job, with more messages than the first buffer holds.
        n = 70000
        job = p.ok("recv_batch", socket=a, count=n, digest=True, timeout_ms=5000,
                   **{"async": True})["job"]
        p.ok("send_batch", socket=b, plan={"count": n, "size": 16}, timeout_ms=5000)
        r = p.wait(job)
        self.assertTrue(r["ok"], r.get("error"))
        d = unb64(r["digest"])
        self.assertEqual(len(d), 16 * n)
        for i in (0, 1, 65535, 65536, n - 1):
            self.assertEqual(d[16 * i:16 * i + 16], reference_digest([reference_fill(16, i, 0)]))

    # ping and required fields ------------------------------------------------------------------

    def test_ping(self):
        rep = self.peer.ok("ping")
        self.assertEqual(set(rep), {"id", "ok"})

    def test_missing_fields_are_protocol_errors(self):
        p = self.peer
        s = p.socket("PAIR")
        cases = [
            ("socket", {}, 'missing "type"'),
            ("bind", {"socket": s}, 'missing "endpoint"'),
            ("connect", {"socket": s}, 'missing "endpoint"'),
            ("unbind", {"socket": s}, 'missing "endpoint"'),
            ("disconnect", {"socket": s}, 'missing "endpoint"'),
            ("setopt", {"socket": s, "value": 1}, 'missing "name"'),
            ("setopt", {"socket": s, "name": "linger"}, 'missing "value"'),
            ("getopt", {"socket": s}, 'missing "name"'),
            ("send", {"socket": s}, 'missing "frames"'),
            ("send", {"frames": [b64(b"x")]}, 'missing "socket"'),
            ("send_batch", {"socket": s, "plan": {"count": 1, "size": 1}, "messages": []},
             'both "plan" and "messages"'),
            ("bench", {"socket": s}, 'missing "bench"'),
            ("wait", {}, 'missing "job"'),
            ("cancel", {}, 'missing "job"'),
        ]
        for op, fields, want in cases:
            rep = p.request(op, **fields)
            self.assertFalse(rep["ok"], (op, fields))
            self.assertEqual(rep["error"]["category"], "protocol", (op, fields, rep))
            self.assertIn(want, rep["error"]["message"], (op, fields))
        # 0 and false are values, not missing ones.
        p.ok("setopt", socket=s, name="linger", value=0)
        p.ok("setopt", socket=s, name="immediate", value=False)
        self.assertEqual(p.error("wait", job=-1), "inval")
        p.ok("ping")

    # protocol errors ---------------------------------------------------------------------------

    def test_unknown_op_and_socket(self):
        p = self.peer
        self.assertEqual(p.error("frobnicate"), "protocol")
        self.assertEqual(p.error("bind", socket="s404", endpoint="tcp://127.0.0.1:*"), "protocol")
        self.assertEqual(p.error("wait", job=404), "inval")
        p.ok("hello")  # still serving

    def test_malformed_line_exits(self):
        p = self.peer
        p.write(b'{"id": 1, "op": \n')
        rep = p.read()
        self.assertEqual(rep["id"], 0)
        self.assertFalse(rep["ok"])
        self.assertEqual(rep["error"]["category"], "protocol")
        self.assertNotEqual(p.proc.wait(timeout=10), 0)

    def test_wrong_field_type_is_malformed(self):
        p = self.peer
        p.write(b'{"id": 1, "op": "recv", "socket": "s1", "timeout_ms": "soon"}\n')
        rep = p.read()
        self.assertEqual(rep["error"]["category"], "protocol")
        self.assertNotEqual(p.proc.wait(timeout=10), 0)

    def test_end_of_input_quits(self):
        p = self.peer
        p.socket("PAIR")
        p.proc.stdin.close()
        self.assertEqual(p.proc.wait(timeout=10), 0)

    def test_quit(self):
        p = self.peer
        s = p.socket("PUSH")
        p.ok("connect", socket=s, endpoint="tcp://127.0.0.1:9")
        p.ok("send", socket=s, frames=[b64(b"stuck")], timeout_ms=100)
        p.ok("quit")
        self.assertEqual(p.proc.wait(timeout=10), 0)



class ZapTest(unittest.TestCase):
    """docs/peer-protocol.md "Security": the peer's own ZAP handler allows exactly the listed
    credentials and logs every request; CURVE keys travel as Z85 text."""

    def setUp(self):
        self.peer = Peer()
        self.addCleanup(self.peer.stop)

    def test_zap_plain(self):
        p = self.peer
        p.ok("zap", zap={"domain": "", "users": [{"username": b64(b"u"), "password": b64(b"p")}]})
        srv = p.socket("PAIR")
        p.ok("setopt", socket=srv, name="plain_server", value=True)
        ep = p.ok("bind", socket=srv, endpoint="tcp://127.0.0.1:*")["endpoint"]
        for pw, arrives in ((b"p", True), (b"x", False)):
            c = p.socket("PAIR")
            p.ok("setopt", socket=c, name="plain_username", value=b64(b"u"))
            p.ok("setopt", socket=c, name="plain_password", value=b64(pw))
            p.ok("connect", socket=c, endpoint=ep)
            p.request("send", socket=c, frames=[b64(pw)], timeout_ms=500)
            rep = p.request("recv", socket=srv, timeout_ms=500)
            self.assertEqual(rep["ok"], arrives, rep)
            p.ok("close", socket=c, linger_ms=0)
        log = p.ok("zap_log")["zap_log"]
        self.assertEqual([r["status"] for r in log][:2], ["200", "400"], log)
        self.assertEqual(p.ok("getopt", socket=srv, name="mechanism")["value"], "PLAIN")
        p.ok("zap_stop")

    def test_curve_key_sizes(self):
        p = self.peer
        s = p.socket("DEALER")
        p.ok("setopt", socket=s, name="curve_publickey", value="0" * 40)
        self.assertEqual(p.error("setopt", socket=s, name="curve_publickey", value="0" * 39), "inval")

    def test_zap_decide(self):
        sys.path.insert(0, os.path.dirname(PEER))
        try:
            import peer as peer_module
        finally:
            sys.path.pop(0)
        spec = {"domain": "d", "users": [{"username": b"u", "password": b"p"}],
                "curve_keys": ["0" * 40], "allow_null": False}
        self.assertEqual(peer_module.zap_decide(spec, "PLAIN", "d", [b"u", b"p"])["status"], "200")
        self.assertEqual(peer_module.zap_decide(spec, "PLAIN", "e", [b"u", b"p"])["status"], "400")
        self.assertEqual(peer_module.zap_decide(spec, "CURVE", "d", [bytes(32)])["status"], "200")
        self.assertEqual(peer_module.zap_decide(spec, "NULL", "d", [])["status"], "400")


if __name__ == "__main__":
    unittest.main()
