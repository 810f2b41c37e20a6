#!/bin/bash
# shadow-xen.sh - build Debian's Xen hypervisor again, from the source of
# the installed xen-hypervisor-4.17-amd64 package and with Debian's
# configuration, plus shadow paging (CONFIG_SHADOW_PAGING=y, which
# Debian's build leaves out); print the path of its xen.gz.
#
#   tests/xen/shadow-xen.sh DIR
#
# The image is kept in DIR as xen-shadow-VERSION.gz (VERSION: the source
# version it was built from; VERSION.gz.for names the package version it
# stands for) and built only when missing; DIR also holds the build's
# log.  The source comes through apt from the deb-src twins of this
# host's own apt sources, with a private apt state in DIR (the host's
# apt configuration is not touched; apt checks the signatures and
# dpkg-source the checksums).  When no archive serves the installed
# version's source (a security archive's pool may not), the newest
# source of the same release series (4.17.x) is built instead: Xen keeps
# the interfaces between hypervisor and toolstack within a series.
# scripts/setup.sh installs what the build needs (dpkg-dev, flex, bison,
# python3, gcc, make).  Exit status: 0 with the path on stdout; 77 when a
# tool is missing, 1 when the source or the build fails, the reason on
# stderr.
#
# Why: the harness's guests run on shadow page tables (GUEST_HAP=0) when
# QEMU's emulated SVM with nested paging proves unreliable; see "What
# runs by default" in harness.sh.
set -u

PKG=xen-hypervisor-4.17-amd64

log() { echo "shadow-xen: $*" >&2; }
die() { log "$*"; exit 1; }
missing() { log "$* (scripts/setup.sh installs it)"; exit 77; }

[ $# = 1 ] || die "usage: shadow-xen.sh DIR"
dir=$1
ver=$(dpkg-query -W -f='${source:Version}' $PKG 2>/dev/null)
[ -n "$ver" ] || missing "$PKG is not installed"
# cached: the image built for this version of the package
cached() {
	local f
	for f in "$dir"/xen-shadow-*.gz; do
		[ -f "$f" ] && [ "$(cat "$f.for" 2>/dev/null)" = "$ver" ] &&
		    echo "$f" && return 0
	done
	return 1
}
cached && exit 0
for f in apt-get dpkg-source gcc make flex bison python3 flock; do
	command -v $f >/dev/null 2>&1 ||
		missing "$f is not installed"
done
mkdir -p "$dir" || die "cannot create $dir"
# one build at a time in DIR; a second caller waits and takes its image
exec 8>>"$dir/shadow-xen.lock" || die "cannot open $dir/shadow-xen.lock"
flock -w 1800 8 || die "another build in $dir did not end"
cached && exit 0

tmp=$dir/shadow-xen.build
buildlog=$dir/shadow-xen.log
rm -rf "$tmp"
mkdir -p "$tmp/entries" || die "cannot create $tmp"
trap 'rm -rf "$tmp"' EXIT

# src_entries: the deb-src twin of each archive this host installs from,
# one file each in $tmp/entries (N.sources or N.list)
src_entries() {
	local f n=0
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v d="$tmp/entries" -v n=$n 'BEGIN { RS = "" }
		    /(^|\n)Types:[^\n]*deb/ {
			sub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src")
			print > (d "/" n + NR ".sources") }' "$f"
		n=$((n + 100))
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f"
	done | while read -r line; do
		n=$((n + 1))
		echo "$line" >"$tmp/entries/$n.list"
	done
}

# apt_from ENTRY ARGS...: apt-get (or apt-cache, with ARGS "cache ...")
# with ENTRY as its only source, its lists and cache in ENTRY.d
apt_from() {
	local e=$1 list=/dev/null parts=$tmp/none cmd=apt-get
	shift
	[ "$1" != cache ] || { cmd=apt-cache; shift; }
	case $e in
	*.list) list=$e ;;
	*) parts=$e.parts; mkdir -p "$parts" && cp "$e" "$parts/" ;;
	esac
	mkdir -p "$e.d/lists/partial" "$e.d/cache/archives/partial"
	$cmd -q -o Dir::Etc::SourceList="$list" \
	    -o Dir::Etc::SourceParts="$parts" \
	    -o Dir::State::Lists="$e.d/lists" \
	    -o Dir::Cache="$e.d/cache" -o APT::Sandbox::User=root \
	    -o Debug::NoLocking=1 "$@"
}

# source_versions: "VERSION ENTRY" for each source version of xen that
# an archive lists, newest first
source_versions() {
	local e
	for e in "$tmp"/entries/*.list "$tmp"/entries/*.sources; do
		[ -f "$e" ] || continue
		echo "== $e:" >&2; cat "$e" >&2
		apt_from "$e" update >&2 || continue
		apt_from "$e" cache showsrc xen 2>/dev/null |
		    sed -n "s|^Version: \(.*\)|\1 $e|p"
	done | sort -rV
}

# get_source VERSION: the unpacked source of xen VERSION in $tmp/src, from
# the first archive whose pool has it (an index may list a version that
# its pool does not serve)
get_source() {
	local v e
	while read -r v e; do
		[ "$v" = "$1" ] || continue
		rm -rf "$tmp/dl" "$tmp/src" && mkdir -p "$tmp/dl" &&
		    (cd "$tmp/dl" && apt_from "$e" source --download-only \
		    "xen=$v") &&
		    dpkg-source -x "$tmp"/dl/xen_*.dsc "$tmp/src" && return 0
	done <<EOF
$versions
EOF
	return 1
}

log "building Xen with shadow paging for $PKG $ver (log: $buildlog)"
t0=$(date +%s)
src_entries
versions=$(source_versions 2>>"$buildlog")
# The installed version's source, else the newest of the same series
# (Xen keeps its toolstack interfaces within a release series)
series=$(echo "$ver" | cut -d. -f1,2)
src=
for v in $ver $(echo "$versions" | awk '{ print $1 }' | uniq |
    grep "^$series\."); do
	get_source "$v" >>"$buildlog" 2>&1 && { src=$v; break; }
done
[ -n "$src" ] || {
	tail -n 5 "$buildlog" >&2
	die "no archive serves the source of xen $ver or another $series"
}
[ "$src" = "$ver" ] ||
	log "the source of $ver is not served: building $src instead"
x=$tmp/src/xen
[ -f "$tmp/src/debian/xen-kconfig" ] ||
	die "no debian/xen-kconfig in the source of xen $ver"
{
	cp "$tmp/src/debian/xen-kconfig" "$x/.config" &&
	    echo "CONFIG_SHADOW_PAGING=y" >>"$x/.config" &&
	    make -C "$x" XEN_TARGET_ARCH=x86_64 olddefconfig &&
	    grep -qx 'CONFIG_SHADOW_PAGING=y' "$x/.config" &&
	    make -C "$x" XEN_TARGET_ARCH=x86_64 -j"$(nproc)"
} >>"$buildlog" 2>&1 || {
	tail -n 20 "$buildlog" >&2
	die "the build of xen $ver failed"
}
[ -f "$x/xen.gz" ] || die "the build left no xen.gz"
# earlier versions' images
rm -f "$dir"/xen-shadow-*.gz "$dir"/xen-shadow-*.gz.for
image=$dir/xen-shadow-$src.gz
cp "$x/xen.gz" "$image.$$" && mv "$image.$$" "$image" &&
    echo "$ver" >"$image.for" || die "cannot write $image"
log "built $image in $(( $(date +%s) - t0 )) s"
echo "$image"
