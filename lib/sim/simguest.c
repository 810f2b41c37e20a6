/*
 * simguest.c - the simulated guest's memory layout, page writer and
 * integrity check; the guest process (rate loop, pause points, xenstore
 * suspend, spawn and kill).
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenstore.h>

#include "log.h"
#include "simdisk.h"
#include "simdm.h"
#include "simguest.h"
#include "simproc.h"
#include "util.h"

#define SG_WORDS	(SIMGUEST_PAYLOAD / 8)

_Static_assert(sizeof(struct simguest_hdr) <= SIMMEM_PAGE_SIZE,
    "guest header fits page 0");
_Static_assert(sizeof(struct simguest_page) == 16, "page head is 16 bytes");
_Static_assert(SIMGUEST_PAYLOAD % 8 == 0, "payload is whole words");

static inline uint64_t
sg_mix(uint64_t z)
{
	z += UINT64_C(0x9e3779b97f4a7c15);
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline uint32_t
sg_fold(uint64_t sum)
{
	return (uint32_t)(sum ^ (sum >> 32));
}

/*
 * Fill "dst" (SIMGUEST_PAYLOAD bytes) with the payload of (pfn, gen):
 * xorshift64* seeded from both, about a nanosecond a word.  Returns the
 * payload's checksum.
 */
static uint32_t
sg_fill(uint8_t *dst, uint64_t pfn, uint32_t gen)
{
	uint64_t x = sg_mix(pfn ^ sg_mix(gen)) | 1, w, sum = 0;
	size_t i;

	for (i = 0; i < SG_WORDS; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		w = x * UINT64_C(0x2545f4914f6cdd1d);
		memcpy(dst + i * 8, &w, 8);
		sum = ((sum << 7) | (sum >> 57)) ^ w;
	}
	return sg_fold(sum);
}

/*
 * Text-like payload of (pfn, gen): words of a small vocabulary, eight
 * bytes each, picked by the same generator.  Returns the checksum.
 */
static uint32_t
sg_fill_text(uint8_t *dst, uint64_t pfn, uint32_t gen)
{
	static const char words[32][9] = {
		"the     ", "memory  ", "of      ", "domain  ", "page    ",
		"and     ", "guest   ", "kernel  ", "to      ", "xen     ",
		"is      ", "a       ", "log     ", "for     ", "file    ",
		"data    ", "in      ", "error:  ", "user    ", "with    ",
		"process ", "network ", "disk    ", "on      ", "buffer  ",
		"cache   ", "read    ", "write   ", "time    ", "value   ",
		"=       ", "\n       ",
	};
	uint64_t x = sg_mix(pfn ^ sg_mix(gen ^ 0x74657874u)) | 1, w, sum = 0;
	size_t i;

	for (i = 0; i < SG_WORDS; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		memcpy(&w, words[(x * UINT64_C(0x2545f4914f6cdd1d)) >> 59], 8);
		memcpy(dst + i * 8, &w, 8);
		sum = ((sum << 7) | (sum >> 57)) ^ w;
	}
	return sg_fold(sum);
}

enum sg_kind { SG_RANDOM, SG_ZERO, SG_TEXT };

/* What page pfn holds at generation gen in a guest of this content. */
static enum sg_kind
sg_kind(uint32_t content, uint64_t pfn, uint32_t gen)
{
	uint64_t x;

	switch (content) {
	case SIMGUEST_CONTENT_ZERO:
		return SG_ZERO;
	case SIMGUEST_CONTENT_TEXT:
		return SG_TEXT;
	case SIMGUEST_CONTENT_MIXED:
		x = sg_mix(pfn * 0x100000001b3u ^ gen) & 3;
		return x < 2 ? SG_ZERO : x == 2 ? SG_TEXT : SG_RANDOM;
	default:
		return SG_RANDOM;
	}
}

/* The payload of (pfn, gen) for its kind (not SG_ZERO); the checksum. */
static uint32_t
sg_fill_kind(uint8_t *dst, enum sg_kind k, uint64_t pfn, uint32_t gen)
{
	return k == SG_TEXT ? sg_fill_text(dst, pfn, gen) :
	    sg_fill(dst, pfn, gen);
}

static uint32_t
sg_csum(const uint8_t *src)
{
	uint64_t w, sum = 0;
	size_t i;

	for (i = 0; i < SG_WORDS; i++) {
		memcpy(&w, src + i * 8, 8);
		sum = ((sum << 7) | (sum >> 57)) ^ w;
	}
	return sg_fold(sum);
}

static uint64_t
sg_ledger_pages(uint64_t npages)
{
	return (npages * 4 + SIMMEM_PAGE_SIZE - 1) / SIMMEM_PAGE_SIZE;
}

static struct simguest_hdr *
sg_hdr(const struct simmem *m)
{
	return (struct simguest_hdr *)(void *)simmem_page(m, 0);
}

static uint32_t *
sg_ledger(const struct simmem *m, const struct simguest_hdr *h)
{
	return (uint32_t *)(void *)simmem_page(m, h->ledger_start);
}

static const char *const sg_content_names[] = {
	[SIMGUEST_CONTENT_RANDOM] = "random",
	[SIMGUEST_CONTENT_ZERO] = "zero",
	[SIMGUEST_CONTENT_TEXT] = "text",
	[SIMGUEST_CONTENT_MIXED] = "mixed",
};

const char *
simguest_content_name(unsigned content)
{
	return content <= SIMGUEST_CONTENT_MAX ? sg_content_names[content] :
	    NULL;
}

int
simguest_content_parse(const char *s, unsigned *content)
{
	unsigned i;

	for (i = 0; i <= SIMGUEST_CONTENT_MAX; i++)
		if (strcmp(s, sg_content_names[i]) == 0) {
			*content = i;
			return 0;
		}
	return -EINVAL;
}

const char *
simguest_defect_name(enum simguest_defect k)
{
	static const char *const names[] = {
		[SIMGUEST_OK] = "intact",
		[SIMGUEST_MISSING] = "missing",
		[SIMGUEST_MISPLACED] = "misplaced",
		[SIMGUEST_STALE] = "stale",
		[SIMGUEST_AHEAD] = "ahead of ledger",
		[SIMGUEST_CORRUPTED] = "corrupted",
	};

	if ((unsigned)k >= ARRAY_SIZE(names))
		return "unknown";
	return names[k];
}

static void
sg_write_page(struct simmem *m, uint32_t content, uint64_t pfn,
    uint32_t gen)
{
	uint8_t *page = simmem_page(m, pfn);
	enum sg_kind k = sg_kind(content, pfn, gen);
	struct simguest_page ph;

	if (k == SG_ZERO) {
		memset(page, 0, SIMMEM_PAGE_SIZE);
		return;
	}
	ph.csum = sg_fill_kind(page + sizeof(ph), k, pfn, gen);
	ph.pfn = pfn;
	ph.gen = gen;
	memcpy(page, &ph, sizeof(ph));
}

int
simguest_format(struct simmem *m, uint64_t ws_bytes, unsigned mode,
    unsigned content)
{
	struct simguest_hdr *h = sg_hdr(m);
	uint64_t data, pfn, ws;

	if (m->npages < SIMGUEST_MIN_PAGES || mode > SIMGUEST_MODE_SEQ ||
	    content > SIMGUEST_CONTENT_MAX) {
		log_warnx("guest of %llu pages: too small (%d at least)",
		    (unsigned long long)m->npages, SIMGUEST_MIN_PAGES);
		return -EINVAL;
	}
	memset(h, 0, SIMMEM_PAGE_SIZE);
	h->npages = m->npages;
	h->ledger_start = 1;
	h->ledger_pages = sg_ledger_pages(m->npages);
	data = h->ledger_start + h->ledger_pages;
	ws = ws_bytes / SIMMEM_PAGE_SIZE;
	if (ws == 0 || ws > m->npages - data)
		ws = m->npages - data;
	h->ws_start = data;
	h->ws_pages = ws;
	h->mode = mode;
	h->content = content;
	h->prng = sg_mix(m->npages) | 1;
	memset(simmem_page(m, 1), 0, h->ledger_pages * SIMMEM_PAGE_SIZE);
	for (pfn = data; pfn < m->npages; pfn++)
		sg_write_page(m, content, pfn, 0);
	h->version = SIMGUEST_VERSION;
	h->magic = SIMGUEST_MAGIC;
	return 0;
}

static uint64_t
sg_choose(struct simguest_hdr *h)
{
	uint64_t x;

	if (h->mode == SIMGUEST_MODE_SEQ) {
		x = h->cursor;
		h->cursor = x + 1 >= h->ws_pages ? 0 : x + 1;
		return h->ws_start + x;
	}
	x = h->prng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	h->prng = x;
	return h->ws_start +
	    (uint64_t)(((unsigned __int128)x * h->ws_pages) >> 64);
}

uint64_t
simguest_write_one(struct simmem *m)
{
	struct simguest_hdr *h = sg_hdr(m);
	uint32_t *ledger = sg_ledger(m, h);
	uint64_t pfn = sg_choose(h);
	uint32_t gen = ledger[pfn] + 1;

	sg_write_page(m, h->content, pfn, gen);
	simmem_mark_dirty(m, pfn);
	ledger[pfn] = gen;
	simmem_mark_dirty(m, h->ledger_start + pfn * 4 / SIMMEM_PAGE_SIZE);
	h->generation++;
	simmem_mark_dirty(m, 0);
	return pfn;
}

/* Is page 0 a sane guest header for memory "m"?  Says why not. */
static int
sg_header_check(const struct simmem *m, char *why, size_t len)
{
	const struct simguest_hdr *h = sg_hdr(m);
	uint64_t data;

	why[0] = '\0';
	if (h->magic != SIMGUEST_MAGIC || h->version != SIMGUEST_VERSION)
		snprintf(why, len, "page 0: no guest header (magic %016llx)",
		    (unsigned long long)h->magic);
	else if (h->npages != m->npages)
		snprintf(why, len, "page 0: %llu pages, memory has %llu",
		    (unsigned long long)h->npages,
		    (unsigned long long)m->npages);
	else if (h->ledger_start != 1 ||
	    h->ledger_pages != sg_ledger_pages(m->npages))
		snprintf(why, len, "page 0: bad ledger position");
	else if (h->mode > SIMGUEST_MODE_SEQ)
		snprintf(why, len, "page 0: bad mode %u", h->mode);
	else if (h->disk_pages > m->npages - h->ledger_start -
	    h->ledger_pages - 1)
		snprintf(why, len, "page 0: bad disk ledger");
	else if (h->content > SIMGUEST_CONTENT_MAX)
		snprintf(why, len, "page 0: bad content %u", h->content);
	else {
		data = h->ledger_start + h->ledger_pages;
		if (h->ws_start != data || h->ws_pages == 0 ||
		    h->ws_pages > m->npages - data - h->disk_pages ||
		    (h->mode == SIMGUEST_MODE_SEQ &&
		    h->cursor >= h->ws_pages))
			snprintf(why, len, "page 0: bad working set");
	}
	return why[0] == '\0' ? 0 : -EINVAL;
}

/* A page that must be all zeros at generation lgen, and is not. */
static enum simguest_defect
sg_verify_zero(const struct simguest_page *ph, uint64_t pfn, uint32_t lgen,
    char *why, size_t len)
{
	if (ph->pfn == pfn && ph->gen < lgen) {
		snprintf(why, len, "holds generation %u, ledger says %u "
		    "(a zero page)", ph->gen, lgen);
		return SIMGUEST_STALE;
	}
	snprintf(why, len, "generation %u is a zero page, it is not", lgen);
	return SIMGUEST_CORRUPTED;
}

/* Verify one data page against the ledger generation "lgen". */
static enum simguest_defect
sg_verify_page(const struct simmem *m, uint64_t pfn, uint32_t lgen,
    char *why, size_t len)
{
	const uint8_t *page = simmem_page(m, pfn);
	enum sg_kind k = sg_kind(sg_hdr(m)->content, pfn, lgen);
	uint8_t expect[SIMGUEST_PAYLOAD];
	struct simguest_page ph;
	size_t i;

	memcpy(&ph, page, sizeof(ph));
	if (k == SG_ZERO)
		return util_all_zero(page, SIMMEM_PAGE_SIZE) ? SIMGUEST_OK :
		    sg_verify_zero(&ph, pfn, lgen, why, len);
	if (util_all_zero(page, SIMMEM_PAGE_SIZE)) {
		snprintf(why, len, "page is all zeros");
		return SIMGUEST_MISSING;
	}
	if (ph.pfn != pfn) {
		snprintf(why, len, "holds pfn %#llx",
		    (unsigned long long)ph.pfn);
		return SIMGUEST_MISPLACED;
	}
	if (ph.gen != lgen) {
		snprintf(why, len, "generation %u, ledger says %u", ph.gen,
		    lgen);
		return ph.gen < lgen ? SIMGUEST_STALE : SIMGUEST_AHEAD;
	}
	sg_fill_kind(expect, k, pfn, ph.gen);
	if (memcmp(expect, page + sizeof(ph), sizeof(expect)) != 0) {
		for (i = 0; expect[i] == page[sizeof(ph) + i]; i++)
			;
		snprintf(why, len, "byte %zu differs",
		    i + sizeof(ph));
		return SIMGUEST_CORRUPTED;
	}
	if (ph.csum != sg_csum(page + sizeof(ph))) {
		snprintf(why, len, "checksum %08x does not match", ph.csum);
		return SIMGUEST_CORRUPTED;
	}
	return SIMGUEST_OK;
}

int
simguest_verify(const struct simmem *m, struct simguest_report *r)
{
	const struct simguest_hdr *h = sg_hdr(m);
	const uint32_t *ledger;
	enum simguest_defect k;
	char why[96];
	uint64_t pfn;

	memset(r, 0, sizeof(*r));
	r->pages = 1;
	if (m->npages < SIMGUEST_MIN_PAGES) {
		snprintf(r->header_error, sizeof(r->header_error),
		    "memory too small for a guest");
		return 1;
	}
	if (sg_header_check(m, r->header_error,
	    sizeof(r->header_error)) != 0)
		return 1;
	r->generation = h->generation;
	ledger = sg_ledger(m, h);
	r->pages = h->ws_start;
	for (pfn = h->ws_start; pfn < m->npages - h->disk_pages;
	    pfn++, r->pages++) {
		k = sg_verify_page(m, pfn, ledger[pfn], why, sizeof(why));
		if (k == SIMGUEST_OK)
			continue;
		if (r->nfirst < SIMGUEST_REPORT_MAX) {
			r->first[r->nfirst].pfn = pfn;
			r->first[r->nfirst].kind = k;
			memcpy(r->first[r->nfirst].why, why, sizeof(why));
			r->nfirst++;
		}
		r->bad++;
	}
	return r->bad == 0 ? 0 : 1;
}

int
simguest_header_ok(const struct simmem *m, char *why, size_t len)
{
	return sg_header_check(m, why, len);
}

/* ---------------------------------------------------------------- process */

#define SG_PAUSE_TIMEOUT_MS	5000
#define SG_SPAWN_TIMEOUT_MS	10000
#define SG_BURST_NS		UINT64_C(4000000)	/* token bucket depth */
#define SG_BATCH		64	/* pages between clock reads */

enum sg_request {
	SG_REQ_NONE = 0,
	SG_REQ_SUSPEND,
	SG_REQ_POWEROFF,
	SG_REQ_REBOOT,
};

struct sg_proc {
	struct simhost	*h;
	struct simmem	*m;
	struct simdom	 d;
	int		 request;	/* enum sg_request, atomic */
	struct xs_handle *xs;
	char		 node[64];	/* control/shutdown */
	int		 dev;		/* HVM: device socket, -1 none */
	char		 dev_path[108];	/* "" when not HVM */
	uint64_t	 next_io;	/* ns */
	int		 dev_told;	/* "no device" logged */
	struct simdisk_io *disk;	/* NULL: no disks */
	uint64_t	 disk_next;	/* ns: the next block write */
	int		 dirfd;		/* the domain's directory, or -1 */
	uint64_t	 dir_next;	/* ns: the next look at it */
};

/*
 * A guest whose domain directory is gone (destroyed while the guest was
 * starting, by a destroy that found no pid file yet; or the whole host
 * directory removed) has no domain: it ends itself, at its next look
 * (every SG_DIR_NS), rather than run on unseen.
 */
#define SG_DIR_NS	(500ULL * 1000000)

static int
sg_orphaned(struct sg_proc *g, uint64_t now)
{
	struct stat st;

	if (g->dirfd < 0 || now < g->dir_next)
		return 0;
	g->dir_next = now + SG_DIR_NS;
	return fstat(g->dirfd, &st) == 0 && st.st_nlink == 0;
}

int
simguest_alive(struct simhost *h, uint32_t domid, pid_t *pid)
{
	return simproc_alive(h, domid, "guest.pid", pid);
}

int
simguest_kill(struct simhost *h, uint32_t domid)
{
	return simproc_kill(h, domid, "guest.pid", "guest");
}

static const char *
sg_dev_kind(uint64_t got)
{
	return got <= 1 ? "dropped: the device started again from 0" :
	    "stale: the device holds an older state";
}

/*
 * The device half of the check, with the guest stopped: its device
 * model's register against what the guest was last answered.  Returns
 * 1 with r->dev_error set for a defect.
 */
static int
sg_check_device(struct simhost *h, uint32_t domid, const struct simmem *m,
    struct simguest_report *r)
{
	const struct simguest_hdr *hd = sg_hdr(m);
	struct simdom d;
	char why[128];

	if (simhost_dom_get(h, domid, &d) != 0 || d.type != DOM_TYPE_HVM ||
	    r->header_error[0] != '\0')
		return 0;
	r->device = 1;
	r->dev_seen = hd->dev_seen;
	if (simdm_peek(h, domid, &r->dev_reg, why, sizeof(why)) != 0)
		snprintf(r->dev_error, sizeof(r->dev_error), "device model "
		    "not running (%s)", why);
	else if (hd->dev_bad)
		snprintf(r->dev_error, sizeof(r->dev_error), "device state "
		    "%s (the guest had seen register %llu, then was answered "
		    "%llu)", sg_dev_kind(hd->dev_bad_got),
		    (unsigned long long)hd->dev_bad_seen,
		    (unsigned long long)hd->dev_bad_got);
	else if (r->dev_reg < hd->dev_seen)
		snprintf(r->dev_error, sizeof(r->dev_error), "device state "
		    "%s (register %llu, the guest has seen %llu)",
		    sg_dev_kind(r->dev_reg + 1),
		    (unsigned long long)r->dev_reg,
		    (unsigned long long)hd->dev_seen);
	return r->dev_error[0] != '\0';
}

int
simguest_check(struct simhost *h, uint32_t domid, struct simguest_report *r)
{
	struct simmem *m;
	pid_t pid;
	int rc, alive, requested = 0;

	if ((rc = simhost_dom_map(h, domid, &m)) != 0)
		return rc;
	alive = simguest_alive(h, domid, &pid) == 0;
	if (alive && __atomic_load_n(&m->ctl->pause_req,
	    __ATOMIC_SEQ_CST) == 0) {
		simmem_pause_request(m);
		requested = 1;
	}
	if (alive && simmem_pause_wait(m, SG_PAUSE_TIMEOUT_MS) != 0) {
		log_warnx("domain %u: guest did not pause within %d ms",
		    domid, SG_PAUSE_TIMEOUT_MS);
		rc = -ETIMEDOUT;
		goto out;
	}
	rc = simguest_verify(m, r);
	if (rc >= 0 && sg_check_device(h, domid, m, r) != 0)
		rc = 1;
	if (rc >= 0 && r->header_error[0] == '\0' &&
	    simdisk_verify(h, domid, m, r) != 0)
		rc = 1;
out:
	if (requested)
		simmem_unpause(m);
	simmem_close(m);
	return rc;
}

/* ------------------------------------------------------------ xenstore */

static void *
sg_xs_thread(void *arg)
{
	struct sg_proc *g = arg;
	unsigned int num, len;
	char **vec, *val;
	int req;

	for (;;) {
		if ((vec = xs_read_watch(g->xs, &num)) == NULL)
			break;
		free(vec);
		if ((val = xs_read(g->xs, XBT_NULL, g->node, &len)) == NULL)
			continue;
		req = strcmp(val, "suspend") == 0 ? SG_REQ_SUSPEND :
		    strcmp(val, "poweroff") == 0 ||
		    strcmp(val, "halt") == 0 ? SG_REQ_POWEROFF :
		    strcmp(val, "reboot") == 0 ? SG_REQ_REBOOT : SG_REQ_NONE;
		free(val);
		if (req == SG_REQ_NONE)
			continue;
		/* The acknowledgement a Linux guest gives: clear the node. */
		if (!xs_write(g->xs, XBT_NULL, g->node, "", 0))
			log_warn("domain %u: acknowledge %s", g->d.domid,
			    g->node);
		log_info("domain %u: %s requested", g->d.domid,
		    req == SG_REQ_SUSPEND ? "suspend" : "shutdown");
		__atomic_store_n(&g->request, req, __ATOMIC_SEQ_CST);
		simmem_wake(g->m);
	}
	log_info("domain %u: xenstore connection closed", g->d.domid);
	return NULL;
}

/* Watch control/shutdown; without a xenstore server, run without. */
static void
sg_xs_start(struct sg_proc *g, const char *dir)
{
	char sock[PATH_MAX];
	pthread_t thr;

	snprintf(g->node, sizeof(g->node), "/local/domain/%u/control/shutdown",
	    g->d.domid);
	if ((size_t)snprintf(sock, sizeof(sock), "%s/xenstored.sock",
	    dir) >= sizeof(sock))
		return;
	setenv("XENSTORED_PATH", sock, 1);
	if ((g->xs = xs_open(XS_OPEN_SOCKETONLY)) == NULL) {
		log_info("domain %u: no xenstore at %s: suspend disabled",
		    g->d.domid, sock);
		return;
	}
	if (!xs_watch(g->xs, g->node, "shutdown")) {
		log_warn("domain %u: watch %s", g->d.domid, g->node);
		goto fail;
	}
	if (pthread_create(&thr, NULL, sg_xs_thread, g) != 0) {
		log_warnx("domain %u: no xenstore thread", g->d.domid);
		goto fail;
	}
	pthread_detach(thr);
	return;
fail:
	xs_close(g->xs);
	g->xs = NULL;
}

/* ------------------------------------------------------------ device */

static void
sg_dev_close(struct sg_proc *g)
{
	if (g->dev >= 0)
		close(g->dev);
	g->dev = -1;
}

static int
sg_dev_connect(struct sg_proc *g)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	(void)util_strlcpy(sun.sun_path, g->dev_path, sizeof(sun.sun_path));
	if ((g->dev = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(g->dev, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		if (!g->dev_told)
			log_warn("domain %u: no device model at %s",
			    g->d.domid, g->dev_path);
		g->dev_told = 1;
		sg_dev_close(g);
		return -1;
	}
	g->dev_told = 0;
	return 0;
}

/* Keep the answer "v" in page 0; note the first one that went back. */
static void
sg_dev_record(struct sg_proc *g, uint64_t v)
{
	struct simguest_hdr *hd = sg_hdr(g->m);

	if (v <= hd->dev_seen && !hd->dev_bad) {
		hd->dev_bad_seen = hd->dev_seen;
		hd->dev_bad_got = v;
		hd->dev_bad = 1;
		log_warnx("domain %u: device register went back from %llu "
		    "to %llu", g->d.domid, (unsigned long long)hd->dev_seen,
		    (unsigned long long)v);
	}
	hd->dev_seen = v;
	hd->dev_ios++;
	simmem_mark_dirty(g->m, 0);
}

/*
 * One device I/O: "inc", wait (bounded) for the answer, record it.  A
 * device model that is gone or does not answer costs a reconnection at
 * the next I/O, nothing else.
 */
static void
sg_dev_io(struct sg_proc *g)
{
	struct pollfd pfd;
	char buf[32];
	size_t used = 0;
	ssize_t n;
	uint64_t v;

	if (g->dev < 0 && sg_dev_connect(g) != 0)
		return;
	if (send(g->dev, "inc\n", 4, MSG_NOSIGNAL) != 4)
		goto fail;
	pfd.fd = g->dev;
	pfd.events = POLLIN;
	while (used == 0 || memchr(buf, '\n', used) == NULL) {
		if (used + 1 >= sizeof(buf) || poll(&pfd, 1, 1000) <= 0 ||
		    (n = read(g->dev, buf + used, sizeof(buf) - 1 - used)) <= 0)
			goto fail;
		used += (size_t)n;
	}
	buf[used] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (util_parse_uint(buf, 0, UINT64_MAX, &v) == 0)
		sg_dev_record(g, v);
	return;		/* "stopped": nothing happened */
fail:
	sg_dev_close(g);
}

/* Time for device I/O?  Then do it.  Returns the ns until the next. */
static uint64_t
sg_dev_tick(struct sg_proc *g)
{
	uint64_t now;

	if (g->dev_path[0] == '\0')
		return UINT64_MAX;
	now = util_now_ns();
	if (now >= g->next_io) {
		sg_dev_io(g);
		g->next_io = now + SIMGUEST_IO_MS * UINT64_C(1000000);
	}
	return g->next_io - now;
}

/* ------------------------------------------------------------ run loop */

static int
sg_set_shutdown(struct simdom *d, void *arg)
{
	d->state = DOM_SHUTDOWN;
	d->shutdown_reason = *(int *)arg;
	return 0;
}

/*
 * Enter shutdown(suspend) and wait for a resume.  "suspended" goes up
 * before the record changes: the resume op, which acts only on a
 * suspended record, then always finds it up and clears it.
 */
static void
sg_suspend(struct sg_proc *g)
{
	struct simguest_hdr *hdr = sg_hdr(g->m);
	struct simmem_ctl *c = g->m->ctl;
	int reason = DOM_SHUTDOWN_SUSPEND;
	uint32_t seq;

	hdr->suspends++;
	simmem_mark_dirty(g->m, 0);
	__atomic_store_n(&c->suspended, 1, __ATOMIC_SEQ_CST);
	if (simhost_dom_update(g->h, g->d.domid, sg_set_shutdown,
	    &reason) != 0)
		log_warnx("domain %u: could not record the suspend",
		    g->d.domid);
	(void)simhost_raise_virq(g->h);
	log_info("domain %u: suspended", g->d.domid);
	for (;;) {
		if (simmem_guest_pause_point(g->m))
			continue;
		seq = simmem_wake_seq(g->m);
		if (__atomic_load_n(&c->suspended, __ATOMIC_SEQ_CST) == 0)
			break;
		simmem_wait(g->m, seq, 0);
	}
	hdr->resumes++;
	simmem_mark_dirty(g->m, 0);
	log_info("domain %u: resumed (suspend cancelled)", g->d.domid);
}

static int
sg_shutdown(struct sg_proc *g, int reason)
{
	if (simhost_dom_update(g->h, g->d.domid, sg_set_shutdown,
	    &reason) != 0)
		return 1;
	(void)simhost_raise_virq(g->h);
	log_info("domain %u: shut down (%s)", g->d.domid,
	    reason == DOM_SHUTDOWN_REBOOT ? "reboot" : "poweroff");
	return 0;
}

/*
 * The toolstack's throttle (auto-converge): after a batch of writes that
 * took busy_ns, the guest rests so that it works (100 - pct) percent of
 * the time, as under a CPU cap; its rate is lowered as much, for a guest
 * that is not busy all the time.  Returns the rate's page interval.
 */
static uint64_t
sg_throttle(struct sg_proc *g, uint64_t page_ns, uint64_t busy_ns,
    uint64_t *rest_until)
{
	uint32_t pct = __atomic_load_n(&g->m->ctl->throttle,
	    __ATOMIC_RELAXED);

	if (pct > SIMMEM_THROTTLE_MAX)
		pct = SIMMEM_THROTTLE_MAX;
	if (pct == 0)
		return page_ns;
	if (busy_ns > 0)
		*rest_until = util_now_ns() + busy_ns * pct / (100 - pct);
	return page_ns * 100 / (100 - pct);
}

/*
 * Write the disk blocks due at the disks' rate; returns the ns until the
 * next one (UINT64_MAX: no disk writes).  A guest that was held (paused,
 * suspended) does not catch up in a burst.
 */
static uint64_t
sg_disk_tick(struct sg_proc *g)
{
	uint64_t rate, blk_ns, now;
	int i;

	if (g->disk == NULL || (rate = simdisk_io_rate(g->disk)) == 0)
		return UINT64_MAX;
	blk_ns = SIMDISK_BLOCK * UINT64_C(1000000000) / rate;
	now = util_now_ns();
	if (g->disk_next + SG_BURST_NS < now)
		g->disk_next = now;
	for (i = 0; i < 8 && g->disk_next <= now; i++) {
		if (simdisk_write_one(g->disk, g->m) != 0) {
			simdisk_io_close(g->disk);
			g->disk = NULL;
			return UINT64_MAX;
		}
		g->disk_next += blk_ns;
	}
	return g->disk_next > now ? g->disk_next - now : 0;
}

/* Write pages at the domain's rate until a shutdown; returns a status. */
static int
sg_loop(struct sg_proc *g)
{
	uint64_t rate = g->d.dirty_rate, page_ns, next, now, io_ns, step;
	uint64_t rest = 0;
	uint32_t seq;
	int req, i;

	page_ns = rate == 0 ? 0 : SIMMEM_PAGE_SIZE * UINT64_C(1000000000) /
	    rate;
	next = util_now_ns();
	for (;;) {
		seq = simmem_wake_seq(g->m);
		if (simmem_guest_pause_point(g->m)) {
			next = util_now_ns();
			continue;
		}
		req = __atomic_exchange_n(&g->request, SG_REQ_NONE,
		    __ATOMIC_SEQ_CST);
		if (req == SG_REQ_SUSPEND) {
			sg_suspend(g);
			next = util_now_ns();
			continue;
		}
		if (req == SG_REQ_POWEROFF || req == SG_REQ_REBOOT)
			return sg_shutdown(g, req == SG_REQ_REBOOT ?
			    DOM_SHUTDOWN_REBOOT : DOM_SHUTDOWN_POWEROFF);
		if (sg_orphaned(g, util_now_ns())) {
			log_warnx("domain %u: its directory is gone: the guest "
			    "ends", g->d.domid);
			return 1;
		}
		/* A step of its own, between two pause points. */
		io_ns = sg_dev_tick(g);
		now = sg_disk_tick(g);
		if (now < io_ns)
			io_ns = now;
		if (g->dirfd >= 0 && io_ns > SG_DIR_NS)
			io_ns = SG_DIR_NS;
		if (rate == 0) {
			simmem_wait(g->m, seq, io_ns == UINT64_MAX ? 0 : io_ns);
			continue;
		}
		now = util_now_ns();
		if (rest > now || next > now) {
			now = (rest > next ? rest : next) - now;
			simmem_wait(g->m, seq, now < io_ns ? now : io_ns);
			continue;
		}
		if (now - next > SG_BURST_NS)
			next = now - SG_BURST_NS;
		step = sg_throttle(g, page_ns, 0, &rest);
		for (i = 0; i < SG_BATCH && next <= now; i++) {
			simguest_write_one(g->m);
			next += step;
		}
		(void)sg_throttle(g, page_ns, util_now_ns() - now, &rest);
	}
}

static int
sg_ready(int fd)
{
	char buf[32];
	int n;

	if (fd < 0)
		return 0;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (util_write_full(fd, buf, (size_t)n) < 0)
		return -EIO;
	close(fd);
	return 0;
}

int
simguest_run(const char *dir, uint32_t domid, int ready_fd)
{
	struct sg_proc g;
	char buf[32], why[128], path[PATH_MAX];
	int rc = 1;

	memset(&g, 0, sizeof(g));
	g.dev = -1;
	g.dirfd = -1;
	if (simhost_open(dir, SIMHOST_DEFAULT_MEMORY, &g.h) != 0 ||
	    simhost_dom_get(g.h, domid, &g.d) != 0 ||
	    simhost_dom_map(g.h, domid, &g.m) != 0)
		goto out;
	if (simguest_header_ok(g.m, why, sizeof(why)) != 0) {
		log_warnx("domain %u: %s", domid, why);
		goto out;
	}
	if (simhost_dom_path(g.h, domid, NULL, path, sizeof(path)) == 0)
		g.dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (simhost_dom_write_file(g.h, domid, "guest.pid", buf) != 0)
		goto out;
	/* After the pid file: xenstore knows us as domain N by our pid. */
	if (!g.d.ignore_suspend && !g.d.no_pv_drivers)
		sg_xs_start(&g, dir);
	if (g.d.type == DOM_TYPE_HVM && simdm_paths(dir, domid, why,
	    g.dev_path, sizeof(g.dev_path)) != 0)
		goto out;
	if (simdisk_io_open(g.h, domid, &g.disk) != 0)
		goto out;
	if (sg_ready(ready_fd) != 0)
		goto out;
	log_info("domain %u: guest running, %llu bytes/s", domid,
	    (unsigned long long)g.d.dirty_rate);
	rc = sg_loop(&g);
out:
	if (g.dirfd >= 0)
		close(g.dirfd);
	simdisk_io_close(g.disk);
	sg_dev_close(&g);
	/* The xenstore thread may still run: leave its handle alone. */
	simmem_close(g.m);
	simhost_close(g.h);
	return rc;
}

/* The detached grandchild: never returns. */
static void
sg_child(const char *dir, uint32_t domid, const char *exe, int ready)
{
	char id[16];

	simproc_detach(dir, domid, "guest.log", ready);
	if (exe != NULL) {
		snprintf(id, sizeof(id), "%u", domid);
		execl(exe, exe, "sim", "guest", "--sim-dir", dir, "--domid",
		    id, "--ready-fd", "3", (char *)NULL);
		_exit(127);
	}
	(void)prctl(PR_SET_NAME, "xmig-guest");
	log_init("xmig-guest", 1, log_getlevel());
	_exit(simguest_run(dir, domid, 3));
}

int
simguest_spawn(const char *dir, uint32_t domid, const char *exe, pid_t *pid)
{
	struct pollfd pfd;
	char buf[32];
	uint64_t v;
	ssize_t n;
	pid_t child;
	int p[2], rc = -EIO;

	if (pipe2(p, O_CLOEXEC) == -1)
		return -errno;
	if ((child = fork()) == -1) {
		rc = -errno;
		log_warn("fork");
		close(p[0]);
		close(p[1]);
		return rc;
	}
	if (child == 0)
		sg_child(dir, domid, exe, p[1]);
	close(p[1]);
	while (waitpid(child, NULL, 0) == -1 && errno == EINTR)
		;
	pfd.fd = p[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, SG_SPAWN_TIMEOUT_MS) <= 0) {
		log_warnx("domain %u: guest did not start", domid);
		rc = -ETIMEDOUT;
		goto out;
	}
	n = read(p[0], buf, sizeof(buf) - 1);
	if (n <= 0) {
		log_warnx("domain %u: guest failed to start (see %s/domains/"
		    "%u/guest.log)", domid, dir, domid);
		goto out;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (util_parse_uint(buf, 2, INT32_MAX, &v) == 0) {
		*pid = (pid_t)v;
		rc = 0;
	}
out:
	close(p[0]);
	return rc;
}
