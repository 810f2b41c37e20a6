# lib.sh - helpers for end-to-end test scripts.  Source it first thing:
#   . "$top_srcdir/tests/e2e/lib.sh"
# Exit codes follow automake: 0 pass, 77 skip, 99 hard error, else fail.

: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
XMIG="$top_builddir/cli/xmig"
XMIGD="$top_builddir/daemon/xmigd"
export XMIG XMIGD

# A scratch directory removed on exit; tests add their own cleanups to
# e2e_cleanup_hooks (a list of commands run in reverse order).
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/xmig-e2e.XXXXXX")
e2e_cleanup_hooks=""
e2e_cleanup() {
	for h in $e2e_cleanup_hooks; do
		eval "$h" >/dev/null 2>&1 || :
	done
	rm -rf "$E2E_TMP"
}
trap e2e_cleanup EXIT INT TERM
e2e_on_exit() { e2e_cleanup_hooks="$1 $e2e_cleanup_hooks"; }

# E2E_FAIL_HOOK: a command run before failing (e.g. to print a log).
E2E_FAIL_HOOK=""
e2e_fail() {
	[ -n "$E2E_FAIL_HOOK" ] && $E2E_FAIL_HOOK >&2
	echo "FAIL: $*" >&2
	exit 1
}
e2e_skip() { echo "SKIP: $*" >&2; exit 77; }
e2e_ok() { echo "ok: $*"; }

# expect_exit CODE CMD...: run CMD, fail unless it exits with CODE.
# Output goes to $E2E_TMP/out and $E2E_TMP/err for later greps.
expect_exit() {
	want=$1
	shift
	set +e
	"$@" >"$E2E_TMP/out" 2>"$E2E_TMP/err"
	got=$?
	set -e
	if [ "$got" != "$want" ]; then
		echo "--- stdout"; cat "$E2E_TMP/out"
		echo "--- stderr"; cat "$E2E_TMP/err"
		e2e_fail "exit $got, wanted $want: $*"
	fi
}

# wait_file FILE WHAT: wait up to 10 s for FILE to exist (a helper
# process says it is ready), else fail saying WHAT did not start.
wait_file() {
	i=0
	while [ ! -f "$1" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && e2e_fail "$2 did not start"
		sleep 0.1
	done
}

# expect_grep PATTERN FILE: fail unless FILE has a line matching PATTERN.
expect_grep() {
	grep -q -- "$1" "$2" || { cat "$2"; e2e_fail "no \"$1\" in $2"; }
}
