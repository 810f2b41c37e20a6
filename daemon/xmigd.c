/*
 * xmigd.c - the relocation daemon: start-up, options, configuration,
 * signals and the event loop.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "sim/be_sim.h"
#include "log.h"
#include "transport.h"
#include "util.h"
#include "xmigd.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: xmigd [-f] [-n] [-v] [-c FILE] [--backend xen|sim|auto] "
	    "[--sim-dir DIR]\n"
	    "             [-p PORT] [-a ADDRESS]\n"
	    "\n"
	    "  -f, --foreground   stay in the foreground, log to stderr\n"
	    "  -n, --check-config check the configuration and exit\n"
	    "  -v, --verbose      log debug messages\n"
	    "  -c, --config FILE  configuration file (default %s)\n"
	    "  --backend NAME     hypervisor backend (overrides 'backend')\n"
	    "  --sim-dir DIR      simulated host directory (overrides "
	    "'sim-dir')\n"
	    "  -p, --port PORT    relocation port (overrides "
	    "'relocation-port', default %d)\n"
	    "  -a, --address ADDR listen address (overrides "
	    "'relocation-address')\n"
	    "  -V, --version      print the version\n"
	    "  -h, --help         print this help\n"
	    "\nSee xmigd(8) and xmigd.conf(5).\n",
	    XMIG_DEFAULT_CONF, XMIG_DEFAULT_PORT);
}

/* Apply command-line overrides on top of a loaded config. */
static int
apply_opts(struct conf *c, const struct xmigd_opts *o)
{
	const char *why;

	if (o->backend != NULL &&
	    conf_set(c, "backend", o->backend, &why) != 0) {
		log_warnx("--backend %s: %s", o->backend, why);
		return -EINVAL;
	}
	if (o->sim_dir != NULL &&
	    conf_set(c, "sim-dir", o->sim_dir, &why) != 0) {
		log_warnx("--sim-dir %s: %s", o->sim_dir, why);
		return -EINVAL;
	}
	if (o->port != NULL &&
	    conf_set(c, "relocation-port", o->port, &why) != 0) {
		log_warnx("--port %s: %s", o->port, why);
		return -EINVAL;
	}
	if (o->address != NULL &&
	    conf_set(c, "relocation-address", o->address, &why) != 0) {
		log_warnx("--address %s: %s", o->address, why);
		return -EINVAL;
	}
	if (o->verbose)
		c->log_level = LOG_LVL_DEBUG;
	return 0;
}

/* Load the config file with the command line on top into *c. */
static int
xmigd_load_conf(const struct xmigd_opts *o, struct conf *c)
{
	conf_defaults(c);
	/* The default file may be absent: defaults then apply. */
	if (conf_load(c, o->conf_path, !o->explicit_conf) != 0)
		return -EINVAL;
	return apply_opts(c, o);
}

/* The TLS server context for c, or NULL with tls off.  0 or -errno. */
static int
xmigd_tls_ctx(const struct conf *c, void **ctx)
{
	struct transport_tls t = { .on = c->tls, .cert = c->tls_cert,
	    .key = c->tls_key, .ca = c->tls_ca };

	*ctx = NULL;
	if (!c->tls)
		return 0;
	return transport_tls_ctx(&t, 1, ctx);
}

int
xmigd_backend_open(const struct conf *c, struct backend *be)
{
	/* sim-memory sizes the simulated host when it is first created. */
	if (c->backend == CONF_BACKEND_SIM)
		return be_sim_open(be, c->sim_dir, c->sim_memory);
	return backend_open(be, conf_backend_name(c->backend), c->sim_dir);
}

struct backend *
xmigd_backend(struct xmigd *d)
{
	int rc;

	if (d->be_open)
		return &d->be;
	rc = xmigd_backend_open(&d->conf, &d->be);
	if (rc != 0) {
		log_warnx("backend %s not available: %s",
		    conf_backend_name(d->conf.backend), strerror(-rc));
		return NULL;
	}
	d->be_open = 1;
	return &d->be;
}

static void
xmigd_status_notify(struct xmigd *d)
{
	char where[256];

	listener_describe(d, where, sizeof(where));
	notify_sendf("STATUS=listening on %s; %u incoming", where, d->njobs);
}

/* SIGHUP: a new config replaces the old one only if all of it is good. */
static void
xmigd_reload(struct xmigd *d)
{
	struct conf nc, old;
	struct acl *acl = NULL;
	void *ctx = NULL;

	notify_send("RELOADING=1");
	log_info("reloading %s", d->opts.conf_path);
	if (xmigd_load_conf(&d->opts, &nc) != 0 ||
	    acl_new(nc.hosts_allow, &acl) != 0 ||
	    xmigd_tls_ctx(&nc, &ctx) != 0) {
		log_warnx("%s: configuration not valid; keeping the running "
		    "one", d->opts.conf_path);
		acl_free(acl);
		goto done;
	}
	if (strcmp(nc.control_socket, d->conf.control_socket) != 0 ||
	    nc.backend != d->conf.backend ||
	    strcmp(nc.sim_dir, d->conf.sim_dir) != 0)
		log_warnx("control-socket, backend and sim-dir changes take "
		    "effect at the next start");
	util_strlcpy(nc.control_socket, d->conf.control_socket,
	    sizeof(nc.control_socket));
	nc.backend = d->conf.backend;
	util_strlcpy(nc.sim_dir, d->conf.sim_dir, sizeof(nc.sim_dir));
	old = d->conf;
	d->conf = nc;
	if (listener_reload(d) != 0) {
		log_warnx("keeping the previous listening address and port");
		util_strlcpy(d->conf.relocation_address, old.relocation_address,
		    sizeof(d->conf.relocation_address));
		d->conf.relocation_port = old.relocation_port;
	}
	acl_free(d->acl);
	d->acl = acl;
	transport_tls_ctx_free(d->tls_ctx);
	d->tls_ctx = ctx;
	log_setlevel((enum log_level)d->conf.log_level);
	if (!d->conf.tls)
		log_warnx("relocation connections are not encrypted "
		    "(tls = off)");
	log_info("configuration reloaded; hosts-allow: %s",
	    d->conf.hosts_allow);
done:
	notify_send("READY=1");
	xmigd_status_notify(d);
}

void
xmigd_check_done(struct xmigd *d)
{
	if (d->stopping && d->njobs == 0)
		event_base_loopexit(d->base, NULL);
}

static void
xmigd_drain_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct xmigd *d = arg;

	(void)fd;
	(void)ev;
	log_warnx("%u worker(s) still running after %d s; killing them",
	    d->njobs, XMIGD_DRAIN_TIMEOUT_S);
	worker_kill_all(d, "daemon stopping");
}

/* SIGTERM/SIGINT: stop accepting, let the workers finish in bounds. */
static void
xmigd_stop(struct xmigd *d)
{
	struct timeval tv = { XMIGD_DRAIN_TIMEOUT_S, 0 };

	if (d->stopping)
		return;
	d->stopping = 1;
	notify_send("STOPPING=1");
	log_info("stopping: %u worker(s) to wait for", d->njobs);
	listener_close_all(d);
	session_close_all(d);
	d->ev_drain = evtimer_new(d->base, xmigd_drain_timeout, d);
	if (d->ev_drain != NULL)
		evtimer_add(d->ev_drain, &tv);
	xmigd_check_done(d);
}

static void
xmigd_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct xmigd *d = arg;

	(void)ev;
	switch (sig) {
	case SIGHUP:
		if (!d->stopping)
			xmigd_reload(d);
		break;
	case SIGTERM:
	case SIGINT:
		xmigd_stop(d);
		break;
	case SIGCHLD:
		worker_reap(d);
		if (!d->stopping)
			xmigd_status_notify(d);
		break;
	default:
		break;
	}
}

static void
xmigd_signals(struct xmigd *d)
{
	static const int sigs[] = { SIGHUP, SIGTERM, SIGINT, SIGCHLD };
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < ARRAY_SIZE(sigs); i++) {
		d->ev_sig[i] = evsignal_new(d->base, sigs[i], xmigd_signal, d);
		if (d->ev_sig[i] == NULL || evsignal_add(d->ev_sig[i],
		    NULL) != 0)
			fatalx("cannot watch signal %d", sigs[i]);
	}
}

/* Everything after the configuration is known: bind, serve, exit. */
static int
xmigd_run(struct xmigd *d)
{
	const char *env;
	char where[256];
	size_t i;

	if (!d->opts.foreground && daemon(0, 0) != 0)
		fatal("daemon");
	d->start_ms = util_now_ms();
	d->worker_deadline_s = XMIGD_WORKER_DEADLINE_S;
	if ((env = getenv("XMIGD_WORKER_DEADLINE_S")) != NULL) {
		uint64_t v;

		if (util_parse_uint(env, 1, 86400 * 7, &v) == 0)
			d->worker_deadline_s = (unsigned)v;
	}
	TAILQ_INIT(&d->sessions);
	TAILQ_INIT(&d->jobs);
	reserve_init(&d->reserves);
	if ((d->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if (acl_new(d->conf.hosts_allow, &d->acl) != 0)
		fatalx("hosts-allow not valid");
	if (xmigd_tls_ctx(&d->conf, &d->tls_ctx) != 0)
		fatalx("TLS set-up failed");
	if (!d->conf.tls)
		log_warnx("relocation connections are not encrypted "
		    "(tls = off)");
	xmigd_signals(d);
	if (listener_open(d) != 0)
		fatalx("cannot listen for relocation connections");
	if (control_open(d) != 0)
		fatalx("cannot open the control socket %s",
		    d->conf.control_socket);
	(void)xmigd_backend(d);
	worker_sweep_stale(d);
	listener_describe(d, where, sizeof(where));
	log_info("xmigd %s ready: listening on %s, backend %s, control %s",
	    PACKAGE_VERSION, where, conf_backend_name(d->conf.backend),
	    d->conf.control_socket);
	notify_send("READY=1");
	xmigd_status_notify(d);

	event_base_dispatch(d->base);

	log_info("xmigd exiting");
	control_close(d);
	listener_close_all(d);
	session_close_all(d);
	reserve_clear(&d->reserves);
	for (i = 0; i < ARRAY_SIZE(d->ev_sig); i++)
		if (d->ev_sig[i] != NULL)
			event_free(d->ev_sig[i]);
	if (d->ev_drain != NULL)
		event_free(d->ev_drain);
	if (d->be_open)
		backend_close(&d->be);
	acl_free(d->acl);
	transport_tls_ctx_free(d->tls_ctx);
	event_base_free(d->base);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "config", required_argument, NULL, 'c' },
		{ "backend", required_argument, NULL, 'b' },
		{ "sim-dir", required_argument, NULL, 'S' },
		{ "port", required_argument, NULL, 'p' },
		{ "address", required_argument, NULL, 'a' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static struct xmigd d;
	int ch;

	d.opts.conf_path = XMIG_DEFAULT_CONF;
	log_init("xmigd", 1, LOG_LVL_INFO);
	while ((ch = getopt_long(argc, argv, "fnvc:p:a:Vh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			d.opts.foreground = 1;
			break;
		case 'n':
			d.opts.check_only = 1;
			break;
		case 'v':
			d.opts.verbose = 1;
			break;
		case 'c':
			d.opts.conf_path = optarg;
			d.opts.explicit_conf = 1;
			break;
		case 'b':
			d.opts.backend = optarg;
			break;
		case 'S':
			d.opts.sim_dir = optarg;
			break;
		case 'p':
			d.opts.port = optarg;
			break;
		case 'a':
			d.opts.address = optarg;
			break;
		case 'V':
			printf("xmigd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "xmigd: unexpected argument \"%s\"\n",
		    argv[optind]);
		usage(stderr);
		return 2;
	}

	conf_defaults(&d.conf);
	if (conf_load(&d.conf, d.opts.conf_path, !d.opts.explicit_conf) != 0)
		fatalx("%s: configuration not valid", d.opts.conf_path);
	if (apply_opts(&d.conf, &d.opts) != 0)
		return 2;
	if (d.opts.check_only) {
		printf("%s: configuration OK\n", d.opts.conf_path);
		return 0;
	}
	log_init("xmigd", d.opts.foreground, (enum log_level)d.conf.log_level);
	return xmigd_run(&d);
}
