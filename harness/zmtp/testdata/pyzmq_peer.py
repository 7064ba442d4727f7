"""A libzmq socket (through pyzmq) for harness/zmtp's interop tests.

It binds or connects one socket, optionally as a PLAIN or CURVE server or client with a
ZAP handler thread (RFC 27), and then reports on stdout, one JSON object per line:
  {"event": "ready", "endpoint": ...}              once bound or connected
  {"event": "recv", "frames": [hex, ...]}          each message received
  {"event": "zap", "mechanism": ..., "status": ...} each ZAP request and our answer
  {"event": "monitor", "name": ..., "value": ...}  socket monitor events
It reads commands from stdin, one JSON object per line:
  {"send": [hex, ...]}   send one message
  {"quit": true}         close and exit
With --echo every received message is sent back.
"""
import argparse
import json
import os
import sys
import threading

import zmq
import zmq.utils.monitor
import zmq.utils.z85

out_lock = threading.Lock()


def emit(**kw):
    with out_lock:
        sys.stdout.write(json.dumps(kw) + "\n")
        sys.stdout.flush()


def zap_handler(ctx, users, curve_keys, ready):
    """Answers ZAP requests (RFC 27 §Message Format) on inproc://zeromq.zap.01."""
    sock = ctx.socket(zmq.REP)
    sock.linger = 0
    sock.bind("inproc://zeromq.zap.01")
    ready.set()
    while True:
        try:
            msg = sock.recv_multipart()
        except zmq.ContextTerminated:
            break
        if msg == [b"STOP"]:
            break
        version, request_id, domain, address, identity, mechanism = msg[:6]
        creds = msg[6:]
        status, text = b"200", b"OK"
        if mechanism == b"PLAIN":
            user, password = creds[0].decode(), creds[1].decode()
            if users.get(user) != password:
                status, text = b"400", b"bad credentials"
        elif mechanism == b"CURVE":
            key = zmq.utils.z85.encode(creds[0]).decode()
            if curve_keys and key not in curve_keys:
                status, text = b"400", b"unknown key"
        emit(event="zap", mechanism=mechanism.decode(), status=status.decode(),
             credentials=[c.hex() for c in creds])
        sock.send_multipart([version, request_id, status, text, b"user", b""])
    sock.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--type", required=True)
    ap.add_argument("--bind")
    ap.add_argument("--connect")
    ap.add_argument("--mech", default="null", choices=["null", "plain", "curve"])
    ap.add_argument("--server", action="store_true", help="security server role")
    ap.add_argument("--users", default="", help="user:pass,... accepted by the ZAP handler")
    ap.add_argument("--user", default="")
    ap.add_argument("--password", default="")
    ap.add_argument("--secret", default="", help="our CURVE secret key (Z85)")
    ap.add_argument("--public", default="", help="our CURVE public key (Z85)")
    ap.add_argument("--server-key", default="", help="the CURVE server's public key (Z85)")
    ap.add_argument("--allow", default="", help="CURVE client keys the ZAP handler accepts")
    ap.add_argument("--zap", action="store_true")
    ap.add_argument("--heartbeat-ivl", type=int, default=0)
    ap.add_argument("--heartbeat-ttl", type=int, default=0)
    ap.add_argument("--heartbeat-timeout", type=int, default=0)
    ap.add_argument("--handshake-ivl", type=int, default=-1)
    ap.add_argument("--subscribe", action="append", default=[])
    ap.add_argument("--echo", action="store_true")
    a = ap.parse_args()

    ctx = zmq.Context()
    zap = None
    if a.zap:
        users = dict(u.split(":", 1) for u in a.users.split(",") if u)
        keys = [k for k in a.allow.split(",") if k]
        ready = threading.Event()
        zap = threading.Thread(target=zap_handler, args=(ctx, users, keys, ready), daemon=True)
        zap.start()
        ready.wait(5)

    sock = ctx.socket(getattr(zmq, a.type))
    sock.linger = 0
    if a.handshake_ivl >= 0:
        sock.setsockopt(zmq.HANDSHAKE_IVL, a.handshake_ivl)
    if a.heartbeat_ivl:
        sock.heartbeat_ivl = a.heartbeat_ivl
    if a.heartbeat_ttl:
        sock.heartbeat_ttl = a.heartbeat_ttl
    if a.heartbeat_timeout:
        sock.heartbeat_timeout = a.heartbeat_timeout
    if a.mech == "plain":
        if a.server:
            sock.plain_server = True
        else:
            sock.plain_username = a.user.encode()
            sock.plain_password = a.password.encode()
    elif a.mech == "curve":
        sock.curve_secretkey = a.secret.encode()
        sock.curve_publickey = a.public.encode()
        if a.server:
            sock.curve_server = True
        else:
            sock.curve_serverkey = a.server_key.encode()
    for t in a.subscribe:
        sock.setsockopt(zmq.SUBSCRIBE, t.encode())
    mon = sock.get_monitor_socket()

    if a.bind:
        sock.bind(a.bind)
        endpoint = sock.getsockopt(zmq.LAST_ENDPOINT).decode()
    else:
        sock.connect(a.connect)
        endpoint = a.connect
    emit(event="ready", endpoint=endpoint, zmq=zmq.zmq_version())

    poller = zmq.Poller()
    poller.register(sock, zmq.POLLIN)
    poller.register(mon, zmq.POLLIN)
    poller.register(sys.stdin.fileno(), zmq.POLLIN)
    running = True
    pending = b""
    while running:
        for item, _ in poller.poll(1000):
            if item is sock:
                frames = sock.recv_multipart()
                emit(event="recv", frames=[f.hex() for f in frames])
                if a.echo:
                    sock.send_multipart(frames)
            elif item is mon:
                ev = zmq.utils.monitor.recv_monitor_message(mon)
                emit(event="monitor", name=str(zmq.Event(ev["event"]).name), value=ev["value"])
            else:
                # Read what is there and run every complete line: a buffered readline would
                # leave further lines in Python's buffer, where poll cannot see them.
                chunk = os.read(sys.stdin.fileno(), 65536)
                if not chunk:
                    running = False
                    break
                pending += chunk
                while running and b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    cmd = json.loads(line)
                    if cmd.get("quit"):
                        running = False
                    elif "send" in cmd:
                        sock.send_multipart([bytes.fromhex(f) for f in cmd["send"]])
    sock.disable_monitor()
    mon.close()
    sock.close()
    ctx.term()


if __name__ == "__main__":
    main()
