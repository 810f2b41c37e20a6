#!/bin/sh
# run-fuzz.sh [SECONDS] - build the fuzz targets (stream formats, the
# destination's stream prefix reader, xmigd.conf and hosts-allow,
# relocation frames, xl's handshake and configuration facts, xenstore
# messages, QEMU's device state and QMP messages, the disk list and disk
# copy records) with
# clang's libFuzzer (plus ASan and UBSan) straight from protocol/'s
# sources and run each for SECONDS (default 10).  Exit 77 when clang
# cannot build a libFuzzer program.
#
# Long runs:   tests/fuzz/run-fuzz.sh 3600
# One target:  FUZZ_TARGETS=fuzz_stream tests/fuzz/run-fuzz.sh 600
# Crashes are written as crash-* files in $FUZZ_OUT (default
# $builddir/tests/fuzz/out); new inputs go to $FUZZ_OUT/corpus-NAME, so
# the checked-in seeds in tests/fuzz/corpus/NAME stay untouched.
set -eu
secs=${1:-10}
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${top_builddir:-$(pwd)}
CLANG=${FUZZ_CC:-clang}
out=${FUZZ_OUT:-$builddir/tests/fuzz/out}
targets=${FUZZ_TARGETS:-"fuzz_xlhdr fuzz_stream fuzz_libxc fuzz_reloc fuzz_xs_msg
    fuzz_streamio fuzz_conf fuzz_qevm fuzz_qmp fuzz_vbd fuzz_xlproto
    fuzz_frame"}
proto="srerr xlhdr libxc_stream libxl_stream stream_reader stream_writer
    savefile stream_verify json qevm qmp"

command -v "$CLANG" >/dev/null 2>&1 || { echo "SKIP: no clang"; exit 77; }
mkdir -p "$out"
probe="$out/probe.c"
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)
    { (void)d; (void)n; return 0; }' >"$probe"
"$CLANG" -fsanitize=fuzzer "$probe" -o "$out/probe" >/dev/null 2>&1 ||
	{ echo "SKIP: $CLANG cannot link libFuzzer programs"; exit 77; }
yajl=$(pkg-config --cflags --libs yajl 2>/dev/null || echo -lyajl)

stream_srcs=""
for m in $proto; do stream_srcs="$stream_srcs $srcdir/protocol/$m.c"; done
rc=0
for t in $targets; do
	bin="$out/$t"
	# What each target is built from, besides itself.
	case $t in
	fuzz_xlproto)	srcs="$srcdir/protocol/xlproto.c
			    $srcdir/protocol/uuid.c $srcdir/protocol/json.c" ;;
	fuzz_reloc)	srcs="$srcdir/protocol/reloc.c $srcdir/protocol/uuid.c
			    $srcdir/protocol/json.c" ;;
	fuzz_vbd)	srcs="$srcdir/protocol/vbdstream.c" ;;
	fuzz_xs_msg)	srcs="$srcdir/protocol/xs_msg.c $srcdir/lib/sim/simxs.c
			    $srcdir/lib/sim/simxs_tree.c
			    $srcdir/lib/sim/simxs_perm.c
			    $srcdir/lib/log.c $srcdir/lib/util.c" ;;
	fuzz_streamio)	srcs="$stream_srcs $srcdir/lib/streamio.c
			    $srcdir/lib/emurecs.c
			    $srcdir/lib/relocio.c $srcdir/protocol/reloc.c
			    $srcdir/protocol/uuid.c $srcdir/lib/log.c
			    $srcdir/lib/util.c" ;;
	fuzz_qevm)	srcs="$stream_srcs $srcdir/lib/sim/simdm.c
			    $srcdir/lib/fault.c
			    $srcdir/lib/log.c $srcdir/lib/util.c" ;;
	fuzz_conf)	srcs="$srcdir/lib/conf.c $srcdir/lib/acl.c
			    $srcdir/protocol/frame.c $srcdir/lib/compress.c
			    $srcdir/lib/log.c $srcdir/lib/util.c
			    -DSYSCONFDIR=\"/etc\" -DLOCALSTATEDIR=\"/var\"
			    -DHAVE_LZ4 -DHAVE_ZSTD -llz4 -lzstd" ;;
	fuzz_frame)	srcs="$srcdir/protocol/frame.c $srcdir/lib/compress.c
			    $srcdir/lib/wirecodec.c $srcdir/lib/relocio.c
			    $srcdir/protocol/reloc.c $srcdir/protocol/uuid.c
			    $srcdir/protocol/json.c
			    $srcdir/lib/fault.c $srcdir/lib/log.c
			    $srcdir/lib/util.c -DHAVE_LZ4 -DHAVE_ZSTD
			    -llz4 -lzstd -lpthread" ;;
	*)		srcs=$stream_srcs ;;
	esac
	# shellcheck disable=SC2086
	"$CLANG" -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -I"$builddir" \
	    -I"$srcdir/protocol" -I"$srcdir/lib" \
	    "$srcdir/tests/fuzz/$t.c" $srcs $yajl -o "$bin"
	corpus="$out/corpus-$t"
	mkdir -p "$corpus"
	seeds="$srcdir/tests/fuzz/corpus/${t#fuzz_}"
	[ -d "$seeds" ] || seeds=""
	echo "fuzzing $t for ${secs}s"
	# shellcheck disable=SC2086
	if ! (cd "$out" && "$bin" -max_total_time="$secs" -max_len=65536 \
	    -rss_limit_mb=1024 -print_final_stats=1 "$corpus" $seeds \
	    >"$out/$t.log" 2>&1); then
		tail -40 "$out/$t.log"
		echo "FAIL: $t (see $out/$t.log)"
		rc=1
	else
		grep -E 'stat::number_of_executed_units|Done' "$out/$t.log" |
		    tail -2
	fi
done
exit $rc
