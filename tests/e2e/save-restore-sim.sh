#!/bin/sh
# save-restore-sim.sh - a dirtying simulated domain saved to a file (which
# Xen's own checker and xmig verify accept), gone, restored, running on
# with every page intact; --keep-running; --paused and --name; a
# truncated file refused with nothing left behind.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim-lib.sh"

H="$E2E_TMP/h"
sim_host "$H"
X() { "$XMIG" --sim-dir "$H" "$@"; }

expect_exit 0 X sim create --name web1 --memory 48M --dirty-rate 30M
expect_exit 0 X --json save web1 "$E2E_TMP/web1.sav"
out=$(cat "$E2E_TMP/out")
[ "$(json_get "$out" result)" = ok ] || e2e_fail "save: $out"
[ "$(json_get "$out" pages_sent)" -ge 12288 ] || e2e_fail "pages: $out"
sim_has "$H" web1 && e2e_fail "web1 still exists after save"
[ ! -e "$E2E_TMP"/web1.sav.partial-* ] || e2e_fail "partial file left"
e2e_ok "saved and destroyed"

expect_exit 0 "$XMIG" verify "$E2E_TMP/web1.sav"
expect_grep "x86 HVM" "$E2E_TMP/out"
vs=/usr/lib/xen-4.17/bin/verify-stream-v2
if [ -x "$vs" ]; then
	PYTHONPATH=/usr/lib/xen-4.17/lib/python /usr/bin/python3 "$vs" -f xl \
	    -i "$E2E_TMP/web1.sav" > "$E2E_TMP/vs" 2>&1 ||
	    { cat "$E2E_TMP/vs"; e2e_fail "verify-stream-v2 refused"; }
	e2e_ok "Xen's verify-stream-v2 accepts the save file"
fi

expect_exit 0 X restore "$E2E_TMP/web1.sav"
[ "$(sim_state "$H" web1)" = running ] || e2e_fail "not running"
sim_intact "$H" web1
e2e_ok "restored, running, every page intact"

# It keeps dirtying after the restore: the check moves on.
g1=$(X --json sim check web1 | sed 's/.*"generation":\([0-9]*\).*/\1/')
n=0
while :; do
	g2=$(X --json sim check web1 | sed 's/.*"generation":\([0-9]*\).*/\1/')
	[ "$g2" -gt "$g1" ] && break
	n=$((n + 1)); [ $n -lt 100 ] || e2e_fail "restored guest is idle"
	sleep 0.05
done
e2e_ok "the restored guest runs on"

expect_exit 0 X save --keep-running web1 "$E2E_TMP/web1b.sav"
[ "$(sim_state "$H" web1)" = running ] || e2e_fail "--keep-running"
sim_intact "$H" web1
expect_exit 0 X restore --paused --name web2 "$E2E_TMP/web1b.sav"
[ "$(sim_state "$H" web2)" = paused ] || e2e_fail "--paused"
sim_intact "$H" web2
expect_exit 1 X restore "$E2E_TMP/web1b.sav"
expect_grep "already exists" "$E2E_TMP/err"
e2e_ok "--keep-running, --paused, --name, name clash"

# A pipe (or a device) is written as it is, not replaced by a file.
mkfifo "$E2E_TMP/pipe"
cat "$E2E_TMP/pipe" > "$E2E_TMP/piped.sav" &
cpid=$!
expect_exit 0 X save --keep-running web1 "$E2E_TMP/pipe"
wait "$cpid"
[ -p "$E2E_TMP/pipe" ] || e2e_fail "the pipe was replaced"
expect_exit 0 "$XMIG" verify "$E2E_TMP/piped.sav"
e2e_ok "save into a pipe"

# A file cut short anywhere is refused; nothing is left behind.
size=$(stat -c %s "$E2E_TMP/web1b.sav")
for cut in 20 100 5000 $((size / 2)) $((size - 8)); do
	head -c "$cut" "$E2E_TMP/web1b.sav" > "$E2E_TMP/cut.sav"
	expect_exit 6 X restore --name cut "$E2E_TMP/cut.sav"
	expect_grep "offset" "$E2E_TMP/err"
	sim_has "$H" cut && e2e_fail "cut at $cut left a domain"
done
e2e_ok "truncated files refused, nothing left behind"

# A page outside the domain (its first pfn moved far past the end) is
# refused before a byte is written; a one-page domain (no sim guest fits)
# is refused before anything is created.  Nothing is left behind.
/usr/bin/python3 - "$E2E_TMP/web1b.sav" "$E2E_TMP/farpfn.sav" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
i = 0
while True:
    i = b.find(b"\x01\x00\x00\x00", i)
    if i < 0:
        sys.exit("no PAGE_DATA record found")
    ln, cnt = struct.unpack_from("<II", b, i + 4)
    if 1 <= cnt <= 1024 and 8 + 8 * cnt <= ln <= 8 + 4104 * cnt and \
            (ln - 8 - 8 * cnt) % 4096 == 0:
        break
    i += 1
pfn, = struct.unpack_from("<Q", b, i + 16)
struct.pack_into("<Q", b, i + 16, (pfn & ~((1 << 52) - 1)) | 0x400000000)
open(sys.argv[2], "wb").write(b)
PY
expect_exit 6 X restore --name farpfn "$E2E_TMP/farpfn.sav"
expect_grep "pfn 0x400000000 (entry 0) outside the domain" "$E2E_TMP/err"
sim_has "$H" farpfn && e2e_fail "a page outside the domain left a domain"
"$top_builddir/tests/tools/mkstream" -t hvm -p 1 -n tiny "$E2E_TMP/tiny.xl"
expect_exit 1 X restore "$E2E_TMP/tiny.xl"
expect_grep "smaller than a sim guest's minimum" "$E2E_TMP/err"
sim_has "$H" tiny && e2e_fail "a one-page domain was created"
e2e_ok "pages outside the domain and a one-page domain refused"
