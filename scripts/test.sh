#!/bin/sh
# test.sh - install what is missing, build with warnings as errors and
# ASan+UBSan, and run the whole test suite (unit tests, end-to-end
# scripts, fuzz targets), then "make distcheck".
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build-test"
"$top/scripts/setup.sh" "$build" --enable-werror --enable-sanitizers

cd "$build"

# failed_logs: the end of every failed test's log, here and in
# distcheck's copy of the tree.
failed_logs() {
	for log in $(find . -name '*.log' ! -name config.log ! -name test-suite.log); do
		if grep -q '^:test-result: FAIL\|^:test-result: ERROR' "${log%.log}.trs" 2>/dev/null; then
			echo "==== $log"
			tail -n 150 "$log"
		fi
	done
}

status=0
make -j"$(nproc)" check || status=$?
if [ "$status" != 0 ]; then
	failed_logs
	echo "test: make check failed" >&2
	exit "$status"
fi
# The tarball's own build runs the suite again, but not the emulated Xen
# host: the check above ran it on the same sources.
XMIG_SKIP_XEN=1 make -j"$(nproc)" distcheck || status=$?
if [ "$status" != 0 ]; then
	failed_logs
	echo "test: make distcheck failed" >&2
	exit "$status"
fi
echo "test: all tests passed"
