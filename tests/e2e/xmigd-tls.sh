#!/bin/sh
# xmigd-tls.sh - tls = on: a client with a certificate from the
# configured CA is served; one with a certificate from another CA, or
# none, is refused in the handshake.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/xmigd-lib.sh"

command -v openssl >/dev/null || e2e_skip "no openssl command"
"$XMIGD" --help >/dev/null
P="$E2E_TMP/pki"
mkdir -p "$P"

# mkca NAME; mkcert CA NAME
mkca() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
	    -keyout "$P/$1.key" -out "$P/$1.crt" 2>/dev/null
}
mkcert() {
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" \
	    -keyout "$P/$2.key" -out "$P/$2.csr" 2>/dev/null
	openssl x509 -req -in "$P/$2.csr" -CA "$P/$1.crt" -CAkey "$P/$1.key" \
	    -CAcreateserial -days 2 -out "$P/$2.crt" 2>/dev/null
}
mkca ca
mkca otherca
mkcert ca server
mkcert ca client
mkcert otherca intruder

XD_EXTRA_CONF="tls = on
tls-cert = $P/server.crt
tls-key = $P/server.key
tls-ca = $P/ca.crt"
xd_start
grep -q "not encrypted" "$XD_LOG" && e2e_fail "tls on, yet a warning"

$RELOC --port "$XD_PORT" --tls-ca "$P/ca.crt" --tls-cert "$P/client.crt" \
    --tls-key "$P/client.key" hello > "$E2E_TMP/a"
expect_grep '^HELLO' "$E2E_TMP/a"
e2e_ok "TLS with a certificate from the CA: served"

$RELOC --port "$XD_PORT" --tls-ca "$P/ca.crt" --tls-cert "$P/intruder.crt" \
    --tls-key "$P/intruder.key" hello > "$E2E_TMP/b" 2>&1 || :
grep -q '^HELLO' "$E2E_TMP/b" && e2e_fail "a foreign certificate was served"
xd_wait_log "127.0.0.1: TLS error: .*certificate verify failed"
e2e_ok "TLS with a certificate from another CA: refused"

$RELOC --port "$XD_PORT" --tls-ca "$P/ca.crt" hello > "$E2E_TMP/c" 2>&1 || :
grep -q '^HELLO' "$E2E_TMP/c" && e2e_fail "a client without certificate"
e2e_ok "TLS without a client certificate: refused"

# Plain TCP to a TLS port gets nothing useful.
$RELOC --port "$XD_PORT" hello > "$E2E_TMP/d" 2>&1 || :
grep -q '^HELLO' "$E2E_TMP/d" && e2e_fail "plain client served on TLS"
$RELOC --port "$XD_PORT" --tls-ca "$P/ca.crt" --tls-cert "$P/client.crt" \
    --tls-key "$P/client.key" hello > "$E2E_TMP/e"
expect_grep '^HELLO' "$E2E_TMP/e"
e2e_ok "plain client on the TLS port refused; daemon still serves"

# A whole live migration over TLS with xmig's own client, and xmig with a
# certificate from another CA refused before anything changes.
. "$top_srcdir/tests/e2e/sim-lib.sh"
SRC="$E2E_TMP/src"
sim_host "$SRC"
sim_host "$XD_SIM"
printf 'tls-cert = %s\ntls-key = %s\ntls-ca = %s\n' "$P/client.crt" \
    "$P/client.key" "$P/ca.crt" > "$E2E_TMP/good.conf"
printf 'tls-cert = %s\ntls-key = %s\ntls-ca = %s\n' "$P/intruder.crt" \
    "$P/intruder.key" "$P/ca.crt" > "$E2E_TMP/bad.conf"
expect_exit 0 "$XMIG" --sim-dir "$SRC" sim create --name sec1 --memory 32M \
    --dirty-rate 10M
XMIG_CONF="$E2E_TMP/bad.conf" expect_exit 1 "$XMIG" --sim-dir "$SRC" \
    migrate --tls --port "$XD_PORT" sec1 127.0.0.1
[ "$(sim_state "$SRC" sec1)" = running ] || e2e_fail "sec1 changed"
sim_has "$XD_SIM" sec1--incoming && e2e_fail "refused peer created a domain"
e2e_ok "xmig with a certificate from another CA: refused, nothing changed"
XMIG_CONF="$E2E_TMP/good.conf" expect_exit 0 "$XMIG" --sim-dir "$SRC" \
    migrate --tls --port "$XD_PORT" sec1 127.0.0.1
sim_has "$SRC" sec1 && e2e_fail "sec1 still at the source"
sim_intact "$XD_SIM" sec1
e2e_ok "live migration over TLS: arrived intact"
