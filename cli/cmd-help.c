/*
 * cmd-help.c - "xmig help [COMMAND]".
 */
#include "config.h"

#include <stdio.h>

#include "xmig.h"

static int
cmd_help_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *cmd;
	int i;

	(void)ctx;
	if (argc > 2)
		return cmd_usage_error(&cmd_help_entry, "too many arguments");
	if (argc == 2) {
		if ((cmd = cmd_find(argv[1])) == NULL) {
			fprintf(stderr, "xmig help: unknown command \"%s\"\n",
			    argv[1]);
			return XMIG_EXIT_USAGE;
		}
		cmd_usage(cmd, stdout);
		printf("\n%s\n", cmd->help);
		return XMIG_EXIT_OK;
	}
	printf("usage: xmig [--backend xen|sim] [--sim-dir DIR] [--json] "
	    "[-q] [-v] COMMAND [ARGS]\n\nCommands:\n");
	for (i = 0; cmd_table[i] != NULL; i++)
		printf("  %-10s %s\n", cmd_table[i]->name,
		    cmd_table[i]->summary);
	printf("\nGlobal options:\n"
	    "  --backend xen|sim|auto  hypervisor backend (env XMIG_BACKEND;"
	    " default auto:\n"
	    "                          xen on a Xen dom0, else the simulated "
	    "host)\n"
	    "  --sim-dir DIR           simulated host's directory "
	    "(env XMIG_SIM_DIR)\n"
	    "  --json                  print one JSON object for scripts\n"
	    "  -q, --quiet             print errors only\n"
	    "  -v, --verbose           more detail (repeat for debug)\n"
	    "  --version               print the version and backends\n"
	    "\nGuest types: pv, pvh, and hvm with its QEMU device model "
	    "(\"GUEST TYPES\" in\nxmig(1)); \"xmig list\" shows each "
	    "domain's.\n"
	    "\nRun \"xmig help COMMAND\" for a command's options; see "
	    "xmig(1).\n");
	return XMIG_EXIT_OK;
}

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.usage = "[COMMAND]",
	.summary = "list the commands, or describe one",
	.help = "Without an argument, list every command with a summary.\n"
	    "With COMMAND, print its usage and what it does.",
	.exec = cmd_help_exec,
};
