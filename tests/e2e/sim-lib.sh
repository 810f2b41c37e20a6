# sim-lib.sh - simulated hosts for end-to-end tests.  Source after lib.sh.
# sim_host DIR: register DIR for clean-up (its guests and xenstore server
# are stopped on exit).  sim_wait_gone DIR NAME [SECONDS]: wait, bounded,
# until no domain NAME is listed on DIR.

unset XMIG_SIM_DIR XMIG_BACKEND
: "${XMIG_SIM_MEMORY:=2G}"
export XMIG_SIM_MEMORY
SIM_HOSTS=""

sim_stop_host() { "$XMIG" --sim-dir "$1" sim stop >/dev/null 2>&1 || :; }
sim_stop_all() { for h in $SIM_HOSTS; do sim_stop_host "$h"; done; }
e2e_on_exit sim_stop_all
sim_host() { SIM_HOSTS="$SIM_HOSTS $1"; }

# sim_list DIR: "name state" lines.
sim_list() {
	"$XMIG" --sim-dir "$1" list | awk 'NR > 1 { print $1, $5 }'
}

sim_has() { sim_list "$1" | grep -q "^$2 "; }

sim_wait_gone() {
	i=0
	lim=$(( ${3:-20} * 10 ))
	while sim_has "$1" "$2"; do
		i=$((i + 1))
		[ $i -gt $lim ] && { sim_list "$1"; e2e_fail "$2 still on $1"; }
		sleep 0.1
	done
}

sim_wait_there() {
	i=0
	lim=$(( ${3:-20} * 10 ))
	until sim_has "$1" "$2"; do
		i=$((i + 1))
		[ $i -gt $lim ] && { sim_list "$1"; e2e_fail "no $2 on $1"; }
		sleep 0.1
	done
}

# sim_state DIR NAME: the listed state of NAME.
sim_state() { sim_list "$1" | awk -v n="$2" '$1 == n { print $2 }'; }

# sim_intact DIR NAME: the guest's own verdict must be "all intact".
sim_intact() {
	"$XMIG" --sim-dir "$1" sim check "$2" > "$E2E_TMP/check" 2>&1 ||
	    { cat "$E2E_TMP/check"; e2e_fail "$2 on $1 is not intact"; }
	grep -q "all intact" "$E2E_TMP/check" ||
	    { cat "$E2E_TMP/check"; e2e_fail "$2 on $1: no verdict"; }
}

# json_get JSON KEY: a top-level field of a JSON object.
json_get() {
	/usr/bin/python3 -c 'import json, sys
print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

# sim_dm_count DIR: device models alive on host DIR (their monitor
# sockets still listening: a dead one's are closed even if its file stays).
sim_dm_count() {
	awk -v d="$1/domains/" '$4 == "00010000" && index($8, d) == 1 &&
	    $8 ~ /\/dm-qmp\.sock$/' /proc/net/unix | wc -l
}

# sim_expect_dms DIR N: exactly N device models on DIR.
sim_expect_dms() {
	n=$(sim_dm_count "$1")
	[ "$n" -eq "$2" ] || e2e_fail "$n device models on $1, expected $2"
}

# sim_dev_reg DIR NAME: NAME's device register ("sim check --json").
sim_dev_reg() {
	"$XMIG" --sim-dir "$1" --json sim check "$2" |
	    sed -n 's/.*"device_register":\([0-9]*\).*/\1/p'
}
