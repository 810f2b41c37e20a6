# xmigd-lib.sh - start and watch a private xmigd for the xmigd-*.sh tests.
# Source after lib.sh.  xd_start writes $XD_CONF from $XD_EXTRA_CONF (more
# "key = value" lines), picks a free loopback port, starts xmigd in the
# foreground on the sim backend in $E2E_TMP/sim, and waits (bounded) for
# its "ready" log line.  The daemon is killed on exit.

PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || e2e_skip "no $PYTHON"
RELOC="$PYTHON $top_srcdir/tests/tools/relocclient.py"
XD_LOG="$E2E_TMP/xmigd.log"
XD_CONF="$E2E_TMP/xmigd.conf"
XD_CTL="$E2E_TMP/ctl.sock"
XD_SIM="$E2E_TMP/sim"
XD_PID=""
: "${XD_EXTRA_CONF:=}"

# On failure, show what the daemon said.
xd_dump_log() {
	echo "--- xmigd log (last 40 lines)"
	tail -n 40 "$XD_LOG" 2>/dev/null
}
E2E_FAIL_HOOK=xd_dump_log

xd_free_port() {
	$PYTHON -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

xd_stop() {
	[ -n "$XD_PID" ] || return 0
	kill "$XD_PID" 2>/dev/null || :
	i=0
	while kill -0 "$XD_PID" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	kill -9 "$XD_PID" 2>/dev/null || :
	XD_PID=""
}
e2e_on_exit xd_stop

# The destination's simulated host: its guests and xenstore server go too.
xd_stop_sim() { "$XMIG" --sim-dir "$XD_SIM" sim stop >/dev/null 2>&1 || :; }
e2e_on_exit xd_stop_sim

# xd_wait_log PATTERN [SECONDS]: wait for a log line, bounded.
xd_wait_log() {
	i=0
	lim=$(( ${2:-10} * 20 ))
	while ! grep -q -- "$1" "$XD_LOG" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt $lim ]; then
			cat "$XD_LOG" >&2
			e2e_fail "no \"$1\" in the xmigd log"
		fi
		sleep 0.05
	done
}

xd_write_conf() {
	cat > "$XD_CONF" <<CONF
relocation-address = 127.0.0.1
relocation-port = $XD_PORT
control-socket = $XD_CTL
backend = sim
sim-dir = $XD_SIM
sim-memory = ${XD_SIM_MEMORY:-1G}
reservation-timeout = ${XD_RES_TIMEOUT:-30}
$XD_EXTRA_CONF
CONF
}

# xd_launch FAULT SECONDS: start xmigd on $XD_CONF (XMIG_FAULT=FAULT),
# its log appended to $XD_LOG, and wait up to SECONDS for its "ready"
# line.  0 when it is ready; otherwise it is killed and reaped and 1.
xd_launch() {
	# Count the "ready" lines before it starts: it may write its own
	# before a count taken after the start.
	xl_n=$(grep -c "ready: listening" "$XD_LOG" 2>/dev/null || :)
	XMIG_FAULT="$1" "$XMIGD" -f -c "$XD_CONF" >>"$XD_LOG" 2>&1 &
	XD_PID=$!
	xl_i=0
	while [ $xl_i -lt $(($2 * 20)) ]; do
		[ "$(grep -c "ready: listening" "$XD_LOG")" -gt "${xl_n:-0}" ] &&
		    return 0
		kill -0 "$XD_PID" 2>/dev/null || break
		sleep 0.05; xl_i=$((xl_i + 1))
	done
	kill -9 "$XD_PID" 2>/dev/null || :
	wait "$XD_PID" 2>/dev/null || :
	XD_PID=""
	return 1
}

xd_start() {
	tries=0
	while :; do
		XD_PORT=$(xd_free_port)
		xd_write_conf
		: > "$XD_LOG"
		xd_launch "${XMIG_FAULT:-}" 10 && return 0
		tries=$((tries + 1))
		if [ $tries -ge 5 ] || ! grep -q "bind" "$XD_LOG"; then
			cat "$XD_LOG" >&2
			e2e_fail "xmigd did not start"
		fi
	done
}

# xd_ctl JSON: one request on the control socket; prints the reply line.
xd_ctl() {
	$PYTHON - "$XD_CTL" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
buf = b""
while not buf.endswith(b"\n"):
    c = s.recv(65536)
    if not c:
        break
    buf += c
sys.stdout.write(buf.decode())
PY
}

# xd_json_get JSON PATH...: print a field of a JSON object (a.b.0.c).
xd_json_get() {
	$PYTHON -c 'import json, sys
v = json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$1" "$2"
}

xd_fds() { ls "/proc/$XD_PID/fd" | wc -l; }
xd_rss() { awk '/^VmRSS/ { print $2 }' "/proc/$XD_PID/status"; }

# xd_wait_status PYEXPR [SECONDS]: poll status until PYEXPR (on "s", the
# reply) holds.
xd_wait_status() {
	i=0
	lim=$(( ${2:-10} * 20 ))
	while :; do
		st=$(xd_ctl '{"cmd":"status"}')
		if $PYTHON -c 'import json, sys
s = json.loads(sys.argv[1]); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		    "$st" "$1"; then
			return 0
		fi
		i=$((i + 1))
		[ $i -gt $lim ] && { echo "$st"; e2e_fail "status never had: $1"; }
		sleep 0.05
	done
}
