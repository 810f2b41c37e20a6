# soak-hvm: SOAK_ROUNDS boots of an HVM pattern guest (xl create, first
# PATTERN-OK, xl destroy): how often an HVM guest's boot goes wrong on
# the emulated host (once dom0 stalled right after xl create; harness.sh
# reboots a silent dom0).  SOAK_HVM_TYPE: hvm (default) or hvm-nopv.  Not
# in the default set.
. /dom0-lib.sh

type=${SOAK_HVM_TYPE:-hvm}
i=1 min= max=0 sum=0
while [ $i -le ${SOAK_ROUNDS:-8} ]; do
	say "round $i"
	t0=$(up)
	create_guest soakh $type
	t=$(awk "BEGIN { printf \"%d\", $(up) - $t0 }")
	[ -z "$min" ] || [ $t -lt $min ] && min=$t
	[ $t -gt $max ] && max=$t
	sum=$((sum + t))
	step xl destroy soakh || fail "round $i: xl destroy failed"
	i=$((i + 1))
done
i=$((i - 1))
dmesg | grep -i segfault
detail "$type: $i boots, create to first PATTERN-OK min/avg/max" \
    "$min/$((sum / i))/$max s"
