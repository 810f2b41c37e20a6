#!/bin/sh
# xmigd-flood.sh - 300 connections: half-open ones that send nothing,
# garbage, oversized headers, truncated frames, unknown types.  The
# daemon's descriptor count and RSS return to where they started and it
# still answers.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/xmigd-lib.sh"

# Under AddressSanitizer freed memory sits in a quarantine and RSS grows
# with every free, leak or not: turn it off here so RSS means the same as
# in a normal build.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
export ASAN_OPTIONS
xd_start
$RELOC --port "$XD_PORT" hello > "$E2E_TMP/a"
expect_grep '^HELLO' "$E2E_TMP/a"
xd_ctl '{"cmd":"status"}' > /dev/null
# Before hello, a RESERVE header is refused at once: the daemon does not
# wait for (and buffer) its megabyte.  After hello, a RESERVE nested
# 300000 deep is refused without harm (freeing such a tree in yajl
# exhausted the stack).  Before the baseline: a 600 KB frame leaves
# allocator slack that is not a leak.
$PYTHON - "$XD_PORT" > "$E2E_TMP/b2" <<'PY'
import json, socket, struct, sys
def answer(s):
    hdr = b""
    while len(hdr) < 8:
        hdr += s.recv(8 - len(hdr))
    t, n = struct.unpack(">II", hdr)
    body = b""
    while len(body) < n:
        body += s.recv(n - len(body))
    return body.decode()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
s.sendall(struct.pack(">II", 2, 1000000))
print("early:", answer(s))
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(30)
hello = json.dumps({"version": 1, "software": "flood"}).encode()
s.sendall(struct.pack(">II", 1, len(hello)) + hello)
answer(s)
deep = b'{"x":' + b"[" * 300000 + b"]" * 300000 + b"}"
s.sendall(struct.pack(">II", 2, len(deep)) + deep)
print("deep:", answer(s))
PY
expect_grep '^early: .*unexpected RESERVE frame' "$E2E_TMP/b2"
expect_grep '^deep: .*nested deeper than 64' "$E2E_TMP/b2"
kill -0 "$XD_PID" || e2e_fail "xmigd died of a deeply nested frame"

fd0=$(xd_fds)
rss0=$(xd_rss)

# One of each, checked for its answer.
$PYTHON - "$XD_PORT" > "$E2E_TMP/b" <<'PY'
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(struct.pack(">II", 1, 0x7fffffff))
print(s.recv(4096)[8:].decode())
PY
expect_grep 'bad frame header' "$E2E_TMP/b"

$RELOC --port "$XD_PORT" flood --count 300 --batch 60 > "$E2E_TMP/c"
expect_grep '^FLOOD done' "$E2E_TMP/c"

i=0
while [ "$(xd_fds)" -gt "$fd0" ]; do
	i=$((i + 1))
	[ $i -gt 200 ] && e2e_fail "fds: $fd0 before, $(xd_fds) after"
	sleep 0.05
done
rss1=$(xd_rss)
echo "fds $fd0 -> $(xd_fds), VmRSS $rss0 kB -> $rss1 kB"
# Allocator slack: 2 MiB.
[ "$rss1" -le $((rss0 + 2048)) ] || e2e_fail "RSS grew: $rss0 -> $rss1 kB"
$RELOC --port "$XD_PORT" hello > "$E2E_TMP/d"
expect_grep '^HELLO' "$E2E_TMP/d"
kill -0 "$XD_PID" || e2e_fail "xmigd died"
e2e_ok "flood of 300 bad connections: fds and RSS back, daemon answers"
