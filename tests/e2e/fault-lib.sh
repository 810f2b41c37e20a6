# fault-lib.sh - one trial of "never neither": a live migration between
# two simulated hosts through a real xmigd, with a process killed or a
# connection cut somewhere, then xmig's own settling, xmigd restarted (as
# systemd would) if it died, and at most one "xmig recover".  Then the
# promise is checked: exactly one copy of the domain runs, under its own
# name, with every page intact (the guest's own verdict), and nothing is
# left behind: no NAME--incoming, no NAME--migratedaway, no recovery or GO
# record, no job, no reservation.  Source after lib.sh, xmigd-lib.sh and
# sim-lib.sh.  FM_MEM, FM_RATE and FM_CREATE_OPTS (more options of "sim
# create", e.g. "--type hvm") shape the domains; FM_MIG_OPTS adds options
# to xmig migrate.
#
#   fm_init                       start xmigd and the source host
#   fm_trial SIDE FAULT EXPECT    one trial; SIDE: src (XMIG_FAULT for
#                                 xmig) or dst (for xmigd and its workers),
#                                 rand (no fault point: a SIGKILL from
#                                 outside, see fm_trial_random); EXPECT:
#                                 src, dst or any, where the domain must
#                                 run at the end
# Each trial prints one line: the fault, where the domain runs, the exit
# status of xmig migrate and of xmig recover (- when not needed).

SRC="$E2E_TMP/src"
FM_N=0
FM_MEM=${FM_MEM:-32M}
FM_RATE=${FM_RATE:-10M}
S() { "$XMIG" --sim-dir "$SRC" "$@"; }
D() { "$XMIG" --sim-dir "$XD_SIM" "$@"; }

# xmigd again on the same port (the source's recovery record names it),
# its log appended to; XMIG_FAULT as given in $1 (may be empty).
fm_xd_restart() {
	xd_stop
	i=0
	while ! xd_launch "$1" 20; do
		i=$((i + 1))
		[ $i -lt 20 ] || e2e_fail "xmigd did not start again"
		sleep 0.2
	done
}

fm_init() {
	xd_start
	sim_host "$SRC"
	sim_host "$XD_SIM"
	FM_XD_FAULT=""
}

# Where NAME runs: "src", "dst", "both", "none" (running, own name).
fm_where() {
	s=$(sim_state "$SRC" "$1")
	d=$(sim_state "$XD_SIM" "$1")
	if [ "$s" = running ] && [ "$d" = running ]; then echo both
	elif [ "$s" = running ]; then echo src
	elif [ "$d" = running ]; then echo dst
	else echo none
	fi
}

fm_show() {
	echo "--- source host"; sim_list "$SRC"
	echo "--- destination host"; sim_list "$XD_SIM"
	ls "$SRC" "$XD_SIM" 2>/dev/null | grep -E '^(recover|incoming)-' || :
	echo "--- xmig migrate"; tail -20 "$E2E_TMP/mig.err" 2>/dev/null || :
	echo "--- xmig recover"; cat "$E2E_TMP/rec.err" 2>/dev/null || :
}

# The migration in the background (XMIG_FAULT $1, domain $2, more
# options of xmig migrate after them).  Shell variables are global: the
# functions here use names of their own.
fm_migrate_start() {
	fms_fault=$1 fms_name=$2
	shift 2
	rm -f "$E2E_TMP/mig.rc"
	( set +e
	  XMIG_FAULT="$fms_fault" S migrate --port "$XD_PORT" "$@" \
	      "$fms_name" 127.0.0.1 >"$E2E_TMP/mig.out" 2>"$E2E_TMP/mig.err"
	  echo $? > "$E2E_TMP/mig.rc" ) &
	fm_mig_pid=$!
}

# Wait for it; a dead xmigd is started again at once (systemd's
# Restart=), so the source's own settling can reach it.
fm_migrate_wait() {
	i=0
	while kill -0 "$fm_mig_pid" 2>/dev/null; do
		if [ -n "$XD_PID" ] && ! kill -0 "$XD_PID" 2>/dev/null; then
			wait "$XD_PID" 2>/dev/null || :
			XD_PID=""
			fm_xd_restart "$FM_XD_FAULT"
		fi
		i=$((i + 1))
		[ $i -lt 1200 ] || e2e_fail "xmig migrate did not end in 60 s"
		sleep 0.05
	done
	wait "$fm_mig_pid" 2>/dev/null || :
	FM_MIG_RC=$(cat "$E2E_TMP/mig.rc")
}

fm_migrate() {
	fm_migrate_start "$@"
	fm_migrate_wait
}

# After the migration: xmigd up again, settle with at most one recover,
# check the promise.  $1 the domain, $2 where it must run, $3 the fault.
fm_settle_check() {
	dom=$1
	if [ -z "$XD_PID" ] || ! kill -0 "$XD_PID" 2>/dev/null; then
		XD_PID=""
		fm_xd_restart ""
	fi
	FM_REC_RC=-
	# A source killed after writing its recovery record (just before
	# the suspend) may leave it with the guest still running: "xmig
	# recover" is what the administrator runs after a killed xmig, and
	# it removes such a record.
	if ls "$SRC" | grep -q '^recover-' ||
	    sim_has "$SRC" "$dom--migratedaway" ||
	    { sim_has "$SRC" "$dom" &&
	      [ "$(sim_state "$SRC" "$dom")" != running ]; }; then
		set +e
		S recover "$dom" >"$E2E_TMP/rec.out" 2>"$E2E_TMP/rec.err"
		FM_REC_RC=$?
		set -e
	fi
	where=$(fm_where "$dom")
	echo "trial $FM_N: $3: runs at $where (migrate $FM_MIG_RC," \
	    "recover $FM_REC_RC)"
	case $where in
	src|dst) ;;
	*) fm_show; e2e_fail "$3: $dom runs at: $where" ;;
	esac
	if [ "$2" != any ] && [ "$where" != "$2" ]; then
		fm_show
		e2e_fail "$3: $dom runs at $where, expected at $2"
	fi
	if sim_has "$SRC" "$dom--migratedaway" ||
	    sim_has "$XD_SIM" "$dom--incoming" ||
	    { [ "$where" = src ] && sim_has "$XD_SIM" "$dom"; } ||
	    { [ "$where" = dst ] && sim_has "$SRC" "$dom"; }; then
		fm_show
		e2e_fail "$3: a second copy of $dom is left"
	fi
	if ls "$SRC" "$XD_SIM" | grep -qE '^(recover|incoming)-'; then
		fm_show
		e2e_fail "$3: a recovery or GO record is left"
	fi
	if [ "$where" = src ]; then
		sim_intact "$SRC" "$dom"
		S sim destroy "$dom" >/dev/null
	else
		sim_intact "$XD_SIM" "$dom"
		D sim destroy "$dom" >/dev/null
	fi
	xd_wait_status 's["jobs"]==[] and s["reserved_bytes"]==0'
}

# A new domain for the next trial, its name in $dom.
fm_new_domain() {
	FM_N=$((FM_N + 1))
	dom="fm$FM_N"
	# shellcheck disable=SC2086
	expect_exit 0 S sim create --name "$dom" --memory "$FM_MEM" \
	    --dirty-rate "$FM_RATE" ${FM_CREATE_OPTS:-}
}

fm_trial() {
	side=$1 fault=$2 expect=$3
	fm_new_domain
	if [ "$side" = dst ]; then
		FM_XD_FAULT=$fault
		fm_xd_restart "$fault"
		# shellcheck disable=SC2086
		fm_migrate "" "$dom" ${FM_MIG_OPTS:-}
		FM_XD_FAULT=""
		fm_xd_restart ""
	else
		# shellcheck disable=SC2086
		fm_migrate "$fault" "$dom" ${FM_MIG_OPTS:-}
	fi
	point=${fault%%:*}
	if ! grep -q "fault point $point" "$E2E_TMP/mig.err" "$XD_LOG"; then
		fm_show
		e2e_fail "$fault: the fault point was never reached"
	fi
	fm_settle_check "$dom" "$expect" "$side $fault"
}

# fm_trial_random TARGET DELAY_MS WIDEN: SIGKILL from outside, DELAY_MS
# after the migration started, of TARGET: "src" (xmig migrate), "worker"
# (xmigd's receiving worker) or "xmigd" (the daemon, and so its worker);
# WIDEN 1 arms dst-after-go:sleep=300 in xmigd, which holds a worker
# between GO and the unpause, a window a random kill rarely finds.  The
# domain may end up on either side.  Options of xmig migrate in
# $FM_MIG_OPTS.
fm_trial_random() {
	target=$1 delay=$2 widen=$3
	fm_new_domain
	FM_XD_FAULT=""
	[ "$widen" = 1 ] && FM_XD_FAULT=dst-after-go:sleep=300
	fm_xd_restart "$FM_XD_FAULT"
	# shellcheck disable=SC2086
	fm_migrate_start "" "$dom" $FM_MIG_OPTS
	sleep "$(awk -v d="$delay" 'BEGIN { printf "%.3f", d / 1000 }')"
	case $target in
	src)	pkill -9 -P "$fm_mig_pid" -x xmig 2>/dev/null || : ;;
	worker)	pkill -9 -P "$XD_PID" -x xmigd 2>/dev/null || : ;;
	# Reaped at once: a killed daemon not yet gone (or a zombie) would
	# pass the "kill -0" checks that start it again.
	xmigd)	kill -9 "$XD_PID" 2>/dev/null || :
		wait "$XD_PID" 2>/dev/null || : ;;
	esac
	fm_migrate_wait
	FM_XD_FAULT=""
	label="kill $target at $delay ms"
	[ "$widen" = 1 ] && label="$label, GO held 300 ms"
	fm_settle_check "$dom" any "$label"
}
