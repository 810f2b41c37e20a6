#!/bin/sh
# xmigd-reserve.sh - reservations: one that does not fit is refused with a
# reason and nothing is created; two that only fit one at a time are
# accounted together; name clashes; max-incoming; the reservation timeout;
# QUERY.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/xmigd-lib.sh"

XD_SIM_MEMORY=1G
XD_RES_TIMEOUT=2
XD_EXTRA_CONF='max-incoming = 2'
xd_start

# 2 GiB on a 1 GiB host.
$RELOC --port "$XD_PORT" reserve --name big --memkb 2097152 > "$E2E_TMP/a"
expect_grep '^DENY .*not enough memory for big' "$E2E_TMP/a"
"$XMIG" --sim-dir "$XD_SIM" list > "$E2E_TMP/list"
if grep -q "big" "$E2E_TMP/list"; then
	cat "$E2E_TMP/list"; e2e_fail "a refused reservation created a domain"
fi
st=$(xd_ctl '{"cmd":"status"}')
[ "$(xd_json_get "$st" reserved_bytes)" = 0 ] || e2e_fail "held: $st"
e2e_ok "a reservation that does not fit is refused, nothing created"

# Bad requests.
$RELOC --port "$XD_PORT" reserve --name v --vcpus 0 > "$E2E_TMP/b"
expect_grep '^DENY' "$E2E_TMP/b"
$RELOC --port "$XD_PORT" reserve --name 'a/b' > "$E2E_TMP/b"
expect_grep '^DENY .*not acceptable' "$E2E_TMP/b"
e2e_ok "bad vcpus and names refused"

# Two of 60% each: first in, second out until the first is gone.
$RELOC --port "$XD_PORT" pair --name web --memkb 629146 > "$E2E_TMP/c"
sed -n 1p "$E2E_TMP/c" | grep -q '^ACCEPT .*"incoming": "weba--incoming"' ||
    { cat "$E2E_TMP/c"; e2e_fail "first reservation not accepted"; }
sed -n 2p "$E2E_TMP/c" | grep -q '^DENY .*not enough memory for webb' ||
    { cat "$E2E_TMP/c"; e2e_fail "second reservation not refused"; }
sed -n 3p "$E2E_TMP/c" | grep -q '^ACCEPT' ||
    { cat "$E2E_TMP/c"; e2e_fail "second not accepted after the first"; }
e2e_ok "concurrent reservations accounted together"
xd_wait_status 's["reserved_bytes"] == 0'

# The reservation timeout: held 2 s without a stream, then dropped and the
# connection closed.
$RELOC --port "$XD_PORT" reserve --name slow --wait-close 20 > "$E2E_TMP/d"
expect_grep '^ACCEPT' "$E2E_TMP/d"
expect_grep '^CLOSED' "$E2E_TMP/d"
xd_wait_log "reservation .* for slow expired: no stream within 2 s"
xd_wait_status 's["reserved_bytes"] == 0 and s["reservations"] == []'
e2e_ok "reservation dropped after reservation-timeout"

# A name already on the host (or arriving) is refused.
"$XMIG" --sim-dir "$XD_SIM" sim create --name here --memory 16M \
    > "$E2E_TMP/out" 2>&1 || { cat "$E2E_TMP/out"; e2e_fail "sim create"; }
$RELOC --port "$XD_PORT" reserve --name here > "$E2E_TMP/e"
expect_grep '^DENY .*already exists' "$E2E_TMP/e"
$RELOC --port "$XD_PORT" query --name here > "$E2E_TMP/f"
expect_grep '^STATE .*"found": true' "$E2E_TMP/f"
$RELOC --port "$XD_PORT" query --name nowhere > "$E2E_TMP/f"
expect_grep '^STATE .*"found": false' "$E2E_TMP/f"
"$XMIG" --sim-dir "$XD_SIM" sim destroy here >/dev/null 2>&1 || :
e2e_ok "name clash refused; QUERY answers STATE"
