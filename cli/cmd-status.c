/*
 * cmd-status.c - "xmig status": what the local xmigd is doing.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "conf.h"
#include "ctl.h"
#include "json.h"
#include "relocio.h"
#include "transport.h"
#include "util.h"
#include "xmig.h"

#define STATUS_TIMEOUT_MS	10000

/* A field of an object as text ("-" when absent). */
static const char *
status_str(yajl_val o, const char *key, char *buf, size_t len)
{
	const char *path[] = { key, NULL };
	yajl_val v = yajl_tree_get(o, path, yajl_t_any);

	if (v == NULL)
		return "-";
	if (YAJL_IS_STRING(v))
		return YAJL_GET_STRING(v);
	if (YAJL_IS_INTEGER(v)) {
		snprintf(buf, len, "%lld", YAJL_GET_INTEGER(v));
		return buf;
	}
	return "?";
}

static long long
status_int(yajl_val o, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val v = yajl_tree_get(o, path, yajl_t_number);

	return v != NULL && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : 0;
}

/* The items of array "key" of o: their count, and *vals. */
static size_t
status_array(yajl_val o, const char *key, yajl_val **vals)
{
	const char *path[] = { key, NULL };
	yajl_val a = yajl_tree_get(o, path, yajl_t_array);

	if (a == NULL || !YAJL_IS_ARRAY(a))
		return 0;
	*vals = a->u.array.values;
	return a->u.array.len;
}

static void
status_jobs(yajl_val r)
{
	yajl_val *vals = NULL, j;
	size_t n = status_array(r, "jobs", &vals), i;
	char b[7][32];

	if (n == 0) {
		printf("no incoming migrations\n");
		return;
	}
	printf("%-5s %-9s %-20s %-16s %-10s %6s %11s %8s\n", "JOB", "DIR",
	    "DOMAIN", "PEER", "PHASE", "DOMID", "RECEIVED", "ELAPSED");
	for (i = 0; i < n; i++) {
		j = vals[i];
		printf("%-5s %-9s %-20s %-16s %-10s %6s %11s %7.1fs\n",
		    status_str(j, "id", b[0], 32),
		    status_str(j, "direction", b[1], 32),
		    status_str(j, "domain", b[2], 32),
		    status_str(j, "peer", b[3], 32),
		    status_str(j, "phase", b[4], 32),
		    status_int(j, "domid") < 0 ? "-" :
		    status_str(j, "domid", b[5], 32),
		    util_fmt_size((uint64_t)status_int(j, "bytes"), b[6], 32),
		    (double)status_int(j, "elapsed_ms") / 1000);
	}
}

static void
status_reservations(yajl_val r)
{
	yajl_val *vals = NULL, v;
	size_t n = status_array(r, "reservations", &vals), i;
	char b[4][32];

	if (n == 0)
		return;
	printf("\n%-5s %-20s %11s %5s %s\n", "RES", "DOMAIN", "MEMORY",
	    "VCPUS", "STATE");
	for (i = 0; i < n; i++) {
		v = vals[i];
		printf("%-5s %-20s %11s %5s %s\n",
		    status_str(v, "id", b[0], 32),
		    status_str(v, "domain", b[1], 32),
		    util_fmt_size((uint64_t)status_int(v, "bytes"), b[2], 32),
		    status_str(v, "vcpus", b[3], 32),
		    status_str(v, "state", b[0], 32));
	}
}

static void
status_print(yajl_val r)
{
	const char *cpath[] = { "counters", NULL };
	yajl_val c = yajl_tree_get(r, cpath, yajl_t_object);
	char b[4][64];

	printf("xmigd %s, up %llds, backend %s (%s), listening on %s, "
	    "tls %s\n", status_str(r, "version", b[0], 64),
	    status_int(r, "uptime_s"), status_str(r, "backend", b[1], 64),
	    status_str(r, "backend_state", b[2], 64),
	    status_str(r, "listening", b[3], 64),
	    status_str(r, "tls", b[0], 64));
	if (status_int(r, "free_bytes") > 0 || status_int(r, "incoming") > 0)
		printf("memory: %s free, %s reserved for incoming; incoming "
		    "migrations: %lld of %lld\n", util_fmt_size((uint64_t)
		    status_int(r, "free_bytes"), b[0], 64), util_fmt_size(
		    (uint64_t)status_int(r, "reserved_bytes"), b[1], 64),
		    status_int(r, "incoming"), status_int(r, "max_incoming"));
	if (c != NULL)
		printf("connections: %lld accepted, %lld refused; migrations: "
		    "%lld received, %lld failed\n\n",
		    status_int(c, "connections_accepted"),
		    status_int(c, "connections_refused"),
		    status_int(c, "migrations_received"),
		    status_int(c, "migrations_failed"));
	status_jobs(r);
	status_reservations(r);
}

/*
 * Ask the xmigd at host:port over the relocation protocol (hello, then
 * STATUS_QUERY); the peer must pass its hosts-allow.  On success *raw is
 * the status JSON text and *r its tree.
 */
static int
status_remote(const char *target, unsigned port, int tls_on, yajl_val *r,
    char **raw)
{
	struct transport_tls tls;
	struct transport_conn conn;
	struct reloc_msg m;
	struct conf conf;
	char host[256], err[128];
	int rc;

	if ((rc = cli_conf(&conf)) != 0)
		return rc;
	if (port == 0)
		port = conf.relocation_port;
	if (cli_parse_target(target, host, sizeof(host), &port) != 0)
		return cmd_usage_error(&cmd_status_entry, "%s: expected HOST, "
		    "HOST:PORT or [ADDRESS]:PORT", target);
	cli_tls(&conf, tls_on, &tls);
	if ((rc = transport_connect(host, port, &tls, STATUS_TIMEOUT_MS,
	    &conn)) != 0) {
		fprintf(stderr, "xmig status: cannot connect to %s port %u: "
		    "%s\n", host, port, strerror(-rc));
		return XMIG_EXIT_FAILED;
	}
	if ((rc = relocio_hello(conn.fd, &m, STATUS_TIMEOUT_MS)) == 0) {
		reloc_msg_init(&m, RELOC_STATUS_QUERY);
		if ((rc = relocio_send(conn.fd, &m, STATUS_TIMEOUT_MS)) == 0)
			rc = relocio_expect(conn.fd, RELOC_STATUS, &m,
			    STATUS_TIMEOUT_MS);
	}
	transport_close(&conn);
	if (rc != 0) {
		if (rc == -ECONNREFUSED)
			fprintf(stderr, "xmig status: %s refused: %s\n", host,
			    m.reason);
		else
			fprintf(stderr, "xmig status: no status from %s port "
			    "%u: %s\n", host, port, strerror(-rc));
		reloc_msg_clear(&m);
		return rc == -ECONNREFUSED ? XMIG_EXIT_REFUSED :
		    XMIG_EXIT_FAILED;
	}
	*r = json_parse(m.status, err, sizeof(err));
	if (*r == NULL || !YAJL_IS_OBJECT(*r)) {
		fprintf(stderr, "xmig status: %s sent a bad status: %s\n",
		    host, *r == NULL ? err : "not an object");
		yajl_tree_free(*r);
		reloc_msg_clear(&m);
		return XMIG_EXIT_FAILED;
	}
	*raw = m.status;
	m.status = NULL;
	reloc_msg_clear(&m);
	return 0;
}

static int
cmd_status_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "tls", no_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	const char *sock = NULL, *host = NULL;
	char path[256], *raw = NULL;
	unsigned port = 0;
	uint64_t v;
	yajl_val r;
	int ch, rc, tls = 0;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'H':
			host = optarg;
			break;
		case 'p':
			if (util_parse_uint(optarg, 1, 65535, &v) != 0)
				return cmd_usage_error(&cmd_status_entry,
				    "--port %s: expected 1-65535", optarg);
			port = (unsigned)v;
			break;
		case 'T':
			tls = 1;
			break;
		default:
			return cmd_usage_error(&cmd_status_entry,
			    "unknown option");
		}
	}
	if (optind != argc)
		return cmd_usage_error(&cmd_status_entry, "too many arguments");
	if (host != NULL && sock != NULL)
		return cmd_usage_error(&cmd_status_entry, "--host and --socket "
		    "exclude each other");
	if (host == NULL && (port != 0 || tls))
		return cmd_usage_error(&cmd_status_entry, "--port and --tls "
		    "go with --host");
	if (host != NULL) {
		if ((rc = status_remote(host, port, tls, &r, &raw)) != 0)
			return rc;
	} else {
		if ((rc = ctl_socket_path(sock, path, sizeof(path))) != 0)
			return rc;
		if ((rc = ctl_request(path, "{\"cmd\":\"status\"}", &r,
		    &raw)) != 0)
			return rc;
	}
	if (ctx->json)
		fputs(raw, stdout);
	else
		status_print(r);
	free(raw);
	yajl_tree_free(r);
	return XMIG_EXIT_OK;
}

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "[--socket PATH | --host HOST[:PORT] [--port N] [--tls]]",
	.summary = "show an xmigd's migrations and reservations",
	.help =
	    "Ask the local xmigd (over its control socket, root only), or\n"
	    "with --host the xmigd on another host (over its relocation\n"
	    "port; this host must pass its hosts-allow), for its incoming\n"
	    "migrations, reservations and counters, and print a table, or\n"
	    "with the global --json the daemon's JSON object.\n"
	    "\n"
	    "  --socket PATH     control socket (default: control-socket in\n"
	    "                    xmigd.conf, /run/xmig/xmigd.sock)\n"
	    "  --host HOST[:PORT] ask the xmigd on HOST\n"
	    "  --port N          its relocation port (default from\n"
	    "                    xmigd.conf, 8002)\n"
	    "  --tls             encrypt and authenticate (tls-* keys of\n"
	    "                    xmigd.conf; also when tls = on there)\n"
	    "\n"
	    "Exit status: 0; 1 no answer; 3 refused by the daemon.",
	.exec = cmd_status_exec,
};
