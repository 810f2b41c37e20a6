# hvm-nopv: hvm-migrate for an HVM guest without PV drivers
# (xen_platform_pci = 0): nothing in it reads xenstore's control/shutdown,
# so xmig suspends it by hypercall (SHUTDOWN_suspend), as xl does.
HVM_TYPE=hvm-nopv
. /scenarios/hvm-migrate.sh
