/*
 * be_sim_dm.h - private to lib/sim/: the sim backend's side of an HVM
 * domain's device model, as libxl drives QEMU's (libxl_qmp.c,
 * libxl_dom_suspend.c), through the same QMP client (lib/qmpclient.h).
 * Each call opens the monitor, sends its commands and closes it again,
 * as a QEMU monitor serves one client at a time.  Every call returns 0
 * or a negative errno after logging the reason once.
 */
#ifndef XMIG_BE_SIM_DM_H
#define XMIG_BE_SIM_DM_H

#include <stdint.h>

#include "backend.h"

/* Is the device model there and answering?  (query-status) */
int	be_sim_dm_ping(struct backend *be, uint32_t domid);

/*
 * Switch the device model's own log-dirty (xen-set-global-dirty-log),
 * as libxenguest's switch_qemu_logdirty callback does around a live
 * save.
 */
int	be_sim_dm_logdirty(struct backend *be, uint32_t domid, int enable);

/*
 * With the guest suspended: "stop" (skipped when "stop" is 0), then
 * "xen-save-devices-state" to a file in the domain's directory, read
 * back (at most BE_SIM_DM_STATE_MAX bytes), removed, and appended to
 * *emu as an EMULATOR_CONTEXT of qemu-upstream, index 0.  On failure
 * nothing is added and the device model may be stopped: resume sends
 * "cont" (be_sim_dm_cont()).
 */
#define BE_SIM_DM_STATE_MAX	(16u << 20)
int	be_sim_dm_save(struct backend *be, uint32_t domid,
	    struct emu_recs *emu, int stop);

/* "cont": the device model runs again (a resume, an unpause). */
int	be_sim_dm_cont(struct backend *be, uint32_t domid);

/*
 * A restored HVM domain's device model: the EMULATOR_CONTEXT of
 * qemu-upstream in *emu is written to a file in the domain's directory
 * and a new device model is started with it as its incoming state
 * (stopped until the domain's first unpause).  -ENOENT (logged) when
 * *emu has no such record; -EBADMSG when the device model refused it.
 * The file is removed either way; on failure no device model is left.
 */
int	be_sim_dm_load(struct backend *be, uint32_t domid,
	    const struct emu_recs *emu);

#endif /* XMIG_BE_SIM_DM_H */
