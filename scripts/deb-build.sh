#!/bin/sh
# deb-build.sh - build the Debian package (debian/) from this tree's
# tarball, out of the source tree's way, and run lintian on it.
#
#   scripts/deb-build.sh BUILDDIR OUTDIR [SUFFIX]
#
# BUILDDIR is a configured build directory: "make dist" there makes the
# tarball, so the package is built from what "make distcheck" checks and
# the clone is left as it was.  The tarball is unpacked under OUTDIR
# (emptied first), where dpkg-buildpackage leaves the .deb, .buildinfo
# and .changes.  SUFFIX, when given, is appended to the Debian version
# in a changelog entry put on top: the same tree as a later version, for
# the upgrade test (tests/e2e/deb-install.sh).
#
# Lintian's output is printed with its tags counted; an error or a
# warning that debian/xmig.lintian-overrides does not override (with its
# reason) fails the build.
set -eu

[ $# -ge 2 ] || { echo "usage: $0 BUILDDIR OUTDIR [SUFFIX]" >&2; exit 2; }
builddir=$(cd "$1" && pwd)
outdir=$2
suffix=${3-}

version=$(sed -n 's/^PACKAGE_VERSION = //p' "$builddir/Makefile")
make -C "$builddir" -s dist >/dev/null
rm -rf "$outdir"
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
tar -xzf "$builddir/xmig-$version.tar.gz" -C "$outdir"
src="$outdir/xmig-$version"
cd "$src"

if [ -n "$suffix" ]; then
	top=$(dpkg-parsechangelog -SVersion)
	{
		printf 'xmig (%s) UNRELEASED; urgency=medium\n\n' "$top$suffix"
		printf '  * Rebuild of %s as a later version.\n\n' "$top"
		printf ' -- %s  %s\n\n' "$(dpkg-parsechangelog -SMaintainer)" \
		    "$(date -R)"
		cat debian/changelog
	} > debian/changelog.new
	mv debian/changelog.new debian/changelog
fi

echo "deb-build: dpkg-buildpackage in $src"
dpkg-buildpackage -us -uc -b -j"$(nproc)" > "$outdir/build.log" 2>&1 ||
    { tail -n 60 "$outdir/build.log"; echo "deb-build: failed" >&2; exit 1; }
changes=$(ls "$outdir"/xmig_*.changes)
sed -n 's/^ \([0-9a-f]\{64\} .*\.deb\)$/\1/p' "$changes" |
    awk '{ print "deb-build: built " $3 " (" $2 " bytes)" }'

# -I and --show-overrides: the info tags and the overridden ones too,
# so that the log shows all lintian said.  The verdict is read from the
# tags: with --show-overrides, lintian's --fail-on counts an overridden
# warning as a warning.
lintian -I --show-overrides --fail-on none "$changes" \
    > "$outdir/lintian.log" 2>&1 ||
    { cat "$outdir/lintian.log"; echo "deb-build: lintian failed" >&2;
    exit 1; }
sed 's/^/lintian: /' "$outdir/lintian.log"
tags() { grep -c "^$1: " "$outdir/lintian.log" || :; }
echo "deb-build: lintian tags: error $(tags E), warning $(tags W)," \
    "info $(tags I), pedantic $(tags P), overridden $(tags O)"
if [ "$(tags E)" != 0 ] || [ "$(tags W)" != 0 ]; then
	echo "deb-build: lintian reported errors or warnings: fix them," \
	    "or override them with a reason in debian/xmig.lintian-overrides" >&2
	exit 1
fi
