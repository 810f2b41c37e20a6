"""simxs_pyxs.py - check the simulated host's xenstore server with an
independent client, Debian's python3-pyxs (pure Python).

    /usr/bin/python3 simxs_pyxs.py SOCKET

Prints one line per check; exits 0 when all pass, 1 otherwise, 77 when
pyxs is not installed.
"""
import errno
import queue
import sys
import threading

try:
    import pyxs
except ImportError:
    print("SKIP: python3-pyxs not installed")
    sys.exit(77)

failures = 0


def check(cond, what):
    global failures
    if cond:
        print("ok: pyxs: " + what)
    else:
        print("FAIL: pyxs: " + what)
        failures += 1


def error_of(fn, *args):
    try:
        fn(*args)
    except pyxs.PyXSError as e:
        return e.args[0]
    return None


def next_event(mon, timeout=5.0):
    """The monitor's next event, or None after timeout seconds."""
    out = queue.Queue()
    threading.Thread(target=lambda: out.put(next(mon.wait())),
                     daemon=True).start()
    try:
        return out.get(timeout=timeout)
    except queue.Empty:
        return None


def main(sock):
    # pyxs allows domain management only in a Xen control domain, which it
    # detects from /proc/xen; the simulated host's socket is dom0's.
    pyxs.Client.SU = True
    with pyxs.Client(unix_socket_path=sock) as c:
        c.write(b"/py/a", b"alpha")
        check(c.read(b"/py/a") == b"alpha", "write and read")
        c.mkdir(b"/py/dir")
        check(sorted(c.list(b"/py")) == [b"a", b"dir"], "list")
        check(c.exists(b"/py/dir") and not c.exists(b"/py/none"),
              "exists")
        check(error_of(c.read, b"/py/none") == errno.ENOENT,
              "read missing: ENOENT")
        c.set_perms(b"/py/a", [b"b0", b"r3"])
        check(c.get_perms(b"/py/a") == [b"b0", b"r3"], "perms")
        c.delete(b"/py/dir")
        check(not c.exists(b"/py/dir"), "delete")
        check(c.get_domain_path(4) == b"/local/domain/4", "domain path")
        c.introduce_domain(4, 1234, 7)
        check(c.is_domain_introduced(4), "introduce")
        c.release_domain(4)
        check(not c.is_domain_introduced(4), "release")

        c.transaction()
        c.write(b"/py/t", b"1")
        check(c.commit(), "transaction commit")
        check(c.read(b"/py/t") == b"1", "committed value")

        with pyxs.Client(unix_socket_path=sock) as other:
            c.transaction()
            c.read(b"/py/t")
            c.write(b"/py/t", b"2")
            other.write(b"/py/t", b"3")
            check(not c.commit(), "conflicting commit fails (EAGAIN)")
            check(c.read(b"/py/t") == b"3", "other writer won")

        with c.monitor() as m:
            m.watch(b"/py/w", b"tok")
            ev = next_event(m)
            check(ev is not None and ev[0] == b"/py/w" and ev[1] == b"tok",
                  "initial watch event")
            c.write(b"/py/w/x", b"1")
            ev = next_event(m)
            check(ev is not None and ev[0] == b"/py/w/x", "child event")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
