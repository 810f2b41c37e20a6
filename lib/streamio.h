/*
 * streamio.h - the parts of a save file or migration stream that wrap
 * the backend's libxc stream: the xl header with the domain config, the
 * libxl stream header and its LIBXC_CONTEXT record before, the libxl
 * records up to END after.  The backend writes or reads the libxc stream
 * in between (backend.h).  Reads are exact (never past what is needed),
 * so the backend finds the fd positioned at the libxc image header.
 */
#ifndef XMIG_STREAMIO_H
#define XMIG_STREAMIO_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "libxl_stream.h"
#include "srerr.h"
#include "xlhdr.h"

struct streamio_in {
	int		 fd;
	int		 timeout_ms;	/* longest wait for each read */
	uint64_t	 offset;	/* bytes read by streamio so far */
	struct xlhdr	 xl;		/* config fields not valid: below */
	char		*config;	/* the domain config JSON, or NULL */
	struct libxl_state lx;
	uint32_t	 emulator_records;	/* read after libxc */
};

/*
 * Write the xl header (STREAMv2, with "config" as JSON when not NULL),
 * the libxl header and an empty LIBXC_CONTEXT record to fd.  Returns 0
 * or a negative errno (logged).
 */
int	streamio_write_prefix(int fd, const char *config, int timeout_ms);

/*
 * Write the device model's records "emu" (NULL or empty: none), then the
 * libxl END record.  Returns 0 or a negative errno (logged).
 */
int	streamio_write_suffix(int fd, const struct emu_recs *emu,
	    int timeout_ms);

/*
 * Read and check everything up to the end of the LIBXC_CONTEXT record.
 * Fills *in (in->config is malloc()ed, freed by streamio_in_clear()).
 * Returns 0, or a negative errno with the defect in e (-EBADMSG for a
 * defective input, -ETIMEDOUT, -ECONNRESET for a short one).
 */
int	streamio_read_prefix(struct streamio_in *in, int fd, int timeout_ms,
	    struct srerr *e);

/*
 * After the backend consumed the libxc stream: read the libxl records up
 * to END.  Emulator records are counted, checked (an EMULATOR_CONTEXT of
 * qemu-upstream must hold a QEMU device-state file, protocol/qevm.h) and
 * added to *emu (NULL: dropped).  Emulator records are accepted only
 * when in->lx.dom_type is set to libxc's x86 HVM (2) beforehand.
 * Returns 0 or a negative errno with e filled.
 */
int	streamio_read_suffix(struct streamio_in *in, struct emu_recs *emu,
	    struct srerr *e);

/*
 * The restore side's read_tail (backend.h): init sets rp->read_tail and
 * tail_data to read the records after the libxc stream from "in" (and
 * marks "in" as carrying an HVM-container stream for a non-PV domain);
 * after the backend's restore, finish reads them if the backend did not
 * and returns the answer (0, or a negative errno with the defect in
 * t->e, already logged).  *emu then holds the emulator records.
 */
struct streamio_tail {
	struct streamio_in	*in;
	struct srerr		 e;
	int			 done;	/* read_tail was called */
	int			 rc;	/* and answered this */
};

void	streamio_tail_init(struct streamio_tail *t, struct streamio_in *in,
	    struct restore_params *rp);
int	streamio_tail_finish(struct streamio_tail *t, struct emu_recs *emu);

/* Free what *in owns. */
void	streamio_in_clear(struct streamio_in *in);

#endif /* XMIG_STREAMIO_H */
