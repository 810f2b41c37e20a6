#!/bin/sh
# cli-basics.sh - version, help and usage errors of xmig and xmigd, and
# xmigd's configuration check with file:line errors.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

expect_exit 0 "$XMIG" --version
expect_grep "^xmig [0-9]" "$E2E_TMP/out"
expect_exit 0 "$XMIGD" --version
expect_grep "^xmigd [0-9]" "$E2E_TMP/out"

expect_exit 0 "$XMIG" help
expect_grep "^  help " "$E2E_TMP/out"
for h in --help -h; do
	expect_exit 0 "$XMIG" $h
	expect_grep "^  migrate " "$E2E_TMP/out"
	expect_grep "^  --backend xen|sim|auto" "$E2E_TMP/out"
done
expect_exit 0 "$XMIG" help help
expect_grep "^usage: xmig help" "$E2E_TMP/out"
expect_exit 0 "$XMIG" migrate --help
expect_grep "^usage: xmig migrate .*DOMAIN HOST" "$E2E_TMP/out"
expect_grep "max-downtime" "$E2E_TMP/out"
for c in save restore verify recover list status cancel sim; do
	expect_exit 0 "$XMIG" "$c" --help
	expect_grep "^usage: xmig $c" "$E2E_TMP/out"
done
expect_exit 2 "$XMIG" help no-such-command
expect_grep "unknown command" "$E2E_TMP/err"
expect_exit 2 "$XMIG" frobnicate
expect_grep "unknown or ambiguous command" "$E2E_TMP/err"
expect_exit 2 "$XMIG"
expect_exit 2 "$XMIG" --backend kvm help
expect_grep "expected xen, sim or auto" "$E2E_TMP/err"
XMIG_BACKEND=bogus expect_exit 2 "$XMIG" help
e2e_ok "xmig version, help and usage errors"

expect_exit 0 "$XMIGD" --help
expect_grep "check-config" "$E2E_TMP/out"
expect_exit 2 "$XMIGD" --bogus
expect_exit 0 "$XMIGD" -n -c "$top_srcdir/dist/xmigd.conf"
expect_grep "configuration OK" "$E2E_TMP/out"

cat > "$E2E_TMP/bad.conf" <<'CONF'
relocation-port = 8002
relocation-port = 0
max-incoming = many
CONF
expect_exit 1 "$XMIGD" -n -c "$E2E_TMP/bad.conf"
expect_grep "bad.conf:2: relocation-port: number out of range: 0" "$E2E_TMP/err"
expect_grep "bad.conf:3: max-incoming: not a number: many" "$E2E_TMP/err"
expect_exit 1 "$XMIGD" -n -c "$E2E_TMP/absent.conf"
expect_grep "absent.conf: No such file or directory" "$E2E_TMP/err"
expect_exit 2 "$XMIGD" -n -c "$top_srcdir/dist/xmigd.conf" -p 99999
expect_grep "port 99999: number out of range" "$E2E_TMP/err"
e2e_ok "xmigd help and configuration check"
