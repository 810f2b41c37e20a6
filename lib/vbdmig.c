/*
 * vbdmig.c - the vbd device handler: disks copied with their domain.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "fault.h"
#include "json.h"
#include "log.h"
#include "migrate.h"
#include "relocio.h"
#include "util.h"
#include "vbdmig.h"

#define VBD_RUN_BLOCKS	(VBD_DATA_MAX / VBD_BLOCK)
#define VBD_REC_PREFIX	"vbd-"

_Static_assert(VBD_DATA_MAX % VBD_BLOCK == 0, "whole blocks per record");

/* ------------------------------------------------------------ source */

/* Is path under one of the space-separated prefixes? */
static int
vbd_prefixed(const char *path, const char *prefixes)
{
	const char *p = prefixes, *e;
	size_t len;

	while (p != NULL && *p != '\0') {
		while (*p == ' ')
			p++;
		e = strchr(p, ' ');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		if (len > 0 && strncmp(path, p, len) == 0 &&
		    (p[len - 1] == '/' || path[len] == '/' ||
		    path[len] == '\0'))
			return 1;
		p = e;
	}
	return 0;
}

/* Refuse a disk that cannot be copied here; -EPERM with why. */
static int
vbd_src_refuse(const struct be_disk *d, const struct vbdmig_opts *o,
    char *why, size_t whylen)
{
	if (!o->copy) {
		snprintf(why, whylen, "disk %s (%s) is not on shared storage: "
		    "use --copy-storage to copy it with the domain, or "
		    "--shared-storage if the destination sees it too",
		    d->vdev, d->path);
		return -EPERM;
	}
	if (o->live && !d->trackable && strcmp(d->kind, "phy") == 0) {
		snprintf(why, whylen, "disk %s (phy:%s) is served by the "
		    "kernel's blkback, which cannot track the guest's writes, "
		    "so it cannot be copied while the guest runs: use "
		    "--no-live to copy it with the guest suspended, serve it "
		    "with qdisk (QEMU) to move it live, or --shared-storage "
		    "if the destination sees it too", d->vdev, d->path);
		return -EPERM;
	}
	if (o->live && !d->trackable) {
		snprintf(why, whylen, "disk %s (%s:%s): this backend cannot "
		    "track its writes yet, so it cannot be copied while the "
		    "guest runs: use --no-live to copy it with the guest "
		    "suspended, or --shared-storage if the destination sees "
		    "it too", d->vdev, d->kind, d->path);
		return -EPERM;
	}
	return 0;
}

/* The image's file name at the destination: the source's base name. */
static int
vbd_src_name(const struct be_disk *d, char *name, size_t len, char *why,
    size_t whylen)
{
	const char *b = strrchr(d->path, '/');

	b = b != NULL ? b + 1 : d->path;
	if (!vbd_name_ok(b) || util_strlcpy(name, b, len) != 0) {
		snprintf(why, whylen, "disk %s: image name \"%s\" cannot be "
		    "used at the destination (letters, digits, \".\", "
		    "\"_\", \"-\", \"+\" only)", d->vdev, b);
		return -EPERM;
	}
	return 0;
}

int
vbdmig_src_prepare(struct vbdmig *v, struct backend *be, uint32_t domid,
    const struct vbdmig_opts *o, char *why, size_t whylen)
{
	struct be_disk disks[BE_DISK_MAX];
	struct vbd_spec_disk *sd;
	size_t n = 0, i;
	int rc;

	memset(v, 0, sizeof(*v));
	v->be = be;
	v->domid = domid;
	if (be->ops->disk_list == NULL)
		return 0;
	if ((rc = be->ops->disk_list(be, domid, disks, BE_DISK_MAX,
	    &n)) != 0) {
		snprintf(why, whylen, "cannot list the domain's disks: %s",
		    strerror(-rc));
		return rc;
	}
	for (i = 0; i < n; i++) {
		if (o->shared || vbd_prefixed(disks[i].path,
		    o->shared_prefixes)) {
			log_info("disk %s (%s): shared storage, not copied",
			    disks[i].vdev, disks[i].path);
			continue;
		}
		if ((rc = vbd_src_refuse(&disks[i], o, why, whylen)) != 0)
			return rc;
		if (be->ops->disk_track_start == NULL || disks[i].size == 0) {
			snprintf(why, whylen, "disk %s (%s) cannot be copied "
			    "by this backend", disks[i].vdev, disks[i].path);
			return -EPERM;
		}
		sd = &v->spec.d[v->n];
		if ((rc = vbd_src_name(&disks[i], sd->name, sizeof(sd->name),
		    why, whylen)) != 0)
			return rc;
		if (util_strlcpy(sd->vdev, disks[i].vdev,
		    sizeof(sd->vdev)) != 0) {
			snprintf(why, whylen, "disk %s: device name too long",
			    disks[i].vdev);
			return -EPERM;
		}
		sd->size = disks[i].size;
		v->d[v->n].be = disks[i];
		v->d[v->n].idx = (unsigned)i;
		v->d[v->n].nblocks = (disks[i].size + VBD_BLOCK - 1) /
		    VBD_BLOCK;
		v->fig.total += disks[i].size;
		v->n++;
		v->spec.n = v->n;
	}
	if (v->n > 0 && (rc = vbd_spec_format(&v->spec, why, whylen)) != 0) {
		snprintf(why, whylen, "the disks cannot be described to the "
		    "destination (two images of one name?)");
		return -EPERM;
	}
	for (i = 0; i < v->n; i++)	/* two images of one name */
		for (n = 0; n < i; n++)
			if (strcmp(v->spec.d[i].name, v->spec.d[n].name) == 0) {
				snprintf(why, whylen, "disks %s and %s have "
				    "images of one name, %s", v->spec.d[n].vdev,
				    v->spec.d[i].vdev, v->spec.d[i].name);
				return -EPERM;
			}
	return 0;
}

char *
vbdmig_src_spec(const struct vbdmig *v)
{
	char *buf;

	if (v->n == 0 || (buf = malloc(RELOC_DISKS_MAX)) == NULL)
		return NULL;
	if (vbd_spec_format(&v->spec, buf, RELOC_DISKS_MAX) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Send one record head and its payload (len bytes of buf, or none). */
static int
vbd_send(struct vbdmig *v, int fd, const struct vbd_rec *r,
    const void *payload, int tmo)
{
	uint8_t hdr[VBD_REC_HDR];
	struct iovec iov[2];
	size_t len = r->type == VBD_REC_DATA ? r->length : 0;
	int rc;

	vbd_rec_encode(hdr, r);
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)payload;
	iov[1].iov_len = len;
	pace_wait(&v->pace, sizeof(hdr) + len);
	if ((rc = relocio_writev_full(fd, iov, len > 0 ? 2 : 1, tmo)) == 0)
		v->fig.sent += sizeof(hdr) + len;
	return rc;
}

static int
vbd_all_zero(const uint8_t *p, size_t len)
{
	uint64_t w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		if (w != 0)
			return 0;
	}
	for (; i < len; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* Collect the blocks written since the last call into the pending sets. */
static int
vbd_collect(struct vbdmig *v, uint64_t *count)
{
	uint64_t w, words;
	unsigned i;
	int rc;

	*count = 0;
	for (i = 0; i < v->n; i++) {
		rc = v->be->ops->disk_track_dirty(v->be, v->d[i].t,
		    v->d[i].pending, v->d[i].nblocks);
		if (rc != 0)
			return rc;
		words = (v->d[i].nblocks + 63) / 64;
		for (w = 0; w < words; w++)
			*count += (uint64_t)__builtin_popcountll(
			    v->d[i].pending[w]);
	}
	return 0;
}

static int
vbd_pending(const struct vbdmig_disk *d, uint64_t b)
{
	return (d->pending[b / 64] >> (b % 64)) & 1;
}

/*
 * Send a run of blocks read into v->buf: empty blocks as ZERO records,
 * the others as DATA, each record as many like blocks in a row as there
 * are.
 */
static int
vbd_send_run(struct vbdmig *v, int fd, unsigned disk, uint64_t off,
    uint64_t len, int tmo)
{
	struct vbd_rec r = { .disk = disk };
	uint64_t b = 0, e, blen;
	int zero, rc;

	while (b < len) {
		blen = len - b < VBD_BLOCK ? len - b : VBD_BLOCK;
		zero = vbd_all_zero(v->buf + b, (size_t)blen);
		for (e = b + blen; e < len; e += blen) {
			blen = len - e < VBD_BLOCK ? len - e : VBD_BLOCK;
			if (vbd_all_zero(v->buf + e, (size_t)blen) != zero)
				break;
		}
		r.type = zero ? VBD_REC_ZERO : VBD_REC_DATA;
		r.offset = off + b;
		r.length = (uint32_t)(e - b);
		if ((rc = vbd_send(v, fd, &r, v->buf + b, tmo)) != 0)
			return rc;
		b = e;
	}
	return 0;
}

/* Send the pending blocks of every disk and clear them. */
static int
vbd_send_pending(struct vbdmig *v, int fd, int tmo)
{
	struct vbdmig_disk *d;
	uint64_t b, e, off, len;
	unsigned i;
	int rc;

	for (i = 0; i < v->n; i++) {
		d = &v->d[i];
		for (b = 0; b < d->nblocks; b = e) {
			if (!vbd_pending(d, b)) {
				e = b + 1;
				continue;
			}
			for (e = b; e < d->nblocks && e - b < VBD_RUN_BLOCKS &&
			    vbd_pending(d, e); e++)
				d->pending[e / 64] &=
				    ~(UINT64_C(1) << (e % 64));
			off = b * VBD_BLOCK;
			len = e * VBD_BLOCK > d->be.size ? d->be.size - off :
			    (e - b) * VBD_BLOCK;
			if ((rc = v->be->ops->disk_track_read(v->be, d->t, off,
			    v->buf, (size_t)len)) != 0) {
				log_warnx("disk %s: read at %llu: %s",
				    d->be.vdev, (unsigned long long)off,
				    strerror(-rc));
				return rc;
			}
			if ((rc = vbd_send_run(v, fd, i, off, len, tmo)) != 0)
				return rc;
			if (v->cancel != NULL && *v->cancel)
				return -ECANCELED;
		}
		if (v->progress != NULL)
			v->progress(v->arg);
	}
	return 0;
}

/* A section's opening frame. */
static int
vbd_open_section(int fd, int tmo)
{
	struct reloc_msg m;

	reloc_msg_init(&m, RELOC_DISKS);
	return relocio_send(fd, &m, tmo);
}

static int
vbd_end(struct vbdmig *v, int fd, int tmo)
{
	struct vbd_rec r = { .type = VBD_REC_END };

	return vbd_send(v, fd, &r, NULL, tmo);
}

static int
vbd_track_start(struct vbdmig *v, char *why, size_t whylen)
{
	struct vbdmig_disk *d;
	unsigned i;
	int rc;

	if ((v->buf = malloc(VBD_DATA_MAX)) == NULL)
		return -ENOMEM;
	for (i = 0; i < v->n; i++) {
		d = &v->d[i];
		d->pending = calloc((size_t)((d->nblocks + 63) / 64), 8);
		if (d->pending == NULL)
			return -ENOMEM;
		rc = v->be->ops->disk_track_start(v->be, v->domid, d->idx,
		    &d->be, VBD_BLOCK, &d->t);
		if (rc != 0) {
			snprintf(why, whylen, "disk %s: cannot track its "
			    "writes: %s", d->be.vdev, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* Last first: a Xen domain's first qdisk disk started the NBD server. */
static void
vbd_track_stop(struct vbdmig *v)
{
	unsigned i;

	for (i = v->n; i-- > 0;) {
		if (v->d[i].t != NULL)
			v->be->ops->disk_track_stop(v->be, v->d[i].t);
		v->d[i].t = NULL;
	}
}

int
vbdmig_src_bulk(struct vbdmig *v, int fd, int live, uint64_t bandwidth,
    int tmo, char *why, size_t whylen)
{
	uint64_t count, prev = UINT64_MAX, t0, t, start = util_now_ns();
	struct vbd_rec r = { .type = VBD_REC_ROUND };
	int rc;

	pace_init(&v->pace, bandwidth);
	if ((rc = vbd_track_start(v, why, whylen)) != 0)
		goto fail;
	if ((rc = vbd_open_section(fd, tmo)) != 0)
		goto fail_io;
	t0 = util_now_ns();
	while (live) {
		if ((rc = vbd_collect(v, &count)) != 0) {
			snprintf(why, whylen, "cannot read the disks' dirty "
			    "log: %s", strerror(-rc));
			goto fail;
		}
		t = util_now_ns();
		if (v->fig.rounds > 0 && t > t0)
			v->fig.dirty_rate = count * VBD_BLOCK * 1000000000u /
			    (t - t0);
		/* Few enough for step 2, or no longer shrinking. */
		if (v->fig.rounds > 0 && (count * VBD_BLOCK <=
		    VBD_SMALL_BYTES || v->fig.rounds >= VBD_ROUNDS_MAX ||
		    (v->fig.rounds >= 3 && count >= prev)))
			break;
		prev = count;
		t0 = t;
		if ((rc = vbd_send_pending(v, fd, tmo)) != 0)
			goto fail_io;
		r.offset = v->fig.rounds++;
		if ((rc = vbd_send(v, fd, &r, NULL, tmo)) != 0)
			goto fail_io;
		if (v->fig.rounds == 1)
			fault_point("src-vbd-mid-bulk", fd);
	}
	if ((rc = vbd_end(v, fd, tmo)) != 0)
		goto fail_io;
	v->fig.bulk_ms = (util_now_ns() - start) / 1000000u;
	log_info("disks: %u bulk round%s, %llu bytes, %llu ms", v->fig.rounds,
	    v->fig.rounds == 1 ? "" : "s", (unsigned long long)v->fig.sent,
	    (unsigned long long)v->fig.bulk_ms);
	return 0;
fail_io:
	snprintf(why, whylen, "copying the disks failed: %s", strerror(-rc));
fail:
	/* Failed or cancelled: nothing of the tracking outlives the copy. */
	vbd_track_stop(v);
	return rc;
}

int
vbdmig_src_final(struct vbdmig *v, int fd, int tmo, char *why,
    size_t whylen)
{
	uint64_t count, before = v->fig.sent, start = util_now_ns();
	int rc;

	fault_point("src-vbd-before-final", fd);
	if ((rc = vbd_collect(v, &count)) != 0)
		snprintf(why, whylen, "cannot read the disks' dirty log: %s",
		    strerror(-rc));
	else if ((rc = vbd_open_section(fd, tmo)) != 0 ||
	    (rc = vbd_send_pending(v, fd, tmo)) != 0 ||
	    (rc = vbd_end(v, fd, tmo)) != 0)
		snprintf(why, whylen, "copying the disks' last blocks "
		    "failed: %s", strerror(-rc));
	else {
		v->fig.final_bytes = v->fig.sent - before;
		v->fig.final_ms = (util_now_ns() - start) / 1000000u;
	}
	/*
	 * Sent or failed: stop tracking now, while what tracks the writes
	 * (a Xen guest's QEMU) is still there to be told.
	 */
	vbd_track_stop(v);
	if (rc != 0)
		return rc;
	log_info("disks: %llu blocks after the suspend, %llu bytes",
	    (unsigned long long)count,
	    (unsigned long long)v->fig.final_bytes);
	return 0;
}

void
vbdmig_src_remove(struct vbdmig *v)
{
	struct stat st;
	unsigned i;

	for (i = 0; i < v->n; i++) {
		if (lstat(v->d[i].be.path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (unlink(v->d[i].be.path) != 0)
			log_warn("cannot remove the moved image %s",
			    v->d[i].be.path);
		else
			log_info("disk %s moved: %s removed here",
			    v->d[i].be.vdev, v->d[i].be.path);
	}
}

void
vbdmig_src_free(struct vbdmig *v)
{
	unsigned i;

	vbd_track_stop(v);
	for (i = 0; i < v->n; i++) {
		free(v->d[i].pending);
		v->d[i].pending = NULL;
	}
	free(v->buf);
	v->buf = NULL;
}

/* ------------------------------------------------------- destination */

/* Is the image name taken here by something that is not an empty file? */
static int
vbd_taken(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : 1;
	return !S_ISREG(st.st_mode) || st.st_size != 0;
}

int
vbdmig_dst_place(const char *const *dirs, unsigned ndirs,
    const struct vbd_spec *spec, char paths[][4200], char *why,
    size_t whylen)
{
	uint64_t used[VBD_STORAGE_DIRS_MAX] = { 0 }, room;
	struct statvfs sv;
	unsigned i, k;
	char b1[32];

	if (ndirs == 0) {
		snprintf(why, whylen, "this host takes no disks: no "
		    "storage-dir in xmigd.conf");
		return -EPERM;
	}
	for (i = 0; i < spec->n; i++) {
		for (k = 0; k < ndirs && k < VBD_STORAGE_DIRS_MAX; k++) {
			snprintf(paths[i], 4200, "%s/%s", dirs[k],
			    spec->d[i].name);
			if (vbd_taken(paths[i])) {
				snprintf(why, whylen, "disk %s: %s exists "
				    "and is not an empty file", spec->d[i].vdev,
				    paths[i]);
				return -EEXIST;
			}
		}
		for (k = 0; k < ndirs && k < VBD_STORAGE_DIRS_MAX; k++) {
			if (statvfs(dirs[k], &sv) != 0)
				continue;
			room = (uint64_t)sv.f_bavail * sv.f_frsize;
			if (room >= used[k] && room - used[k] >=
			    spec->d[i].size)
				break;
		}
		if (k == ndirs || k == VBD_STORAGE_DIRS_MAX) {
			snprintf(why, whylen, "no room for disk %s (%s): no "
			    "storage directory has %s free", spec->d[i].vdev,
			    spec->d[i].name, util_fmt_size(spec->d[i].size,
			    b1, sizeof(b1)));
			return -ENOSPC;
		}
		used[k] += spec->d[i].size;
		snprintf(paths[i], 4200, "%s/%s", dirs[k], spec->d[i].name);
	}
	return 0;
}

int
vbdmig_dst_check(const char *const *dirs, unsigned ndirs, const char *disks,
    char *why, size_t whylen)
{
	char (*paths)[4200];
	struct vbd_spec spec;
	int rc;

	if (vbd_spec_parse(disks, &spec, why, whylen) != 0)
		return -EINVAL;
	if ((paths = calloc(VBD_DISKS_MAX, sizeof(*paths))) == NULL)
		return -ENOMEM;
	rc = vbdmig_dst_place(dirs, ndirs, &spec, paths, why, whylen);
	free(paths);
	return rc;
}

static void
vbd_record_path(struct backend *be, const char *key, char *path, size_t len)
{
	snprintf(path, len, "%s/" VBD_REC_PREFIX "%s", mig_state_dir(be), key);
}

/* The record: every image this worker will create ("c") or use ("e"). */
static int
vbd_record_write(struct vbdmig_dst *d)
{
	char path[4200], *text;
	size_t len = 0, cap = VBD_DISKS_MAX * 4210 + 1;
	unsigned i;
	int rc;

	if ((text = malloc(cap)) == NULL)
		return -ENOMEM;
	text[0] = '\0';
	for (i = 0; i < d->spec.n; i++)
		len += (size_t)snprintf(text + len, cap - len, "%c=%s\n",
		    d->created[i] ? 'c' : 'e', d->path[i]);
	vbd_record_path(d->be, d->key, path, sizeof(path));
	if ((rc = util_write_atomic(path, text, 0600)) != 0)
		log_warnx("cannot write the disk record %s: %s", path,
		    strerror(-rc));
	else
		d->recorded = 1;
	free(text);
	return rc;
}

int
vbdmig_dst_open(struct vbdmig_dst *d, struct backend *be,
    const char *const *dirs, unsigned ndirs, const char *disks,
    const char *key, char *why, size_t whylen)
{
	struct stat st;
	unsigned i;
	int rc, fd;

	memset(d, 0, sizeof(*d));
	d->be = be;
	d->pipe[0] = d->pipe[1] = -1;
	for (i = 0; i < VBD_DISKS_MAX; i++)
		d->fd[i] = -1;
	if (util_strlcpy(d->key, key, sizeof(d->key)) != 0)
		return -EINVAL;
	if (vbd_spec_parse(disks, &d->spec, why, whylen) != 0)
		return -EINVAL;
	if ((rc = vbdmig_dst_place(dirs, ndirs, &d->spec, d->path, why,
	    whylen)) != 0)
		return rc;
	for (i = 0; i < d->spec.n; i++)
		d->created[i] = lstat(d->path[i], &st) != 0;
	if ((rc = vbd_record_write(d)) != 0) {
		snprintf(why, whylen, "cannot record the disks: %s",
		    strerror(-rc));
		return rc;
	}
	for (i = 0; i < d->spec.n; i++) {
		fd = open(d->path[i], O_WRONLY | O_CLOEXEC | O_NOFOLLOW |
		    (d->created[i] ? O_CREAT | O_EXCL : 0), 0600);
		if (fd == -1 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
		    (!d->created[i] && st.st_size != 0)) {
			rc = fd == -1 ? -errno : -EEXIST;
			snprintf(why, whylen, "disk %s: cannot create %s: %s",
			    d->spec.d[i].vdev, d->path[i], strerror(-rc));
			if (fd != -1)
				close(fd);
			goto fail;
		}
		d->fd[i] = fd;
		d->own[i] = 1;
		rc = posix_fallocate(fd, 0, (off_t)d->spec.d[i].size);
		if (rc == EOPNOTSUPP || rc == EINVAL)
			rc = ftruncate(fd, (off_t)d->spec.d[i].size) == 0 ? 0 :
			    errno;
		if (rc == 0 && fault_armed("dst-vbd-nospace"))
			rc = ENOSPC;
		if (rc != 0) {
			snprintf(why, whylen, "disk %s: cannot allocate %llu "
			    "bytes for %s: %s", d->spec.d[i].vdev,
			    (unsigned long long)d->spec.d[i].size, d->path[i],
			    strerror(rc));
			rc = -rc;
			goto fail;
		}
	}
	if ((d->buf = malloc(VBD_DATA_MAX)) == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	relocio_pipe_open(d->pipe);
	d->fresh = 1;
	log_info("%u disk%s to receive, images in place", d->spec.n,
	    d->spec.n == 1 ? "" : "s");
	return 0;
fail:
	vbdmig_dst_abort(d);
	return rc;
}

/* Apply one record. */
static int
vbd_apply(struct vbdmig_dst *d, const struct vbd_rec *r, int fd, int tmo,
    char *why, size_t whylen)
{
	int rc, dfd = d->fd[r->disk];
	int64_t off = (int64_t)r->offset;
	ssize_t w;

	if (fault_armed("dst-vbd-write-nospace") && r->type == VBD_REC_DATA) {
		errno = ENOSPC;
		goto fail_write;
	}
	/* DATA straight from the socket to the image, when it splices. */
	if (r->type == VBD_REC_DATA && d->pipe[0] != -1) {
		rc = relocio_splice_full(fd, dfd, &off, r->length, d->pipe,
		    tmo);
		if (rc == 0)
			return 0;
		if (rc != -EOPNOTSUPP) {
			snprintf(why, whylen, "disk %s: cannot write %s: %s",
			    d->spec.d[r->disk].vdev, d->path[r->disk],
			    strerror(-rc));
			return rc;
		}
		relocio_pipe_close(d->pipe);	/* copy from now on */
	}
	if (r->type == VBD_REC_DATA) {
		if ((rc = relocio_read_full(fd, d->buf, r->length, tmo)) != 0) {
			snprintf(why, whylen, "disk data cut short: %s",
			    strerror(-rc));
			return rc;
		}
	} else
		memset(d->buf, 0, r->length > VBD_DATA_MAX ? VBD_DATA_MAX :
		    r->length);
	if (r->type == VBD_REC_ZERO) {
		/* A new image reads as zeros until its first round ends. */
		if (d->fresh)
			return 0;
		if (fallocate(dfd, FALLOC_FL_ZERO_RANGE, (off_t)r->offset,
		    (off_t)r->length) == 0 || fallocate(dfd,
		    FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		    (off_t)r->offset, (off_t)r->length) == 0)
			return 0;
		for (uint64_t o = 0; o < r->length; o += VBD_DATA_MAX) {
			size_t n = r->length - o > VBD_DATA_MAX ?
			    VBD_DATA_MAX : (size_t)(r->length - o);

			if (pwrite(dfd, d->buf, n, (off_t)(r->offset + o)) !=
			    (ssize_t)n)
				goto fail_write;
		}
		return 0;
	}
	w = pwrite(dfd, d->buf, r->length, (off_t)r->offset);
	if (w == (ssize_t)r->length)
		return 0;
	if (w >= 0)
		errno = ENOSPC;
fail_write:
	rc = -errno;
	snprintf(why, whylen, "disk %s: cannot write %s: %s",
	    d->spec.d[r->disk].vdev, d->path[r->disk], strerror(errno));
	return rc;
}

int
vbdmig_dst_recv(struct vbdmig_dst *d, int fd, int flush, int tmo, char *why,
    size_t whylen)
{
	uint8_t hdr[VBD_REC_HDR];
	struct reloc_msg m;
	struct vbd_rec r;
	const char *bad;
	unsigned i;
	int rc;

	if ((rc = relocio_expect(fd, RELOC_DISKS, &m, tmo)) != 0) {
		snprintf(why, whylen, "the source did not send its disks: "
		    "%.300s", m.type == RELOC_ABORT && m.reason[0] ? m.reason :
		    strerror(-rc));
		return rc;
	}
	for (;;) {
		if ((rc = relocio_read_full(fd, hdr, sizeof(hdr), tmo)) != 0) {
			snprintf(why, whylen, "disk copy cut short: %s",
			    strerror(-rc));
			return rc;
		}
		if (vbd_rec_decode(hdr, &d->spec, &r, &bad) != 0) {
			snprintf(why, whylen, "bad disk record: %s", bad);
			return -EPROTO;
		}
		if (r.type == VBD_REC_END) {
			if (flush)	/* the last section: done */
				d->fresh = 0;
			break;
		}
		if (r.type == VBD_REC_ROUND) {
			if (r.offset == 0)
				fault_point("dst-vbd-mid-bulk", fd);
			d->fresh = 0;	/* later rounds rewrite blocks */
			continue;
		}
		if ((rc = vbd_apply(d, &r, fd, tmo, why, whylen)) != 0)
			return rc;
	}
	for (i = 0; flush && i < d->spec.n; i++)
		if (fsync(d->fd[i]) != 0) {
			rc = -errno;
			snprintf(why, whylen, "disk %s: cannot flush %s: %s",
			    d->spec.d[i].vdev, d->path[i], strerror(errno));
			return rc;
		}
	return 0;
}

/* Write the yajl tree v to g, disks rewritten for d. */
static void
vbd_gen(yajl_gen g, yajl_val v, const struct vbdmig_dst *d, int disks);

static void
vbd_gen_disk(yajl_gen g, yajl_val v, const struct vbdmig_dst *d)
{
	const char *vpath[] = { "vdev", NULL };
	yajl_val vd = yajl_tree_get(v, vpath, yajl_t_string);
	const char *path = NULL, *k;
	unsigned i;
	size_t j;

	for (i = 0; vd != NULL && i < d->spec.n; i++)
		if (strcmp(d->spec.d[i].vdev, vd->u.string) == 0)
			path = d->path[i];
	if (path == NULL) {
		vbd_gen(g, v, d, 0);
		return;
	}
	yajl_gen_map_open(g);
	for (j = 0; j < v->u.object.len; j++) {
		k = v->u.object.keys[j];
		yajl_gen_string(g, (const unsigned char *)k, strlen(k));
		if (strcmp(k, "pdev_path") == 0)
			yajl_gen_string(g, (const unsigned char *)path,
			    strlen(path));
		else if (strcmp(k, "backend") == 0)	/* a file now */
			yajl_gen_string(g, (const unsigned char *)"qdisk", 5);
		else
			vbd_gen(g, v->u.object.values[j], d, 0);
	}
	yajl_gen_map_close(g);
}

static void
vbd_gen(yajl_gen g, yajl_val v, const struct vbdmig_dst *d, int disks)
{
	const char *k;
	size_t j;

	if (YAJL_IS_OBJECT(v)) {
		yajl_gen_map_open(g);
		for (j = 0; j < v->u.object.len; j++) {
			k = v->u.object.keys[j];
			yajl_gen_string(g, (const unsigned char *)k, strlen(k));
			vbd_gen(g, v->u.object.values[j], d,
			    strcmp(k, "disks") == 0);
		}
		yajl_gen_map_close(g);
	} else if (YAJL_IS_ARRAY(v)) {
		yajl_gen_array_open(g);
		for (j = 0; j < v->u.array.len; j++) {
			if (disks && YAJL_IS_OBJECT(v->u.array.values[j]))
				vbd_gen_disk(g, v->u.array.values[j], d);
			else
				vbd_gen(g, v->u.array.values[j], d, 0);
		}
		yajl_gen_array_close(g);
	} else if (YAJL_IS_STRING(v))
		yajl_gen_string(g, (const unsigned char *)v->u.string,
		    strlen(v->u.string));
	else if (YAJL_IS_INTEGER(v))
		yajl_gen_integer(g, YAJL_GET_INTEGER(v));
	else if (YAJL_IS_DOUBLE(v))
		yajl_gen_double(g, YAJL_GET_DOUBLE(v));
	else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
		yajl_gen_bool(g, YAJL_IS_TRUE(v));
	else
		yajl_gen_null(g);
}

char *
vbdmig_dst_config(const struct vbdmig_dst *d, const char *config)
{
	const unsigned char *buf;
	char err[128], *out = NULL;
	yajl_val root;
	yajl_gen g;
	size_t len;

	if (config == NULL || (root = json_parse(config, err,
	    sizeof(err))) == NULL) {
		log_warnx("the domain config cannot be read to point it at "
		    "the new disks");
		return NULL;
	}
	if ((g = yajl_gen_alloc(NULL)) != NULL) {
		vbd_gen(g, root, d, 0);
		if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
			out = strndup((const char *)buf, len);
		yajl_gen_free(g);
	}
	yajl_tree_free(root);
	return out;
}

/* Remove (created) or empty (found empty) one image. */
static void
vbd_undo(const char *path, int created)
{
	int fd;

	if (created) {
		if (unlink(path) != 0 && errno != ENOENT)
			log_warn("cannot remove %s", path);
		else
			log_info("partial image %s removed", path);
		return;
	}
	if ((fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) != -1) {
		if (ftruncate(fd, 0) != 0)
			log_warn("cannot empty %s", path);
		close(fd);
	}
}

static void
vbd_close_all(struct vbdmig_dst *d)
{
	unsigned i;

	for (i = 0; i < VBD_DISKS_MAX; i++) {
		if (d->fd[i] != -1)
			close(d->fd[i]);
		d->fd[i] = -1;
	}
	free(d->buf);
	d->buf = NULL;
	relocio_pipe_close(d->pipe);
}

void
vbdmig_dst_abort(struct vbdmig_dst *d)
{
	char path[4200];
	unsigned i;

	vbd_close_all(d);
	for (i = 0; i < d->spec.n; i++)
		if (d->own[i])
			vbd_undo(d->path[i], d->created[i]);
	memset(d->own, 0, sizeof(d->own));
	if (d->recorded) {
		vbd_record_path(d->be, d->key, path, sizeof(path));
		unlink(path);
		d->recorded = 0;
	}
	d->spec.n = 0;
}

void
vbdmig_dst_commit(struct vbdmig_dst *d)
{
	char path[4200];

	vbd_close_all(d);
	if (d->recorded) {
		vbd_record_path(d->be, d->key, path, sizeof(path));
		if (unlink(path) != 0)
			log_warn("%s", path);
		d->recorded = 0;
	}
}

static void
vbd_sweep_kv(const char *key, const char *val, void *arg)
{
	(void)arg;
	if ((strcmp(key, "c") == 0 || strcmp(key, "e") == 0) &&
	    val[0] == '/')
		vbd_undo(val, key[0] == 'c');
}

int
vbdmig_dst_sweep(struct backend *be, const char *key)
{
	struct mig_dst_record gr;
	char path[4200];
	int rc;

	vbd_record_path(be, key, path, sizeof(path));
	if (access(path, F_OK) != 0)
		return -ENOENT;
	/* GO arrived: the images are the domain's. */
	if (mig_dst_record_read(be, key, &gr) == 0) {
		unlink(path);
		return 0;
	}
	log_warnx("disks of an incoming domain that never got GO (%s): "
	    "removing them", key);
	rc = util_read_kv(path, vbd_sweep_kv, NULL);
	if (rc == 0)
		unlink(path);
	return rc;
}

int
vbdmig_dst_sweep_all(struct backend *be)
{
	char key[128];
	struct dirent *e;
	DIR *dir;
	size_t plen = sizeof(VBD_REC_PREFIX) - 1;
	int n = 0;

	if ((dir = opendir(mig_state_dir(be))) == NULL)
		return 0;
	while ((e = readdir(dir)) != NULL) {
		if (strncmp(e->d_name, VBD_REC_PREFIX, plen) != 0 ||
		    strchr(e->d_name, '.') != NULL ||
		    util_strlcpy(key, e->d_name + plen, sizeof(key)) != 0 ||
		    key[0] == '\0')
			continue;
		if (vbdmig_dst_sweep(be, key) == 0)
			n++;
	}
	closedir(dir);
	return n;
}
