/*
 * cmd-save.c - "xmig save [--keep-running] DOMAIN FILE".
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

static int
cmd_save_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keep-running", no_argument, NULL, 'k' },
		{ "no-zero-elision", no_argument, NULL, 'Z' },
		{ NULL, 0, NULL, 0 }
	};
	struct mig_src_params p = { .live = 0 };
	struct mig_stats stats;
	struct backend be;
	struct conf conf;
	enum mig_result res;
	char tmp[4200], why[8800];
	const char *target;
	struct stat st;
	int ch, rc, fd, keep = 0;

	p.no_zero_elision = cli_no_zero_elision();
	while ((ch = getopt_long(argc, argv, "+k", opts, NULL)) != -1) {
		if (ch == 'k')
			keep = 1;
		else if (ch == 'Z')
			p.no_zero_elision = 1;
		else
			return cmd_usage_error(&cmd_save_entry,
			    "unknown option");
	}
	if (argc - optind != 2)
		return cmd_usage_error(&cmd_save_entry,
		    "expected DOMAIN and FILE");
	if ((rc = cli_conf(&conf)) != 0)
		return rc;
	/*
	 * A regular file is written beside the target and renamed when
	 * complete, so no half-written save file is left; anything else
	 * (a device, a pipe) is written as it is.
	 */
	target = argv[optind + 1];
	if (stat(target, &st) == 0 && !S_ISREG(st.st_mode)) {
		tmp[0] = '\0';
		fd = open(target, O_WRONLY | O_CLOEXEC);
	} else {
		if ((size_t)snprintf(tmp, sizeof(tmp), "%s.partial-XXXXXX",
		    target) >= sizeof(tmp))
			return cmd_usage_error(&cmd_save_entry,
			    "FILE name too long");
		fd = mkstemp(tmp);
	}
	if (fd < 0) {
		fprintf(stderr, "xmig save: %s: %s\n", target,
		    strerror(errno));
		return XMIG_EXIT_FAILED;
	}
	if ((rc = cli_backend_open(ctx, &be)) != 0) {
		close(fd);
		if (tmp[0] != '\0')
			unlink(tmp);
		return rc;
	}
	cli_catch_signals();
	p.be = &be;
	p.domain = argv[optind];
	p.fd = -1;
	p.suspend_timeout_s = conf.suspend_timeout;
	p.cancel = &cli_cancel;
	p.progress = cli_progress;
	p.arg = ctx;
	res = mig_save_run(&p, fd, keep, &stats, why, sizeof(why));
	if (close(fd) != 0 && res == MIG_OK) {
		snprintf(why, sizeof(why), "%s: %s", tmp, strerror(errno));
		res = MIG_UNDEFINED;
	}
	/* The domain is gone (or resumed): the file must land. */
	if (tmp[0] == '\0')
		;	/* written in place */
	else if (res == MIG_OK && rename(tmp, target) != 0) {
		snprintf(why, sizeof(why), "the domain was saved to %s but "
		    "cannot be renamed to %s: %s", tmp, argv[optind + 1],
		    strerror(errno));
		res = MIG_UNDEFINED;
	} else if (res != MIG_OK && res != MIG_UNDEFINED)
		unlink(tmp);
	cli_report(ctx, "save", res,
	    stats.domain[0] ? stats.domain : argv[optind], NULL, &stats, why);
	backend_close(&be);
	return cli_exit_code(res);
}

const struct cmd_entry cmd_save_entry = {
	.name = "save",
	.usage = "[--keep-running] [--no-zero-elision] DOMAIN FILE",
	.summary = "save a domain to a file (xl restore can read it)",
	.help = "Suspend DOMAIN, write its memory and state to FILE in "
	    "Xen's save format (an\nxl header and a libxl stream), then "
	    "destroy the domain, or with\n--keep-running resume it.  The "
	    "file is written beside FILE and renamed\nonly when complete; "
	    "on any failure the domain is resumed.\n\n"
	    "A page that is all zeros is written as an entry without data "
	    "(XALLOC: Xen\ngives the restored domain a zeroed page), which "
	    "xl restore reads too;\n--no-zero-elision (or "
	    "XMIG_NO_ZERO_ELISION=1) writes it with its data.\n\n"
	    "Exit status: 0 saved; 1 failed, nothing changed; 4 failed and "
	    "resumed;\n5 saved but the domain could not be destroyed or "
	    "resumed.",
	.exec = cmd_save_exec,
};
