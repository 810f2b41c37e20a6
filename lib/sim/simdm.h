/*
 * simdm.h - the simulated device model of an HVM sim domain: a process of
 * its own, as QEMU is beside a real HVM guest, that holds device state
 * the guest changes as it runs, and answers QMP on a unix socket with the
 * commands a Xen toolstack sends QEMU around a save and a restore:
 *   qmp_capabilities (required first, as QEMU requires it), query-status,
 *   stop, cont, xen-set-global-dirty-log, xen-save-devices-state
 *   {"filename"}, xen-load-devices-state {"filename"}, quit.
 * Anything else: CommandNotFound; bad arguments: GenericError.  One
 * monitor client at a time, as QEMU serves its socket.
 *
 * The device: one register.  The guest's I/O is a line "inc\n" on the
 * device socket; while the device model runs it increments the register
 * and answers the new value ("N\n"); stopped, it answers "stopped\n" and
 * changes nothing.  "peek\n" answers the register, running or not, and
 * changes nothing: the probe of "xmig sim check".  The guest keeps the
 * last value it was given in its own memory, so a state that was
 * dropped (0) or taken before the guest last used the device (smaller)
 * is caught by comparing the two.
 *
 * The state file is QEMU's device-state format (protocol/qevm.h): one
 * FULL section "xmig-simdev" (instance 0, version 1) of 16 bytes, be64
 * register then be64 the number of I/Os served, then the end marker; so
 * "xmig verify" reads sim and real files alike.
 */
#ifndef XMIG_SIMDM_H
#define XMIG_SIMDM_H

#include <stddef.h>
#include <stdint.h>

#define SIMDM_SECTION		"xmig-simdev"
#define SIMDM_STATE_LEN		16
#define SIMDM_FILE_MAX		64	/* no state file is longer */

struct simdm_state {
	uint64_t	reg;		/* the device register */
	uint64_t	ios;		/* I/Os served since creation */
};

struct simdm_params {
	const char	*qmp_path;	/* the monitor's socket */
	const char	*dev_path;	/* the device's (guest I/O) */
	const char	*incoming;	/* a state file to load, or NULL */
	int		 ready_fd;	/* gets "ready\n", closed; or -1 */
};

/*
 * Run the device model until "quit" or SIGTERM: bind both sockets, load
 * "incoming" if given (and then start stopped, as QEMU started with
 * -incoming does, until "cont"), serve.  Returns 0, or a negative errno
 * (logged) when it could not start; a refused incoming state is also
 * told on ready_fd ("refused: WHY\n").
 *
 * Fault points (lib/fault.h), read from its environment:
 * "simdm-save-devices" (killed inside xen-save-devices-state, before a
 * byte is written) and "simdm-refuse-state" (every state to load is
 * refused).
 */
int	simdm_run(const struct simdm_params *p);

/*
 * Encode s as a state file into buf (SIMDM_FILE_MAX bytes); returns its
 * length.  Decode a state file of len bytes into *s: 0, or -EBADMSG with
 * a reason in why (checked with qevm_check(), then the section must be
 * ours and exactly SIMDM_STATE_LEN bytes long).
 */
size_t	simdm_encode(const struct simdm_state *s, uint8_t *buf);
int	simdm_decode(const uint8_t *buf, size_t len, struct simdm_state *s,
	    char *why, size_t whylen);

/* ---------------------------------------------- simdm_proc.c */

struct simhost;

/*
 * The device model of an HVM sim domain runs beside its guest process:
 * started with the domain (or, restored, with the domain's state to
 * load), killed with it.  Its files are in the domain's directory:
 * dm.pid, dm.log, and the sockets dm-qmp.sock (the monitor, as QEMU's
 * /var/run/xen/qmp-libxl-DOMID) and dm-dev.sock (the guest's I/O).
 */

/* Build both socket paths (len bytes each): 0 or -ENAMETOOLONG. */
int	simdm_paths(const char *dir, uint32_t domid, char *qmp, char *dev,
	    size_t len);

/*
 * Start domain "domid"'s device model, detached: with "exe" it runs
 * "exe sim dm --sim-dir DIR --domid N [--incoming FILE] --ready-fd 3",
 * without it a forked child runs it.  Writes dm.pid, then waits (at
 * most 10 s) until it listens.  Returns 0; -EBADMSG if it refused the
 * "incoming" state (the reason in why), another negative errno if it
 * did not start (logged); on failure no device model is left.
 */
int	simdm_spawn(struct simhost *h, uint32_t domid, const char *exe,
	    const char *incoming, char *why, size_t whylen);

/* As simguest_alive() and simguest_kill(), for the device model. */
int	simdm_alive(struct simhost *h, uint32_t domid);
int	simdm_kill(struct simhost *h, uint32_t domid);

/*
 * The device register of domain "domid"'s device model, read through
 * its device socket without changing it.  0, or a negative errno with
 * the reason in why (-ECONNREFUSED / -ENOENT: no device model).
 */
int	simdm_peek(struct simhost *h, uint32_t domid, uint64_t *reg,
	    char *why, size_t whylen);

#endif /* XMIG_SIMDM_H */
