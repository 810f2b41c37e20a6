#!/bin/sh
# setup.sh - install what xmig needs to build and test on Debian 12, then
# configure and build it in a build directory.  Idempotent: packages
# already installed are not touched, an up-to-date build is not redone.
#
#   scripts/setup.sh [BUILDDIR [CONFIGURE-ARGS...]]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${1:-"$top/build"}
# A relative BUILDDIR is the caller's, made absolute before any cd.
case $builddir in /*) ;; *) builddir="$PWD/$builddir" ;; esac
[ $# -gt 0 ] && shift

# Build tools and libraries, and what the test suite runs: Xen's stream
# checker (xen-utils-4.17), the xenstore-* tools (xenstore-utils), an
# independent xenstore client (python3-pyxs), clang with libFuzzer, iperf3
# for the benchmarks, iproute2 (ip netns, tc tbf) for the modelled links
# of tests/netlink.sh, bash-completion under which xmig's completion is
# tested.  debhelper and lintian build and check the Debian package; its
# install test reads the throwaway root with "systemctl --root" (systemd;
# nothing is started).  The real-Xen harness (tests/xen/) boots Debian's
# hypervisor and kernel under QEMU TCG with a busybox dom0; with
# --no-install-recommends no boot loader is pulled in and this host's boot
# is not touched.  Its HVM guests need Xen's device model (qemu-system-xen)
# and the BIOS hvmloader hands them (seabios).  With GUEST_HAP=0 its
# guests run on shadow paging, on Debian's hypervisor rebuilt from its
# source package with shadow paging (tests/xen/shadow-xen.sh): dpkg-dev
# unpacks the source, flex, bison and python3 serve Xen's build.
packages="build-essential autoconf automake libtool pkg-config
	libxen-dev libnbd-dev libyajl-dev libevent-dev libssl-dev liblz4-dev
	libzstd-dev check
	xen-utils-4.17 python3-pyxs clang libclang-rt-14-dev iperf3
	iproute2 procps xenstore-utils
	qemu-system-x86 xen-hypervisor-4.17-amd64 linux-image-amd64
	qemu-system-xen seabios dpkg-dev flex bison python3
	busybox-static cpio kmod perl bash-completion
	debhelper lintian systemd"

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup: missing packages:$missing" >&2
		echo "setup: run as root (or with sudo) to install them" >&2
		exit 1
	fi
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi

cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ] ||
    [ Makefile.am -nt Makefile.in ]; then
	echo "setup: generating configure"
	mkdir -p m4
	autoreconf -fi
fi

mkdir -p "$builddir"
cd "$builddir"
stamp="$builddir/.configure-args"
args="$*"
if [ ! -f Makefile ] || [ ! -f "$stamp" ] ||
    [ "$(cat "$stamp")" != "$args" ] || [ "$top/configure" -nt Makefile ]; then
	echo "setup: configuring in $builddir ($args)"
	# shellcheck disable=SC2086
	"$top/configure" $args
	echo "$args" > "$stamp"
fi
make -j"$(nproc)"
