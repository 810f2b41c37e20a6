/*
 * xmig.h - the xmig command line: one file per command (cli/cmd-VERB.c),
 * each a "struct cmd_entry" listed in cmd_table in cli/xmig.c.  Adding a
 * command is a file, a table line and a Makefile.am line.
 */
#ifndef XMIG_CLI_H
#define XMIG_CLI_H

#include <stdio.h>

#include "conf.h"

/*
 * Exit codes.  Scripts rely on them; they are listed in xmig(1).
 */
enum xmig_exit {
	XMIG_EXIT_OK = 0,
	XMIG_EXIT_FAILED = 1,		/* failed; nothing was changed */
	XMIG_EXIT_USAGE = 2,		/* bad command line */
	XMIG_EXIT_REFUSED = 3,		/* peer, daemon or device refused */
	XMIG_EXIT_RESUMED = 4,		/* failed; the source copy resumed */
	XMIG_EXIT_UNDEFINED = 5,	/* outcome unknown: run "xmig recover" */
	XMIG_EXIT_INVALID = 6,		/* a file or stream is defective */
};

/* What the global options set; passed to every command. */
struct cli_ctx {
	enum conf_backend backend;
	const char	*sim_dir;	/* NULL: default or XMIG_SIM_DIR */
	int		 json;		/* --json: one JSON object on stdout */
	int		 quiet;		/* -q: errors only */
	int		 verbose;	/* -v: count */
	const char	*progname;
};

struct cmd_entry {
	const char	*name;
	const char	*usage;		/* arguments after the name */
	const char	*summary;	/* one line for "xmig help" */
	const char	*help;		/* paragraph(s) for "xmig help CMD" */
	/*
	 * Run the command: argv[0] is the command name.  Returns an
	 * enum xmig_exit value.  Errors are reported before returning.
	 */
	int		(*exec)(struct cli_ctx *ctx, int argc, char **argv);
};

extern const struct cmd_entry *const cmd_table[];

/* Find a command by name (exact, or a unique prefix); NULL if none. */
const struct cmd_entry *cmd_find(const char *name);

/* Print "usage: xmig NAME USAGE" to f. */
void	cmd_usage(const struct cmd_entry *cmd, FILE *f);

/*
 * Report a command-line error for "cmd" on stderr with its usage line.
 * Returns XMIG_EXIT_USAGE so commands can "return cmd_usage_error(...)".
 */
int	cmd_usage_error(const struct cmd_entry *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_migrate_entry;
extern const struct cmd_entry cmd_save_entry;
extern const struct cmd_entry cmd_restore_entry;
extern const struct cmd_entry cmd_recover_entry;
extern const struct cmd_entry cmd_verify_entry;
extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_sim_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_cancel_entry;
extern const struct cmd_entry cmd_evacuate_entry;
extern const struct cmd_entry cmd_xl_relay_entry;
extern const struct cmd_entry cmd_xl_receive_entry;

#endif /* XMIG_CLI_H */
