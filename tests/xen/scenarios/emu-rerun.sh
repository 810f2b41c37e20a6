# emu-rerun: the rerun of a scenario failed on an emulation fault
# (dom0-init.sh), checked: the first run prints the sign of one (a Xen
# helper killed by a signal, as libxl logs it) and fails, the second
# passes.  Not in the default set: run it when dom0-init.sh changes
# ("harness.sh emu-rerun smoke").
. /dom0-lib.sh

if [ ! -e /run/emu-rerun.first ]; then
	: >/run/emu-rerun.first
	echo "libxl: error: libxl_exec.c:127:libxl_report_child_exitstatus:" \
	    "domain 9 save/restore helper [99] died due to fatal signal" \
	    "Segmentation fault"
	fail "first run: a faked emulation fault"
fi
detail "second run, after a faked emulation fault"
