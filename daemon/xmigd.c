/*
 * xmigd.c - the relocation daemon: start-up, options and configuration.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
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
	struct xmigd_opts opts = { .conf_path = XMIG_DEFAULT_CONF };
	struct conf conf;
	int ch, explicit_conf = 0;

	log_init("xmigd", 1, LOG_LVL_INFO);
	while ((ch = getopt_long(argc, argv, "fnvc:p:a:Vh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			opts.foreground = 1;
			break;
		case 'n':
			opts.check_only = 1;
			break;
		case 'v':
			opts.verbose = 1;
			break;
		case 'c':
			opts.conf_path = optarg;
			explicit_conf = 1;
			break;
		case 'b':
			opts.backend = optarg;
			break;
		case 'S':
			opts.sim_dir = optarg;
			break;
		case 'p':
			opts.port = optarg;
			break;
		case 'a':
			opts.address = optarg;
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

	conf_defaults(&conf);
	/* The default file may be absent: defaults then apply. */
	if (conf_load(&conf, opts.conf_path, !explicit_conf) != 0)
		fatalx("%s: configuration not valid", opts.conf_path);
	if (apply_opts(&conf, &opts) != 0)
		return 2;
	if (opts.check_only) {
		printf("%s: configuration OK\n", opts.conf_path);
		return 0;
	}
	log_init("xmigd", opts.foreground, (enum log_level)conf.log_level);
	fatalx("the relocation listener is not part of this build yet");
}
