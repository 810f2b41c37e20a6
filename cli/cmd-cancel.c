/*
 * cmd-cancel.c - "xmig cancel JOB": stop an incoming migration.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "util.h"
#include "xmig.h"

static int
cmd_cancel_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	const char *sock = NULL, *ok_path[] = { "ok", NULL },
	    *err_path[] = { "error", NULL };
	char path[256], req[96];
	uint64_t job;
	yajl_val r, v;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch != 's')
			return cmd_usage_error(&cmd_cancel_entry,
			    "unknown option");
		sock = optarg;
	}
	if (optind + 1 != argc)
		return cmd_usage_error(&cmd_cancel_entry, "expected one JOB");
	if (util_parse_uint(argv[optind], 1, INT64_MAX, &job) != 0)
		return cmd_usage_error(&cmd_cancel_entry, "JOB: a job number "
		    "as \"xmig status\" shows it");
	if ((rc = ctl_socket_path(sock, path, sizeof(path))) != 0)
		return rc;
	snprintf(req, sizeof(req), "{\"cmd\":\"cancel\",\"job\":%llu}",
	    (unsigned long long)job);
	if ((rc = ctl_request(path, req, &r, NULL)) != 0)
		return rc;
	v = yajl_tree_get(r, ok_path, yajl_t_true);
	if (v == NULL) {
		v = yajl_tree_get(r, err_path, yajl_t_string);
		fprintf(stderr, "xmig cancel: %s\n", v != NULL ?
		    YAJL_GET_STRING(v) : "refused");
		rc = XMIG_EXIT_FAILED;
	} else if (ctx->json)
		printf("{\"result\":\"ok\",\"job\":%llu}\n",
		    (unsigned long long)job);
	else if (!ctx->quiet)
		printf("job %llu cancelled\n", (unsigned long long)job);
	yajl_tree_free(r);
	return rc;
}

const struct cmd_entry cmd_cancel_entry = {
	.name = "cancel",
	.usage = "[--socket PATH] JOB",
	.summary = "cancel an incoming migration of the local xmigd",
	.help =
	    "Kill the worker of incoming job JOB (see \"xmig status\"), or\n"
	    "drop a reservation still waiting for its stream.  An incoming\n"
	    "copy not yet cleared to run (before GO) is destroyed; after GO\n"
	    "it is left for \"xmig recover\" on the source.\n"
	    "\n"
	    "  --socket PATH  control socket (default from xmigd.conf)",
	.exec = cmd_cancel_exec,
};
