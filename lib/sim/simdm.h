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
 * changes nothing.  The guest keeps the last value it was given in its
 * own memory, so a state that was dropped (0) or taken before the guest
 * last used the device (smaller) is caught by comparing the two.
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
 * (logged) when it could not start.
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

#endif /* XMIG_SIMDM_H */
