/*
 * cmd-migrate.c - "xmig migrate DOMAIN HOST[:PORT]": live migration to
 * the xmigd on HOST.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "climig.h"
#include "util.h"

/* --wait: say that it waits, and why (the destination's reason). */
static void
migrate_waiting(void *arg, const char *reason, uint64_t pause_ms,
    uint64_t waited_ms)
{
	const struct cli_ctx *ctx = arg;

	if (ctx->quiet)
		return;
	cli_progress_done(ctx);
	fprintf(stderr, "xmig migrate: waiting: %s; trying again in %.1f s "
	    "(waited %llu s)\n", reason, (double)pause_ms / 1000,
	    (unsigned long long)(waited_ms / 1000));
}

static int
cmd_migrate_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-live", no_argument, NULL, 'n' },
		{ "port", required_argument, NULL, 'p' },
		{ "max-downtime", required_argument, NULL, 'd' },
		{ "max-rounds", required_argument, NULL, 'r' },
		{ "max-time", required_argument, NULL, 't' },
		{ "bandwidth", required_argument, NULL, 'b' },
		{ "tls", no_argument, NULL, 'T' },
		{ "wait", optional_argument, NULL, 'w' },
		{ "no-auto-converge", no_argument, NULL, 'A' },
		{ "copy-storage", no_argument, NULL, 'S' },
		{ "shared-storage", no_argument, NULL, 'H' },
		{ "xl", no_argument, NULL, 'x' },
		{ "ssh", required_argument, NULL, 's' },
		{ "rune", required_argument, NULL, 'R' },
		{ "compress", required_argument, NULL, 'z' },
		{ "no-zero-elision", no_argument, NULL, 'Z' },
		{ NULL, 0, NULL, 0 }
	};
	struct climig mj = { .params = { .live = 1, .fd = -1 } };
	struct mig_src_params *p = &mj.params;
	struct transport_tls tls = { 0 };
	struct mig_stats stats;
	struct backend be;
	struct conf conf;
	enum mig_result res;
	char host[256], why[1024];
	const char *ssh = NULL, *rune = NULL;
	unsigned port = 0;
	int xl = 0;
	uint64_t v;
	int ch, rc, codec = -1;

	p->no_zero_elision = cli_no_zero_elision();
	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			p->live = 0;
			break;
		case 'p':
			if (util_parse_uint(optarg, 1, 65535, &v) != 0)
				return cmd_usage_error(&cmd_migrate_entry,
				    "--port %s: expected 1-65535", optarg);
			port = (unsigned)v;
			break;
		case 'd':
			if (util_parse_uint(optarg, 1, 3600000, &v) != 0)
				return cmd_usage_error(&cmd_migrate_entry,
				    "--max-downtime %s: expected milliseconds",
				    optarg);
			p->max_downtime_ms = v;
			break;
		case 'r':
			if (util_parse_uint(optarg, 1, 1000, &v) != 0)
				return cmd_usage_error(&cmd_migrate_entry,
				    "--max-rounds %s: expected 1-1000", optarg);
			p->max_rounds = (unsigned)v;
			break;
		case 't':
			if (util_parse_uint(optarg, 1, 86400, &v) != 0)
				return cmd_usage_error(&cmd_migrate_entry,
				    "--max-time %s: expected seconds", optarg);
			p->max_time_ms = v * 1000;
			break;
		case 'b':
			if (util_parse_bandwidth(optarg, &v) != 0 || v == 0)
				return cmd_usage_error(&cmd_migrate_entry,
				    "--bandwidth %s: expected MiB/s such as "
				    "100, or a rate such as 512K", optarg);
			p->bandwidth = v;
			break;
		case 'T':
			tls.on = 1;
			break;
		case 'A':
			p->no_auto_converge = 1;
			break;
		case 'S':
			p->copy_storage = 1;
			break;
		case 'H':
			p->shared_storage = 1;
			break;
		case 'w':
			mj.wait = 1;
			if (optarg != NULL &&
			    util_parse_uint(optarg, 1, 604800, &v) != 0)
				return cmd_usage_error(&cmd_migrate_entry,
				    "--wait=%s: expected seconds", optarg);
			mj.wait_s = optarg != NULL ? (unsigned)v : 0;
			break;
		case 'x':
			xl = 1;
			break;
		case 's':
			ssh = optarg;
			break;
		case 'R':
			rune = optarg;
			break;
		case 'z':
			if (cli_parse_compress(optarg, &codec) != 0)
				return cmd_usage_error(&cmd_migrate_entry,
				    "--compress %s: expected auto, lz4, zstd "
				    "or none", optarg);
			break;
		case 'Z':
			p->no_zero_elision = 1;
			break;
		default:
			return cmd_usage_error(&cmd_migrate_entry,
			    "unknown option");
		}
	}
	if ((xl || ssh != NULL || rune != NULL) &&
	    (tls.on || mj.wait || port != 0))
		return cmd_usage_error(&cmd_migrate_entry, "--xl goes to xl, "
		    "not to xmigd: no --port, --tls or --wait");
	if ((xl || ssh != NULL || rune != NULL) && p->copy_storage)
		return cmd_usage_error(&cmd_migrate_entry, "--xl: xl's "
		    "protocol carries no disks, so no --copy-storage (xl "
		    "takes every disk as shared)");
	if (xl || ssh != NULL || rune != NULL)
		return cli_xl_migrate(ctx, p, argc - optind, argv + optind, ssh,
		    rune);
	if (argc - optind != 2)
		return cmd_usage_error(&cmd_migrate_entry,
		    "expected DOMAIN and HOST");
	if ((rc = cli_conf(&conf)) != 0)
		return rc;
	if (port == 0)
		port = conf.relocation_port;
	p->compress = codec >= 0 ? codec : conf.compress;
	p->compress_asked = codec >= 0;
	if (cli_parse_target(argv[optind + 1], host, sizeof(host),
	    &port) != 0)
		return cmd_usage_error(&cmd_migrate_entry,
		    "%s: expected HOST, HOST:PORT or [ADDRESS]:PORT",
		    argv[optind + 1]);
	cli_tls(&conf, tls.on, &tls);
	if ((rc = cli_backend_open(ctx, &be)) != 0)
		return rc;
	cli_catch_signals();
	p->be = &be;
	p->domain = argv[optind];
	p->suspend_timeout_s = conf.suspend_timeout;
	p->device_dir = conf.device_migrate_dir;
	p->device_timeout_s = conf.device_migrate_timeout;
	p->shared_prefixes = conf.shared_storage;
	p->cancel = &cli_cancel;
	p->progress = cli_progress;
	p->arg = ctx;
	mj.host = host;
	mj.port = port;
	mj.tls = &tls;
	mj.waiting = migrate_waiting;
	mj.arg = ctx;
	res = climig_run(&mj, &stats, why, sizeof(why));
	if (mj.unreachable) {
		fprintf(stderr, "xmig migrate: %s\n", why);
		backend_close(&be);
		return XMIG_EXIT_FAILED;
	}
	cli_report(ctx, "migrate", res,
	    stats.domain[0] ? stats.domain : argv[optind], host, &stats, why);
	backend_close(&be);
	return cli_exit_code(res);
}

const struct cmd_entry cmd_migrate_entry = {
	.name = "migrate",
	.usage = "[--no-live] [--port N] [--max-downtime MS] "
	    "[--max-rounds N] [--max-time S] [--bandwidth MB/s] [--tls] "
	    "[--no-auto-converge] [--copy-storage | --shared-storage] "
	    "[--compress auto|lz4|zstd|none] [--no-zero-elision] [--wait[=S]] "
	    "[--xl [--ssh CMD | --rune CMD]] DOMAIN HOST[:PORT]",
	.summary = "move a running domain to the xmigd on another host",
	.help = "Live-migrate DOMAIN (a name or id) to HOST, where xmigd "
	    "runs.  Memory is copied\nwhile the guest runs until the "
	    "pages left would go in under the downtime\ntarget "
	    "(--max-downtime, default 300 ms) or a round or time limit is "
	    "reached;\nthen the guest is suspended, the rest is copied, and "
	    "the destination\nstarts it.  The source copy is destroyed only "
	    "once the destination says it\nruns.\n\n"
	    "  --no-live          suspend first, then copy (no dirty "
	    "tracking needed)\n"
	    "  --port N           relocation port (default from xmigd.conf, "
	    "8002)\n"
	    "  --max-downtime MS  downtime target in milliseconds\n"
	    "  --max-rounds N     at most N live rounds (default 30)\n"
	    "  --max-time S       start no live round after S seconds\n"
	    "  --bandwidth MB/s   cap the transfer: MiB/s, or a unit: 512K, 1G\n"
	    "  --tls              encrypt and authenticate (tls-* keys of "
	    "xmigd.conf)\n"
	    "  --no-auto-converge never throttle the guest (see below)\n"
	    "  --copy-storage     copy the domain's disks with it (those "
	    "not under a\n"
	    "                     shared-storage path of xmigd.conf): "
	    "rounds while it\n"
	    "                     runs, the last blocks after the suspend; "
	    "the images\n"
	    "                     land in the destination's storage-dir and "
	    "go from here\n"
	    "                     once it runs there.  Live, a disk must be "
	    "one whose\n"
	    "                     writes can be tracked (sim: all; xen: "
	    "raw images\n"
	    "                     served by QEMU, qdisk; others need "
	    "--no-live)\n"
	    "  --shared-storage   the destination sees every disk: copy "
	    "none\n"
	    "                     (a domain with disks needs one of the "
	    "two)\n"
	    "  --compress CODEC   auto (default: compress in xmigd.conf): lz4, "
	    "and zstd\n"
	    "                     while it moves the stream faster; lz4, zstd "
	    "or none;\n"
	    "                     chunks that do not shrink go raw\n"
	    "                     (xen: the plain stream unless --compress "
	    "is given)\n"
	    "  --no-zero-elision  send zero pages as data (for comparisons; "
	    "also\n"
	    "                     XMIG_NO_ZERO_ELISION=1)\n"
	    "  --wait[=S]         while the destination is busy (max-incoming "
	    "reached, or\n"
	    "                     its memory held by migrations in flight), "
	    "wait and try\n"
	    "                     again with backoff, for at most S seconds "
	    "(no limit\n"
	    "                     without S); any other refusal fails at "
	    "once\n"
	    "  --xl               send to a host that runs only xl: run "
	    "\"ssh HOST xl\n"
	    "                     migrate-receive\" and speak xl's "
	    "protocol on it\n"
	    "  --ssh CMD          with --xl: the ssh command (default ssh)\n"
	    "  --rune CMD         with --xl: the whole command to run "
	    "instead (HOST not\n"
	    "                     needed), as xl migrate -s \"\" does\n\n"
	    "Auto-converge: when the guest dirties its memory so fast that "
	    "the downtime\npredicted stays above the target round after "
	    "round, it is throttled step\nby step (20%, then 10% more per "
	    "round, at most 99%: on Xen a credit2 cap,\nfor a simulated "
	    "guest slower page writes) until it converges.  The\nthrottle "
	    "is removed at the suspend, and whenever xmig ends, even "
	    "killed.\n\n"
	    "With --xl there is no xmigd at the other end: no reservation, "
	    "and no\n\"xmig recover\" query; a connection lost after the "
	    "go message leaves the\ndomain suspended here as "
	    "DOMAIN--migratedaway (exit 5): check the destination.\n\n"
	    "Exit status: 0 moved; 1 failed, nothing changed; 3 refused; 4 "
	    "failed and\nresumed here; 5 undefined: the connection was lost "
	    "after GO and the\ndestination could not say what became of the "
	    "domain (run \"xmig recover DOMAIN\").",
	.exec = cmd_migrate_exec,
};
