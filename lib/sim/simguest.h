/*
 * simguest.h - the simulated guest: a workload that dirties pages and
 * can prove that its memory is intact.
 *
 * The guest keeps ALL its state in its own memory, so a domain restored
 * elsewhere continues in a new process where the old one stopped:
 *   page 0          struct simguest_hdr (magic, sizes, working set, the
 *                   global generation, the page chooser's state, counters)
 *   pages 1..L      the ledger: one uint32_t generation per page
 *   pages L+1..     data pages: struct simguest_page (pfn, generation,
 *                   checksum) then a payload of pseudo-random bytes
 *                   derived from (pfn, generation): incompressible
 * Writing a page writes payload and header, marks it dirty, then updates
 * the ledger and page 0 and marks those dirty.  The guest stops only
 * between page writes (see simmem.h), so a paused domain is consistent
 * and simguest_verify() can check every page against the ledger.
 *
 * The guest process ("xmig sim guest", or a forked child) also behaves
 * like a Linux PV guest towards xenstore: it watches
 * /local/domain/N/control/shutdown; on "suspend" it acknowledges by
 * writing "" to the node, finishes its page, enters shutdown(suspend)
 * (recorded in the domain's info; the virtual IRQ is SIGUSR1 to the pid in
 * SIMDIR/xenstored.pid, which fires @releaseDomain) and waits for a
 * resume (the suspend is then cancelled and it continues) or to be
 * killed.  "poweroff" and "reboot" end the process in shutdown(poweroff)
 * or shutdown(reboot).  A guest created with ignore_suspend never
 * acknowledges anything.
 *
 * Device I/O (HVM domains): every SIMGUEST_IO_MS while it runs, the
 * guest sends "inc" to its device model (simdm.h) and keeps the answer,
 * the device register, in page 0 (dev_seen).  The register only grows,
 * and the guest is its only user: an answer not above what it saw
 * before means the device model lost its state (dropped: it restarted
 * from 0) or was given an old one (stale).  The guest records the first
 * such answer in page 0 for simguest_check() to report; a device model
 * that is stopped ("stopped") or absent changes nothing.  An I/O is one
 * step, like a page write: a paused or suspended guest has recorded
 * every answer it was given.
 *
 * A guest with no_pv_drivers (HVM only) reads nothing from xenstore:
 * it is suspended by the hypervisor (the backend's suspend_hypercall).
 *
 * A guest process that died without shutting down leaves its domain
 * crashed: the backend reports it as shutdown(crash) (simguest_alive()).
 */
#ifndef XMIG_SIMGUEST_H
#define XMIG_SIMGUEST_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "simhost.h"
#include "simmem.h"

#define SIMGUEST_MAGIC		UINT64_C(0x31545345554d4758)	/* XGMUEST1 */
#define SIMGUEST_VERSION	1
#define SIMGUEST_MIN_PAGES	16
#define SIMGUEST_MODE_RANDOM	0
#define SIMGUEST_MODE_SEQ	1

/* Page 0. */
struct simguest_hdr {
	uint64_t	magic;
	uint32_t	version;
	uint32_t	mode;		/* SIMGUEST_MODE_* */
	uint64_t	npages;
	uint64_t	ledger_start;	/* first ledger page (1) */
	uint64_t	ledger_pages;
	uint64_t	ws_start;	/* first page of the working set */
	uint64_t	ws_pages;	/* pages in the working set */
	uint64_t	generation;	/* page writes since creation */
	uint64_t	prng;		/* page chooser state */
	uint64_t	cursor;		/* sequential mode: next offset */
	uint64_t	suspends;	/* suspends acknowledged */
	uint64_t	resumes;	/* suspends cancelled */
	/* HVM: the guest's view of its device (see "Device I/O" above) */
	uint64_t	dev_seen;	/* the register, as last answered */
	uint64_t	dev_ios;	/* I/Os answered */
	uint64_t	dev_bad_seen;	/* the first time it went back: */
	uint64_t	dev_bad_got;	/* had seen this, answered that */
	uint32_t	dev_bad;	/* 1 once it went back */
	uint32_t	dev_pad;
	/* Disks (simdisk.h): their ledger is the last disk_pages pages */
	uint64_t	disk_pages;
	uint64_t	disk_count;
	uint64_t	disk_blocks[4];	/* blocks per disk */
	uint64_t	disk_writes;	/* blocks written */
	uint64_t	disk_prng;	/* block chooser state */
};

/* The head of every data page. */
struct simguest_page {
	uint64_t	pfn;
	uint32_t	gen;
	uint32_t	csum;		/* of the payload */
};

#define SIMGUEST_PAYLOAD	(SIMMEM_PAGE_SIZE - sizeof(struct simguest_page))

enum simguest_defect {
	SIMGUEST_OK = 0,
	SIMGUEST_MISSING,	/* all zeros */
	SIMGUEST_MISPLACED,	/* holds another pfn */
	SIMGUEST_STALE,		/* older generation than the ledger */
	SIMGUEST_AHEAD,		/* newer generation than the ledger */
	SIMGUEST_CORRUPTED,	/* payload or checksum wrong */
};

#define SIMGUEST_REPORT_MAX	8
#define SIMGUEST_IO_MS		10

struct simguest_report {
	uint64_t	pages;		/* pages checked */
	uint64_t	bad;		/* defective pages */
	uint64_t	generation;	/* the header's */
	char		header_error[128];	/* "" if page 0 is sane */
	size_t		nfirst;
	struct {
		uint64_t		pfn;
		enum simguest_defect	kind;
		char			why[96];
	}		first[SIMGUEST_REPORT_MAX];
	/* simguest_check() of an HVM domain: its device model's state */
	int		device;		/* 1: checked, fields below valid */
	uint64_t	dev_reg;	/* the device model's register */
	uint64_t	dev_seen;	/* the guest's last answer */
	char		dev_error[192];	/* "" if the device state is sane */
	/* simguest_check() of a domain with disks (simdisk.h) */
	uint64_t	disk_blocks;	/* blocks checked */
	uint64_t	disk_bad;	/* defective blocks */
	char		disk_error[192];	/* the first defect, or "" */
};

/* "missing", "misplaced", ... */
const char *simguest_defect_name(enum simguest_defect k);

/*
 * Lay out a new guest in "m": header, ledger, and every data page at
 * generation 0 (so an idle domain's memory is incompressible).
 * "ws_bytes" is the working set (0 or more than the data pages: all).
 * Marks nothing dirty.  Returns 0 or -EINVAL (too small).
 */
int	simguest_format(struct simmem *m, uint64_t ws_bytes, unsigned mode);

/*
 * Check every page of a guest that is NOT writing (paused or stopped).
 * Fills *r; returns 0 when all is intact, 1 when defects were found
 * (r says which), or a negative errno.  Uses no heap for the pages.
 */
int	simguest_verify(const struct simmem *m, struct simguest_report *r);

/*
 * Is page 0 of "m" a sane guest header?  0, or -EINVAL with the reason
 * in "why".  Run before trusting a header found in memory.
 */
int	simguest_header_ok(const struct simmem *m, char *why, size_t len);

/*
 * The full check of domain "domid" on host "h": pause the guest
 * (cooperatively) if it runs, verify, and for an HVM domain compare its
 * device model's register with the guest's view of it (dev_error says
 * what is wrong: the device model absent, the state dropped or stale),
 * let it go again.  Same returns as simguest_verify() (1 also for a
 * device defect); -ETIMEDOUT if the guest would not pause.
 */
int	simguest_check(struct simhost *h, uint32_t domid,
	    struct simguest_report *r);

/*
 * Write one page the way the guest does (choose it, write it, mark it
 * and the ledger and header dirty).  For the workload loop and tests.
 * Returns the pfn written.
 */
uint64_t simguest_write_one(struct simmem *m);

/*
 * The guest process's main: run domain "domid" of host "dir" until it is
 * killed or shuts down.  Writes its pid to SIMDIR/domains/N/guest.pid,
 * connects to xenstore, then writes one byte to "ready_fd" (if >= 0)
 * and closes it.  Returns an exit status (0 after a poweroff/reboot).
 */
int	simguest_run(const char *dir, uint32_t domid, int ready_fd);

/*
 * Start the guest process of "domid", detached (its own session, stdin
 * and stdout on /dev/null, stderr to SIMDIR/domains/N/guest.log): with
 * "exe" it runs "exe sim guest --sim-dir DIR --domid N --ready-fd 3",
 * without it a forked child calls simguest_run().  Waits (at most 10 s)
 * until the guest says it runs.  Returns 0 and sets *pid, or a negative
 * errno.
 */
int	simguest_spawn(const char *dir, uint32_t domid, const char *exe,
	    pid_t *pid);

/*
 * The guest process of "domid": 0 and *pid if it runs, -ENOENT if none
 * was started (no pid file), -ESRCH if it died.
 */
int	simguest_alive(struct simhost *h, uint32_t domid, pid_t *pid);

/*
 * Kill the guest process of "domid" (SIGKILL) and wait, at most 5 s,
 * until it is gone.  0 if there is none.
 */
int	simguest_kill(struct simhost *h, uint32_t domid);

#endif /* XMIG_SIMGUEST_H */
