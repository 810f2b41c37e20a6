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
#include "fault.h"
#include "log.h"
#include "transport.h"
#include "util.h"

/*
 * The connection was lost after the suspend: before leaving it to "xmig
 * recover", ask the destination (for up to 30 s, while it is unreachable
 * or still settling) what became of the domain; the same rules as "xmig
 * recover" decide.
 */
static enum mig_result
migrate_settle(struct backend *be, const struct mig_stats *st,
    const char *host, unsigned port, const struct transport_tls *tls,
    char *why, size_t whylen)
{
	char lost[1024], again[1024] = "";
	enum mig_result res;

	util_strlcpy(lost, why, sizeof(lost));
	log_warnx("%s; asking %s what became of %s", lost, host, st->domain);
	res = cli_settle(be, st->domain, host, port, tls, 30, 1, again,
	    sizeof(again));
	switch (res) {
	case MIG_OK:
		log_info("%s runs on %s; the suspended copy here was "
		    "destroyed", st->domain, host);
		return MIG_OK;
	case MIG_RESUMED:
		snprintf(why, whylen, "the connection to %s was lost after it "
		    "was cleared to unpause; %s was not there and was "
		    "resumed here", host, st->domain);
		return MIG_RESUMED;
	default:
		snprintf(why, whylen, "%.700s (%.300s)", lost, again);
		return MIG_UNDEFINED;
	}
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
		{ NULL, 0, NULL, 0 }
	};
	struct mig_src_params p = { .live = 1 };
	struct transport_tls tls = { 0 };
	struct transport_conn conn;
	struct mig_stats stats;
	struct backend be;
	struct conf conf;
	enum mig_result res;
	char host[256], why[1024];
	unsigned port = 0;
	uint64_t v;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			p.live = 0;
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
			p.max_downtime_ms = v;
			break;
		case 'r':
			if (util_parse_uint(optarg, 1, 1000, &v) != 0)
				return cmd_usage_error(&cmd_migrate_entry,
				    "--max-rounds %s: expected 1-1000", optarg);
			p.max_rounds = (unsigned)v;
			break;
		case 't':
			if (util_parse_uint(optarg, 1, 86400, &v) != 0)
				return cmd_usage_error(&cmd_migrate_entry,
				    "--max-time %s: expected seconds", optarg);
			p.max_time_ms = v * 1000;
			break;
		case 'b':
			if (util_parse_bandwidth(optarg, &v) != 0 || v == 0)
				return cmd_usage_error(&cmd_migrate_entry,
				    "--bandwidth %s: expected MiB/s such as "
				    "100, or a rate such as 512K", optarg);
			p.bandwidth = v;
			break;
		case 'T':
			tls.on = 1;
			break;
		default:
			return cmd_usage_error(&cmd_migrate_entry,
			    "unknown option");
		}
	}
	if (argc - optind != 2)
		return cmd_usage_error(&cmd_migrate_entry,
		    "expected DOMAIN and HOST");
	if ((rc = cli_conf(&conf)) != 0)
		return rc;
	if (port == 0)
		port = conf.relocation_port;
	if (cli_parse_target(argv[optind + 1], host, sizeof(host),
	    &port) != 0)
		return cmd_usage_error(&cmd_migrate_entry,
		    "%s: expected HOST, HOST:PORT or [ADDRESS]:PORT",
		    argv[optind + 1]);
	cli_tls(&conf, tls.on, &tls);
	if ((rc = cli_backend_open(ctx, &be)) != 0)
		return rc;
	cli_catch_signals();
	if ((rc = transport_connect(host, port, &tls, 10000, &conn)) != 0) {
		fprintf(stderr, "xmig migrate: cannot connect to %s port %u: "
		    "%s\n", host, port, strerror(-rc));
		backend_close(&be);
		return XMIG_EXIT_FAILED;
	}
	p.be = &be;
	p.domain = argv[optind];
	p.fd = conn.fd;
	p.host = host;
	p.port = port;
	p.suspend_timeout_s = conf.suspend_timeout;
	p.device_dir = conf.device_migrate_dir;
	p.device_timeout_s = conf.device_migrate_timeout;
	p.cancel = &cli_cancel;
	p.progress = cli_progress;
	p.arg = ctx;
	res = mig_src_run(&p, &stats, why, sizeof(why));
	transport_close(&conn);
	if (res == MIG_UNDEFINED && stats.domain[0] != '\0' &&
	    !fault_armed("src-skip-settle"))
		res = migrate_settle(&be, &stats, host, port, &tls, why,
		    sizeof(why));
	cli_report(ctx, "migrate", res,
	    stats.domain[0] ? stats.domain : argv[optind], host, &stats, why);
	backend_close(&be);
	return cli_exit_code(res);
}

const struct cmd_entry cmd_migrate_entry = {
	.name = "migrate",
	.usage = "[--no-live] [--port N] [--max-downtime MS] "
	    "[--max-rounds N] [--max-time S] [--bandwidth MB/s] [--tls] "
	    "DOMAIN HOST[:PORT]",
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
	    "xmigd.conf)\n\n"
	    "Exit status: 0 moved; 1 failed, nothing changed; 3 refused; 4 "
	    "failed and\nresumed here; 5 undefined: the connection was lost "
	    "after GO and the\ndestination could not say what became of the "
	    "domain (run \"xmig recover DOMAIN\").",
	.exec = cmd_migrate_exec,
};
