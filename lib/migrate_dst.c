/*
 * migrate_dst.c - the destination side of a migration, run in an xmigd
 * worker: receive the stream into a paused NAME--incoming, then the
 * commit handshake.
 *
 * Before GO the incoming copy is destroyed on any failure (the source
 * resumes its own).  After GO it is never destroyed for a lost
 * connection: the source may have been told it can stop.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "migrate_int.h"
#include "relocio.h"
#include "streamio.h"
#include "util.h"
#include "uuid.h"

static void
dst_phase(const struct mig_dst_params *p, enum mig_phase ph, int64_t domid,
    const char *detail)
{
	if (p->phase != NULL)
		p->phase(p->arg, ph, domid, detail);
}

static enum dom_type
dst_type(const char *s)
{
	if (strcmp(s, "pv") == 0)
		return DOM_TYPE_PV;
	if (strcmp(s, "pvh") == 0)
		return DOM_TYPE_PVH;
	return DOM_TYPE_HVM;
}

/* Tell the source we failed, best effort. */
static void
dst_send_failed(int fd, const char *reason)
{
	struct reloc_msg m;

	reloc_msg_init(&m, RELOC_FAILED);
	util_strlcpy(m.reason, reason, sizeof(m.reason));
	(void)relocio_send(fd, &m, 2000);
}

/* Receive the stream into a new paused domain; *domid once created. */
static int
dst_receive(const struct mig_dst_params *p, uint32_t *domid, int *created,
    char *why, size_t whylen)
{
	const struct reloc_msg *r = p->reserve;
	struct restore_params rp = {
		.name = p->incoming_name,
		.uuid = r->has_uuid ? r->uuid : NULL,
		.type = dst_type(r->domtype),
		.max_memkb = r->memkb,
		.vcpus = r->vcpus,
	};
	int tmo = (int)p->timeout_s * 1000;
	struct streamio_in in;
	struct reloc_msg m;
	struct srerr e;
	char ebuf[300];
	int rc;

	srerr_clear(&e);
	if ((rc = relocio_expect(p->fd, RELOC_STREAM, &m, tmo)) != 0) {
		snprintf(why, whylen, "the source did not start the stream: "
		    "%.300s", rc == -EPROTO ? "protocol error" : m.type ==
		    RELOC_ABORT ? m.reason : strerror(-rc));
		return rc;
	}
	if ((rc = streamio_read_prefix(&in, p->fd, tmo, &e)) != 0) {
		snprintf(why, whylen, "bad stream: %s",
		    srerr_format(&e, ebuf, sizeof(ebuf)));
		goto out;
	}
	rp.config_json = in.config != NULL ? in.config : r->config;
	dst_phase(p, MIG_PHASE_RECEIVING, -1, NULL);
	rc = p->be->ops->restore(p->be, p->fd, &rp, domid);
	if (rc != 0) {
		snprintf(why, whylen, "restoring %s failed: %s", r->name,
		    strerror(-rc));
		goto out;
	}
	*created = 1;
	if (rp.type != DOM_TYPE_PV)
		in.lx.dom_type = 2;	/* libxc's x86 HVM: PVH and HVM */
	if ((rc = streamio_read_suffix(&in, &e)) != 0)
		snprintf(why, whylen, "bad end of stream: %s",
		    srerr_format(&e, ebuf, sizeof(ebuf)));
out:
	streamio_in_clear(&in);
	return rc;
}

/* After GO: unpause, take the real name, report. */
static int
dst_start(const struct mig_dst_params *p, uint32_t domid, char *why,
    size_t whylen)
{
	struct reloc_msg m;
	int rc;

	if ((rc = p->be->ops->unpause(p->be, domid)) != 0) {
		snprintf(why, whylen, "cannot unpause %s: %s",
		    p->incoming_name, strerror(-rc));
		return rc;
	}
	reloc_msg_init(&m, RELOC_REPORT);
	util_strlcpy(m.result, "running", sizeof(m.result));
	m.domid = domid;
	if (p->be->ops->rename(p->be, domid, p->reserve->name) == 0)
		util_strlcpy(m.name, p->reserve->name, sizeof(m.name));
	else {
		log_warnx("%s runs but keeps its name %s: rename failed",
		    p->reserve->name, p->incoming_name);
		util_strlcpy(m.name, p->incoming_name, sizeof(m.name));
	}
	dst_phase(p, MIG_PHASE_RUNNING, domid, m.name);
	if (relocio_send(p->fd, &m, (int)p->timeout_s * 1000) != 0)
		log_warnx("%s runs here, but the source was not told: it "
		    "must run \"xmig recover %s\"", m.name, p->reserve->name);
	return 0;
}

/* Hold the receiving side's job lock on the domain's uuid. */
static int
dst_lock(const struct mig_dst_params *p, struct joblock *l, char *why,
    size_t whylen)
{
	char key[64], what[128], busy[256];
	int rc;

	l->fd = -1;
	if (!p->reserve->has_uuid)
		return 0;
	uuid_fmt(p->reserve->uuid, key);
	strcat(key, MIG_LOCK_INCOMING);
	snprintf(what, sizeof(what), "receive %s", p->reserve->name);
	rc = joblock_take(l, mig_state_dir(p->be), key, what, busy,
	    sizeof(busy));
	if (rc != 0)
		snprintf(why, whylen, "%s is busy here: %s", p->reserve->name,
		    rc == -EBUSY ? busy : strerror(-rc));
	return rc;
}

int
mig_dst_run(const struct mig_dst_params *p)
{
	int tmo = (int)p->timeout_s * 1000, created = 0, rc;
	struct joblock lock;
	struct reloc_msg m;
	uint32_t domid = 0;
	char why[512] = "";

	if ((rc = dst_lock(p, &lock, why, sizeof(why))) != 0)
		goto fail_destroy_incoming;
	rc = dst_receive(p, &domid, &created, why, sizeof(why));
	if (rc != 0)
		goto fail_destroy_incoming;
	reloc_msg_init(&m, RELOC_RECEIVED);
	m.domid = domid;
	if ((rc = relocio_send(p->fd, &m, tmo)) != 0) {
		snprintf(why, sizeof(why), "cannot tell the source: %s",
		    strerror(-rc));
		goto fail_destroy_incoming;
	}
	dst_phase(p, MIG_PHASE_RECEIVED, domid, NULL);
	rc = relocio_expect(p->fd, RELOC_GO, &m, tmo);
	if (rc != 0) {
		snprintf(why, sizeof(why), "no GO from the source: %.300s",
		    m.type == RELOC_ABORT && m.reason[0] ? m.reason :
		    strerror(-rc));
		goto fail_destroy_incoming;
	}
	/* From here the source may have stopped for good. */
	dst_phase(p, MIG_PHASE_GO, domid, NULL);
	if ((rc = dst_start(p, domid, why, sizeof(why))) != 0)
		goto fail_destroy_incoming;
	/* DONE is a courtesy: the domain runs whatever comes. */
	if (relocio_expect(p->fd, RELOC_DONE, &m, tmo) != 0)
		log_debug("no DONE from the source");
	log_info("%s received and running as domain %u", p->reserve->name,
	    domid);
	joblock_release(&lock);
	return 0;

fail_destroy_incoming:
	log_warnx("incoming %s: %s", p->reserve->name, why);
	if (created && p->be->ops->destroy(p->be, domid) != 0)
		log_warnx("could not destroy the incoming copy %s (domain %u)",
		    p->incoming_name, domid);
	dst_send_failed(p->fd, why);
	dst_phase(p, MIG_PHASE_FAILED, created ? (int64_t)domid : -1, why);
	joblock_release(&lock);
	return rc < 0 ? rc : -EIO;
}
