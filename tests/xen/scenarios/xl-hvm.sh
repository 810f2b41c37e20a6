# xl-hvm: the reference for xmig's HVM support: xl save + xl restore and
# xl migrate to localhost of an HVM pattern guest, first with PV drivers
# (xl asks the guest to suspend through xenstore), then without
# (xen_platform_pci = 0: xl suspends it by hypercall).  The guest checks
# its memory after each move; the detail line gives xl's times.  The
# guest without PV drivers only with XL_HVM_NOPV=1 (the harness passes
# the environment's XL_HVM_NOPV on).
. /dom0-lib.sh

# xl_moves NAME TYPE: create, save, restore, migrate; times in $times
xl_moves() {
	local g=$1 f=/results/$1.save save restore migrate
	create_guest $g $2
	step xl save $g $f || fail "$2: xl save failed"
	save=$step_secs
	ls -l $f
	xl list $g >/dev/null 2>&1 && fail "$2: guest still there after save"
	step xl restore $f || fail "$2: xl restore failed"
	restore=$step_secs
	rm -f $f
	step wait_ok $g 120 || fail "$2: no pattern after xl restore"
	step xl migrate -s "" $g "xl migrate-receive" ||
		fail "$2: xl migrate failed"
	migrate=$step_secs
	step wait_ok $g--incoming 120 || fail "$2: no pattern after xl migrate"
	# renamed: its console is found through its domain id
	[ "$(count $g PATTERN-OK)" -gt 0 ] ||
		fail "$2: console_log $g: $(console_log $g), not the guest's"
	step xl destroy $g || fail "$2: xl destroy failed"
	times="$2 save=${save}s restore=${restore}s migrate=${migrate}s"
}

xl_moves xlhvm hvm
detail "$times;"
# The second guest boots slowly here (two minutes): only when asked.
if [ -n "${XL_HVM_NOPV:-}" ]; then
	xl_moves xlhvmnp hvm-nopv
	detail "$times;"
fi
# dom0's kernel names any helper that crashed on the way; none is no
# failure (grep's status must not be the scenario's)
dmesg | grep -i segfault || say "no segfault in dom0's kernel log"
detail "pattern intact"
