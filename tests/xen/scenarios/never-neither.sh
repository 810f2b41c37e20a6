# never-neither: the rule after GO on the xen backend.  A PVH guest is
# migrated to localhost through xmigd while a fault point kills the
# receiving worker right after GO, before the unpause: xmigd must finish
# the job itself (unpause and rename through libxl) and xmig, settling by
# itself, must destroy the suspended source copy: the guest runs once,
# under its own name, its pattern intact.  Then the same with xmigd killed
# along with its worker, started again while xmig waits: its start-up
# finishes the job from the GO record.
. /dom0-lib.sh

# one_copy NAME: exactly one NAME, no NAME--incoming or --migratedaway.
one_copy() {
	xl list
	[ "$(xl list | awk -v n="$1" '$1 == n' | wc -l)" = 1 ] ||
		fail "$1 does not run exactly once"
	xl list | grep -q -- "$1--" && fail "a copy of $1 is left behind"
	:
}

# settled RC OUT PATTERN WHAT: xmig exited 0 having settled by itself,
# xmigd's log says PATTERN, and the guest runs once with its pattern.
settled() {
	cat "$2"
	[ "$1" = 0 ] || fail "$4: xmig exited $1, not 0"
	grep -q "$3" /results/xmigd-nn.log || fail "$4: no \"$3\" from xmigd"
	one_copy xmnn
	step wait_ok xmnn--incoming 120 || step wait_ok xmnn 120 ||
		fail "pattern after $4"
}

XMIGD_FAULT=dst-after-go:kill start_xmigd /results/xmigd-nn.log
create_guest xmnn pvh
step xmig --backend xen -v migrate xmnn 127.0.0.1 >/tmp/nn.out 2>&1
settled $? /tmp/nn.out "xmigd finished the job" \
    "the worker killed after GO"

# xmigd and its worker killed after GO; xmigd started again (as systemd
# would) while xmig waits for an answer.
kill "$xmigd_pid" 2>/dev/null
wait "$xmigd_pid" 2>/dev/null
XMIGD_FAULT=dst-after-go:killd start_xmigd /results/xmigd-nn.log
xmig --backend xen -v migrate xmnn 127.0.0.1 >/tmp/nn2.out 2>&1 &
mig=$!
i=0
while kill -0 "$xmigd_pid" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 240 ] && fail "the fault point never killed xmigd"
	sleep 0.5
done
say "xmigd killed after GO; starting it again"
XMIGD_FAULT= start_xmigd /results/xmigd-nn.log
wait "$mig"
settled $? /tmp/nn2.out "GO record.* settled" "xmigd killed after GO"
xl destroy xmnn
detail "worker killed after GO: finished by xmigd; xmigd killed after GO: finished at its start; each time one intact copy"
