/*
 * be_sim_stream.h - save and restore on the simulated host: the libxc
 * stream of an x86 HVM-typed domain, written from and read into the
 * domain's shared memory, with live rounds driven by the dirty log.
 * They are the sim backend's "save" and "restore" ops (backend.h).
 */
#ifndef XMIG_BE_SIM_STREAM_H
#define XMIG_BE_SIM_STREAM_H

#include "backend.h"

/*
 * The save op: as xc_domain_save() does, with live rounds when
 * params->live (log-dirty enabled, every page sent, then each round the
 * pages dirtied during the last, as the precopy policy decides), the
 * suspend callback, the last dirty pages, the state records and END,
 * then the postcopy callback.  params->bandwidth caps the write rate.
 * The domain is left as the callbacks left it; log-dirty is turned off.
 */
int	be_sim_stream_save(struct backend *be, uint32_t domid, int fd,
	    const struct save_params *params, struct save_callbacks *cb);

/*
 * The restore op: create a paused domain from "rp" and fill its memory
 * from the libxc stream on fd, checked as the real restorer checks it
 * (stream_reader.h).  On failure the domain is destroyed and the first
 * defect logged with its offset; -EBADMSG for a defective stream.
 */
int	be_sim_stream_restore(struct backend *be, int fd,
	    const struct restore_params *rp, uint32_t *domid);

#endif /* XMIG_BE_SIM_STREAM_H */
