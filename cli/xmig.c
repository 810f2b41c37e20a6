/*
 * xmig.c - the xmig command: global options and command dispatch.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmig.h"

const struct cmd_entry *const cmd_table[] = {
	&cmd_help_entry,
	&cmd_migrate_entry,
	&cmd_save_entry,
	&cmd_restore_entry,
	&cmd_recover_entry,
	&cmd_verify_entry,
	&cmd_list_entry,
	&cmd_sim_entry,
	&cmd_status_entry,
	&cmd_cancel_entry,
	&cmd_evacuate_entry,
	&cmd_xl_relay_entry,
	&cmd_xl_receive_entry,
	NULL
};

const struct cmd_entry *
cmd_find(const char *name)
{
	const struct cmd_entry *found = NULL;
	size_t len = strlen(name);
	int i;

	for (i = 0; cmd_table[i] != NULL; i++) {
		if (strcmp(cmd_table[i]->name, name) == 0)
			return cmd_table[i];
		if (len > 0 && strncmp(cmd_table[i]->name, name, len) == 0) {
			if (found != NULL)
				return NULL;	/* ambiguous */
			found = cmd_table[i];
		}
	}
	return found;
}

void
cmd_usage(const struct cmd_entry *cmd, FILE *f)
{
	fprintf(f, "usage: xmig %s%s%s\n", cmd->name,
	    cmd->usage[0] != '\0' ? " " : "", cmd->usage);
}

int
cmd_usage_error(const struct cmd_entry *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "xmig %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cmd_usage(cmd, stderr);
	return XMIG_EXIT_USAGE;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: xmig [--backend xen|sim] [--sim-dir DIR] [--json] [-q] "
	    "[-v] COMMAND [ARGS]\n"
	    "       xmig --version | help [COMMAND]\n");
}

static void
version(void)
{
	printf("xmig %s\n", PACKAGE_VERSION);
#ifdef HAVE_XEN
	printf("backends: xen sim\n");
#else
	printf("backends: sim (built without the xen backend)\n");
#endif
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "sim-dir", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_ctx ctx = { .progname = "xmig" };
	const struct cmd_entry *cmd;
	char name[64];
	const char *env;
	enum log_level level;
	int ch;

	log_init("xmig", 1, LOG_LVL_INFO);
	if ((env = getenv("XMIG_BACKEND")) != NULL && *env != '\0' &&
	    conf_parse_backend(env, &ctx.backend) != 0) {
		fprintf(stderr, "xmig: XMIG_BACKEND=%s: expected xen, sim or "
		    "auto\n", env);
		return XMIG_EXIT_USAGE;
	}
	if ((env = getenv("XMIG_SIM_DIR")) != NULL && *env != '\0')
		ctx.sim_dir = env;

	/* "+": stop at the command name; its options are its own. */
	while ((ch = getopt_long(argc, argv, "+qvhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			if (conf_parse_backend(optarg, &ctx.backend) != 0) {
				fprintf(stderr, "xmig: --backend %s: expected "
				    "xen, sim or auto\n", optarg);
				return XMIG_EXIT_USAGE;
			}
			break;
		case 'S':
			ctx.sim_dir = optarg;
			break;
		case 'j':
			ctx.json = 1;
			break;
		case 'q':
			ctx.quiet = 1;
			break;
		case 'v':
			ctx.verbose++;
			break;
		case 'V':
			version();
			return XMIG_EXIT_OK;
		case 'h': {
			/* "xmig --help" is "xmig help": the commands too. */
			char help[] = "help", *hargv[] = { help, NULL };

			optind = 0;
			return cmd_help_entry.exec(&ctx, 1, hargv);
		}
		default:
			usage(stderr);
			return XMIG_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		fprintf(stderr, "Run \"xmig help\" for the list of commands.\n");
		return XMIG_EXIT_USAGE;
	}

	level = ctx.quiet ? LOG_LVL_ERR :
	    ctx.verbose > 1 ? LOG_LVL_DEBUG : LOG_LVL_INFO;
	log_setlevel(level);

	if ((cmd = cmd_find(argv[0])) == NULL) {
		fprintf(stderr, "xmig: unknown or ambiguous command \"%s\"; "
		    "run \"xmig help\"\n", argv[0]);
		return XMIG_EXIT_USAGE;
	}
	/* "xmig COMMAND --help" is "xmig help COMMAND". */
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		cmd_usage(cmd, stdout);
		printf("\n%s\n", cmd->help);
		return XMIG_EXIT_OK;
	}
	optind = 0;	/* GNU getopt: reinitialise for the command */
	/* getopt's own messages then name "xmig COMMAND", not "COMMAND". */
	snprintf(name, sizeof(name), "xmig %s", cmd->name);
	argv[0] = name;
	return cmd->exec(&ctx, argc, argv);
}
