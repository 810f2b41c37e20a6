#!/bin/sh
# xmigd-rss.sh - xmigd's resident memory when idle, and after 300 bad
# connections (target: under 16 MiB).  Prints "xmigd idle VmRSS N kB".
# Run from the build tree: top_builddir=. top_srcdir=.. sh bench/xmigd-rss.sh
set -eu
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
export top_builddir top_srcdir
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/xmigd-lib.sh"

xd_start
xd_ctl '{"cmd":"status"}' > /dev/null
idle=$(xd_rss)
$RELOC --port "$XD_PORT" flood --count 300 > /dev/null
xd_ctl '{"cmd":"status"}' > /dev/null
after=$(xd_rss)
echo "xmigd idle VmRSS $idle kB; after 300 bad connections $after kB" \
    "(target < 16384 kB)"
[ "$idle" -lt 16384 ] || { echo "over target"; exit 1; }
