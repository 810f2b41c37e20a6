#!/bin/sh
# verify-stream-v2.sh - save files written by protocol/'s encoders pass
# Xen 4.17's own checker (verify-stream-v2) and "xmig verify"; a damaged
# one fails "xmig verify" with the offset of the defect.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

XEN_LIBDIR=${XEN_LIBDIR:-/usr/lib/xen-4.17}
VERIFY="$XEN_LIBDIR/bin/verify-stream-v2"
MKSTREAM="$top_builddir/tests/tools/mkstream"
[ -x "$VERIFY" ] || e2e_skip "$VERIFY not installed (xen-utils-4.17)"
[ -x "$MKSTREAM" ] || e2e_fail "$MKSTREAM not built"

xen_verify() {	# FORMAT FILE
	PYTHONPATH="$XEN_LIBDIR/lib/python" "$VERIFY" -f "$1" -i "$2" \
	    >"$E2E_TMP/vs.out" 2>&1 || {
		cat "$E2E_TMP/vs.out"
		e2e_fail "verify-stream-v2 rejected $2 ($1)"
	}
}

for type in hvm pv; do
	for fmt in xl libxl libxc; do
		f="$E2E_TMP/$type-$fmt.bin"
		"$MKSTREAM" -t "$type" -f "$fmt" -p 2100 -c 2 -n "g-$type" "$f"
		xen_verify "$fmt" "$f"
		expect_exit 0 "$XMIG" verify --format "$fmt" "$f"
		e2e_ok "$type $fmt accepted by verify-stream-v2 and xmig"
	done
done

# An HVM file with an emulator context record, and from standard input.
f="$E2E_TMP/hvm-emu.xl"
"$MKSTREAM" -t hvm -x -p 64 -n webby "$f"
xen_verify xl "$f"
expect_exit 0 "$XMIG" --json verify - <"$f"
grep -q '"name":"webby"' "$E2E_TMP/out" || e2e_fail "no name in JSON"
grep -q '"libxl.EMULATOR_CONTEXT":1' "$E2E_TMP/out" ||
	e2e_fail "no EMULATOR_CONTEXT in JSON"
grep -q '"device_model_first_section":"timer"' "$E2E_TMP/out" ||
	e2e_fail "device model state not read"
expect_exit 0 "$XMIG" verify "$f"
expect_grep 'device model:   qemu-xen (upstream), .* bytes of state, QEVM version 3, first section "timer"' "$E2E_TMP/out"
e2e_ok "hvm with emulator context"

# The device state cut short (its last byte, the end marker, replaced)
# and with a wrong magic: refused at the byte, though Xen's checker,
# which does not read it, accepts both.
offsets=$(/usr/bin/python3 - "$f" "$E2E_TMP/cut-state.xl" \
    "$E2E_TMP/magic.xl" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
at = b.find(b"QEVM")
# The EMULATOR_CONTEXT record: type, length (with the 8-byte emulator
# header), id, index, then the state; its last byte is the end marker.
rec = at - 16
last = rec + 8 + int.from_bytes(b[rec + 4:rec + 8], "little") - 1
c = bytearray(b)
c[last] = 0x99
open(sys.argv[2], "wb").write(c)
m = bytearray(b)
m[at] = ord("X")
open(sys.argv[3], "wb").write(m)
print(last, at)
PY
)
set -- $offsets
xen_verify xl "$E2E_TMP/cut-state.xl"
xen_verify xl "$E2E_TMP/magic.xl"
expect_exit 6 "$XMIG" verify "$E2E_TMP/cut-state.xl"
expect_grep "offset $1: device model state: the last byte is 0x99, not the end marker" "$E2E_TMP/err"
expect_exit 6 "$XMIG" verify "$E2E_TMP/magic.xl"
expect_grep "offset $2: device model state: magic 0x5845564d" "$E2E_TMP/err"
e2e_ok "a damaged device model state is refused"

# A truncated file: offset of the cut; a flipped magic: offset 0.
f="$E2E_TMP/pv-xl.bin"
head -c 10000 "$f" >"$E2E_TMP/cut.bin"
expect_exit 6 "$XMIG" verify "$E2E_TMP/cut.bin"
grep -q "cut.bin: offset 10000: .*truncated" "$E2E_TMP/err" ||
	e2e_fail "truncation not reported: $(cat "$E2E_TMP/err")"
printf 'Y' | dd of="$f" bs=1 seek=0 conv=notrunc 2>/dev/null
expect_exit 6 "$XMIG" verify "$f"
grep -q "offset 0: xl header: bad magic" "$E2E_TMP/err" ||
	e2e_fail "bad magic not reported: $(cat "$E2E_TMP/err")"
e2e_ok "defects reported with offsets"
