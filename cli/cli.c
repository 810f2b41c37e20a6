/*
 * cli.c - helpers shared by the xmig commands.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "cli.h"
#include "compress.h"
#include "frame.h"
#include "log.h"
#include "transport.h"
#include "util.h"

volatile sig_atomic_t cli_cancel;
static int progress_shown;

static void
cli_on_signal(int sig)
{
	(void)sig;
	cli_cancel = 1;
}

void
cli_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cli_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int
cli_backend_open(const struct cli_ctx *ctx, struct backend *be)
{
	int rc = backend_open(be, conf_backend_name(ctx->backend),
	    ctx->sim_dir);

	if (rc == 0)
		return 0;
	fprintf(stderr, "xmig: cannot open the %s backend: %s\n",
	    conf_backend_name(ctx->backend), strerror(-rc));
	return XMIG_EXIT_FAILED;
}

int
cli_conf(struct conf *c)
{
	const char *path = getenv("XMIG_CONF");
	int explicit = path != NULL && *path != '\0';

	conf_defaults(c);
	if (!explicit)
		path = XMIG_DEFAULT_CONF;
	if (conf_load(c, path, !explicit) != 0) {
		fprintf(stderr, "xmig: %s cannot be used (see above)\n", path);
		return XMIG_EXIT_FAILED;
	}
	return 0;
}

/* The disks' copy (lib/vbdmig.h): bytes, round, their dirty rate. */
static void
cli_progress_disks(const struct cli_ctx *ctx, const struct mig_progress *pr,
    double secs)
{
	char sent[32], total[32];

	util_fmt_size(pr->disk_sent, sent, sizeof(sent));
	util_fmt_size(pr->disk_total, total, sizeof(total));
	if (isatty(STDERR_FILENO)) {
		fprintf(stderr, "\r\033[K%s: round %u, %s of %s sent, "
		    "%.1f MB/s written to them, %.1f s", pr->phase,
		    pr->disk_round, sent, total,
		    (double)pr->disk_dirty_rate / 1e6, secs);
		progress_shown = 1;
	} else if (ctx->verbose > 0)
		fprintf(stderr, "xmig: %s: round %u, %s of %s sent, %.1f MB/s "
		    "written to them\n", pr->phase, pr->disk_round, sent,
		    total, (double)pr->disk_dirty_rate / 1e6);
	fflush(stderr);
}

void
cli_progress(const struct mig_progress *pr, void *arg)
{
	static const char *last_phase;
	static unsigned last_round;
	const struct cli_ctx *ctx = arg;
	char sent[32], dirty[48], thr[32] = "";
	double secs = (double)pr->elapsed_ms / 1000.0;

	if (ctx->quiet || ctx->json)
		return;
	if (pr->disk_total > 0 && strncmp(pr->phase, "disks", 5) == 0) {
		cli_progress_disks(ctx, pr, secs);
		return;
	}
	util_fmt_size(pr->bytes_sent, sent, sizeof(sent));
	if (pr->dirty_rate > 0)
		snprintf(dirty, sizeof(dirty), "%.1f MB/s dirtied",
		    (double)pr->dirty_rate * 4096 / 1e6);
	else
		snprintf(dirty, sizeof(dirty), "dirty rate not known yet");
	if (pr->throttle_pct > 0)
		snprintf(thr, sizeof(thr), ", throttled %u%%",
		    pr->throttle_pct);
	if (isatty(STDERR_FILENO)) {
		fprintf(stderr, "\r\033[K%s: round %u, %" PRIu64 "/%" PRIu64
		    " pages, %s sent, %.0f MB/s, %s%s, downtime ~%" PRIu64
		    " ms, %.1f s", pr->phase, pr->round, pr->round_sent,
		    pr->round_total, sent, (double)pr->bandwidth / 1e6, dirty,
		    thr, pr->predicted_ms, secs);
		progress_shown = 1;
	} else if (ctx->verbose > 0 &&
	    (pr->phase != last_phase || pr->round != last_round)) {
		/* Not a terminal, with -v: a line per phase or round. */
		fprintf(stderr, "xmig: %s: round %u, %s sent, %.0f MB/s, %s%s, "
		    "expected downtime %" PRIu64 " ms\n", pr->phase,
		    pr->round, sent, (double)pr->bandwidth / 1e6, dirty, thr,
		    pr->predicted_ms);
	}
	last_phase = pr->phase;
	last_round = pr->round;
	fflush(stderr);
}

void
cli_progress_done(const struct cli_ctx *ctx)
{
	(void)ctx;
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = 0;
	}
}

int
cli_exit_code(enum mig_result r)
{
	switch (r) {
	case MIG_OK:
		return XMIG_EXIT_OK;
	case MIG_REFUSED:
		return XMIG_EXIT_REFUSED;
	case MIG_RESUMED:
		return XMIG_EXIT_RESUMED;
	case MIG_UNDEFINED:
	case MIG_PENDING:
		return XMIG_EXIT_UNDEFINED;
	default:
		return XMIG_EXIT_FAILED;
	}
}

const char *
cli_result_name(enum mig_result r)
{
	static const char *const names[] = {
		[MIG_OK] = "ok", [MIG_FAILED] = "failed",
		[MIG_REFUSED] = "refused", [MIG_RESUMED] = "resumed",
		[MIG_UNDEFINED] = "undefined", [MIG_PENDING] = "undefined",
	};

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] :
	    "failed";
}

static void
gen_key_str(yajl_gen g, const char *k, const char *v)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
	yajl_gen_string(g, (const unsigned char *)v, strlen(v));
}

static void
gen_key_u64(yajl_gen g, const char *k, uint64_t v)
{
	char num[32];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
	yajl_gen_number(g, num, strlen(num));
}

static double
cli_mbps(const struct mig_stats *s)
{
	return s->total_ms > 0 ? (double)s->bytes_sent * 8.0 / 1e6 /
	    ((double)s->total_ms / 1000.0) : 0.0;
}

/*
 * The data path's figures: the stream's own bytes (bytes_sent is what
 * went on the wire), zero pages elided, their ratio, the codec ("" for a
 * raw stream, "lz4+zstd" for --compress auto) and the frames sent, with
 * those compressed by each codec.
 */
static void
cli_report_json_datapath(yajl_gen g, const struct mig_stats *s)
{
	uint64_t raw = s->codec[0] != '\0' ? s->bytes_raw : s->bytes_sent;
	char num[32];

	gen_key_u64(g, "bytes_raw", raw);
	gen_key_u64(g, "zero_pages", s->zero_pages);
	snprintf(num, sizeof(num), "%.3f", s->bytes_sent > 0 ?
	    (double)raw / (double)s->bytes_sent : 1.0);
	yajl_gen_string(g, (const unsigned char *)"compression_ratio", 17);
	yajl_gen_number(g, num, strlen(num));
	gen_key_str(g, "codec", s->codec);
	gen_key_u64(g, "frames", s->frames);
	gen_key_u64(g, "frames_lz4", s->frames_lz4);
	gen_key_u64(g, "frames_zstd", s->frames_zstd);
}

int
cli_parse_compress(const char *arg, int *codec)
{
	return compress_parse(arg, codec);
}

int
cli_no_zero_elision(void)
{
	const char *v = getenv("XMIG_NO_ZERO_ELISION");

	return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

static void
cli_report_json(const char *op, enum mig_result r, const char *domain,
    const char *host, const struct mig_stats *s, const char *why)
{
	const unsigned char *buf;
	char num[32];
	size_t len;
	unsigned i;
	yajl_gen g = yajl_gen_alloc(NULL);

	if (g == NULL)
		return;
	yajl_gen_map_open(g);
	gen_key_str(g, "operation", op);
	gen_key_str(g, "result", cli_result_name(r));
	gen_key_str(g, "domain", domain);
	if (host != NULL)
		gen_key_str(g, "host", host);
	if (why != NULL && why[0] != '\0')
		gen_key_str(g, "error", why);
	gen_key_u64(g, "total_ms", s->total_ms);
	gen_key_u64(g, "downtime_ms", s->downtime_ms);
	gen_key_u64(g, "bytes_sent", s->bytes_sent);
	gen_key_u64(g, "pages_sent", s->pages_sent);
	gen_key_u64(g, "throttle_pct", s->throttle_pct);
	yajl_gen_string(g, (const unsigned char *)"rounds", 6);
	yajl_gen_array_open(g);
	for (i = 0; i < s->nrounds; i++) {
		yajl_gen_map_open(g);
		gen_key_u64(g, "pages", s->rounds[i].pages);
		gen_key_u64(g, "ms", s->rounds[i].ms);
		gen_key_u64(g, "dirty_rate", s->rounds[i].dirty_rate);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	snprintf(num, sizeof(num), "%.1f", cli_mbps(s));
	yajl_gen_string(g, (const unsigned char *)"throughput_mbps", 15);
	yajl_gen_number(g, num, strlen(num));
	if (s->disks > 0) {
		yajl_gen_string(g, (const unsigned char *)"disks", 5);
		yajl_gen_map_open(g);
		gen_key_u64(g, "count", s->disks);
		gen_key_u64(g, "size_bytes", s->disk_total);
		gen_key_u64(g, "bytes_sent", s->disk_bytes);
		gen_key_u64(g, "rounds", s->disk_rounds);
		gen_key_u64(g, "dirty_rate", s->disk_dirty_rate);
		gen_key_u64(g, "final_bytes", s->disk_final_bytes);
		gen_key_u64(g, "final_ms", s->disk_final_ms);
		gen_key_u64(g, "bulk_ms", s->disk_bulk_ms);
		yajl_gen_map_close(g);
	}
	cli_report_json_datapath(g, s);
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
		printf("%.*s\n", (int)len, (const char *)buf);
	yajl_gen_free(g);
}

void
cli_report(const struct cli_ctx *ctx, const char *op, enum mig_result r,
    const char *domain, const char *host, const struct mig_stats *s,
    const char *why)
{
	char sent[32];

	cli_progress_done(ctx);
	if (ctx->json) {
		cli_report_json(op, r, domain, host, s, why);
		return;
	}
	if (r != MIG_OK) {
		fprintf(stderr, "xmig %s: %s: %s\n", op, cli_result_name(r),
		    why != NULL && why[0] ? why : "failed");
		if (r == MIG_RESUMED)
			fprintf(stderr, "xmig %s: %s was resumed and runs "
			    "here\n", op, domain);
		return;
	}
	if (ctx->quiet)
		return;
	util_fmt_size(s->bytes_sent, sent, sizeof(sent));
	/* A restore reads a file: no downtime, pages or rounds of its own. */
	if (strcmp(op, "restore") == 0) {
		printf("%s %s: done in %" PRIu64 " ms, %s read, %.1f Mbit/s\n",
		    op, domain, s->total_ms, sent, cli_mbps(s));
		return;
	}
	printf("%s %s%s%s: done in %" PRIu64 " ms, downtime %" PRIu64
	    " ms, %s sent (%" PRIu64 " pages, %u rounds), %.1f Mbit/s\n", op,
	    domain, host != NULL ? " to " : "", host != NULL ? host : "",
	    s->total_ms, s->downtime_ms, sent, s->pages_sent, s->nrounds,
	    cli_mbps(s));
	if (s->throttle_pct > 0)
		printf("%s %s: auto-converge throttled it by up to %u%%\n", op,
		    domain, s->throttle_pct);
	if (s->disks > 0) {
		util_fmt_size(s->disk_bytes, sent, sizeof(sent));
		printf("%s %s: %u disk%s copied: %s sent in %u round%s, "
		    "%" PRIu64 " bytes after the suspend\n", op, domain,
		    s->disks, s->disks == 1 ? "" : "s", sent, s->disk_rounds,
		    s->disk_rounds == 1 ? "" : "s", s->disk_final_bytes);
	}
}

void
cli_print_json_strings(const char *const *kv)
{
	const unsigned char *buf;
	size_t len;
	yajl_gen g = yajl_gen_alloc(NULL);

	if (g == NULL)
		return;
	yajl_gen_map_open(g);
	for (; kv[0] != NULL; kv += 2)
		if (kv[1] != NULL)
			gen_key_str(g, kv[0], kv[1]);
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
		printf("%.*s\n", (int)len, (const char *)buf);
	yajl_gen_free(g);
}

/*
 * Split "host[:port]" or "[v6]:port" into host and port.  Returns 0 or
 * -EINVAL.
 */
int
cli_parse_target(const char *arg, char *host, size_t hostlen,
    unsigned *port)
{
	const char *colon, *end;
	uint64_t v;
	size_t n;

	if (arg[0] == '[') {
		if ((end = strchr(arg, ']')) == NULL)
			return -EINVAL;
		n = (size_t)(end - arg - 1);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return -EINVAL;
		arg++;
	} else {
		colon = strrchr(arg, ':');
		/* A bare IPv6 address has several colons and no port. */
		if (colon != NULL && strchr(arg, ':') != colon)
			colon = NULL;
		n = colon != NULL ? (size_t)(colon - arg) : strlen(arg);
	}
	if (n == 0 || n >= hostlen)
		return -EINVAL;
	memcpy(host, arg, n);
	host[n] = '\0';
	if (colon != NULL) {
		if (util_parse_uint(colon + 1, 1, 65535, &v) != 0)
			return -EINVAL;
		*port = (unsigned)v;
	}
	return 0;
}

void
cli_tls(const struct conf *c, int asked, struct transport_tls *tls)
{
	memset(tls, 0, sizeof(*tls));
	if (!asked && !c->tls)
		return;
	tls->on = 1;
	tls->cert = c->tls_cert;
	tls->key = c->tls_key;
	tls->ca = c->tls_ca;
}

enum mig_result
cli_settle(struct backend *be, const char *domain, const char *host,
    unsigned port, const struct transport_tls *tls, unsigned wait_s,
    int persist, char *why, size_t whylen)
{
	uint64_t deadline = util_now_ms() + (uint64_t)wait_s * 1000;
	struct transport_conn conn;
	struct joblock lock;
	enum mig_result res;
	int rc;

	if ((res = mig_recover_lock(be, domain, &lock, why, whylen)) != MIG_OK)
		return res;
	for (;;) {
		if ((rc = transport_connect(host, port, tls, 10000,
		    &conn)) != 0) {
			snprintf(why, whylen, "cannot reach xmigd on %s port "
			    "%u (%s): %s stays suspended here; once %s "
			    "answers, \"xmig recover %s\" destroys this copy "
			    "if the domain runs there, or resumes it here if "
			    "it does not", host, port, strerror(-rc), domain,
			    host, domain);
			res = MIG_UNDEFINED;
		} else {
			res = mig_recover_run(be, domain, conn.fd, why,
			    whylen);
			transport_close(&conn);
		}
		if (res != MIG_PENDING && (res != MIG_UNDEFINED || !persist))
			break;
		if (util_now_ms() >= deadline)
			break;
		sleep(1);
	}
	joblock_release(&lock);
	return res == MIG_PENDING ? MIG_UNDEFINED : res;
}
