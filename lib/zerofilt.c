/*
 * zerofilt.c - zero pages of a libxc stream as XALLOC entries.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cursor.h"
#include "libxc_stream.h"
#include "log.h"
#include "relocio.h"
#include "util.h"
#include "zerofilt.h"

/* A PAGE_DATA record of libxenguest: a batch of 1024 pages at most. */
#define ZF_REC_MAX	(16 + LIBXC_BATCH_MAX * (8 + LIBXC_PAGE_SIZE))
/* Highest pfn followed: 2^40 pages (4 PiB) is more than any guest. */
#define ZF_PFN_MAX	(UINT64_C(1) << 40)
#define ZF_NOTAB	LIBXC_PAGE_NOTAB

struct zerofilt {
	int		 in;		/* the pipe's read end */
	int		 wfd;		/* its write end (the saver's) */
	int		 out;
	int		 timeout_ms;
	pthread_t	 thread;
	int		 rc;
	uint64_t	 xalloc;
	uint64_t	*sent;		/* a bit per pfn passed with data */
	uint64_t	 nbits;
	uint8_t		*rec, *obuf;
};

/* Exactly len bytes of input: 0, -ECONNRESET at its end, or -errno. */
static int
zf_read(struct zerofilt *z, void *buf, size_t len)
{
	return relocio_read_full(z->in, buf, len, z->timeout_ms);
}

/* Mark pfn passed with data; 0 or -ENOMEM. */
static int
zf_mark(struct zerofilt *z, uint64_t pfn)
{
	uint64_t n, *p;

	if (pfn >= z->nbits) {
		for (n = z->nbits ? z->nbits : 65536; n <= pfn; n *= 2)
			;
		if ((p = realloc(z->sent, n / 8)) == NULL)
			return -ENOMEM;
		memset((uint8_t *)p + z->nbits / 8, 0, (n - z->nbits) / 8);
		z->sent = p;
		z->nbits = n;
	}
	z->sent[pfn / 64] |= UINT64_C(1) << (pfn % 64);
	return 0;
}

static int
zf_was_sent(const struct zerofilt *z, uint64_t pfn)
{
	return pfn < z->nbits &&
	    (z->sent[pfn / 64] & (UINT64_C(1) << (pfn % 64))) != 0;
}

/*
 * Rewrite a PAGE_DATA body of len bytes (z->rec) into z->obuf; sets
 * *olen.  0, or -EBADMSG for a body that does not add up.
 */
static int
zf_page_data(struct zerofilt *z, uint32_t len, uint32_t *olen)
{
	const uint8_t *data;
	uint64_t e, pfn;
	uint32_t count, i, type, used = 0, at;
	int rc;

	if (len < 8)
		return -EBADMSG;
	count = load_le32(z->rec);
	if (count == 0 || count > LIBXC_BATCH_MAX ||
	    len < 8 + (uint64_t)count * 8)
		return -EBADMSG;
	data = z->rec + 8 + (size_t)count * 8;
	memcpy(z->obuf, z->rec, 8 + (size_t)count * 8);
	at = 8 + count * 8;
	for (i = 0; i < count; i++) {
		e = load_le64(z->rec + 8 + (size_t)i * 8);
		pfn = e & LIBXC_PFN_MASK;
		type = (uint32_t)(e >> LIBXC_PFN_TYPE_SHIFT);
		if (!libxc_page_type_has_data(type))
			continue;
		if (pfn >= ZF_PFN_MAX || 8 + (uint64_t)count * 8 + used +
		    LIBXC_PAGE_SIZE > len)
			return -EBADMSG;
		if (type == ZF_NOTAB && !zf_was_sent(z, pfn) &&
		    util_all_zero(data + used, LIBXC_PAGE_SIZE)) {
			e = pfn | (uint64_t)LIBXC_PAGE_XALLOC <<
			    LIBXC_PFN_TYPE_SHIFT;
			store_le32(z->obuf + 8 + (size_t)i * 8, (uint32_t)e);
			store_le32(z->obuf + 12 + (size_t)i * 8,
			    (uint32_t)(e >> 32));
			z->xalloc++;
		} else {
			if ((rc = zf_mark(z, pfn)) != 0)
				return rc;
			memcpy(z->obuf + at, data + used, LIBXC_PAGE_SIZE);
			at += LIBXC_PAGE_SIZE;
		}
		used += LIBXC_PAGE_SIZE;
	}
	if (8 + (uint64_t)count * 8 + used != len)
		return -EBADMSG;
	*olen = at;
	return 0;
}

/* Pass one record on; 1 after END, 0 for more, or a negative errno. */
static int
zf_record(struct zerofilt *z)
{
	uint8_t h[LIBXC_RHDR_SIZE];
	uint32_t type, len, olen, pad;
	int rc;

	if ((rc = zf_read(z, h, sizeof(h))) != 0)
		return rc;
	type = load_le32(h);
	len = load_le32(h + 4);
	pad = (8 - len % 8) % 8;
	if ((uint64_t)len + pad > ZF_REC_MAX + 8)
		return -EBADMSG;
	if ((rc = zf_read(z, z->rec, (size_t)len + pad)) != 0)
		return rc;
	if (type != LIBXC_REC_PAGE_DATA) {
		if ((rc = relocio_write_full(z->out, h, sizeof(h),
		    z->timeout_ms)) != 0 || (rc = relocio_write_full(z->out,
		    z->rec, (size_t)len + pad, z->timeout_ms)) != 0)
			return rc;
		return type == LIBXC_REC_END ? 1 : 0;
	}
	if ((rc = zf_page_data(z, len, &olen)) != 0)
		return rc;
	/* Whole pages and 8-byte entries: the body stays 8-aligned. */
	store_le32(h + 4, olen);
	if ((rc = relocio_write_full(z->out, h, sizeof(h),
	    z->timeout_ms)) != 0)
		return rc;
	return relocio_write_full(z->out, z->obuf, olen, z->timeout_ms);
}

static void *
zf_thread(void *arg)
{
	struct zerofilt *z = arg;
	uint8_t hdr[LIBXC_IHDR_SIZE + LIBXC_DHDR_SIZE];
	int rc;

	if ((rc = zf_read(z, hdr, sizeof(hdr))) == 0)
		rc = relocio_write_full(z->out, hdr, sizeof(hdr),
		    z->timeout_ms);
	while (rc == 0)
		rc = zf_record(z);
	if (rc < 0) {
		log_warnx("zero page filter: %s", rc == -EBADMSG ?
		    "a record it cannot read" : strerror(-rc));
		z->rc = rc;
		/* The saver must not block on a dead filter. */
		close(z->in);
		z->in = -1;
	}
	return NULL;
}

int
zerofilt_start(int out, int timeout_ms, struct zerofilt **zp, int *wfd)
{
	struct zerofilt *z;
	int p[2], rc;

	if ((z = calloc(1, sizeof(*z))) == NULL)
		return -ENOMEM;
	z->out = out;
	z->timeout_ms = timeout_ms;
	z->in = z->wfd = -1;
	rc = -ENOMEM;
	if ((z->rec = malloc(ZF_REC_MAX + 16)) == NULL ||
	    (z->obuf = malloc(ZF_REC_MAX + 16)) == NULL)
		goto fail;
	if (pipe2(p, O_CLOEXEC) != 0) {
		rc = -errno;
		goto fail;
	}
	z->in = p[0];
	z->wfd = p[1];
	if ((rc = -pthread_create(&z->thread, NULL, zf_thread, z)) != 0)
		goto fail;
	*zp = z;
	*wfd = z->wfd;
	return 0;
fail:
	if (z->in >= 0)
		close(z->in);
	if (z->wfd >= 0)
		close(z->wfd);
	free(z->rec);
	free(z->obuf);
	free(z);
	return rc;
}

int
zerofilt_finish(struct zerofilt *z, uint64_t *xalloc)
{
	int rc;

	if (z == NULL)
		return 0;
	close(z->wfd);
	pthread_join(z->thread, NULL);
	if (z->in >= 0)
		close(z->in);
	rc = z->rc;
	if (xalloc != NULL)
		*xalloc = z->xalloc;
	free(z->sent);
	free(z->rec);
	free(z->obuf);
	free(z);
	return rc;
}
