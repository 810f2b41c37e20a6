/*
 * migrate_dst.c - the destination side of a migration, run in an xmigd
 * worker: receive the stream into a paused NAME--incoming, then the
 * commit handshake; and the finishing of a job whose worker died after
 * GO, run by xmigd.
 *
 * Before GO the incoming copy is destroyed on any failure (the source
 * resumes its own).  Once GO has arrived the destination owns the
 * domain: the worker writes a GO record (STATE/incoming-UUID) before it
 * acts, and whoever finds that record with no worker alive - xmigd when
 * the worker died, xmigd at start-up, xmigd answering a source's query -
 * finishes the job forward (unpause, rename, "running") with
 * mig_dst_finish().  Only a copy that cannot be started is destroyed,
 * and then the answer is "absent", upon which the source resumes its
 * own.  Without a record there was no GO here, and the incoming copy
 * goes.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
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

/*
 * A STREAM naming a codec: the stream comes framed, and the restore
 * reads it from the decoder (*fd).  0 (also for a raw stream, *fd left
 * alone) or a negative errno with why.
 */
static int
dst_frame_start(const struct mig_dst_params *p, const struct reloc_msg *m,
    struct wire_dec **dec, int *fd, char *why, size_t whylen)
{
	enum frame_codec codec;
	int rc;

	if (m->codec[0] == '\0')
		return 0;
	if (frame_codec_parse(m->codec, &codec) != 0) {
		snprintf(why, whylen, "the source framed the stream with "
		    "\"%.16s\", a codec this host does not know", m->codec);
		return -EPROTO;
	}
	if ((rc = wire_dec_start(p->fd, (int)p->timeout_s * 1000, dec,
	    fd)) != 0)
		snprintf(why, whylen, "cannot read the framed stream: %s",
		    strerror(-rc));
	else
		log_debug("incoming %s: framed stream, %s", p->reserve->name,
		    m->codec);
	return rc;
}

/*
 * The end of a framed stream (dec NULL: none): with ok, the END frame
 * is waited for; otherwise the decoder is stopped.  Its defect, if it
 * found one, replaces why.  0 or a negative errno.
 */
static int
dst_frame_finish(struct wire_dec *dec, int ok, char *why, size_t whylen)
{
	struct wire_stats ws;
	char dwhy[256];
	int rc;

	if (dec == NULL)
		return 0;
	rc = wire_dec_finish(dec, ok, &ws, dwhy, sizeof(dwhy));
	if (rc == -EBADMSG || (rc != 0 && ok))
		snprintf(why, whylen, "bad stream: %s", dwhy);
	if (rc == 0)
		log_info("framed stream: %llu bytes from %llu on the wire, "
		    "%llu zero pages", (unsigned long long)ws.raw,
		    (unsigned long long)ws.wire,
		    (unsigned long long)ws.zero_pages);
	return rc;
}

/* Receive the stream into a new paused domain; *domid once created. */
static int
dst_receive(const struct mig_dst_params *p, struct vbdmig_dst *vbd,
    uint32_t *domid, int *created, char *why, size_t whylen)
{
	const struct reloc_msg *r = p->reserve;
	struct restore_params rp = {
		.name = p->incoming_name,
		.uuid = r->has_uuid ? r->uuid : NULL,
		.type = dst_type(r->domtype),
		.max_memkb = r->memkb,
		.vcpus = r->vcpus,
	};
	int tmo = (int)p->timeout_s * 1000, fd = p->fd;
	struct wire_dec *dec = NULL;
	struct streamio_in in;
	struct streamio_tail tail;
	struct emu_recs emu = { .n = 0 };
	struct reloc_msg m;
	struct srerr e;
	char ebuf[300], *config = NULL;
	int rc;

	srerr_clear(&e);
	memset(&in, 0, sizeof(in));
	/* Device step 1 of the disks: their bulk copy. */
	if (vbd != NULL && (rc = vbdmig_dst_recv(vbd, p->fd, 0, tmo, why,
	    whylen)) != 0)
		return rc;
	if ((rc = relocio_expect(p->fd, RELOC_STREAM, &m, tmo)) != 0) {
		snprintf(why, whylen, "the source did not start the stream: "
		    "%.300s", rc == -EPROTO ? "protocol error" : m.type ==
		    RELOC_ABORT ? m.reason : strerror(-rc));
		return rc;
	}
	if ((rc = dst_frame_start(p, &m, &dec, &fd, why, whylen)) != 0)
		return rc;
	if ((rc = streamio_read_prefix(&in, fd, tmo, &e)) != 0) {
		snprintf(why, whylen, "bad stream: %s",
		    srerr_format(&e, ebuf, sizeof(ebuf)));
		goto out;
	}
	rp.config_json = in.config != NULL ? in.config : r->config;
	if (vbd != NULL) {
		if ((config = vbdmig_dst_config(vbd, rp.config_json)) == NULL) {
			snprintf(why, whylen, "the domain config cannot be "
			    "pointed at its new disks");
			rc = -EINVAL;
			goto out;
		}
		rp.config_json = config;
	}
	dst_phase(p, MIG_PHASE_RECEIVING, -1, NULL);
	streamio_tail_init(&tail, &in, &rp);
	rc = p->be->ops->restore(p->be, fd, &rp, domid);
	if (rc != 0 && tail.done && tail.rc != 0) {
		snprintf(why, whylen, "bad end of stream: %s",
		    srerr_format(&tail.e, ebuf, sizeof(ebuf)));
		goto out;
	}
	if (rc != 0) {
		snprintf(why, whylen, "restoring %s failed: %s", r->name,
		    strerror(-rc));
		goto out;
	}
	*created = 1;
	if ((rc = streamio_tail_finish(&tail, &emu)) != 0) {
		snprintf(why, whylen, "bad end of stream: %s",
		    srerr_format(&tail.e, ebuf, sizeof(ebuf)));
		goto out;
	}
	/*
	 * The frames end before the disks' last blocks, which come raw on
	 * the connection: the decoder must have read its END frame first.
	 */
	rc = dst_frame_finish(dec, 1, why, whylen);
	dec = NULL;
	if (rc != 0)
		goto out;
	/* Steps 2 and 3 of the disks: the last blocks, flushed. */
	if (vbd != NULL && (rc = vbdmig_dst_recv(vbd, p->fd, 1, tmo, why,
	    whylen)) != 0)
		goto out;
	if (vbd != NULL)
		fault_point("dst-vbd-after-final", p->fd);
out:
	/* A defect of the frames is the reason, whatever it broke. */
	if (dst_frame_finish(dec, rc == 0, why, whylen) != 0 && rc == 0)
		rc = -EBADMSG;
	free(config);
	emu_recs_clear(&emu);
	streamio_in_clear(&in);
	return rc;
}

/*
 * After GO: unpause, take the real name, forget the GO record, report.
 * Fails only when the unpause does (the copy never ran).
 */
static int
dst_start(const struct mig_dst_params *p, uint32_t domid, const char *key,
    char *why, size_t whylen)
{
	struct reloc_msg m;
	int rc;

	if ((rc = p->be->ops->unpause(p->be, domid)) != 0) {
		snprintf(why, whylen, "cannot unpause %s: %s",
		    p->incoming_name, strerror(-rc));
		return rc;
	}
	fault_point("dst-after-unpause", p->fd);
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
	if (key != NULL)
		mig_dst_record_remove(p->be, key);
	dst_phase(p, MIG_PHASE_RUNNING, domid, m.name);
	fault_point("dst-before-report", p->fd);
	if (relocio_send(p->fd, &m, (int)p->timeout_s * 1000) != 0)
		log_warnx("%s runs here, but the source was not told; its "
		    "settling query (or \"xmig recover %s\") will be",
		    m.name, p->reserve->name);
	fault_point("dst-after-report", p->fd);
	return 0;
}

/* ------------------------------------------------------- GO records */

static void
dst_record_path(struct backend *be, const char *key, char *path,
    size_t len)
{
	snprintf(path, len, "%s/incoming-%s", mig_state_dir(be), key);
}

int
mig_dst_record_write(struct backend *be, const char *key,
    const struct mig_dst_record *r)
{
	char path[4200], text[400];
	int rc;

	dst_record_path(be, key, path, sizeof(path));
	snprintf(text, sizeof(text), "name=%s\nincoming=%s\ndomid=%u\n"
	    "abandon=%d\n", r->name, r->incoming, r->domid, r->abandon);
	if ((rc = util_write_atomic(path, text, 0600)) != 0)
		log_warnx("cannot write the GO record %s: %s", path,
		    strerror(-rc));
	return rc;
}

struct dst_rec_read {
	struct mig_dst_record	*r;
	int			 found;
};

static void
dst_record_kv(const char *key, const char *v, void *arg)
{
	struct dst_rec_read *rd = arg;
	struct mig_dst_record *r = rd->r;
	uint64_t n;

	if (strcmp(key, "name") == 0 && v[0] != '\0' &&
	    util_strlcpy(r->name, v, sizeof(r->name)) == 0)
		rd->found |= 1;
	else if (strcmp(key, "incoming") == 0 && v[0] != '\0' &&
	    util_strlcpy(r->incoming, v, sizeof(r->incoming)) == 0)
		rd->found |= 2;
	else if (strcmp(key, "domid") == 0 &&
	    util_parse_uint(v, 1, UINT32_MAX, &n) == 0) {
		r->domid = (uint32_t)n;
		rd->found |= 4;
	} else if (strcmp(key, "abandon") == 0 &&
	    util_parse_uint(v, 0, 1, &n) == 0)
		r->abandon = (int)n;
}

int
mig_dst_record_read(struct backend *be, const char *key,
    struct mig_dst_record *r)
{
	struct dst_rec_read rd = { .r = r };
	char path[4200];
	int rc;

	memset(r, 0, sizeof(*r));
	dst_record_path(be, key, path, sizeof(path));
	if ((rc = util_read_kv(path, dst_record_kv, &rd)) != 0)
		return rc;
	if (rd.found != 7) {
		log_warnx("%s: not a GO record; ignored", path);
		return -EINVAL;
	}
	return 0;
}

void
mig_dst_record_remove(struct backend *be, const char *key)
{
	char path[4200];

	dst_record_path(be, key, path, sizeof(path));
	if (unlink(path) != 0 && errno != ENOENT)
		log_warn("%s", path);
}

/* Destroy a copy that GO promised but that cannot run: "absent". */
static int
dst_finish_abandon(struct backend *be, const char *key,
    struct mig_dst_record *r, const char *why)
{
	int rc;

	if (!r->abandon) {
		r->abandon = 1;
		(void)mig_dst_record_write(be, key, r);
	}
	if ((rc = be->ops->destroy(be, r->domid)) != 0 && rc != -ESRCH) {
		log_warnx("%s (domain %u) %s and could NOT be destroyed: %s; "
		    "the source keeps its suspended copy until it is",
		    r->incoming, r->domid, why, strerror(-rc));
		return rc;
	}
	log_warnx("%s (domain %u) %s: destroyed; its source resumes its "
	    "own copy", r->incoming, r->domid, why);
	mig_dst_record_remove(be, key);
	return 0;
}

int
mig_dst_busy(struct backend *be, const uint8_t uuid[16], char *busy,
    size_t busylen)
{
	char key[UUID_STR_LEN + 16];

	uuid_fmt(uuid, key);
	strcat(key, MIG_LOCK_INCOMING);
	return joblock_check(mig_state_dir(be), key, busy, busylen);
}

int
mig_dst_finish(struct backend *be, const char *key, char *name,
    size_t namelen)
{
	struct mig_dst_record r;
	struct joblock lock;
	struct dom_info d;
	char lkey[UUID_STR_LEN + 16], what[DOMNAME_MAX + 16], busy[256];
	int rc;

	snprintf(lkey, sizeof(lkey), "%s%s", key, MIG_LOCK_INCOMING);
	snprintf(what, sizeof(what), "finish %s", key);
	rc = joblock_take(&lock, mig_state_dir(be), lkey, what, busy,
	    sizeof(busy));
	if (rc != 0)
		return rc;
	if ((rc = mig_dst_record_read(be, key, &r)) != 0) {
		joblock_release(&lock);
		return rc == -EINVAL ? -ENOENT : rc;
	}
	rc = be->ops->info(be, r.domid, &d);
	if (rc == -ESRCH || (rc == 0 && strcmp(d.name, r.incoming) != 0 &&
	    strcmp(d.name, r.name) != 0)) {
		log_warnx("%s (domain %u) promised by GO is gone", r.incoming,
		    r.domid);
		mig_dst_record_remove(be, key);
		rc = 0;
		goto out;
	}
	if (rc != 0)
		goto out;
	if (r.abandon) {
		rc = dst_finish_abandon(be, key, &r, "was given up");
		goto out;
	}
	if (d.state == DOM_SHUTDOWN || d.state == DOM_DYING) {
		rc = dst_finish_abandon(be, key, &r, "stopped before it ran");
		goto out;
	}
	if (d.state == DOM_PAUSED &&
	    (rc = be->ops->unpause(be, r.domid)) != 0) {
		rc = dst_finish_abandon(be, key, &r, "cannot be unpaused");
		goto out;
	}
	if (strcmp(d.name, r.name) != 0 &&
	    be->ops->rename(be, r.domid, r.name) != 0) {
		log_warnx("%s runs but keeps its name %s: rename failed",
		    r.name, r.incoming);
		util_strlcpy(name, r.incoming, namelen);
	} else
		util_strlcpy(name, r.name, namelen);
	log_info("%s (domain %u): GO had arrived; finished forward, it runs "
	    "here as %s", r.incoming, r.domid, name);
	mig_dst_record_remove(be, key);
	rc = 1;
out:
	joblock_release(&lock);
	return rc;
}

/*
 * A GO record's ".tmp" half-write: its writer died before the rename that
 * makes the record, so GO was never recorded here and the record does not
 * exist.  Removed unless a worker that holds the job lock still writes it.
 */
static void
dst_half_write_remove(struct backend *be, const char *key)
{
	char path[4200], lkey[UUID_STR_LEN + 16], busy[256];
	struct joblock lock;

	if (strchr(key, '.') != NULL || strchr(key, '/') != NULL)
		return;
	snprintf(lkey, sizeof(lkey), "%s%s", key, MIG_LOCK_INCOMING);
	if (joblock_take(&lock, mig_state_dir(be), lkey, "remove a half-write",
	    busy, sizeof(busy)) != 0)
		return;
	dst_record_path(be, key, path, sizeof(path));
	if (util_remove_half_write(path) == 0)
		log_info("GO record %s was never complete (its writer died "
		    "while writing it): removed", key);
	joblock_release(&lock);
}

int
mig_dst_finish_all(struct backend *be)
{
	static const char prefix[] = "incoming-";
	char name[DOMNAME_MAX], key[UUID_STR_LEN + 8];
	struct dirent *e;
	DIR *dir;
	size_t len;
	int n = 0, rc;

	if ((dir = opendir(mig_state_dir(be))) == NULL)
		return 0;
	while ((e = readdir(dir)) != NULL) {
		if (strncmp(e->d_name, prefix, sizeof(prefix) - 1) != 0)
			continue;
		len = strlen(e->d_name + sizeof(prefix) - 1);
		if (len > 4 && len - 4 < sizeof(key) &&
		    util_has_suffix(e->d_name, ".tmp")) {
			memcpy(key, e->d_name + sizeof(prefix) - 1, len - 4);
			key[len - 4] = '\0';
			dst_half_write_remove(be, key);
			continue;
		}
		if (len == 0 || len >= sizeof(key) ||
		    strchr(e->d_name, '.') != NULL)
			continue;	/* not a key */
		memcpy(key, e->d_name + sizeof(prefix) - 1, len + 1);
		rc = mig_dst_finish(be, key, name, sizeof(name));
		if (rc == -EBUSY)
			log_warnx("GO record %s: a worker still holds it; "
			    "left to it", key);
		n++;
	}
	closedir(dir);
	return n;
}

/* ------------------------------------------------------- the worker */

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
	struct mig_dst_record rec;
	struct vbdmig_dst vbd, *v = NULL;
	struct joblock lock;
	struct reloc_msg m;
	uint32_t domid = 0;
	char why[512] = "", key[UUID_STR_LEN], *k = NULL;

	fault_point("dst-at-start", p->fd);
	if ((rc = dst_lock(p, &lock, why, sizeof(why))) != 0)
		goto fail_destroy_incoming;
	if (p->reserve->disks != NULL) {
		if (!p->reserve->has_uuid) {
			snprintf(why, sizeof(why), "disks without the "
			    "domain's uuid");
			rc = -EINVAL;
			goto fail_destroy_incoming;
		}
		uuid_fmt(p->reserve->uuid, key);
		if ((rc = vbdmig_dst_open(&vbd, p->be, p->storage_dirs,
		    p->nstorage_dirs, p->reserve->disks, key, why,
		    sizeof(why))) != 0)
			goto fail_destroy_incoming;
		v = &vbd;
	}
	rc = dst_receive(p, v, &domid, &created, why, sizeof(why));
	if (rc != 0)
		goto fail_destroy_incoming;
	fault_point("dst-after-restore", p->fd);
	reloc_msg_init(&m, RELOC_RECEIVED);
	m.domid = domid;
	if ((rc = relocio_send(p->fd, &m, tmo)) != 0) {
		snprintf(why, sizeof(why), "cannot tell the source: %s",
		    strerror(-rc));
		goto fail_destroy_incoming;
	}
	dst_phase(p, MIG_PHASE_RECEIVED, domid, NULL);
	fault_point("dst-after-received", p->fd);
	rc = relocio_expect(p->fd, RELOC_GO, &m, tmo);
	if (rc != 0) {
		snprintf(why, sizeof(why), "no GO from the source: %.300s",
		    m.type == RELOC_ABORT && m.reason[0] ? m.reason :
		    strerror(-rc));
		goto fail_destroy_incoming;
	}
	/*
	 * The point of no return: the source may have stopped for good, and
	 * the domain is ours to start.  The GO record says so to whoever
	 * finds this copy if this process dies (mig_dst_finish()); without
	 * it the copy would be destroyed, so a record that cannot be written
	 * fails the migration while the source can still resume.
	 */
	if (p->reserve->has_uuid) {
		uuid_fmt(p->reserve->uuid, key);
		k = key;
		memset(&rec, 0, sizeof(rec));
		util_strlcpy(rec.name, p->reserve->name, sizeof(rec.name));
		util_strlcpy(rec.incoming, p->incoming_name,
		    sizeof(rec.incoming));
		rec.domid = domid;
		if ((rc = mig_dst_record_write(p->be, k, &rec)) != 0) {
			snprintf(why, sizeof(why), "cannot record GO: %s",
			    strerror(-rc));
			goto fail_destroy_incoming;
		}
	}
	/* GO recorded: the disks are the domain's now. */
	if (v != NULL)
		vbdmig_dst_commit(v);
	fault_point("dst-after-go", p->fd);
	fault_point("worker-crash-after-go", p->fd);	/* its old name */
	dst_phase(p, MIG_PHASE_GO, domid, NULL);
	if ((rc = dst_start(p, domid, k, why, sizeof(why))) != 0)
		goto fail_abandon;
	/* DONE is a courtesy: the domain runs whatever comes. */
	if (relocio_expect(p->fd, RELOC_DONE, &m, tmo) != 0)
		log_debug("no DONE from the source");
	log_info("%s received and running as domain %u", p->reserve->name,
	    domid);
	joblock_release(&lock);
	return 0;

fail_abandon:
	/*
	 * After GO, a copy that cannot start is destroyed, and the source is
	 * told FAILED (so it resumes) only once it is gone; if it cannot be
	 * destroyed the record says "abandon" and the source stays
	 * suspended until xmigd has destroyed it.
	 */
	log_warnx("incoming %s: %s", p->reserve->name, why);
	if (k != NULL) {
		rec.abandon = 1;
		(void)mig_dst_record_write(p->be, k, &rec);
	}
	if ((rc = p->be->ops->destroy(p->be, domid)) != 0) {
		log_warnx("could not destroy the incoming copy %s (domain %u): "
		    "it is left to xmigd", p->incoming_name, domid);
		dst_phase(p, MIG_PHASE_FAILED, domid, why);
		joblock_release(&lock);
		return rc;
	}
	if (k != NULL)
		mig_dst_record_remove(p->be, k);
	if (v != NULL)
		vbdmig_dst_abort(v);	/* the source keeps its own */
	dst_send_failed(p->fd, why);
	dst_phase(p, MIG_PHASE_FAILED, domid, why);
	joblock_release(&lock);
	return -EIO;

fail_destroy_incoming:
	log_warnx("incoming %s: %s", p->reserve->name, why);
	if (created && p->be->ops->destroy(p->be, domid) != 0)
		log_warnx("could not destroy the incoming copy %s (domain %u)",
		    p->incoming_name, domid);
	if (v != NULL)
		vbdmig_dst_abort(v);
	dst_send_failed(p->fd, why);
	dst_phase(p, MIG_PHASE_FAILED, created ? (int64_t)domid : -1, why);
	joblock_release(&lock);
	return rc < 0 ? rc : -EIO;
}
