/*
 * be_sim_stream.c - the simulated host's save and restore.
 */
#include "config.h"

#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "be_sim.h"
#include "be_sim_dm.h"
#include "be_sim_stream.h"
#include "fault.h"
#include "log.h"
#include "pace.h"
#include "relocio.h"
#include "savefile.h"
#include "simmem.h"
#include "stream_reader.h"
#include "util.h"

#define SIMS_IO_TIMEOUT_MS	(120 * 1000)
#define SIMS_DEFAULT_ROUNDS	5	/* libxenguest's default policy */
#define SIMS_DEFAULT_DIRTY	50

struct sims_out {
	int		 fd;
	const struct simmem *m;		/* the guest's memory */
	uint8_t		*copy;		/* short runs, read from its file */
	struct pace	 pace;		/* the bandwidth cap */
};

/* stream_writer flush: write to fd, no faster than the cap. */
static int
sims_flush(void *opaque, const void *data, size_t len)
{
	struct sims_out *o = opaque;

	pace_wait(&o->pace, len);
	return relocio_write_full(o->fd, data, len, SIMS_IO_TIMEOUT_MS);
}

#define SIMS_SENDFILE_MIN	(16 * SIMMEM_PAGE_SIZE)
#define SIMS_COPY_SIZE		(LIBXC_BATCH_MAX * SIMMEM_PAGE_SIZE)

/*
 * The same for a page batch, sent from the guest's memory file, never
 * through this process's mapping of it: faulting pages into the
 * mapping (and unmapping them after the last round, while the guest is
 * stopped) costs more than the copy.  Each long run of pages goes with
 * sendfile(), no copy made on this side; short runs (the scattered
 * pages of later rounds) are read into a buffer with pread() and go with
 * the record's header in one sendmsg().  Over a socket the kernel reads
 * a sendfile page when it transmits it, possibly after the guest wrote
 * it again; such a page is dirty again too (the guest marks a page after
 * writing it, and this round's log was cleaned before the send), so a
 * later round sends it once more, and the last round is sent with the
 * guest stopped.
 */
static int
sims_flushv(void *opaque, const struct stream_iov *iov, unsigned int n)
{
	struct sims_out *o = opaque;
	struct iovec v[1 + LIBXC_BATCH_MAX];
	const uint8_t *mem = o->m->mem, *b;
	unsigned int i, k = 0;
	size_t len = 0, used = 0;
	int rc;

	if (n > sizeof(v) / sizeof(v[0]))
		return -EINVAL;
	for (i = 0; i < n; i++)
		len += iov[i].len;
	pace_wait(&o->pace, len);
	for (i = 0; i < n; i++) {
		b = iov[i].base;
		v[k].iov_base = (void *)(uintptr_t)b;
		v[k].iov_len = iov[i].len;
		if (b < mem || b + iov[i].len > mem + o->m->memlen) {
			k++;	/* the record's header and pfns */
			continue;
		}
		if (iov[i].len < SIMS_SENDFILE_MIN &&
		    used + iov[i].len <= SIMS_COPY_SIZE) {
			if (o->copy == NULL &&
			    (o->copy = malloc(SIMS_COPY_SIZE)) == NULL)
				return -ENOMEM;
			if ((rc = simmem_read_pages(o->m, (uint64_t)(b - mem) /
			    SIMMEM_PAGE_SIZE, o->copy + used, iov[i].len /
			    SIMMEM_PAGE_SIZE)) != 0)
				return rc;
			v[k++].iov_base = o->copy + used;
			used += iov[i].len;
			continue;
		}
		if (k > 0 && (rc = relocio_writev_full(o->fd, v, k,
		    SIMS_IO_TIMEOUT_MS)) != 0)
			return rc;
		k = 0;
		used = 0;
		if ((rc = relocio_sendfile_full(o->fd, o->m->memfd,
		    (uint64_t)(b - mem), iov[i].len, SIMS_IO_TIMEOUT_MS)) != 0)
			return rc;
	}
	return k > 0 ? relocio_writev_full(o->fd, v, k, SIMS_IO_TIMEOUT_MS) : 0;
}

/*
 * Zero pages as XALLOC (save_params.xalloc): "data" has a bit for each
 * page this stream sent with data, which must never go as XALLOC after
 * (the restore would keep the old bytes).
 */
struct sims_zero {
	uint64_t	*data;		/* NULL: XALLOC not used */
	uint64_t	 pages;		/* sent as XALLOC */
};

/* One page, with data or (a zero page never sent with data) XALLOC. */
static int
sims_page(struct stream_writer *w, struct simmem *m, uint64_t pfn,
    struct sims_zero *z)
{
	uint64_t bit = UINT64_C(1) << (pfn % 64);

	if (z->data == NULL)
		return stream_writer_page(w, pfn, 0, simmem_page(m, pfn));
	if (!(z->data[pfn / 64] & bit) &&
	    util_all_zero(simmem_page(m, pfn), SIMMEM_PAGE_SIZE)) {
		z->pages++;
		return stream_writer_page(w, pfn, LIBXC_PAGE_XALLOC, NULL);
	}
	z->data[pfn / 64] |= bit;
	return stream_writer_page(w, pfn, 0, simmem_page(m, pfn));
}

/* Send the pages whose bits are set; count them in *sent. */
static int
sims_send(struct stream_writer *w, struct simmem *m, const uint64_t *bits,
    unsigned iteration, uint64_t total, struct save_callbacks *cb,
    struct sims_zero *z)
{
	uint64_t word, pfn, sent = 0;
	size_t i;
	int rc;

	for (i = 0; i < m->nwords; i++) {
		for (word = bits[i]; word != 0; word &= word - 1) {
			pfn = (uint64_t)i * 64 + (uint64_t)__builtin_ctzll(word);
			if (pfn >= m->npages)
				break;
			if ((rc = sims_page(w, m, pfn, z)) != 0)
				return rc;
			if ((++sent & 1023) == 0 && cb->progress != NULL)
				cb->progress(iteration, sent, total, cb->data);
		}
	}
	if ((rc = stream_writer_flush_pages(w)) != 0)
		return rc;
	if (cb->progress != NULL)
		cb->progress(iteration, sent, total, cb->data);
	return 0;
}

/* libxenguest's policy when the caller gives none. */
static int
sims_default_policy(struct precopy_stats s)
{
	if (s.dirty_count >= 0 && s.dirty_count < SIMS_DEFAULT_DIRTY)
		return PRECOPY_STOP_AND_COPY;
	return s.iteration + 1 >= SIMS_DEFAULT_ROUNDS ?
	    PRECOPY_STOP_AND_COPY : PRECOPY_CONTINUE;
}

/* The caller's precopy policy, or libxenguest's default. */
static int
sims_ask(struct save_callbacks *cb, struct precopy_stats s)
{
	int d = cb->precopy_policy != NULL ?
	    cb->precopy_policy(s, cb->data) : sims_default_policy(s);

	if (d == PRECOPY_ABORT)
		log_info("save aborted by the precopy policy");
	return d;
}

/*
 * The live rounds; returns 0 when it is time to suspend, with the number
 * of rounds sent in *rounds.
 */
static int
sims_live(struct stream_writer *w, struct simmem *m, uint64_t *bits,
    struct save_callbacks *cb, struct sims_zero *z, unsigned *rounds)
{
	struct precopy_stats s = { 0, 0, (int64_t)m->npages };
	int d, rc;

	for (;;) {
		if ((d = sims_ask(cb, s)) == PRECOPY_ABORT)
			return -ECANCELED;
		if (s.dirty_count > 0 && (rc = sims_send(w, m, bits,
		    s.iteration, (uint64_t)s.dirty_count, cb, z)) != 0)
			return rc;
		*rounds = s.iteration + 1;
		if (d != PRECOPY_CONTINUE)
			return 0;
		s.iteration++;
		s.total_written += (uint64_t)s.dirty_count;
		/* As libxenguest: asked again before the dirty log is read. */
		s.dirty_count = -1;
		if ((d = sims_ask(cb, s)) == PRECOPY_ABORT)
			return -ECANCELED;
		if (d != PRECOPY_CONTINUE)
			return 0;
		s.dirty_count = (int64_t)simmem_dirty_clean(m, bits);
	}
}

int
be_sim_stream_save(struct backend *be, uint32_t domid, int fd,
    const struct save_params *params, struct save_callbacks *cb)
{
	struct savefile_params sp = { .format = STREAM_FMT_LIBXC,
	    .dom_type = LIBXC_DOM_X86_HVM };
	struct sims_out out = { .fd = fd };
	struct sims_zero zero = { .data = NULL };
	struct stream_writer *w = NULL;
	struct simmem *m = NULL;
	struct dom_info d;
	uint64_t *bits = NULL, n;
	unsigned iteration = 0;
	int rc, hvm, dm_logdirty = 0;

	pace_init(&out.pace, params->bandwidth);
	if ((rc = be->ops->info(be, domid, &d)) != 0)
		return rc;
	hvm = d.type == DOM_TYPE_HVM;
	if (d.type == DOM_TYPE_PV)
		sp.dom_type = LIBXC_DOM_X86_PV;
	/*
	 * The device model answers before anything changes (a dead one
	 * fails the save with the guest untouched); its own log-dirty is
	 * on for the live rounds, as libxenguest's switch_qemu_logdirty.
	 */
	if (hvm && (rc = params->live ? be_sim_dm_logdirty(be, domid, 1) :
	    be_sim_dm_ping(be, domid)) != 0) {
		log_warnx("domain %u: its device model does not answer: not "
		    "saved, left as it is", domid);
		return rc;
	}
	dm_logdirty = hvm && params->live;
	if ((rc = be_sim_map(be, domid, &m)) != 0)
		goto out;
	sp.max_pfn = m->npages - 1;
	sp.vcpus = d.vcpus;
	out.m = m;
	rc = -ENOMEM;
	if ((bits = malloc(m->nwords * sizeof(*bits))) == NULL ||
	    /* Its check, page by page through the guest's mapping, costs
	     * more than the framed stream's encoder: left to it. */
	    (params->xalloc && !params->framed && (zero.data =
	    calloc(m->nwords, sizeof(*zero.data))) == NULL) ||
	    (w = stream_writer_new(sims_flush, &out, 0)) == NULL)
		goto out;
	stream_writer_set_flushv(w, sims_flushv);
	if ((rc = savefile_begin(w, &sp)) != 0)
		goto fail_write;
	/* Every page goes once at least: start with all bits set. */
	memset(bits, 0xff, m->nwords * sizeof(*bits));
	if (params->live) {
		simmem_logdirty_enable(m);
		if ((rc = sims_live(w, m, bits, cb, &zero, &iteration)) != 0)
			goto out;
	}
	if (!cb->suspend(cb->data)) {
		rc = -EAGAIN;
		log_warnx("domain %u: save stopped before the final copy: "
		    "the suspend step failed", domid);
		goto out;
	}
	/*
	 * Still the suspend step, as libxl's suspend callback: with the
	 * guest stopped, its device model stops and saves its state,
	 * before the last memory round.  On failure the caller resumes
	 * the domain, which sends "cont".
	 */
	if (hvm && (rc = be_sim_dm_save(be, domid, params->emu, 1)) != 0) {
		log_warnx("domain %u: save stopped: the device model's state "
		    "could not be saved", domid);
		goto out;
	}
	if (params->live) {
		/* The stop-and-copy round follows the live ones. */
		n = simmem_dirty_clean(m, bits);
		log_debug("domain %u: %llu pages dirty after suspend", domid,
		    (unsigned long long)n);
	} else
		n = m->npages;
	if ((rc = sims_send(w, m, bits, iteration, n, cb, &zero)) != 0 ||
	    (rc = savefile_end(w, &sp)) != 0)
		goto fail_write;
	if (cb->postcopy != NULL && !cb->postcopy(cb->data))
		rc = -EIO;
	goto out;
fail_write:
	log_warnx("domain %u: writing the stream failed: %s", domid,
	    strerror(-rc));
out:
	if (dm_logdirty && be_sim_dm_logdirty(be, domid, 0) != 0)
		log_debug("domain %u: device model log-dirty left on", domid);
	if (m != NULL && simmem_logdirty_enabled(m))
		simmem_logdirty_disable(m);
	stream_writer_free(w);
	free(bits);
	free(zero.data);
	if (params->xalloc_pages != NULL)
		*params->xalloc_pages = zero.pages;
	free(out.copy);
	simmem_close(m);
	return rc;
}

/* ------------------------------------------------------------ restore */

struct sims_in {
	int		 fd;
	struct simmem	*m;
	uint64_t	*seen;		/* pages written, a bit each */
	int		 pipe[2];	/* for splice; -1 when not used */
	uint8_t		*bounce;	/* when splice cannot be used */
	uint64_t	 pages_in;	/* pages written so far */
	int		 mid_seen;	/* half the memory has arrived */
};

/* One PAGE_DATA record's worth of pages. */
#define SIMS_BOUNCE_SIZE	((uint64_t)LIBXC_BATCH_MAX * SIMMEM_PAGE_SIZE)

static ssize_t
sims_read(void *opaque, void *buf, size_t len)
{
	struct sims_in *in = opaque;
	ssize_t n;
	int rc;

	if ((rc = relocio_wait(in->fd, POLLIN, SIMS_IO_TIMEOUT_MS)) != 0)
		return rc;
	n = read(in->fd, buf, len);
	return n < 0 ? -errno : n;
}

/* Exactly len bytes of input into the bounce buffer; -EPIPE at its end. */
static int
sims_read_bounce(struct sims_in *in, uint64_t len)
{
	int rc;

	if (in->bounce == NULL &&
	    (in->bounce = malloc(SIMS_BOUNCE_SIZE)) == NULL)
		return -ENOMEM;
	rc = relocio_read_full(in->fd, in->bounce, (size_t)len,
	    SIMS_IO_TIMEOUT_MS);
	return rc == -ECONNRESET ? -EPIPE : rc;
}

/* len bytes (whole pages) of input to the memory file from page pfn on,
 * by read + pwrite, a bounce buffer at a time. */
static int
sims_copy_bounce(struct sims_in *in, uint64_t pfn, uint64_t len)
{
	uint64_t done, n;
	int rc;

	for (done = 0; done < len; done += n) {
		n = len - done < SIMS_BOUNCE_SIZE ? len - done :
		    SIMS_BOUNCE_SIZE;
		if ((rc = sims_read_bounce(in, n)) != 0 ||
		    (rc = simmem_write_pages(in->m, pfn + done /
		    SIMMEM_PAGE_SIZE, in->bounce, n / SIMMEM_PAGE_SIZE)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Move len bytes of input into the memory file at page pfn: spliced
 * socket -> pipe -> file, so the pages are never copied through this
 * process; read + pwrite where the input cannot be spliced.
 */
static int
sims_copy_in(struct sims_in *in, uint64_t pfn, uint64_t len)
{
	int64_t off = (int64_t)(pfn * SIMMEM_PAGE_SIZE);
	int rc;

	if (in->pipe[0] < 0)
		return sims_copy_bounce(in, pfn, len);
	rc = relocio_splice_full(in->fd, in->m->memfd, &off, len, in->pipe,
	    SIMS_IO_TIMEOUT_MS);
	if (rc == -EOPNOTSUPP) {
		/* This input does not splice: copy instead. */
		relocio_pipe_close(in->pipe);
		return sims_copy_bounce(in, pfn, len);
	}
	return rc == -ECONNRESET ? -EPIPE : rc;
}

/* Length of the run of adjacent pages with data from entry i on. */
static uint32_t
sims_run(const struct libxc_page_batch *b, uint32_t i)
{
	uint32_t n;

	for (n = 1; i + n < b->count &&
	    libxc_page_type_has_data(b->type[i + n]) &&
	    b->pfn[i + n] == b->pfn[i] + n; n++)
		;
	return n;
}

/* Set n bits from bit pfn on. */
static void
sims_mark(uint64_t *bits, uint64_t pfn, uint32_t n)
{
	for (; n > 0; n--, pfn++)
		bits[pfn / 64] |= UINT64_C(1) << (pfn % 64);
}

/*
 * The reader's page sink.  Long runs of adjacent pages (a first round)
 * are spliced, each in one move; scattered pages (later rounds) are read
 * in one go into a buffer and written run by run, rather than paying
 * three system calls a page.  The reader has checked every pfn against
 * the domain's size; the sink checks again before a byte is moved, as a
 * pfn past the end would be written outside the memory and the seen map.
 */
#define SIMS_SPLICE_MIN_RUN	64	/* pages, on average */

static int
sims_sink(void *opaque, const struct libxc_page_batch *b, uint64_t len)
{
	struct sims_in *in = opaque;
	uint64_t used = 0, runs = 0;
	uint32_t i, n;
	int rc, bounce;

	for (i = 0; i < b->count; i += n) {
		n = 1;
		if (!libxc_page_type_has_data(b->type[i]))
			continue;
		n = sims_run(b, i);
		runs++;
		/* pfn < 2^52 and n <= LIBXC_BATCH_MAX: no overflow. */
		if (b->pfn[i] + n > in->m->npages) {
			log_warnx("restore: pfns 0x%llx-0x%llx past the "
			    "domain's last pfn 0x%llx",
			    (unsigned long long)b->pfn[i],
			    (unsigned long long)(b->pfn[i] + n - 1),
			    (unsigned long long)(in->m->npages - 1));
			return -ERANGE;
		}
	}
	if (runs == 0)
		return len == 0 ? 0 : -EIO;
	bounce = len / runs < SIMS_SPLICE_MIN_RUN * SIMMEM_PAGE_SIZE;
	if (bounce) {
		if (len > SIMS_BOUNCE_SIZE)
			return -EIO;
		if ((rc = sims_read_bounce(in, len)) != 0)
			return rc;
	}
	for (i = 0; i < b->count; i += n) {
		n = 1;
		if (!libxc_page_type_has_data(b->type[i]))
			continue;
		n = sims_run(b, i);
		if (used + (uint64_t)n * SIMMEM_PAGE_SIZE > len)
			return -EIO;
		sims_mark(in->seen, b->pfn[i], n);
		rc = bounce ? simmem_write_pages(in->m, b->pfn[i],
		    in->bounce + used, n) : sims_copy_in(in, b->pfn[i],
		    (uint64_t)n * SIMMEM_PAGE_SIZE);
		if (rc != 0)
			return rc;
		used += (uint64_t)n * SIMMEM_PAGE_SIZE;
	}
	in->pages_in += used / SIMMEM_PAGE_SIZE;
	if (!in->mid_seen && in->pages_in >= in->m->npages / 2) {
		in->mid_seen = 1;
		fault_point("dst-mid-stream", in->fd);
	}
	return used == len ? 0 : -EIO;
}

/* Read the libxc stream into m; returns 0 at END or a negative errno. */
static int
sims_read_stream(struct simmem *m, int fd, uint32_t dom_type)
{
	struct sims_in in = { .fd = fd, .m = m, .pipe = { -1, -1 } };
	struct stream_reader *r;
	struct stream_event ev;
	struct srerr e;
	char buf[300];
	int rc;

	srerr_clear(&e);
	if (m->npages == 0)	/* npages - 1 would lift the bound */
		return -EINVAL;
	if ((in.seen = calloc(m->nwords, sizeof(*in.seen))) == NULL)
		return -ENOMEM;
	if ((r = stream_reader_new(STREAM_FMT_LIBXC, sims_read, &in)) == NULL) {
		free(in.seen);
		return -ENOMEM;
	}
	/* The highest pfn: 0 for one page is a bound like any other. */
	stream_reader_set_max_pfn(r, m->npages - 1);
	relocio_pipe_open(in.pipe);
	stream_reader_set_page_sink(r, sims_sink, &in);
	while ((rc = stream_reader_next(r, &ev, &e)) == 1) {
		if (ev.kind == STREAM_EV_LIBXC_HEADER &&
		    ev.dhdr->type != dom_type) {
			rc = srerr_set(&e, SRERR_TYPE, ev.offset,
			    "libxc domain header", "a %s stream cannot be "
			    "restored into a simulated %s domain",
			    libxc_dom_type_name(ev.dhdr->type),
			    libxc_dom_type_name(dom_type));
			break;
		}
		/* PAGE_DATA went to sims_sink. */
	}
	if (rc < 0)
		log_warnx("restore: %s", srerr_format(&e, buf, sizeof(buf)));
	/*
	 * The memory may have been another domain's (SIMHOST_ADD_REUSE),
	 * and pages absent from the stream are unpopulated, zeros, on Xen.
	 */
	else if ((rc = simmem_zero_unset(m, in.seen)) != 0)
		log_warnx("restore: cannot clear the pages the stream did "
		    "not fill: %s", strerror(-rc));
	stream_reader_free(r);
	free(in.seen);
	relocio_pipe_close(in.pipe);
	free(in.bounce);
	return rc;
}

int
be_sim_stream_restore(struct backend *be, int fd,
    const struct restore_params *rp, uint32_t *domid)
{
	struct emu_recs emu = { .n = 0 };
	struct be_sim_params p;
	struct simmem *m = NULL;
	int rc;

	if ((rc = be_sim_params_from_restore(rp, &p)) != 0)
		return rc;
	if ((rc = be_sim_create_paused(be, &p, domid)) != 0)
		return rc;
	if ((rc = be_sim_map(be, *domid, &m)) != 0)
		goto fail_destroy;
	rc = sims_read_stream(m, fd, p.type == DOM_TYPE_PV ?
	    LIBXC_DOM_X86_PV : LIBXC_DOM_X86_HVM);
	simmem_close(m);
	if (rc != 0 || p.type != DOM_TYPE_HVM)
		goto done;
	/*
	 * As libxl: the device model's records follow the libxc stream; a
	 * new device model starts from its state, stopped until the
	 * domain's first unpause.  An HVM domain without one is refused.
	 */
	if (rp->read_tail == NULL) {
		log_warnx("restore: no way to read the device model's state");
		rc = -EINVAL;
	} else if ((rc = rp->read_tail(rp->tail_data, &emu)) == 0)
		rc = be_sim_dm_load(be, *domid, &emu);
	emu_recs_clear(&emu);
done:
	if (rc == 0)
		return 0;
fail_destroy:
	if (be->ops->destroy(be, *domid) != 0)
		log_warnx("could not destroy the partly restored domain %u",
		    *domid);
	return rc;
}
