/*
 * ctl.h - the client side of xmigd's control socket (daemon/control.c):
 * one JSON request line out, one JSON reply line back.
 */
#ifndef XMIG_CLI_CTL_H
#define XMIG_CLI_CTL_H

#include <yajl_tree.h>

#define CTL_REPLY_MAX	(1024 * 1024)
#define CTL_TIMEOUT_MS	10000

/*
 * Send "request" (a JSON object, no newline) to the daemon at "path" and
 * parse its reply into *reply (yajl_tree_free() it); with raw != NULL
 * also the reply line itself (malloc()ed, caller frees).  Returns 0, or
 * prints why on stderr and returns an xmig exit code (XMIG_EXIT_FAILED).
 */
int	ctl_request(const char *path, const char *request, yajl_val *reply,
	    char **raw);

/*
 * The control socket to use: "opt" when given, else control-socket from
 * this host's xmigd.conf (cli_conf()).  Copies into buf.  0 or an exit code.
 */
int	ctl_socket_path(const char *opt, char *buf, size_t len);

#endif /* XMIG_CLI_CTL_H */
