#!/bin/sh
# test.sh - install what is missing, build with warnings as errors and
# ASan+UBSan, and run the whole test suite (unit tests, end-to-end
# scripts, fuzz targets), then "make distcheck"; then build the Debian
# package from the tarball and test it (lintian, and install, upgrade and
# purge in throwaway roots).
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

# The Debian package (debian/): built from the tarball distcheck checked,
# twice, the second time as a later version for the upgrade test, each
# linted; then installed, upgraded and purged in throwaway roots.
start=$(date +%s)
sh "$top/scripts/deb-build.sh" "$build" "$build/deb/this"
sh "$top/scripts/deb-build.sh" "$build" "$build/deb/next" +test1
top_srcdir="$top" sh "$top/tests/e2e/deb-install.sh" \
    "$build"/deb/this/xmig_*.deb "$build"/deb/next/xmig_*.deb
echo "test: Debian package built, linted, installed and upgraded" \
    "in $(($(date +%s) - start)) s"
echo "test: all tests passed"
