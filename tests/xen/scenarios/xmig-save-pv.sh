# xmig-save-pv: the xmig-save scenario with a PV guest.
XMIG_GUEST_TYPE=pv
. /scenarios/xmig-save.sh
