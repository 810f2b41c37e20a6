"""simxs_raw.py - malformed and hostile xenstore wire messages against the
simulated host's xenstore server, each followed by a check that it still
serves other clients.

    /usr/bin/python3 simxs_raw.py SOCKET

Prints one line per check; exits 0 when all pass, 1 otherwise.
"""
import os
import socket
import struct
import sys

READ, WATCH, TX_START, TX_END, WRITE, WATCH_EVENT, ERROR = 2, 4, 6, 7, 11, 15, 16
failures = 0


def check(cond, what):
    global failures
    if cond:
        print("ok: raw: " + what)
    else:
        print("FAIL: raw: " + what)
        failures += 1


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5.0)
    s.connect(path)
    return s


def msg(mtype, payload, req_id=7, tx_id=0, length=None):
    if length is None:
        length = len(payload)
    return struct.pack("=IIII", mtype, req_id, tx_id, length) + payload


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def reply(s):
    """(type, req_id, tx_id, payload) of the next message, None on EOF."""
    hdr = recv_exact(s, 16)
    if hdr is None:
        return None
    mtype, req_id, tx_id, length = struct.unpack("=IIII", hdr)
    body = recv_exact(s, length)
    return (mtype, req_id, tx_id, body)


def is_error(r, name):
    return r is not None and r[0] == ERROR and r[3] == name.encode() + b"\0"


def closed(s):
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, socket.timeout):
        return False


def still_serves(path, what):
    s = connect(path)
    s.sendall(msg(WRITE, b"/raw/alive\0yes"))
    w = reply(s)
    s.sendall(msg(READ, b"/raw/alive\0"))
    r = reply(s)
    check(w is not None and w[0] == WRITE and r is not None and
          r[3] == b"yes", "still serves after " + what)
    s.close()


def main(path):
    s = connect(path)
    s.sendall(msg(99, b"x\0"))
    check(is_error(reply(s), "ENOSYS"), "unknown type: ENOSYS")
    s.sendall(msg(WATCH_EVENT, b"/a\0t\0"))
    check(is_error(reply(s), "ENOSYS"), "client WATCH_EVENT: ENOSYS")
    s.sendall(msg(READ, b"/raw/no-nul"))
    check(is_error(reply(s), "EINVAL"), "READ without NUL: EINVAL")
    s.sendall(msg(READ, b""))
    check(is_error(reply(s), "EINVAL"), "READ empty: EINVAL")
    s.sendall(msg(READ, b"/a\0/b\0"))
    check(is_error(reply(s), "EINVAL"), "READ two strings: EINVAL")
    s.sendall(msg(READ, b"/" + b"a" * 3100 + b"\0"))
    check(is_error(reply(s), "EINVAL"), "path over 3072: EINVAL")
    s.sendall(msg(WRITE, b"/raw/bad char\0v"))
    check(is_error(reply(s), "EINVAL"), "bad character: EINVAL")
    s.sendall(msg(READ, b"/raw\0", tx_id=4242))
    check(is_error(reply(s), "ENOENT"), "unknown transaction: ENOENT")
    s.sendall(msg(TX_END, b"T\0"))
    check(is_error(reply(s), "ENOENT"), "TX_END without tx: ENOENT")
    s.sendall(msg(TX_START, b"\0"))
    r = reply(s)
    tx = int(r[3].rstrip(b"\0"))
    s.sendall(msg(TX_END, b"X\0", tx_id=tx))
    check(is_error(reply(s), "EINVAL"), "TX_END bad argument: EINVAL")
    s.sendall(msg(TX_START, b"\0", tx_id=tx))
    check(is_error(reply(s), "EBUSY"), "nested TX_START: EBUSY")
    value = b"v" * (4096 - len(b"/raw/big\0"))
    s.sendall(msg(WRITE, b"/raw/big\0" + value, req_id=99))
    r = reply(s)
    check(r is not None and r[0] == WRITE and r[1] == 99 and
          r[3] == b"OK\0", "4096-byte payload accepted, req_id echoed")
    s.sendall(msg(WATCH, b"/raw/w\0"))
    check(is_error(reply(s), "EINVAL"), "WATCH without token: EINVAL")
    s.close()
    still_serves(path, "protocol errors")

    s = connect(path)
    s.sendall(msg(WRITE, b"", length=5000))
    check(closed(s), "payload length over 4096 closes the client")
    still_serves(path, "oversized length")

    s = connect(path)
    s.sendall(msg(WRITE, b"/raw/x\0" + b"a" * 100)[:30])
    s.close()
    still_serves(path, "a truncated message")

    s = connect(path)
    junk = os.urandom(65536)
    try:
        s.sendall(junk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    s.close()
    still_serves(path, "random bytes")

    many = [connect(path) for _ in range(100)]
    for i, c in enumerate(many):
        c.sendall(msg(READ, b"/raw/alive\0", req_id=i))
    ok = all(reply(c) == (READ, i, 0, b"yes") for i, c in enumerate(many))
    check(ok, "100 clients at once")
    for c in many:
        c.close()

    # A watcher that never reads must not stall the server.
    lazy = connect(path)
    lazy.sendall(msg(WATCH, b"/raw/flood\0tok\0"))
    writer = connect(path)
    for i in range(3000):
        writer.sendall(msg(WRITE, b"/raw/flood/n\0" + b"x" * 1000,
                           req_id=i))
        r = reply(writer)
        if r is None or r[0] != WRITE:
            break
    check(r is not None and r[0] == WRITE,
          "writes go on while a watcher does not read")
    writer.close()
    still_serves(path, "a stalled watcher")
    lazy.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
