#!/bin/sh
# timeout.sh SCRIPT [ARG...] - run one test script of "make check" under a
# time limit, so that a script that hangs fails with its log instead of
# holding the whole run: 30 minutes, and 70 for the emulated Xen host,
# which bounds itself (QEMU_TIMEOUT) and boots HVM guests that take one
# to two minutes each under TCG.
case $1 in
*tests/xen/harness.sh) limit=4200 ;;
*) limit=1800 ;;
esac
exec timeout -k 10 $limit "$@"
