#!/usr/bin/python3
"""relocclient.py - a small client of the relocation protocol
(protocol/reloc.h) for xmigd's end-to-end tests.  Standard library only.

Frames: an 8-byte header, type and payload length as big-endian 32-bit
numbers, then a JSON object.  Each subcommand prints one line per frame it
receives: "TYPE {json}", or "CLOSED" / "ERROR reason".
"""
import argparse
import json
import os
import socket
import ssl
import struct
import sys
import time

TYPES = {1: "HELLO", 2: "RESERVE", 3: "ACCEPT", 4: "DENY", 5: "STREAM",
         6: "RECEIVED", 7: "GO", 8: "ABORT", 9: "REPORT", 10: "FAILED",
         11: "DONE", 12: "QUERY", 13: "STATE"}
NUM = {v: k for k, v in TYPES.items()}


def connect(args, timeout=10.0):
    fam = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if args.bind:
        s.bind((args.bind, 0))
    s.connect((args.host, args.port))
    if args.tls_ca:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.load_verify_locations(args.tls_ca)
        if args.tls_cert:
            ctx.load_cert_chain(args.tls_cert, args.tls_key)
        s = ctx.wrap_socket(s)
    return s


def send(s, name, obj):
    body = json.dumps(obj).encode()
    s.sendall(struct.pack(">II", NUM[name], len(body)) + body)


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def recv(s):
    try:
        hdr = recv_exact(s, 8)
        if hdr is None:
            return ("CLOSED", None)
        t, n = struct.unpack(">II", hdr)
        body = recv_exact(s, n)
        if body is None:
            return ("CLOSED", None)
        return (TYPES.get(t, str(t)), json.loads(body or b"{}"))
    except (ConnectionResetError, BrokenPipeError):
        return ("CLOSED", None)
    except socket.timeout:
        return ("TIMEOUT", None)
    except ssl.SSLError as e:
        return ("ERROR", {"reason": str(e)})


def show(frame):
    t, obj = frame
    print(t if obj is None else "%s %s" % (t, json.dumps(obj, sort_keys=True)))
    sys.stdout.flush()
    return frame


def hello(s, version=1):
    send(s, "HELLO", {"version": version, "software": "relocclient"})
    return recv(s)


def reserve_msg(args, name=None, memkb=None):
    m = {"job": "t1", "name": name or args.name, "type": "pv",
         "memkb": memkb if memkb is not None else args.memkb,
         "vcpus": args.vcpus}
    if args.uuid:
        m["uuid"] = args.uuid
    return m


def reserve(args, name=None, memkb=None):
    s = connect(args)
    f = hello(s)
    if f[0] != "HELLO":
        return s, f
    send(s, "RESERVE", reserve_msg(args, name, memkb))
    return s, recv(s)


def cmd_hello(args):
    try:
        s = connect(args)
    except OSError as e:
        print("ERROR %s" % e)
        return
    show(hello(s, args.version))


def cmd_reserve(args):
    s, f = reserve(args)
    show(f)
    if args.stream and f[0] == "ACCEPT":
        send(s, "STREAM", {})
        s.sendall(args.stream.encode())
        show(recv(s))
    elif args.wait_close and f[0] == "ACCEPT":
        s.settimeout(args.wait_close)
        show(recv(s))


def cmd_query(args):
    s = connect(args)
    show(hello(s))
    send(s, "QUERY", {"name": args.name})
    show(recv(s))


def cmd_pair(args):
    """Two reservations that only fit one at a time."""
    a, fa = reserve(args, args.name + "a")
    show(fa)
    b, fb = reserve(args, args.name + "b")
    show(fb)
    b.close()
    a.close()
    # The daemon drops a's reservation when it sees the close; wait for
    # that with a bounded retry.
    deadline = time.time() + 10
    while True:
        c, fc = reserve(args, args.name + "b")
        if fc[0] == "ACCEPT" or time.time() > deadline:
            break
        c.close()
        time.sleep(0.05)
    show(fc)


def cmd_flood(args):
    """Half-open, garbage, oversized and truncated connections."""
    held = []
    bad = 0
    for i in range(args.count):
        try:
            s = connect(args, timeout=5)
        except OSError:
            bad += 1
            continue
        kind = i % 5
        try:
            if kind == 0:
                pass                                # sends nothing
            elif kind == 1:
                s.sendall(os.urandom(64))           # garbage
            elif kind == 2:                         # oversized header
                s.sendall(struct.pack(">II", 1, 0x7fffffff))
            elif kind == 3:                         # truncated frame
                s.sendall(struct.pack(">II", 1, 100) + b"{")
            else:                                   # unknown type
                s.sendall(struct.pack(">II", 99, 2) + b"{}")
        except OSError:
            pass
        held.append(s)
        if len(held) >= args.batch:
            for h in held:
                h.close()
            held = []
    for h in held:
        h.close()
    print("FLOOD done, %d connect failures" % bad)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--bind")
    p.add_argument("--tls-ca")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    sub = p.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("hello")
    h.add_argument("--version", type=int, default=1)
    for name in ("reserve", "pair", "query"):
        r = sub.add_parser(name)
        r.add_argument("--name", default="dom")
        r.add_argument("--uuid")
        r.add_argument("--memkb", type=int, default=65536)
        r.add_argument("--vcpus", type=int, default=1)
        r.add_argument("--stream")
        r.add_argument("--wait-close", type=float)
    f = sub.add_parser("flood")
    f.add_argument("--count", type=int, default=300)
    f.add_argument("--batch", type=int, default=50)
    args = p.parse_args()
    {"hello": cmd_hello, "reserve": cmd_reserve, "pair": cmd_pair,
     "query": cmd_query, "flood": cmd_flood}[args.cmd](args)


if __name__ == "__main__":
    main()
