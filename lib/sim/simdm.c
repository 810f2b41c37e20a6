/*
 * simdm.c - the simulated device model (see simdm.h).
 */
#include "config.h"

#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cursor.h"
#include "fault.h"
#include "log.h"
#include "qevm.h"
#include "qmp.h"
#include "simdm.h"
#include "util.h"

#define SIMDM_DEV_CLIENTS	8
#define SIMDM_DEV_LINE		16

struct simdm_conn {
	int		 fd;
	char		*buf;
	size_t		 len;
	size_t		 cap;
};

struct simdm {
	struct simdm_state st;
	int		 running;
	int		 dirty_log;
	int		 negotiated;	/* qmp_capabilities came */
	int		 quit;
	int		 lq, ld, sfd;	/* listeners, signals */
	struct simdm_conn q;		/* monitor client; fd -1 none */
	struct simdm_conn dev[SIMDM_DEV_CLIENTS];
};

size_t
simdm_encode(const struct simdm_state *s, uint8_t *buf)
{
	size_t n = QEVM_HDR_SIZE;

	qevm_put_header(buf);
	qevm_put_section(buf + n, 0, SIMDM_SECTION, 0, 1);
	n += qevm_section_size(SIMDM_SECTION);
	store_be64(buf + n, s->reg);
	store_be64(buf + n + 8, s->ios);
	n += SIMDM_STATE_LEN;
	buf[n++] = QEVM_SEC_EOF;
	return n;
}

int
simdm_decode(const uint8_t *buf, size_t len, struct simdm_state *s,
    char *why, size_t whylen)
{
	size_t hdr = QEVM_HDR_SIZE + qevm_section_size(SIMDM_SECTION);
	struct qevm_info info;
	struct srerr e;
	char ebuf[300];

	srerr_clear(&e);
	if (qevm_check(buf, len, 0, &info, &e) != 0) {
		snprintf(why, whylen, "%s", srerr_format(&e, ebuf,
		    sizeof(ebuf)));
		return -EBADMSG;
	}
	if (!info.has_sections || strcmp(info.first, SIMDM_SECTION) != 0 ||
	    info.first_version != 1 || info.machine[0] != '\0' ||
	    len != hdr + SIMDM_STATE_LEN + 1) {
		snprintf(why, whylen, "not the simulated device's state (first "
		    "section \"%s\", %zu bytes)", info.first, len);
		return -EBADMSG;
	}
	s->reg = load_be64(buf + hdr);
	s->ios = load_be64(buf + hdr + 8);
	return 0;
}

/* ------------------------------------------------------------ monitor */

static void
simdm_send(struct simdm *d, const char *buf, int n)
{
	if (n > 0 && d->q.fd >= 0 &&
	    util_write_full(d->q.fd, buf, (size_t)n) != (ssize_t)n) {
		close(d->q.fd);
		d->q.fd = -1;
	}
}

static void
simdm_return(struct simdm *d, const char *value, int64_t id)
{
	char buf[512];

	simdm_send(d, buf, qmp_encode_return(buf, sizeof(buf), value, id));
}

static void
simdm_error(struct simdm *d, const char *cls, const char *desc, int64_t id)
{
	char buf[512];

	simdm_send(d, buf, qmp_encode_error(buf, sizeof(buf), cls, desc, id));
}

static void
simdm_event(struct simdm *d, const char *name)
{
	char buf[256];

	simdm_send(d, buf, qmp_encode_event(buf, sizeof(buf), name, NULL));
}

static const char *
simdm_arg_str(yajl_val args, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val v;

	if (args == NULL || (v = yajl_tree_get(args, path,
	    yajl_t_string)) == NULL)
		return NULL;
	return YAJL_GET_STRING(v);
}

static int
simdm_arg_bool(yajl_val args, const char *key, int *out)
{
	const char *path[] = { key, NULL };
	yajl_val v;

	if (args == NULL || (v = yajl_tree_get(args, path, yajl_t_any)) ==
	    NULL || (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v)))
		return -1;
	*out = YAJL_IS_TRUE(v);
	return 0;
}

static int
simdm_save(struct simdm *d, const char *path)
{
	uint8_t buf[SIMDM_FILE_MAX];
	size_t n = simdm_encode(&d->st, buf);
	int fd, rc = 0;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0)
		return -errno;
	if (util_write_full(fd, buf, n) != (ssize_t)n || fsync(fd) != 0)
		rc = -EIO;
	if (close(fd) != 0 && rc == 0)
		rc = -EIO;
	return rc;
}

static int
simdm_load(struct simdm *d, const char *path, char *why, size_t whylen)
{
	uint8_t buf[SIMDM_FILE_MAX + 1];
	ssize_t n;
	int fd;

	if (fault_armed("simdm-refuse-state")) {
		snprintf(why, whylen, "%s: refused (fault point "
		    "simdm-refuse-state)", path);
		return -EBADMSG;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	n = util_read_full(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror((int)-n));
		return (int)n;
	}
	return simdm_decode(buf, (size_t)n, &d->st, why, whylen);
}

static void
simdm_status(struct simdm *d, int64_t id)
{
	char v[128];

	snprintf(v, sizeof(v), "{\"status\": \"%s\", \"singlestep\": false, "
	    "\"running\": %s}", d->running ? "running" : "paused",
	    d->running ? "true" : "false");
	simdm_return(d, v, id);
}

/* One command from the monitor client. */
static void
simdm_command(struct simdm *d, const struct qmp_msg *m)
{
	char why[300];
	const char *file;
	int on;

	if (!d->negotiated && strcmp(m->name, "qmp_capabilities") != 0) {
		simdm_error(d, "CommandNotFound", "Expecting capabilities "
		    "negotiation with 'qmp_capabilities'", m->id);
		return;
	}
	if (strcmp(m->name, "qmp_capabilities") == 0) {
		d->negotiated = 1;
		simdm_return(d, NULL, m->id);
	} else if (strcmp(m->name, "query-status") == 0)
		simdm_status(d, m->id);
	else if (strcmp(m->name, "stop") == 0) {
		if (d->running)
			simdm_event(d, "STOP");
		d->running = 0;
		simdm_return(d, NULL, m->id);
	} else if (strcmp(m->name, "cont") == 0) {
		if (!d->running)
			simdm_event(d, "RESUME");
		d->running = 1;
		simdm_return(d, NULL, m->id);
	} else if (strcmp(m->name, "xen-set-global-dirty-log") == 0) {
		if (simdm_arg_bool(m->value, "enable", &on) != 0) {
			simdm_error(d, "GenericError", "Parameter 'enable' is "
			    "missing", m->id);
			return;
		}
		if (d->dirty_log != on)
			log_info("simdm: dirty log %s", on ? "on" : "off");
		d->dirty_log = on;
		simdm_return(d, NULL, m->id);
	} else if (strcmp(m->name, "xen-save-devices-state") == 0) {
		if ((file = simdm_arg_str(m->value, "filename")) == NULL) {
			simdm_error(d, "GenericError", "Parameter 'filename' "
			    "is missing", m->id);
			return;
		}
		/* A device model dying in the middle of the save. */
		fault_point("simdm-save-devices", -1);
		/* QEMU stops the VM for the save and restarts it after. */
		if (simdm_save(d, file) != 0) {
			simdm_error(d, "GenericError", "An IO error has "
			    "occurred", m->id);
			return;
		}
		log_info("simdm: device state saved to %s (register %llu)",
		    file, (unsigned long long)d->st.reg);
		simdm_return(d, NULL, m->id);
	} else if (strcmp(m->name, "xen-load-devices-state") == 0) {
		if ((file = simdm_arg_str(m->value, "filename")) == NULL) {
			simdm_error(d, "GenericError", "Parameter 'filename' "
			    "is missing", m->id);
			return;
		}
		if (d->running) {
			simdm_error(d, "GenericError", "Cannot update device "
			    "state while vm is running", m->id);
			return;
		}
		if (simdm_load(d, file, why, sizeof(why)) != 0) {
			log_warnx("simdm: %s", why);
			simdm_error(d, "GenericError", "An IO error has "
			    "occurred", m->id);
			return;
		}
		simdm_return(d, NULL, m->id);
	} else if (strcmp(m->name, "quit") == 0) {
		simdm_return(d, NULL, m->id);
		d->quit = 1;
	} else {
		snprintf(why, sizeof(why), "The command %s has not been found",
		    m->name);
		simdm_error(d, "CommandNotFound", why, m->id);
	}
}

/* ------------------------------------------------------------ I/O */

/*
 * Read what is there into c's buffer (at most "max" bytes pending).
 * Returns 0, or -1 when the peer is gone or sent a line too long.
 */
static int
simdm_fill(struct simdm_conn *c, size_t max)
{
	ssize_t n;
	char *p;

	if (c->cap < max) {
		if ((p = realloc(c->buf, max)) == NULL)
			return -1;
		c->buf = p;
		c->cap = max;
	}
	if (c->len >= max)
		return -1;
	n = read(c->fd, c->buf + c->len, max - c->len);
	if (n <= 0)
		return n < 0 && errno == EINTR ? 0 : -1;
	c->len += (size_t)n;
	return 0;
}

/* Take the next whole line out of c (without its line end); 0 if none. */
static int
simdm_line(struct simdm_conn *c, char *out, size_t outlen, size_t *len)
{
	char *nl = memchr(c->buf, '\n', c->len);
	size_t n;

	if (nl == NULL)
		return 0;
	n = (size_t)(nl - c->buf);
	*len = n > 0 && nl[-1] == '\r' ? n - 1 : n;
	if (*len >= outlen)
		*len = outlen - 1;
	memcpy(out, c->buf, *len);
	out[*len] = '\0';
	c->len -= n + 1;
	memmove(c->buf, nl + 1, c->len);
	return 1;
}

static void
simdm_conn_close(struct simdm_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->len = 0;
}

static void
simdm_monitor_input(struct simdm *d)
{
	static char line[QMP_LINE_MAX + 1];
	struct qmp_msg m;
	char err[128];
	size_t len;

	if (simdm_fill(&d->q, QMP_LINE_MAX + 2) != 0) {
		simdm_conn_close(&d->q);
		return;
	}
	while (d->q.fd >= 0 && simdm_line(&d->q, line, sizeof(line), &len)) {
		if (qmp_decode(line, len, &m, err, sizeof(err)) != 0 ||
		    m.kind != QMP_COMMAND) {
			if (m.tree != NULL)
				qmp_msg_clear(&m);
			simdm_error(d, "GenericError", "Invalid JSON syntax",
			    -1);
			continue;
		}
		simdm_command(d, &m);
		qmp_msg_clear(&m);
	}
}

static void
simdm_device_input(struct simdm *d, struct simdm_conn *c)
{
	char line[SIMDM_DEV_LINE], out[32];
	size_t len;
	int n;

	if (simdm_fill(c, SIMDM_DEV_LINE) != 0) {
		simdm_conn_close(c);
		return;
	}
	while (c->fd >= 0 && simdm_line(c, line, sizeof(line), &len)) {
		if (strcmp(line, "peek") == 0)
			n = snprintf(out, sizeof(out), "%llu\n",
			    (unsigned long long)d->st.reg);
		else if (strcmp(line, "inc") != 0)
			n = snprintf(out, sizeof(out), "error\n");
		else if (!d->running)
			n = snprintf(out, sizeof(out), "stopped\n");
		else {
			d->st.reg++;
			d->st.ios++;
			n = snprintf(out, sizeof(out), "%llu\n",
			    (unsigned long long)d->st.reg);
		}
		if (util_write_full(c->fd, out, (size_t)n) != n)
			simdm_conn_close(c);
	}
}

static int
simdm_listen(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (util_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) != 0)
		return -ENAMETOOLONG;
	unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(fd, 8) != 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

static void
simdm_accept_monitor(struct simdm *d)
{
	char buf[256];

	if ((d->q.fd = accept4(d->lq, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return;
	d->q.len = 0;
	d->negotiated = 0;
	simdm_send(d, buf, qmp_encode_greeting(buf, sizeof(buf), 7, 2, 0));
}

static void
simdm_accept_device(struct simdm *d)
{
	int fd, i;

	if ((fd = accept4(d->ld, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return;
	for (i = 0; i < SIMDM_DEV_CLIENTS; i++)
		if (d->dev[i].fd < 0) {
			d->dev[i].fd = fd;
			d->dev[i].len = 0;
			return;
		}
	close(fd);	/* a full device: the guest retries */
}

static void
simdm_loop(struct simdm *d)
{
	struct pollfd pfd[4 + SIMDM_DEV_CLIENTS];
	int i, n;

	while (!d->quit) {
		n = 0;
		pfd[n++] = (struct pollfd){ .fd = d->sfd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = d->ld, .events = POLLIN };
		/* One monitor client at a time, as QEMU: no accept then. */
		pfd[n++] = (struct pollfd){ .fd = d->q.fd >= 0 ? d->q.fd :
		    d->lq, .events = POLLIN };
		for (i = 0; i < SIMDM_DEV_CLIENTS; i++)
			pfd[n++] = (struct pollfd){ .fd = d->dev[i].fd,
			    .events = POLLIN };
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("simdm: poll");
			return;
		}
		if (pfd[0].revents != 0)
			return;		/* SIGTERM, SIGINT */
		if (pfd[1].revents != 0)
			simdm_accept_device(d);
		if (pfd[2].revents != 0) {
			if (d->q.fd >= 0)
				simdm_monitor_input(d);
			else
				simdm_accept_monitor(d);
		}
		for (i = 0; i < SIMDM_DEV_CLIENTS; i++)
			if (d->dev[i].fd >= 0 && pfd[3 + i].revents != 0)
				simdm_device_input(d, &d->dev[i]);
	}
}

int
simdm_run(const struct simdm_params *p)
{
	struct simdm d;
	sigset_t set;
	char why[300];
	int i, rc;

	memset(&d, 0, sizeof(d));
	d.q.fd = d.lq = d.ld = d.sfd = -1;
	for (i = 0; i < SIMDM_DEV_CLIENTS; i++)
		d.dev[i].fd = -1;
	d.running = p->incoming == NULL;
	if (p->incoming != NULL &&
	    (rc = simdm_load(&d, p->incoming, why, sizeof(why))) != 0) {
		log_warnx("simdm: cannot load the incoming state: %s", why);
		if (p->ready_fd >= 0) {
			dprintf(p->ready_fd, "refused: %s\n", why);
			close(p->ready_fd);
		}
		return rc;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0 ||
	    (d.sfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0) {
		log_warn("simdm: signalfd");
		return -errno;
	}
	if ((d.lq = simdm_listen(p->qmp_path)) < 0 ||
	    (d.ld = simdm_listen(p->dev_path)) < 0) {
		rc = d.lq < 0 ? d.lq : d.ld;
		log_warnx("simdm: cannot listen on %s: %s", d.lq < 0 ?
		    p->qmp_path : p->dev_path, strerror(-rc));
		goto out;
	}
	if (p->ready_fd >= 0) {
		(void)util_write_full(p->ready_fd, "ready\n", 6);
		close(p->ready_fd);
	}
	log_info("simdm: device model up (register %llu, %s)",
	    (unsigned long long)d.st.reg, d.running ? "running" : "stopped");
	simdm_loop(&d);
	rc = 0;
out:
	simdm_conn_close(&d.q);
	for (i = 0; i < SIMDM_DEV_CLIENTS; i++) {
		simdm_conn_close(&d.dev[i]);
		free(d.dev[i].buf);
	}
	free(d.q.buf);
	if (d.lq >= 0) {
		close(d.lq);
		unlink(p->qmp_path);
	}
	if (d.ld >= 0) {
		close(d.ld);
		unlink(p->dev_path);
	}
	close(d.sfd);
	return rc;
}
