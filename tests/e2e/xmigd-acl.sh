#!/bin/sh
# xmigd-acl.sh - hosts-allow on real peers: clients bound to 127.0.0.2
# and 127.0.0.3, a refusal naming the address, SIGHUP changing the list.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/xmigd-lib.sh"

XD_EXTRA_CONF='hosts-allow = 127\.0\.0\.1 127\.0\.0\.2'
xd_start

$RELOC --port "$XD_PORT" --bind 127.0.0.2 hello > "$E2E_TMP/a"
expect_grep '^HELLO .*"version": 1' "$E2E_TMP/a"
$RELOC --port "$XD_PORT" --bind 127.0.0.3 hello > "$E2E_TMP/b"
expect_grep '^DENY .*127.0.0.3 is not allowed by hosts-allow' "$E2E_TMP/b"
xd_wait_log "127.0.0.3: connection refused: not allowed by hosts-allow"
e2e_ok "127.0.0.2 allowed, 127.0.0.3 refused with a reason and a log line"

# xmig status --host asks a daemon over its relocation port.
expect_exit 0 "$XMIG" --json status --host 127.0.0.1 --port "$XD_PORT"
expect_grep '"ok":true' "$E2E_TMP/out"
expect_grep "\"listening\":\"127.0.0.1:$XD_PORT\"" "$E2E_TMP/out"
expect_exit 0 "$XMIG" status --host "127.0.0.1:$XD_PORT"
expect_grep '^xmigd .*backend sim' "$E2E_TMP/out"
expect_grep '^no incoming migrations' "$E2E_TMP/out"
xd_wait_log "127.0.0.1: status query"
e2e_ok "status --host: the daemon's status over the relocation port"

# A version this daemon does not speak.
$RELOC --port "$XD_PORT" hello --version 9 > "$E2E_TMP/c"
expect_grep '^DENY .*protocol version 9 not supported' "$E2E_TMP/c"
e2e_ok "unsupported protocol version refused"

# SIGHUP with a good new list: 127.0.0.3 in, 127.0.0.2 out.
sed -i 's/^hosts-allow.*/hosts-allow = 127\\.0\\.0\\.1 127\\.0\\.0\\.3/' \
    "$XD_CONF"
kill -HUP "$XD_PID"
xd_wait_log "configuration reloaded"
$RELOC --port "$XD_PORT" --bind 127.0.0.3 hello > "$E2E_TMP/d"
expect_grep '^HELLO' "$E2E_TMP/d"
$RELOC --port "$XD_PORT" --bind 127.0.0.2 hello > "$E2E_TMP/e"
expect_grep '^DENY .*127.0.0.2 is not allowed' "$E2E_TMP/e"
e2e_ok "SIGHUP applies a new hosts-allow to new connections"

# SIGHUP with a bad file: refused with file:line, the old one kept.
printf 'hosts-allow = 127\\.0\\.0\\.2\nmax-incoming = lots\n' >> "$XD_CONF"
kill -HUP "$XD_PID"
xd_wait_log "xmigd.conf:.*max-incoming: not a number: lots"
xd_wait_log "configuration not valid; keeping the running one"
$RELOC --port "$XD_PORT" --bind 127.0.0.3 hello > "$E2E_TMP/f"
expect_grep '^HELLO' "$E2E_TMP/f"
$RELOC --port "$XD_PORT" --bind 127.0.0.2 hello > "$E2E_TMP/g"
expect_grep '^DENY' "$E2E_TMP/g"
e2e_ok "SIGHUP with a bad config keeps the running one"

# set_allow LIST: make hosts-allow LIST (dropping a max-incoming line),
# SIGHUP the daemon and wait until it says it reloaded.
set_allow() {
	grep -v '^hosts-allow\|^max-incoming' "$XD_CONF" > "$E2E_TMP/conf.new"
	echo "hosts-allow = $1" >> "$E2E_TMP/conf.new"
	cat "$E2E_TMP/conf.new" > "$XD_CONF"
	n=$(grep -c "configuration reloaded" "$XD_LOG")
	kill -HUP "$XD_PID"
	i=0
	while [ "$(grep -c "configuration reloaded" "$XD_LOG")" -le "$n" ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && e2e_fail "no reload for hosts-allow = $1"
		sleep 0.05
	done
}

# A name pattern: the peer's reverse-resolved name counts (127.0.0.1 is
# "localhost" in /etc/hosts; 127.0.0.2 has no name there).
set_allow localhost
if getent hosts 127.0.0.1 | grep -qw localhost; then
	$RELOC --port "$XD_PORT" --bind 127.0.0.1 hello > "$E2E_TMP/h"
	expect_grep '^HELLO' "$E2E_TMP/h"
	$RELOC --port "$XD_PORT" --bind 127.0.0.2 hello > "$E2E_TMP/i"
	expect_grep '^DENY .*127.0.0.2 is not allowed' "$E2E_TMP/i"
	e2e_ok "a name pattern admits the peer whose address resolves to it"
else
	echo "skip: 127.0.0.1 does not resolve to localhost here"
fi

# Counters.
st=$(xd_ctl '{"cmd":"status"}')
[ "$(xd_json_get "$st" counters.connections_refused)" -ge 3 ] ||
    e2e_fail "refusals not counted: $st"

# status --host from a host hosts-allow refuses: exit 3 with the reason.
set_allow '127\.0\.0\.2'
expect_exit 3 "$XMIG" status --host 127.0.0.1 --port "$XD_PORT"
expect_grep 'refused: .*127.0.0.1 is not allowed by hosts-allow' \
    "$E2E_TMP/err"
e2e_ok "status --host refused by hosts-allow: exit 3"

# SIGTERM: exit 0.
kill "$XD_PID"
wait "$XD_PID" || e2e_fail "xmigd exit status $? after SIGTERM"
XD_PID=""
[ ! -e "$XD_CTL" ] || e2e_fail "control socket left behind"
e2e_ok "SIGTERM: clean exit 0"
