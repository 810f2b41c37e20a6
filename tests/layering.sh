#!/bin/sh
# layering.sh - the direction of use between xmig's folders, read from
# the #include lines of every source file and enforced (README, Layout):
#
#   protocol/   uses nothing of ours
#   lib/        the engine: protocol/ and lib/; a backend only through
#               lib/backend.h
#   lib/sim/    lib/sim/, lib/, protocol/; never lib/xen/
#   lib/xen/    lib/xen/, lib/, protocol/; never lib/sim/
#   daemon/     daemon/, lib/, protocol/, and a backend's public headers
#   cli/        cli/, lib/, protocol/, and a backend's public headers
#
# A backend's public headers are the ones its folder offers the rest of
# xmig (listed below); the others are private to the folder.  Each
# #include "X" is resolved as the compiler does (the including file's
# folder, then -I top, protocol/, lib/); one that resolves to no file of
# ours (config.h, generated) is not an edge.  Xen's libraries are used by
# lib/xen/ alone (libxenstore also by the engine and the simulated host:
# it speaks the xenstore protocol), libevent by daemon/ alone.
#
# And since lib/ is on the include path, <xen/X.h> finds lib/xen/X.h
# first: no header in lib/xen/ may share a name with one of Xen's.
#
# Includes are plain names or folder/name, never "..": the script says so
# when one is not.
#
#   tests/layering.sh [SRCDIR]      exit 0 clean, 1 with every bad edge
set -u
top=${1:-${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}}
cd "$top" || exit 1

public_sim="lib/sim/be_sim.h lib/sim/simhost.h lib/sim/simguest.h
	lib/sim/simxs_server.h"
public_xen="lib/xen/be_xen.h"

# The folder a file of ours belongs to.
folder() {
	case $1 in
	protocol/*)	echo protocol ;;
	lib/sim/*)	echo sim ;;
	lib/xen/*)	echo xen ;;
	lib/*)		echo lib ;;
	daemon/*)	echo daemon ;;
	cli/*)		echo cli ;;
	*)		echo other ;;
	esac
}

is_public() {
	for p in $public_sim $public_xen; do
		[ "$p" = "$1" ] && return 0
	done
	return 1
}

# Resolve "name" included from file $1 to a path relative to $top.
resolve() {
	for d in "$(dirname "$1")" . protocol lib; do
		if [ -f "$d/$2" ]; then
			echo "${d#./}/$2" | sed 's|^\./||'
			return
		fi
	done
}

# May a file of folder $1 include the file $2 (of folder $3)?
allowed() {
	case $1:$3 in
	protocol:protocol) return 0 ;;
	lib:lib|lib:protocol) return 0 ;;
	sim:sim|sim:lib|sim:protocol) return 0 ;;
	xen:xen|xen:lib|xen:protocol) return 0 ;;
	daemon:daemon|daemon:lib|daemon:protocol) return 0 ;;
	cli:cli|cli:lib|cli:protocol) return 0 ;;
	daemon:sim|daemon:xen|cli:sim|cli:xen) is_public "$2" ;;
	*) return 1 ;;
	esac
}

bad=0
edges=0
files=$(find protocol lib daemon cli -name '*.[ch]' | sort)
for f in $files; do
	from=$(folder "$f")
	for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
		case $inc in
		*..*)	echo "layering: $f includes \"$inc\": no \"..\"" \
			    "in our includes" >&2
			bad=$((bad + 1))
			continue ;;
		esac
		to=$(resolve "$f" "$inc")
		[ -n "$to" ] || continue
		edges=$((edges + 1))
		tofolder=$(folder "$to")
		if ! allowed "$from" "$to" "$tofolder"; then
			case $from:$tofolder in
			daemon:sim|daemon:xen|cli:sim|cli:xen)
				what="lib/$tofolder/'s private headers" ;;
			*:sim|*:xen) what="lib/$tofolder/" ;;
			*) what="$tofolder/" ;;
			esac
			case $from in
			sim|xen) who="lib/$from/" ;;
			lib) who="the engine (lib/)" ;;
			*) who="$from/" ;;
			esac
			echo "layering: $f includes $to ($who may not use" \
			    "$what)" >&2
			bad=$((bad + 1))
		fi
	done
	for sys in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<\([^>]*\)>.*/\1/p' "$f"); do
		case $from:$sys in
		xen:*) ;;
		*:xenctrl.h|*:xenguest.h|*:xentoollog.h|*:xenforeignmemory.h|\
		*:libxl*.h|*:xen/*)
			echo "layering: $f includes <$sys> (Xen's libraries" \
			    "are lib/xen/'s alone)" >&2
			bad=$((bad + 1)) ;;
		protocol:xenstore.h)
			echo "layering: $f includes <$sys> (protocol/ uses" \
			    "no library but libc and yajl)" >&2
			bad=$((bad + 1)) ;;
		daemon:event2/*) ;;
		*:event2/*)
			echo "layering: $f includes <$sys> (libevent is" \
			    "daemon/'s alone)" >&2
			bad=$((bad + 1)) ;;
		esac
	done
done

xeninc=$(pkg-config --variable=includedir xencontrol 2>/dev/null)
for h in lib/xen/*.h; do
	n=$(basename "$h")
	if [ -f "${xeninc:-/usr/include}/xen/$n" ]; then
		echo "layering: $h shadows Xen's <xen/$n> (lib/ is on the" \
		    "include path)" >&2
		bad=$((bad + 1))
	fi
done

if [ "$edges" -eq 0 ]; then
	echo "layering: no #include of ours found under $top" >&2
	exit 1
fi
echo "layering: $(echo "$files" | wc -l) files, $edges includes of ours," \
    "$bad forbidden"
[ "$bad" -eq 0 ]
