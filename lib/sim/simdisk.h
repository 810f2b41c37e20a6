/*
 * simdisk.h - the disks of a simulated domain.
 *
 * A sim domain may have up to SIMDISK_MAX disks: raw image files (by
 * default SIMDIR/disks/NAME-I.img, sparse) listed with their sizes and
 * the guest's disk write rate in SIMDIR/domains/N/disks.  The guest
 * process writes whole blocks of SIMDISK_BLOCK bytes at that rate, each
 * block a head (disk, block, generation, checksum) and a payload derived
 * from them, and keeps one generation per block in its own memory (the
 * disk ledger: the last pages of memory, past the data pages), so that a
 * guest moved elsewhere can prove its disks hold exactly what it wrote,
 * before, during and after the move.  A block never written is all zeros.
 *
 * Each write goes: the block to the image, then its bit in the disk's
 * dirty log (SIMDIR/domains/N/diskI.dirty, one bit per block, shared
 * with the backend), then the ledger in memory (marked dirty like any
 * page).  The tracker clears a bit before it reads the block, so a block
 * rewritten during the read is reported again.  Writes happen between
 * pause points: a paused or suspended guest's disks and ledger agree.
 */
#ifndef XMIG_SIMDISK_H
#define XMIG_SIMDISK_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"

struct simhost;
struct simmem;
struct simguest_report;

#define SIMDISK_MAX		4
#define SIMDISK_BLOCK		65536u
#define SIMDISK_SIZE_MAX	(UINT64_C(64) << 30)
#define SIMDISK_MAGIC		UINT32_C(0x4b534944)	/* "DISK" */

struct simdisk_cfg {
	unsigned	n;
	uint64_t	rate;		/* bytes/s written to the disks */
	struct {
		char		path[PATH_MAX];
		uint64_t	size;	/* a multiple of SIMDISK_BLOCK */
	}		d[SIMDISK_MAX];
};

/* The head of every written block. */
struct simdisk_blk {
	uint32_t	magic;
	uint32_t	disk;
	uint64_t	block;
	uint32_t	gen;
	uint32_t	csum;		/* of the payload */
};

/*
 * Read the disks of "domid": 0, -ENOENT when it has none, -EINVAL for
 * a bad file (logged).
 */
int	simdisk_cfg_read(struct simhost *h, uint32_t domid,
	    struct simdisk_cfg *c);

/*
 * Give "domid" the disks of c: write its disks file and create its
 * dirty logs (all clear).  The images must exist with their sizes.
 * 0 or a negative errno (logged).
 */
int	simdisk_attach(struct simhost *h, uint32_t domid,
	    const struct simdisk_cfg *c);

/*
 * Create sparse images SIMDIR/disks/NAME-I.img of the sizes in c, never
 * over an existing file, and set their paths in c.  On failure none is
 * left.  0 or a negative errno (logged).
 */
int	simdisk_create_images(struct simhost *h, const char *name,
	    struct simdisk_cfg *c);

/* Remove the images of c (a domain that was never made). */
void	simdisk_remove_images(const struct simdisk_cfg *c);

/* Check the sizes of c (count, multiple of the block, maximum). */
int	simdisk_cfg_check(const struct simdisk_cfg *c, char *why,
	    size_t whylen);

/* Pages of memory the disk ledger of c takes. */
uint64_t simdisk_ledger_pages(const struct simdisk_cfg *c);

/*
 * Lay the disk ledger of c out at the end of a freshly formatted guest's
 * memory (simguest_format()), every block at generation 0, shrinking
 * the working set off it.  -EINVAL if the memory is too small.
 */
int	simdisk_format(struct simmem *m, const struct simdisk_cfg *c);

/*
 * Check every block of every disk of "domid" against the ledger in "m"
 * (the guest paused).  Adds to r's disk fields.  0 all intact, 1 defects
 * (r->disk_error says the first), or a negative errno.
 */
int	simdisk_verify(struct simhost *h, uint32_t domid,
	    const struct simmem *m, struct simguest_report *r);

/* The guest process's disks. */
struct simdisk_io;

/* Open the disks of "domid" for writing; *io NULL when it has none. */
int	simdisk_io_open(struct simhost *h, uint32_t domid,
	    struct simdisk_io **io);
void	simdisk_io_close(struct simdisk_io *io);
/* Bytes per second the guest writes to its disks (0: none). */
uint64_t simdisk_io_rate(const struct simdisk_io *io);
/* Write one block as described above.  0 or -errno (logged once). */
int	simdisk_write_one(struct simdisk_io *io, struct simmem *m);

/* The backend's disk ops (backend.h) on host h. */
int	simdisk_list(struct simhost *h, uint32_t domid, struct be_disk *out,
	    size_t max, size_t *n);
int	simdisk_track_start(struct simhost *h, uint32_t domid, unsigned idx,
	    const struct be_disk *d, uint32_t block, struct disk_track **t);
int	simdisk_track_dirty(struct disk_track *t, uint64_t *bits,
	    uint64_t nblocks);
int	simdisk_track_read(struct disk_track *t, uint64_t off, void *buf,
	    size_t len);
void	simdisk_track_stop(struct disk_track *t);

/*
 * The disks of a restored domain from its config (the libxl "disks"
 * array: pdev_path of each; xmig_sim.disk_rate): c->n 0 when none.
 * Each image must exist as a regular file.  0 or -EINVAL (logged).
 */
int	simdisk_cfg_from_json(const char *json, struct simdisk_cfg *c);

#endif /* XMIG_SIMDISK_H */
