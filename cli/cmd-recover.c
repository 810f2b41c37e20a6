/*
 * cmd-recover.c - "xmig recover DOMAIN": settle a migration whose
 * outcome was left undefined by a lost connection.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "transport.h"

static int
cmd_recover_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct transport_tls tls;
	struct backend be;
	struct conf conf;
	enum mig_result res;
	char host[256], why[1024] = "";
	unsigned port = 0;
	int rc;

	if (argc != 2)
		return cmd_usage_error(&cmd_recover_entry, "expected DOMAIN");
	if ((rc = cli_conf(&conf)) != 0)
		return rc;
	if ((rc = cli_backend_open(ctx, &be)) != 0)
		return rc;
	rc = mig_recover_record(&be, argv[1], host, sizeof(host), &port);
	if (rc != 0) {
		fprintf(stderr, "xmig recover: %s: %s\n", argv[1], rc ==
		    -ESRCH ? "no such domain here" : "no unfinished "
		    "migration is recorded for it");
		backend_close(&be);
		return XMIG_EXIT_FAILED;
	}
	cli_tls(&conf, 0, &tls);
	res = cli_settle(&be, argv[1], host, port, &tls, 30, 0, why,
	    sizeof(why));
	backend_close(&be);
	if (ctx->json) {
		const char *kv[] = {
			"result", res == MIG_OK ? "migrated" : res ==
			    MIG_RESUMED ? "resumed" : cli_result_name(res),
			"domain", argv[1],
			"host", host,
			"error", res == MIG_OK || res == MIG_RESUMED ? NULL :
			    why,
			NULL
		};

		cli_print_json_strings(kv);
	} else if (res == MIG_OK && !ctx->quiet)
		printf("%s runs on %s; the suspended copy here was "
		    "destroyed\n", argv[1], host);
	else if (res == MIG_RESUMED && !ctx->quiet)
		printf("%s was not on %s; it was resumed here\n", argv[1],
		    host);
	else if (res != MIG_OK && res != MIG_RESUMED)
		fprintf(stderr, "xmig recover: %s\n", why);
	return res == MIG_OK || res == MIG_RESUMED ? XMIG_EXIT_OK :
	    cli_exit_code(res);
}

const struct cmd_entry cmd_recover_entry = {
	.name = "recover",
	.usage = "DOMAIN",
	.summary = "settle a migration left undefined by a lost connection",
	.help = "When the connection to the destination is lost after the "
	    "domain was\nsuspended, xmig leaves the source copy suspended (as "
	    "DOMAIN--migratedaway\nonce the destination was cleared to "
	    "unpause it) and asks the destination\nby itself for up to 30 s.  "
	    "\"xmig recover DOMAIN\" asks the destination\nrecorded for it "
	    "again (for up to 30 s while it answers that it is still\nat it): "
	    "if the domain runs there, the suspended copy here is destroyed;"
	    "\nif it does not exist there, the copy here is resumed; otherwise "
	    "nothing\nis changed.  The destination's xmigd finishes a domain "
	    "that was cleared\nto unpause itself, even when its worker or "
	    "the daemon died.\n\nExit status: 0 settled; 1 nothing to "
	    "recover; 3 another job holds the\ndomain; 5 still undefined "
	    "(the destination cannot be reached).",
	.exec = cmd_recover_exec,
};
