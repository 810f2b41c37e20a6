/*
 * xen_dm.h - an HVM guest's device model (upstream QEMU, "qemu-xen") as
 * the xen backend's save drives it, over QMP as libxl does (private to
 * lib/xen/; no Xen library is used here, so tests run it against a
 * scripted monitor).
 *
 * libxl serialises its own use of a domain's monitor with a flock on
 * XEN_LIB_DIR/userdata-l.DOMID.UUID.qmp-socket-lock (libxl_internal.c,
 * libxl__ev_qmplock_init): every exchange here takes the same lock, so xl
 * and xmig never talk to one QEMU at once.  The lock is held only for the
 * exchange: libxl calls made in between (resume, unpause: "cont") take it
 * themselves, and would wait for ever on one held by their own process.
 */
#ifndef XMIG_XEN_DM_H
#define XMIG_XEN_DM_H

#include <stddef.h>
#include <stdint.h>

/* Debian's XEN_RUN_DIR and XEN_LIB_DIR (Xen's configure). */
#define XEN_DM_RUN_DIR		"/var/run/xen"
#define XEN_DM_LIB_DIR		"/var/lib/xen"

#define XEN_DM_PATH_MAX		256
/* The device-state file must fit one libxl record with its sub-header. */
#define XEN_DM_STATE_MAX	((128U << 20) - 8)

struct xen_dm {
	uint32_t	domid;
	int		timeout_ms;	/* connect, lock, and each command */
	int		save_timeout_ms;	/* xen-save-devices-state */
	char		sock[108];	/* QEMU's monitor: qmp-libxl-DOMID */
	char		lock[XEN_DM_PATH_MAX];
	char		state[XEN_DM_PATH_MAX];	/* libxl's qemu-save.DOMID */
};

/* One exchange with the monitor: libxl's lock, then the connection. */
struct qmpclient;
struct qmp_msg;
struct xen_dm_conn {
	int			 lockfd;
	struct qmpclient	*q;
};

/*
 * Fill *dm for domain "domid" whose uuid is "uuid", with libxl's paths
 * under run_dir and lib_dir (XEN_DM_RUN_DIR, XEN_DM_LIB_DIR but in
 * tests).  Returns 0, or -ENAMETOOLONG (logged).
 */
int	xen_dm_init(struct xen_dm *dm, uint32_t domid, const uint8_t uuid[16],
	    const char *run_dir, const char *lib_dir);

/*
 * Take libxl's monitor lock "path" (created if missing), waiting up to
 * timeout_ms for another holder.  *fd is the lock on success.  Returns 0,
 * -ETIMEDOUT (logged: another toolstack holds it) or a negative errno
 * (logged).
 */
int	xen_dm_lock(const char *path, int timeout_ms, int *fd);

/* Release a lock from xen_dm_lock() as libxl does (unlink, unlock). */
void	xen_dm_unlock(const char *path, int fd);

/*
 * Take the monitor's lock and connect (xen_dm_open: 0 or a negative
 * errno, logged, with nothing held); run one command (xen_dm_exec:
 * logged on failure; xen_dm_call: not logged, the reason in why, the
 * answer in reply if not NULL, dm->timeout_ms); disconnect and unlock
 * (xen_dm_close).  See qmpclient.h for the errors.
 */
int	xen_dm_open(const struct xen_dm *dm, struct xen_dm_conn *c);
int	xen_dm_exec(const struct xen_dm *dm, struct xen_dm_conn *c,
	    const char *name, const char *args, int timeout_ms);
int	xen_dm_call(const struct xen_dm *dm, struct xen_dm_conn *c,
	    const char *name, const char *args, struct qmp_msg *reply,
	    char *why, size_t whylen);
void	xen_dm_close(const struct xen_dm *dm, struct xen_dm_conn *c);

/* 1 if s can go into JSON text as it is (nothing needs escaping). */
int	xen_dm_json_safe(const char *s);

/*
 * QMP xen-set-global-dirty-log {"enable": enable}: QEMU's own writes to
 * guest memory are marked dirty while a save runs (libxenguest's
 * switch_qemu_logdirty).  Returns 0 or a negative errno (logged): see
 * qmpclient.h for the meaning of each.
 */
int	xen_dm_logdirty(const struct xen_dm *dm, int enable);

/*
 * With the guest suspended: QMP "stop", then xen-save-devices-state into
 * dm->state ("live": false, as libxl).  QEMU stays stopped (a resume's
 * "cont" restarts it).  Returns 0 with the file written, or a negative
 * errno (logged) with the file removed.
 */
int	xen_dm_suspend(const struct xen_dm *dm);

/*
 * Read the state file written by xen_dm_suspend() into *buf (malloc()ed,
 * *len bytes; the caller frees it) and remove the file.  Returns 0,
 * -EFBIG over XEN_DM_STATE_MAX, -ENODATA for an empty file, or another
 * negative errno; logged.  The file is removed in every case.
 */
int	xen_dm_take_state(const struct xen_dm *dm, uint8_t **buf,
	    size_t *len);

/* Remove the state file if it is there (after a failed save). */
void	xen_dm_discard_state(const struct xen_dm *dm);

/*
 * Does a device model listen on dm->sock?  1 if a connection is taken
 * (or cannot be told: assumed alive), 0 if nothing listens there (the
 * socket or its listener is gone).  Changes nothing.
 */
int	xen_dm_alive(const struct xen_dm *dm);

/*
 * Append "key" and "value", each with its NUL, to the buffer *buf of *len
 * bytes (realloc()ed), as libxl encodes EMULATOR_XENSTORE_DATA.  Returns
 * 0, -ENOMEM, or -EFBIG past XEN_DM_STATE_MAX.
 */
int	xen_dm_xsdata_append(char **buf, size_t *len, const char *key,
	    const char *value);

#endif /* XMIG_XEN_DM_H */
