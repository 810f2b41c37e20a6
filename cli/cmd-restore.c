/*
 * cmd-restore.c - "xmig restore [--paused] [--name NAME] FILE".
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

static int
cmd_restore_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "paused", no_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	struct mig_stats stats;
	struct dom_info d;
	struct backend be;
	struct stat st;
	const char *name = NULL, *domain;
	uint64_t start = util_now_ms();
	uint32_t domid;
	char why[1024] = "";
	int ch, rc, fd, paused = 0;

	while ((ch = getopt_long(argc, argv, "+pn:", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			paused = 1;
			break;
		case 'n':
			name = optarg;
			break;
		default:
			return cmd_usage_error(&cmd_restore_entry,
			    "unknown option");
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error(&cmd_restore_entry, "expected FILE");
	if ((fd = open(argv[optind], O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "xmig restore: %s: %s\n", argv[optind],
		    strerror(errno));
		return XMIG_EXIT_FAILED;
	}
	if ((rc = cli_backend_open(ctx, &be)) != 0) {
		close(fd);
		return rc;
	}
	rc = mig_restore_run(&be, fd, name, paused, &domid, why, sizeof(why));
	memset(&stats, 0, sizeof(stats));
	stats.total_ms = util_now_ms() - start;
	if (fstat(fd, &st) == 0)
		stats.bytes_sent = (uint64_t)st.st_size;
	close(fd);
	/*
	 * "domain" is the domain's name, never the file: the name in the
	 * file is only known once the domain exists; on a failure without
	 * --name it is left empty (the reason says what went wrong).
	 */
	domain = name != NULL ? name : "";
	if (rc == 0 && be.ops->info(&be, domid, &d) == 0)
		domain = d.name;
	cli_report(ctx, "restore", rc == 0 ? MIG_OK : MIG_FAILED, domain,
	    NULL, &stats, why);
	backend_close(&be);
	if (rc == -EBADMSG)
		return XMIG_EXIT_INVALID;
	return rc == 0 ? XMIG_EXIT_OK : XMIG_EXIT_FAILED;
}

const struct cmd_entry cmd_restore_entry = {
	.name = "restore",
	.usage = "[--paused] [--name NAME] FILE",
	.summary = "restore a domain from a save file (also xl's)",
	.help = "Create a domain from FILE, written by \"xmig save\" or "
	    "\"xl save\", and start\nit (unless --paused).  NAME overrides "
	    "the name in the file.  A defective\nor truncated file is "
	    "refused with the offset of the defect, and nothing\nis left "
	    "behind.\n\n"
	    "Exit status: 0 restored; 1 failed; 6 the file is defective.",
	.exec = cmd_restore_exec,
};
