/*
 * xen_restore.c - the xen backend's restore and memory claims.
 *
 * Restore goes through libxl_domain_create_restore(), which builds the
 * domain with its devices, xenstore and console from the libxl
 * configuration and reads a libxl stream: the backend boundary is the
 * libxc stream, so a relay thread frames the caller's libxc stream as a
 * libxl stream (header, LIBXC_CONTEXT, the libxc records through its END,
 * for HVM the device model's records read through read_tail, libxl END)
 * on a socketpair, and claims the new domain's memory as soon as it
 * exists.  libxl writes an EMULATOR_CONTEXT to
 * /var/lib/xen/qemu-resume.DOMID and starts QEMU on it; when anything
 * fails it destroys the domain, which kills that QEMU and removes the
 * file.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen_int.h"
#include "be_xen.h"
#include "log.h"
#include "relocio.h"
#include "util.h"

int
xen_claim(struct backend *be, uint32_t domid, uint64_t pages)
{
	struct xen_priv *x = be->priv;

	if (pages > ULONG_MAX)
		return -ERANGE;
	if (xc_domain_claim_pages(x->xch, domid, pages) != 0) {
		if (errno == ENOMEM) {
			log_warnx("xen: cannot claim %llu pages for domain "
			    "%u: not enough free memory",
			    (unsigned long long)pages, domid);
			return -ENOMEM;
		}
		log_warn("xen: cannot claim %llu pages for domain %u",
		    (unsigned long long)pages, domid);
		return -errno;
	}
	return 0;
}

/*
 * Restore relay: libxl reads a libxl stream (docs/specs/
 * libxl-migration-stream), the caller hands us the libxc stream.  The
 * relay writes a libxl header and a LIBXC_CONTEXT record, then copies the
 * libxc stream record by record up to and including its END (so not a
 * byte past it is read from the caller's fd), then a libxl END record.
 */
#define LIBXL_STREAM_IDENT	UINT64_C(0x4c6962786c466d74) /* LibxlFmt */
#define LIBXL_STREAM_VERSION	2
#define LIBXL_REC_END		0
#define LIBXL_REC_LIBXC_CONTEXT	1
#define LIBXC_IHDR_MARKER	UINT64_C(0xffffffffffffffff)
#define LIBXC_IHDR_ID		0x58454e46U	/* XENF */
#define LIBXC_HEADERS_LEN	(24 + 16)	/* image + domain header */
#define LIBXC_REC_END		0
#define LIBXC_REC_MAX		(128U << 20)	/* libxenguest's limit */

#define LIBXC_REC_PAGE_DATA	1
#define XEN_CLAIM_WAIT_MS	10000

struct xen_relay {
	int			 in;
	int			 out;
	int			 pipe[2];	/* for splice; -1 when not used */
	int			 rc;
	/* The claim made for the new domain (see xen_relay_claim). */
	struct backend		*be;
	const char		*name;
	const uint8_t		*uuid;
	uint64_t		 claim_pages;
	uint32_t		 claimed_domid;
	/* HVM: the records after the libxc stream, forwarded before END. */
	const struct restore_params *params;
	int			 hvm;
	int			 tail_failed;	/* read_tail refused it */
};

static void
xen_put_be(uint8_t *p, uint64_t v, int n)
{
	while (n-- > 0) {
		p[n] = v & 0xff;
		v >>= 8;
	}
}

static void
xen_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

static uint32_t
xen_get_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static int
xen_relay_send(int out, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = send(out, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

/* Read exactly len bytes: a short stream is -EPIPE. */
static int
xen_relay_read(int in, void *buf, size_t len)
{
	ssize_t n;

	if ((n = util_read_full(in, buf, len)) < 0)
		return n;
	return (size_t)n == len ? 0 : -EPIPE;
}

/*
 * Forward len bytes: spliced socket -> pipe -> libxl's socket, the pages
 * never copied through this process (every copy counts on a busy dom0);
 * read + send where the input cannot be spliced.
 */
static int
xen_relay_copy(struct xen_relay *r, uint64_t len)
{
	uint8_t buf[65536];
	size_t chunk;
	int rc;

	if (r->pipe[0] >= 0) {
		rc = relocio_splice_full(r->in, r->out, NULL, len, r->pipe, -1);
		if (rc != -EOPNOTSUPP)
			return rc == -ECONNRESET ? -EPIPE : rc;
		relocio_pipe_close(r->pipe);
	}
	while (len > 0) {
		chunk = len < sizeof(buf) ? len : sizeof(buf);
		if ((rc = xen_relay_read(r->in, buf, chunk)) != 0 ||
		    (rc = xen_relay_send(r->out, buf, chunk)) != 0)
			return rc;
		len -= chunk;
	}
	return 0;
}

/* The domain libxl is building under "name" (and our uuid), if any yet. */
static uint32_t
xen_relay_find(struct xen_priv *x, struct xs_handle *xsh, const char *name,
    const uint8_t *uuid)
{
	xc_domaininfo_t info[XEN_LIST_BATCH];
	char path[64], *v;
	unsigned int len;
	uint32_t found = (uint32_t)INVALID_DOMID, next = 1;
	int n, i;

	while ((n = xc_domain_getinfolist(x->xch, next, XEN_LIST_BATCH,
	    info)) > 0) {
		for (i = 0; i < n; i++) {
			if (uuid != NULL && memcmp(info[i].handle, uuid, 16))
				continue;
			snprintf(path, sizeof(path), "/local/domain/%u/name",
			    info[i].domain);
			v = xs_read(xsh, XBT_NULL, path, &len);
			if (v != NULL && strcmp(v, name) == 0)
				found = info[i].domain;
			free(v);
		}
		if (found != (uint32_t)INVALID_DOMID || n < XEN_LIST_BATCH)
			break;
		next = info[n - 1].domain + 1;
	}
	return found;
}

/*
 * Claim the new domain's memory from the hypervisor before its first page
 * arrives (xc_domain_claim_pages), so that nothing else on the host can
 * take it while a long live migration streams in: the restore then cannot
 * fail half way for lack of memory.  libxl builds the domain before it
 * reads the stream; its name and uuid find it.  A claim the host cannot
 * give fails the restore before any page is placed.
 */
static int
xen_relay_claim(struct xen_relay *r)
{
	struct xen_priv *x = r->be->priv;
	uint64_t end = util_now_ns() + XEN_CLAIM_WAIT_MS * 1000000ULL;
	struct xs_handle *xsh;
	xc_domaininfo_t info;
	uint64_t pages;
	uint32_t id;
	int rc = 0, old;

	if (r->claim_pages == 0 || r->name == NULL)
		return 0;
	/* Bounded; a cancel must not leave a library lock held. */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	if ((xsh = xs_open(0)) == NULL) {
		log_warn("xen: xenstore; restoring without a memory claim");
		goto out;
	}
	while ((id = xen_relay_find(x, xsh, r->name, r->uuid)) ==
	    (uint32_t)INVALID_DOMID) {
		if (util_now_ns() > end) {
			log_warnx("xen: domain \"%s\" not found to claim its "
			    "memory; restoring without a claim", r->name);
			goto out;
		}
		usleep(10 * 1000);
	}
	/*
	 * Xen takes a claim only above the domain's pages and up to its
	 * maximum, which libxl sets once the domain is built: wait for it.
	 */
	for (;;) {
		if (xc_domain_getinfolist(x->xch, id, 1, &info) != 1 ||
		    info.domain != id) {
			log_warnx("xen: domain %u (%s) is gone", id, r->name);
			goto out;
		}
		if (info.max_pages > info.tot_pages)
			break;
		if (util_now_ns() > end) {
			log_warnx("xen: domain %u (%s) has no memory maximum "
			    "yet; restoring without a claim", id, r->name);
			goto out;
		}
		usleep(10 * 1000);
	}
	pages = r->claim_pages < info.max_pages ? r->claim_pages :
	    info.max_pages;
	if (pages <= info.tot_pages)
		goto out;
	/* Only a host short of memory stops the restore; else warn. */
	if ((rc = xen_claim(r->be, id, pages)) != 0) {
		if (rc != -ENOMEM) {
			log_warnx("xen: restoring domain %u (%s) without a "
			    "memory claim", id, r->name);
			rc = 0;
		}
		goto out;
	}
	r->claimed_domid = id;
	log_info("xen: claimed %llu pages for domain %u (%s)",
	    (unsigned long long)pages, id, r->name);
out:
	if (xsh != NULL)
		xs_close(xsh);
	pthread_setcancelstate(old, NULL);
	return rc;
}

/* One emulator record as libxl frames it: header, sub-header, padding. */
static int
xen_relay_emu_rec(int out, const struct emu_rec *e)
{
	uint8_t h[XEN_RHDR_SIZE + XEN_EMU_HDR_SIZE], pad[8] = { 0 };
	uint64_t body = XEN_EMU_HDR_SIZE + (uint64_t)e->len;
	int rc;

	if (body > XEN_REC_MAX)
		return -EFBIG;
	xen_put_le32(h, e->type);
	xen_put_le32(h + 4, (uint32_t)body);
	xen_put_le32(h + 8, e->emulator);
	xen_put_le32(h + 12, e->index);
	if ((rc = xen_relay_send(out, h, sizeof(h))) != 0 ||
	    (e->len > 0 && (rc = xen_relay_send(out, e->data, e->len)) != 0))
		return rc;
	if ((body & 7) != 0)
		rc = xen_relay_send(out, pad, 8 - (body & 7));
	return rc;
}

/*
 * The caller's records between the libxc END and the libxl END (checked
 * by read_tail), forwarded to libxl in order.
 */
static int
xen_relay_tail(struct xen_relay *r)
{
	struct emu_recs emu = { .n = 0 };
	unsigned i;
	int rc;

	if (!r->hvm || r->params->read_tail == NULL)
		return 0;
	rc = r->params->read_tail(r->params->tail_data, &emu);
	if (rc != 0)
		r->tail_failed = 1;
	else if (emu_recs_find(&emu, XEN_REC_EMULATOR_CONTEXT) == NULL) {
		log_warnx("xen: the stream of HVM domain \"%s\" carries no "
		    "device-model state", r->name != NULL ? r->name : "?");
		r->tail_failed = 1;
		rc = -EBADMSG;
	}
	for (i = 0; rc == 0 && i < emu.n; i++)
		rc = xen_relay_emu_rec(r->out, &emu.rec[i]);
	emu_recs_clear(&emu);
	return rc;
}

static int
xen_relay_run(struct xen_relay *r)
{
	uint8_t hdr[24], rec[8], ihdr[LIBXC_HEADERS_LEN];
	uint32_t type, len;
	int rc, cs, in = r->in, out = r->out, claimed = 0;

	xen_put_be(hdr, LIBXL_STREAM_IDENT, 8);
	xen_put_be(hdr + 8, LIBXL_STREAM_VERSION, 4);
	xen_put_be(hdr + 12, 0, 4);		/* little endian, not legacy */
	memset(hdr + 16, 0, 8);			/* LIBXC_CONTEXT, length 0 */
	hdr[16] = LIBXL_REC_LIBXC_CONTEXT;
	if ((rc = xen_relay_send(out, hdr, sizeof(hdr))) != 0)
		return rc;
	if ((rc = xen_relay_read(in, ihdr, sizeof(ihdr))) != 0)
		return rc;
	if (memcmp(ihdr, "\xff\xff\xff\xff\xff\xff\xff\xff" "XENF", 12) != 0)
		return -EPROTO;
	if ((rc = xen_relay_send(out, ihdr, sizeof(ihdr))) != 0)
		return rc;
	do {
		if ((rc = xen_relay_read(in, rec, sizeof(rec))) != 0)
			return rc;
		type = xen_get_le32(rec);
		len = xen_get_le32(rec + 4);
		if (len > LIBXC_REC_MAX)
			return -EPROTO;
		if (type == LIBXC_REC_PAGE_DATA && !claimed) {
			claimed = 1;
			if ((rc = xen_relay_claim(r)) != 0)
				return rc;
		}
		if ((rc = xen_relay_send(out, rec, sizeof(rec))) != 0 ||
		    (rc = xen_relay_copy(r, (len + 7ULL) & ~7ULL)) != 0)
			return rc;
	} while (type != LIBXC_REC_END);
	/*
	 * Not cancelled in the middle of the tail (its records would leak):
	 * the caller's read timeout bounds the wait instead.
	 */
	(void)pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cs);
	rc = xen_relay_tail(r);
	(void)pthread_setcancelstate(cs, NULL);
	if (rc != 0)
		return rc;
	memset(rec, 0, sizeof(rec));		/* libxl END */
	return xen_relay_send(out, rec, sizeof(rec));
}

static void *
xen_relay_main(void *arg)
{
	struct xen_relay *r = arg;

	r->rc = xen_relay_run(r);
	/* Let libxl see the end of what it will get. */
	shutdown(r->out, SHUT_WR);
	return NULL;
}

/* Parse the caller's configuration and apply the name and uuid asked. */
static int
xen_restore_config(struct xen_priv *x, const struct restore_params *p,
    libxl_domain_config *dc)
{
	if (p->config_json == NULL) {
		log_warnx("xen: a restore needs the domain's libxl "
		    "configuration");
		return -EINVAL;
	}
	if (libxl_domain_config_from_json(x->ctx, dc, p->config_json) != 0) {
		log_warnx("xen: cannot parse the domain configuration");
		return -EINVAL;
	}
	if (dc->c_info.type == LIBXL_DOMAIN_TYPE_INVALID) {
		log_warnx("xen: the domain configuration has no type");
		return -EINVAL;
	}
	/* A configuration without the build-info union leaves it unset. */
	if (dc->b_info.type == LIBXL_DOMAIN_TYPE_INVALID)
		libxl_domain_build_info_init_type(&dc->b_info,
		    dc->c_info.type);
	if (p->name != NULL) {
		free(dc->c_info.name);
		if ((dc->c_info.name = strdup(p->name)) == NULL)
			return -ENOMEM;
	}
	if (p->uuid != NULL)
		memcpy(libxl_uuid_bytearray(&dc->c_info.uuid), p->uuid, 16);
	else
		libxl_uuid_generate(&dc->c_info.uuid);
	return 0;
}

int
xen_restore(struct backend *be, int fd, const struct restore_params *params,
    uint32_t *domid)
{
	struct xen_priv *x = be->priv;
	libxl_domain_config dc;
	libxl_domain_restore_params rp;
	struct xen_relay r;
	pthread_t th;
	uint32_t newid = INVALID_DOMID;
	int sv[2], rc, lrc;

	*domid = INVALID_DOMID;
	libxl_domain_config_init(&dc);
	libxl_domain_restore_params_init(&rp);
	if ((rc = xen_restore_config(x, params, &dc)) != 0)
		goto out;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		rc = -errno;
		log_warn("xen: socketpair");
		goto out;
	}
	memset(&r, 0, sizeof(r));
	r.in = fd;
	r.out = sv[1];
	relocio_pipe_open(r.pipe);
	r.be = be;
	r.name = dc.c_info.name;
	r.uuid = libxl_uuid_bytearray(&dc.c_info.uuid);
	/* The larger of the configured and the reserved memory. */
	r.claim_pages = params->max_memkb / 4;
	if (dc.b_info.max_memkb != LIBXL_MEMKB_DEFAULT &&
	    dc.b_info.max_memkb / 4 > r.claim_pages)
		r.claim_pages = dc.b_info.max_memkb / 4;
	r.claimed_domid = INVALID_DOMID;
	r.params = params;
	r.hvm = dc.c_info.type == LIBXL_DOMAIN_TYPE_HVM;
	if ((rc = pthread_create(&th, NULL, xen_relay_main, &r)) != 0) {
		rc = -rc;
		goto out_close;
	}
	rp.checkpointed_stream = LIBXL_CHECKPOINTED_STREAM_NONE;
	rp.stream_version = 2;
	/* Builds the domain paused; on failure libxl destroys it. */
	lrc = libxl_domain_create_restore(x->ctx, &dc, &newid, sv[0], -1, &rp,
	    NULL, NULL);
	if (lrc != 0)
		pthread_cancel(th);	/* may wait on the caller's fd */
	pthread_join(th, NULL);
	if (lrc != 0) {
		log_warnx("xen: restoring domain \"%s\" failed%s",
		    dc.c_info.name != NULL ? dc.c_info.name : "?",
		    r.rc == -EPROTO ? ": not a libxc stream" :
		    r.rc == -ENOMEM ? ": the host cannot give its memory" :
		    r.tail_failed ? ": the device model's records" : "");
		rc = r.tail_failed ? r.rc : xen_libxl_errno(lrc);
		goto out_close;
	}
	if (r.rc != 0) {
		log_warnx("xen: restore relay failed: %s", strerror(-r.rc));
		libxl_domain_destroy(x->ctx, newid, NULL);
		rc = r.rc;
		goto out_close;
	}
	/* What the restore did not populate goes back to the host. */
	if (r.claimed_domid == newid)
		(void)xen_claim(be, newid, 0);
	*domid = newid;
	rc = 0;
out_close:
	close(sv[0]);
	close(sv[1]);
	relocio_pipe_close(r.pipe);
out:
	libxl_domain_restore_params_dispose(&rp);
	libxl_domain_config_dispose(&dc);
	return rc;
}

