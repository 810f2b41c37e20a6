#!/bin/sh
# datapath-sim.sh - the framed stream between xmig and xmigd, end to end
# on simulated hosts over loopback: zero pages travel as markers and
# compressible memory compressed (lz4, zstd), an incompressible guest is
# sent raw, --compress none and --no-zero-elision send the stream as it
# is; a source or a destination without frames still migrates (plain
# stream); a corrupted compressed frame is refused with a clear reason,
# nothing is left at the destination and the guest resumes at the source.
# Every guest is checked intact after every move ("sim check").
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/xmigd-lib.sh"
. "$top_srcdir/tests/e2e/sim-lib.sh"

XD_SIM_MEMORY=1G
xd_start
SRC="$E2E_TMP/src"
sim_host "$SRC"
sim_host "$XD_SIM"
S() { "$XMIG" --sim-dir "$SRC" "$@"; }
D() { "$XMIG" --sim-dir "$XD_SIM" "$@"; }
export XMIG_CONF="$E2E_TMP/xmig.conf"
printf 'suspend-timeout = 10\n' > "$XMIG_CONF"

py_check() {
	$PYTHON -c 'import json, sys
j = json.loads(sys.argv[1])
exec(sys.argv[2])' "$1" "$2" || e2e_fail "check failed on: $1"
}

# move NAME [OPTIONS...]: migrate NAME there with --json, check it
# intact there, bring it back the same way; $E2E_TMP/json holds the
# first move's figures.
move() {
	n=$1
	shift
	expect_exit 0 S --json migrate --port "$XD_PORT" "$@" "$n" 127.0.0.1
	cp "$E2E_TMP/out" "$E2E_TMP/json"
	sim_has "$SRC" "$n" && e2e_fail "$n still at the source"
	sim_intact "$XD_SIM" "$n"
}

# 1. A mixed guest (half zero pages) dirtying while it moves, compress
#    auto (lz4, zstd while faster): zero pages elided, the rest
#    compressed, far fewer bytes on the wire than the memory; it arrives
#    intact.
expect_exit 0 S sim create --name mix --memory 64M --content mixed \
    --dirty-rate 8M
move mix
py_check "$(cat "$E2E_TMP/json")" 'assert j["result"] == "ok", j
assert j["codec"] == "lz4+zstd", j
assert j["frames_lz4"] + j["frames_zstd"] > 0, j
assert j["zero_pages"] > 6000, j
assert j["bytes_raw"] > 64 << 20, j
assert j["bytes_sent"] < j["bytes_raw"] / 2, j
assert j["compression_ratio"] > 2, j'
expect_exit 0 D sim destroy mix
e2e_ok "mixed memory: zero pages as markers, compressed, guest intact"

# 2. zstd, on a text guest: compressed, intact.
expect_exit 0 S sim create --name txt --memory 32M --content text \
    --dirty-rate 4M
move txt --compress zstd
py_check "$(cat "$E2E_TMP/json")" 'assert j["codec"] == "zstd", j
assert j["zero_pages"] < 100, j
assert j["compression_ratio"] > 2, j'
expect_exit 0 D sim destroy txt
e2e_ok "text memory with zstd: compressed, guest intact"

# 3. An incompressible guest: chunks that do not shrink go raw, about
#    as many bytes on the wire as in the stream.
expect_exit 0 S sim create --name rnd --memory 32M --dirty-rate 4M
move rnd --compress lz4
py_check "$(cat "$E2E_TMP/json")" 'assert j["codec"] == "lz4", j
assert j["frames_zstd"] == 0, j
assert 0.97 < j["compression_ratio"] < 1.05, j'
expect_exit 0 D sim destroy rnd
e2e_ok "random memory: sent raw, guest intact"

# 4. --compress none with zero elision: zero pages still markers;
#    with --no-zero-elision too: a plain stream, every byte on the wire.
expect_exit 0 S sim create --name zz --memory 32M --content zero
move zz --compress none
py_check "$(cat "$E2E_TMP/json")" 'assert j["codec"] == "none", j
assert j["zero_pages"] > 7000, j
assert j["bytes_sent"] < 2 << 20, j'
expect_exit 0 D sim destroy zz
expect_exit 0 S sim create --name zz --memory 32M --content zero
move zz --compress none --no-zero-elision
py_check "$(cat "$E2E_TMP/json")" 'assert j["codec"] == "", j
assert j["zero_pages"] == 0, j
assert j["bytes_sent"] > 32 << 20, j'
expect_exit 0 D sim destroy zz
expect_exit 0 S sim create --name zz --memory 32M --content zero
export XMIG_NO_ZERO_ELISION=1
move zz --compress none
unset XMIG_NO_ZERO_ELISION
py_check "$(cat "$E2E_TMP/json")" 'assert j["codec"] == "", j'
expect_exit 0 D sim destroy zz
e2e_ok "--compress none, --no-zero-elision: as asked, guest intact"

# 5. A source that offers no frames (an older xmig): a plain stream.
expect_exit 0 S sim create --name old1 --memory 32M --content mixed \
    --dirty-rate 4M
export XMIG_FAULT=src-no-frames
move old1
unset XMIG_FAULT
py_check "$(cat "$E2E_TMP/json")" 'assert j["codec"] == "", j
assert j["compression_ratio"] == 1, j'
expect_exit 0 D sim destroy old1
e2e_ok "a source without frames: plain stream, guest intact"

# 6. A destination that offers none (an older xmigd): a plain stream,
#    in which a zero page not sent before goes as XALLOC, and one sent
#    with data before goes with its (zero) data: this guest's pages
#    change between data and zero at every write, over a working set
#    small enough to be written again and again during the rounds (an
#    XALLOC after data would leave the old data there: sim check says
#    stale).  And a destination whose compress = none: framed, zero
#    pages elided, nothing compressed.
xd_stop
xd_launch dst-no-frames 10 || e2e_fail "xmigd did not start"
expect_exit 0 S sim create --name old2 --memory 32M --content mixed \
    --dirty-rate 20M --working-set 1M
move old2 --compress zstd --max-rounds 8 --max-downtime 1
py_check "$(cat "$E2E_TMP/json")" 'assert j["codec"] == "", j
assert j["zero_pages"] > 3000, j
assert len(j["rounds"]) > 2, j
assert j["bytes_sent"] < 24 << 20, j'
expect_exit 0 D sim destroy old2
xd_stop
XD_EXTRA_CONF="compress = none"
xd_write_conf
xd_launch "" 10 || e2e_fail "xmigd did not start"
expect_exit 0 S sim create --name nc --memory 32M --content mixed
move nc
py_check "$(cat "$E2E_TMP/json")" 'assert j["codec"] == "none", j
assert j["zero_pages"] > 3000, j'
expect_exit 0 D sim destroy nc
xd_stop
XD_EXTRA_CONF=""
xd_write_conf
xd_launch "" 10 || e2e_fail "xmigd did not start"
e2e_ok "a destination without frames or compression: guest intact"

# 7. A corrupted compressed frame (the first one, during the live
#    rounds): refused by the destination with the frame named, the
#    incoming copy destroyed, the guest never stopped here (exit 1).
expect_exit 0 S sim create --name bad --memory 32M --content text \
    --dirty-rate 4M
export XMIG_FAULT=wire-corrupt-frame
expect_exit 1 S --json migrate --port "$XD_PORT" bad 127.0.0.1
unset XMIG_FAULT
py_check "$(cat "$E2E_TMP/out")" 'assert j["result"] == "failed", j
assert "corrupted frame" in j["error"], j'
xd_wait_log "corrupted frame"
sim_wait_gone "$XD_SIM" "bad--incoming"
sim_has "$XD_SIM" bad && e2e_fail "bad is at the destination"
xd_wait_status 's["reserved_bytes"] == 0 and not s["jobs"]'
[ "$(sim_state "$SRC" bad)" = running ] || e2e_fail "bad not running here"
sim_intact "$SRC" bad
e2e_ok "a corrupted frame: refused, nothing left there, guest runs here"

# 8. Save files: a zero page is an XALLOC entry, so a mixed guest's file
#    is about half its memory; Xen's checker and xmig verify accept it;
#    it restores intact.  With --no-zero-elision every page has data.
H="$E2E_TMP/h"
sim_host "$H"
X() { "$XMIG" --sim-dir "$H" "$@"; }
expect_exit 0 X sim create --name sv --memory 32M --content mixed \
    --dirty-rate 8M
expect_exit 0 X --json save sv "$E2E_TMP/sv.sav"
py_check "$(cat "$E2E_TMP/out")" 'assert j["result"] == "ok", j
assert j["zero_pages"] > 3000, j'
size=$(stat -c %s "$E2E_TMP/sv.sav")
[ "$size" -lt $((24 << 20)) ] || e2e_fail "save file of $size bytes"
expect_exit 0 "$XMIG" verify "$E2E_TMP/sv.sav"
vs=/usr/lib/xen-4.17/bin/verify-stream-v2
if [ -x "$vs" ]; then
	PYTHONPATH=/usr/lib/xen-4.17/lib/python /usr/bin/python3 "$vs" -f xl \
	    -i "$E2E_TMP/sv.sav" > "$E2E_TMP/vs" 2>&1 ||
	    { cat "$E2E_TMP/vs"; e2e_fail "verify-stream-v2 refused"; }
fi
expect_exit 0 X restore "$E2E_TMP/sv.sav"
sim_intact "$H" sv
expect_exit 0 X --json save --no-zero-elision sv "$E2E_TMP/sv2.sav"
py_check "$(cat "$E2E_TMP/out")" 'assert j["zero_pages"] == 0, j'
size=$(stat -c %s "$E2E_TMP/sv2.sav")
[ "$size" -gt $((32 << 20)) ] || e2e_fail "save file of $size bytes"
expect_exit 0 X restore "$E2E_TMP/sv2.sav"
sim_intact "$H" sv
e2e_ok "save files: zero pages as XALLOC, checked, restored intact"
