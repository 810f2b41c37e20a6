/*
 * be_sim_dm.c - an HVM sim domain's device model, driven over QMP (see
 * be_sim_dm.h).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "be_sim.h"
#include "be_sim_dm.h"
#include "libxl_stream.h"
#include "log.h"
#include "qmpclient.h"
#include "simdm.h"
#include "simhost.h"
#include "util.h"

#define DM_OPEN_TIMEOUT_MS	5000
#define DM_CMD_TIMEOUT_MS	10000
#define DM_SAVE_TIMEOUT_MS	30000

static int
dm_open(struct backend *be, uint32_t domid, struct qmpclient **q)
{
	char qmp[PATH_MAX], dev[PATH_MAX], why[300];
	int rc;

	if ((rc = simdm_paths(simhost_dir(be_sim_host(be)), domid, qmp, dev,
	    sizeof(qmp))) != 0)
		return rc;
	if ((rc = qmpclient_open(q, qmp, DM_OPEN_TIMEOUT_MS, why,
	    sizeof(why))) != 0)
		log_warnx("domain %u: device model: %s", domid, why);
	return rc;
}

/* Run the commands in turn on one connection; stop at the first error. */
static int
dm_run(struct backend *be, uint32_t domid, const char *const cmd[][2],
    size_t n, int timeout_ms)
{
	struct qmpclient *q;
	char why[300];
	size_t i;
	int rc;

	if ((rc = dm_open(be, domid, &q)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		if ((rc = qmpclient_execute(q, cmd[i][0], cmd[i][1],
		    timeout_ms, NULL, why, sizeof(why))) != 0) {
			log_warnx("domain %u: device model: %s: %s", domid,
			    cmd[i][0], why);
			break;
		}
	}
	qmpclient_close(q);
	return rc;
}

int
be_sim_dm_ping(struct backend *be, uint32_t domid)
{
	static const char *const cmd[][2] = { { "query-status", NULL } };

	return dm_run(be, domid, cmd, 1, DM_CMD_TIMEOUT_MS);
}

int
be_sim_dm_logdirty(struct backend *be, uint32_t domid, int enable)
{
	const char *const cmd[][2] = { { "xen-set-global-dirty-log",
	    enable ? "{\"enable\": true}" : "{\"enable\": false}" } };

	return dm_run(be, domid, cmd, 1, DM_CMD_TIMEOUT_MS);
}

int
be_sim_dm_cont(struct backend *be, uint32_t domid)
{
	static const char *const cmd[][2] = { { "cont", NULL } };

	return dm_run(be, domid, cmd, 1, DM_CMD_TIMEOUT_MS);
}

/* SIMDIR/domains/N/leaf into buf. */
static int
dm_file(struct backend *be, uint32_t domid, const char *leaf, char *buf,
    size_t len)
{
	return simhost_dom_path(be_sim_host(be), domid, leaf, buf, len);
}

/* Read the state file the device model wrote: *data malloc()ed. */
static int
dm_read_state(uint32_t domid, const char *path, uint8_t **data,
    size_t *len)
{
	struct stat st;
	ssize_t n;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		rc = -errno;
		log_warn("domain %u: the device model wrote no state file %s",
		    domid, path);
		return rc;
	}
	rc = -EFBIG;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > BE_SIM_DM_STATE_MAX) {
		log_warnx("domain %u: device state file %s: not a file of 1 "
		    "to %u bytes", domid, path, BE_SIM_DM_STATE_MAX);
		goto out;
	}
	rc = -ENOMEM;
	if ((*data = malloc((size_t)st.st_size)) == NULL)
		goto out;
	n = util_read_full(fd, *data, (size_t)st.st_size);
	if (n != (ssize_t)st.st_size) {
		log_warnx("domain %u: device state file %s: short read",
		    domid, path);
		free(*data);
		*data = NULL;
		rc = n < 0 ? (int)n : -EIO;
		goto out;
	}
	*len = (size_t)st.st_size;
	rc = 0;
out:
	close(fd);
	return rc;
}

int
be_sim_dm_save(struct backend *be, uint32_t domid, struct emu_recs *emu,
    int stop)
{
	char path[PATH_MAX], args[PATH_MAX + 64];
	const char *cmd[2][2];
	uint8_t *data = NULL;
	size_t n = 0, len = 0;
	int rc;

	if ((rc = dm_file(be, domid, "dm-save.state", path,
	    sizeof(path))) != 0)
		return rc;
	/* The path is ours (no quote, no backslash): safe in JSON. */
	if (strpbrk(path, "\"\\") != NULL) {
		log_warnx("%s: not usable in a QMP command", path);
		return -EINVAL;
	}
	snprintf(args, sizeof(args), "{\"filename\": \"%s\", \"live\": "
	    "false}", path);
	if (stop) {
		cmd[n][0] = "stop";
		cmd[n++][1] = NULL;
	}
	cmd[n][0] = "xen-save-devices-state";
	cmd[n++][1] = args;
	(void)unlink(path);
	if ((rc = dm_run(be, domid, (const char *const (*)[2])cmd, n,
	    DM_SAVE_TIMEOUT_MS)) != 0 ||
	    (rc = dm_read_state(domid, path, &data, &len)) != 0)
		goto out;
	if ((rc = emu_recs_add(emu, LIBXL_REC_EMULATOR_CONTEXT,
	    LIBXL_EMU_QEMU_UPSTREAM, 0, data, len)) != 0)
		log_warnx("domain %u: cannot keep the device state: %s",
		    domid, strerror(-rc));
	else
		log_debug("domain %u: device state saved, %zu bytes", domid,
		    len);
out:
	(void)unlink(path);
	free(data);
	return rc;
}

static const struct emu_rec *
dm_find(const struct emu_recs *emu)
{
	unsigned i;

	for (i = 0; i < emu->n; i++)
		if (emu->rec[i].type == LIBXL_REC_EMULATOR_CONTEXT &&
		    emu->rec[i].emulator == LIBXL_EMU_QEMU_UPSTREAM &&
		    emu->rec[i].index == 0)
			return &emu->rec[i];
	return NULL;
}

int
be_sim_dm_load(struct backend *be, uint32_t domid,
    const struct emu_recs *emu)
{
	const struct emu_rec *r = dm_find(emu);
	char path[PATH_MAX], why[512];
	int fd, rc = 0;

	if (r == NULL) {
		log_warnx("domain %u: an HVM domain, but the stream carries "
		    "no device model state (EMULATOR_CONTEXT of qemu-upstream)",
		    domid);
		return -ENOENT;
	}
	if ((rc = dm_file(be, domid, "dm-incoming.state", path,
	    sizeof(path))) != 0)
		return rc;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) < 0) {
		rc = -errno;
		log_warn("domain %u: %s", domid, path);
		return rc;
	}
	if (util_write_full(fd, r->data, r->len) != (ssize_t)r->len) {
		rc = -EIO;
		log_warn("domain %u: writing %s", domid, path);
	}
	if (close(fd) != 0 && rc == 0)
		rc = -EIO;
	/* simdm_spawn() logs why it failed. */
	if (rc == 0)
		rc = simdm_spawn(be_sim_host(be), domid, be_sim_exe(be), path,
		    why, sizeof(why));
	(void)unlink(path);
	return rc;
}

int
be_sim_dm_kill(struct simhost *h, uint32_t domid)
{
	return simdm_kill(h, domid);
}
