/*
 * cli.h - what the xmig commands share: opening the backend, the host's
 * configuration, cancellation by signal, the progress line and the final
 * report (text or one JSON object).
 */
#ifndef XMIG_CLI_COMMON_H
#define XMIG_CLI_COMMON_H

#include <signal.h>

#include "backend.h"
#include "conf.h"
#include "migrate.h"
#include "xmig.h"

/* Set by SIGINT/SIGTERM once cli_catch_signals() ran. */
extern volatile sig_atomic_t cli_cancel;

/* Route SIGINT and SIGTERM to cli_cancel; SIGPIPE ignored. */
void	cli_catch_signals(void);

/*
 * Open the backend the global options chose.  Returns 0, or prints why
 * and returns XMIG_EXIT_FAILED.
 */
int	cli_backend_open(const struct cli_ctx *ctx, struct backend *be);

/*
 * Load this host's xmigd.conf (or the file named by $XMIG_CONF, which
 * must then exist) for the settings xmig shares with xmigd
 * (suspend-timeout, device-migrate-dir, relocation-port, TLS files);
 * defaults when the default file is absent.  Returns 0 or
 * XMIG_EXIT_FAILED after printing why.
 */
int	cli_conf(struct conf *c);

/* The save_callbacks-style progress printer; arg is the cli_ctx. */
void	cli_progress(const struct mig_progress *pr, void *arg);

/* Clear the progress line, if one is shown. */
void	cli_progress_done(const struct cli_ctx *ctx);

/* The xmig exit code of a flow's outcome. */
int	cli_exit_code(enum mig_result r);

/* "ok", "failed", "refused", "resumed", "undefined". */
const char *cli_result_name(enum mig_result r);

/*
 * Print the final report of a flow: with --json one object with result,
 * domain, total_ms, downtime_ms, bytes_sent, pages_sent, rounds,
 * throughput_mbps (plus "error" and "host" when given); else a few lines
 * of text (nothing with -q but errors).
 */
void	cli_report(const struct cli_ctx *ctx, const char *op,
	    enum mig_result r, const char *domain, const char *host,
	    const struct mig_stats *s, const char *why);

/*
 * Print one JSON object of string members: kv holds key, value pairs
 * and ends with a NULL key; a pair whose value is NULL is left out.
 */
void	cli_print_json_strings(const char *const *kv);

/*
 * Split "host[:port]" or "[v6]:port" into host and port (*port is left
 * alone when none is given).  Returns 0 or -EINVAL.
 */
int	cli_parse_target(const char *arg, char *host, size_t hostlen,
	    unsigned *port);

struct transport_tls;
/*
 * TLS for a relocation connection: on when "asked" (--tls) or when
 * xmigd.conf says tls = on, with its tls-cert, tls-key and tls-ca.
 */
void	cli_tls(const struct conf *c, int asked, struct transport_tls *tls);

/*
 * --compress auto|lz4|zstd|none: 0 and *codec (COMPRESS_AUTO or an enum
 * frame_codec), or -EINVAL
 * for another name or a codec this build lacks.
 */
int	cli_parse_compress(const char *arg, int *codec);

/*
 * XMIG_NO_ZERO_ELISION set (not "0"): zero pages go as data, as with
 * --no-zero-elision (for comparisons).
 */
int	cli_no_zero_elision(void);

/*
 * Settle a migration of "domain" left undefined (the source copy is
 * suspended, as DOMAIN--migratedaway once GO was sent): ask host:port
 * what became of it (mig_recover_run()), again a second apart for up to
 * "wait_s" seconds while the destination answers "pending" (a worker
 * still receives it) or, with "persist", while the answer stays
 * undefined (the destination host or its xmigd is restarting).  MIG_OK:
 * it runs there, the copy here was destroyed; MIG_RESUMED: it was not
 * there, the copy here runs again; MIG_FAILED: nothing to recover;
 * MIG_REFUSED: another job holds the domain's lock (the settlement runs
 * under it); MIG_UNDEFINED: still unknown.  why says why.
 */
enum mig_result cli_settle(struct backend *be, const char *domain,
	    const char *host, unsigned port, const struct transport_tls *tls,
	    unsigned wait_s, int persist, char *why, size_t whylen);

/*
 * "xmig migrate --xl": run the rune ("exec SSH HOST xl migrate-receive",
 * or "rune" itself) and send DOMAIN (argv[0]; HOST argv[1]) to it with
 * xl's protocol, p's policy (be and fd are set here).  Prints the
 * report; returns an exit code.
 */
int	cli_xl_migrate(struct cli_ctx *ctx, struct mig_src_params *p,
	    int argc, char **argv, const char *ssh, const char *rune);

#endif /* XMIG_CLI_COMMON_H */
