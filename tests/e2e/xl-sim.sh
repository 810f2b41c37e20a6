#!/bin/sh
# xl-sim.sh - xl's migration protocol on simulated hosts, both ways:
# "xmig migrate --xl" into "xmig xl-receive" (the receiving half xl's
# sender meets), -p; the same sender into a real xmigd through "xmig
# xl-relay" (the -s command of "xl migrate"): reservation from the xl
# header, worker, job in the status, -p; xmigd refusing it (hosts-allow,
# a reservation too big) with the source guest running on and nothing
# left at the destination.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/xmigd-lib.sh"
. "$top_srcdir/tests/e2e/sim-lib.sh"

A="$E2E_TMP/a"
B="$E2E_TMP/b"
sim_host "$A"
sim_host "$B"
sim_host "$XD_SIM"
S() { "$XMIG" --sim-dir "$A" "$@"; }
RECV_B="$XMIG --sim-dir $B xl-receive"

# one_copy DIR NAME STATE: NAME is on DIR in STATE, no NAME--* anywhere.
one_copy() {
	[ "$(sim_state "$1" "$2")" = "$3" ] ||
	    e2e_fail "$2 is not $3 on $1: $(sim_list "$1" | tr '\n' ' ')"
	for h in "$A" "$B" "$XD_SIM"; do
		sim_list "$h" | grep -q -- "^$2--" &&
		    e2e_fail "a copy of $2 is left on $h"
		[ "$h" = "$1" ] || ! sim_has "$h" "$2" ||
		    e2e_fail "$2 is also on $h"
	done
	:
}

expect_exit 0 S sim create --name web1 --memory 32M --dirty-rate 8M
expect_exit 0 S --json migrate --xl --rune "$RECV_B" web1
out=$(cat "$E2E_TMP/out")
[ "$(json_get "$out" result)" = ok ] || e2e_fail "migrate --xl: $out"
[ "$(json_get "$out" pages_sent)" -ge 8192 ] || e2e_fail "pages: $out"
[ "$(json_get "$out" bytes_sent)" -ge $((8192 * 4096)) ] ||
    e2e_fail "bytes: $out"
expect_grep "web1 received, running" "$E2E_TMP/err"
one_copy "$B" web1 running
sim_intact "$B" web1
e2e_ok "migrate --xl into xl-receive: arrived intact, source copy gone"

# Back, with xl's -p: it arrives under its own name, left paused.
expect_exit 0 "$XMIG" --sim-dir "$B" migrate --xl --rune \
    "$XMIG --sim-dir $A xl-receive -p" web1
one_copy "$A" web1 paused
e2e_ok "xl-receive -p: arrived paused under its own name"
"$XMIG" --sim-dir "$A" migrate --xl --rune "$RECV_B" web1 \
    >"$E2E_TMP/out" 2>&1 && e2e_fail "a paused domain was migrated"
expect_grep "not running" "$E2E_TMP/out"
one_copy "$A" web1 paused
e2e_ok "a paused domain is refused before anything changes"
expect_exit 0 S sim unpause web1
sim_intact "$A" web1

# Into xmigd through xmig xl-relay, as "xl migrate -s 'xmig xl-relay'"
# runs it.  A fault point holds the worker after "ready" for the status.
XMIG_FAULT=xldst-after-ready:sleep=3000
xd_start
XMIG_FAULT=
RELAY="$XMIG xl-relay 127.0.0.1:$XD_PORT xl -t -vv migrate-receive -e"
S migrate --xl --rune "$RELAY" web1 >"$E2E_TMP/mig" 2>&1 &
mig=$!
xd_wait_status 'any(j["domain"] == "web1" and j["protocol"] == "xl" and
    j["phase"] == "received" for j in s["jobs"])' 20
set +e; wait $mig; rc=$?; set -e
[ $rc = 0 ] || { cat "$E2E_TMP/mig"; e2e_fail "migrate through xl-relay: $rc"; }
one_copy "$XD_SIM" web1 running
sim_intact "$XD_SIM" web1
expect_grep "reservation 1 accepted: web1, 32768 KiB, 1 vcpus.*(from xl)" \
    "$XD_LOG"
expect_grep "in xl's protocol" "$XD_LOG"
xd_wait_status 's["counters"]["migrations_received"] == 1 and not s["jobs"]' 10 ||
    e2e_fail "status after the job: $(xd_ctl '{"cmd":"status"}')"
e2e_ok "through xl-relay into xmigd: reserved, job shown, arrived intact"

# And into xmigd again, with -p, from B after a move back there.
expect_exit 0 "$XMIG" --sim-dir "$XD_SIM" migrate --xl --rune "$RECV_B" web1
expect_exit 0 "$XMIG" --sim-dir "$B" migrate --xl --rune "$RELAY -p" web1
one_copy "$XD_SIM" web1 paused
expect_exit 0 "$XMIG" --sim-dir "$XD_SIM" sim unpause web1
sim_intact "$XD_SIM" web1
e2e_ok "xl-relay with -p: left paused by the worker"
xd_stop

# Refusals reach the sender's stderr; nothing changes anywhere.  A new
# destination host of 256 MiB (a host's memory is set when it is made).
XD_SIM="$E2E_TMP/small"
XD_SIM_MEMORY=256M
sim_host "$XD_SIM"
expect_exit 0 S sim create --name big --memory 320M --dirty-rate 1M
XD_EXTRA_CONF='hosts-allow = 10\.255\.255\.1'
xd_start
RELAY="$XMIG xl-relay 127.0.0.1:$XD_PORT xl migrate-receive"
expect_exit 1 S migrate --xl --rune "$RELAY" big
expect_grep "refused the migration: .*not allowed by hosts-allow" \
    "$E2E_TMP/err"
one_copy "$A" big running
sim_intact "$A" big
e2e_ok "hosts-allow refusal: on the sender's stderr, guest runs on"
xd_stop
XD_EXTRA_CONF=
xd_start
RELAY="$XMIG xl-relay 127.0.0.1:$XD_PORT xl migrate-receive"
expect_exit 1 S migrate --xl --rune "$RELAY" big
expect_grep "refused big: not enough memory" "$E2E_TMP/err"
one_copy "$A" big running
sim_intact "$A" big
[ "$("$XMIG" --sim-dir "$XD_SIM" list | wc -l)" = 2 ] ||
    e2e_fail "something was created: $("$XMIG" --sim-dir "$XD_SIM" list)"
e2e_ok "a reservation too big: refused before any page, guest runs on"

# A relay command line that is not a plain xl migration.
expect_exit 2 "$XMIG" xl-relay 127.0.0.1 xl migrate-receive -r
expect_grep "Remus and COLO are not supported" "$E2E_TMP/err"
expect_exit 2 "$XMIG" xl-relay 127.0.0.1 ssh migrate-receive
e2e_ok "xl-relay refuses what it does not relay"

# Over TLS: the relay authenticates with xmigd.conf's tls-* files, as
# "xmig migrate --tls" does.
command -v openssl >/dev/null || { e2e_ok "no openssl: TLS not tried"; exit 0; }
P="$E2E_TMP/pki"
mkdir -p "$P"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ca" \
    -keyout "$P/ca.key" -out "$P/ca.crt" 2>/dev/null
for n in server client; do
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$n" \
	    -keyout "$P/$n.key" -out "$P/$n.csr" 2>/dev/null
	openssl x509 -req -in "$P/$n.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" \
	    -CAcreateserial -days 2 -out "$P/$n.crt" 2>/dev/null
done
xd_stop
XD_EXTRA_CONF="tls = on
tls-cert = $P/server.crt
tls-key = $P/server.key
tls-ca = $P/ca.crt"
XD_SIM_MEMORY=1G
XD_SIM="$E2E_TMP/tls"
sim_host "$XD_SIM"
xd_start
printf 'tls-cert = %s\ntls-key = %s\ntls-ca = %s\n' "$P/client.crt" \
    "$P/client.key" "$P/ca.crt" > "$E2E_TMP/client.conf"
expect_exit 0 env XMIG_CONF="$E2E_TMP/client.conf" "$XMIG" --sim-dir "$A" \
    migrate --xl --rune "$XMIG xl-relay --tls 127.0.0.1:$XD_PORT xl \
    migrate-receive" big
one_copy "$XD_SIM" big running
sim_intact "$XD_SIM" big
e2e_ok "xl-relay --tls: arrived intact"
