/*
 * cmd-xl.c - xl's migration protocol from the command line:
 *
 *   xmig xl-relay HOST[:PORT] xl [-t] [-T] [-v...] migrate-receive
 *       [-e] [-d] [-p]
 *	the -s command of "xl migrate": xl runs "xmig xl-relay HOST xl
 *	migrate-receive ...", which carries xl's stream to HOST's xmigd
 *	and xmigd's answers back;
 *   xmig xl-receive [-p]
 *	xl's receiving side on stdin and stdout, restoring on the local
 *	backend (lib/xlmig.c, as an xmigd worker does).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "relocio.h"
#include "transport.h"
#include "util.h"
#include "uuid.h"
#include "xlhdr.h"
#include "xlmig.h"

#define XL_TIMEOUT_MS	(120 * 1000)
#define XL_PUMP_BUF	(256 * 1024)

/*
 * The command xl runs after HOST: "xl", xl's global options,
 * "migrate-receive" and its options.  Sets *paused for -p.  Returns 0
 * or -EINVAL with why.
 */
static int
xl_parse_rune(int argc, char **argv, int *paused, char *why, size_t whylen)
{
	int i = 0, seen = 0;
	const char *b, *o;

	*paused = 0;
	if (argc < 2 || ((b = strrchr(argv[0], '/')) != NULL ?
	    strcmp(b + 1, "xl") : strcmp(argv[0], "xl")) != 0) {
		snprintf(why, whylen, "expected \"xl [options] "
		    "migrate-receive [options]\" after HOST (the command "
		    "xl migrate -s runs)");
		return -EINVAL;
	}
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "migrate-receive") == 0 && !seen) {
			seen = 1;
			continue;
		}
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			goto bad;
		for (o = argv[i] + 1; *o != '\0'; o++) {
			/* xl's own: tty, timestamps, verbosity. */
			if (!seen && (*o == 't' || *o == 'T' || *o == 'v'))
				continue;
			/* migrate-receive: no daemon, debug, paused. */
			if (seen && (*o == 'e' || *o == 'F' || *o == 'd'))
				continue;
			if (seen && *o == 'p') {
				*paused = 1;
				continue;
			}
			goto bad;
		}
	}
	if (seen)
		return 0;
bad:
	snprintf(why, whylen, "%s: not an option of a plain xl migration "
	    "(Remus and COLO are not supported)", i < argc ? argv[i] :
	    "no migrate-receive");
	return -EINVAL;
}

/*
 * Read the xl header from fd into a malloc()ed buffer (*hdr, *hdrlen),
 * its configuration facts in *f, the configuration itself a view into
 * it (*config).  Returns 0, or a negative errno with why.
 */
static int
xl_read_header(int fd, uint8_t **hdr, size_t *hdrlen, const char **config,
    struct xlproto_facts *f, char *why, size_t whylen)
{
	uint8_t fixed[XLHDR_FIXED_SIZE], *buf;
	struct xlhdr h;
	struct srerr e;
	char ebuf[300];
	int rc;

	*hdr = NULL;
	srerr_clear(&e);
	if ((rc = relocio_read_full(fd, fixed, sizeof(fixed),
	    XL_TIMEOUT_MS)) != 0) {
		snprintf(why, whylen, "no xl header from xl: %s",
		    strerror(-rc));
		return rc;
	}
	if ((rc = xlhdr_decode_fixed(fixed, sizeof(fixed), &h, &e)) != 0) {
		snprintf(why, whylen, "bad xl header: %s",
		    srerr_format(&e, ebuf, sizeof(ebuf)));
		return rc;
	}
	/* The configuration travels in RESERVE: its limit applies. */
	if (h.optional_data_len > RELOC_PAYLOAD_MAX / 2) {
		snprintf(why, whylen, "the domain configuration (%u bytes) is "
		    "over the %u a reservation carries", h.optional_data_len,
		    RELOC_PAYLOAD_MAX / 2);
		return -E2BIG;
	}
	if ((buf = malloc(sizeof(fixed) + h.optional_data_len)) == NULL)
		return -ENOMEM;
	memcpy(buf, fixed, sizeof(fixed));
	rc = relocio_read_full(fd, buf + sizeof(fixed), h.optional_data_len,
	    XL_TIMEOUT_MS);
	if (rc != 0) {
		snprintf(why, whylen, "xl header cut short: %s",
		    strerror(-rc));
		goto fail;
	}
	rc = xlhdr_decode_optdata(&h, buf + sizeof(fixed),
	    h.optional_data_len, sizeof(fixed), &e);
	if (rc != 0) {
		snprintf(why, whylen, "bad xl header: %s",
		    srerr_format(&e, ebuf, sizeof(ebuf)));
		goto fail;
	}
	if (h.config == NULL || !(h.mandatory_flags & XLHDR_MFLAG_JSON)) {
		rc = -EINVAL;
		snprintf(why, whylen, "the xl header carries no JSON domain "
		    "configuration");
		goto fail;
	}
	if ((rc = xlproto_config_facts((const char *)h.config, h.config_len,
	    f, why, whylen)) != 0)
		goto fail;
	*hdr = buf;
	*hdrlen = sizeof(fixed) + h.optional_data_len;
	*config = (const char *)h.config;
	return 0;
fail:
	free(buf);
	return rc;
}

/*
 * What came back from xmigd, enough to tell at the end whether xl was
 * told that the domain runs: "ready", the report, its status byte.
 */
struct xl_seen {
	uint64_t	bytes;
	int		status;		/* -1 until the report's status */
	int		xl_ended;	/* xl closed its side first */
};

static void
xl_seen_add(struct xl_seen *s, const char *buf, size_t n)
{
	uint64_t at = XLPROTO_READY_LEN + XLPROTO_REPORT_LEN;

	if (s->bytes <= at && s->bytes + n > at)
		s->status = (uint8_t)buf[at - s->bytes];
	s->bytes += n;
}

/*
 * Copy both ways until xmigd closes: in -> sock, sock -> out.  End of
 * "in" is passed on as a half-close.  Fills *seen.
 */
static void
xl_pump(int in, int out, int sock, struct xl_seen *seen)
{
	struct pollfd pf[2];
	char *buf;
	ssize_t n;
	int in_open = 1;

	if ((buf = malloc(XL_PUMP_BUF)) == NULL)
		return;
	for (;;) {
		pf[0].fd = in_open ? in : -1;
		pf[0].events = POLLIN;
		pf[1].fd = sock;
		pf[1].events = POLLIN;
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents != 0) {
			if ((n = read(sock, buf, XL_PUMP_BUF)) <= 0)
				break;
			xl_seen_add(seen, buf, (size_t)n);
			if (util_write_full(out, buf, (size_t)n) != n)
				break;
		}
		if (in_open && pf[0].revents != 0) {
			n = read(in, buf, XL_PUMP_BUF);
			if (n <= 0) {
				in_open = 0;
				seen->xl_ended = 1;
				(void)shutdown(sock, SHUT_WR);
				continue;
			}
			if (util_write_full(sock, buf, (size_t)n) != n)
				break;
		}
	}
	free(buf);
}

/* HELLO, the xl header, RESERVE: 0 with ACCEPT in *m, else an exit code. */
static int
xl_relay_reserve(int sock, const char *host, int paused, uint8_t **hdr,
    size_t *hdrlen, struct reloc_msg *m)
{
	struct xlproto_facts f;
	const char *config;
	char why[600] = "", uuid[UUID_STR_LEN];
	int rc;

	rc = relocio_hello(sock, m, XL_TIMEOUT_MS);
	if (rc == -ECONNREFUSED) {
		fprintf(stderr, "xmig xl-relay: xmigd on %s refused the "
		    "migration: %s\n", host, m->reason);
		return XMIG_EXIT_REFUSED;
	}
	if (rc != 0) {
		fprintf(stderr, "xmig xl-relay: no answer from xmigd on %s: "
		    "%s\n", host, strerror(-rc));
		return XMIG_EXIT_FAILED;
	}
	/* Allowed in: xl may send the header now. */
	if (xlmig_write_msg(STDOUT_FILENO, XLPROTO_MSG_BANNER,
	    XL_TIMEOUT_MS) != 0 ||
	    xl_read_header(STDIN_FILENO, hdr, hdrlen, &config, &f, why,
	    sizeof(why)) != 0) {
		if (*hdr == NULL)
			fprintf(stderr, "xmig xl-relay: %s\n", why[0] ? why :
			    "xl went away");
		return XMIG_EXIT_FAILED;
	}
	reloc_msg_init(m, RELOC_RESERVE);
	uuid_fmt(f.uuid, uuid);
	snprintf(m->job, sizeof(m->job), "xl-%ld-%s", (long)getpid(),
	    f.has_uuid ? uuid : "");
	xlproto_facts_reserve(&f, m);
	m->config = (char *)config;
	m->xl = RELOC_XL_ON | (paused ? RELOC_XL_PAUSED : 0);
	rc = relocio_send(sock, m, XL_TIMEOUT_MS);
	m->config = NULL;
	if (rc == 0)
		rc = relocio_expect(sock, RELOC_ACCEPT, m, XL_TIMEOUT_MS);
	if (rc == -ECONNREFUSED) {
		fprintf(stderr, "xmig xl-relay: xmigd on %s refused %s: %s\n",
		    host, f.name, m->reason);
		return XMIG_EXIT_REFUSED;
	}
	if (rc != 0) {
		fprintf(stderr, "xmig xl-relay: no answer to the reservation "
		    "from xmigd on %s: %s\n", host, strerror(-rc));
		return XMIG_EXIT_FAILED;
	}
	return 0;
}

static int
cmd_xl_relay_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "tls", no_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	struct transport_tls tls = { 0 };
	struct transport_conn tc = { .fd = -1, .netfd = -1 };
	struct xl_seen seen = { .status = -1 };
	struct reloc_msg m;
	struct conf conf;
	uint64_t job;
	uint8_t *hdr = NULL;
	size_t hdrlen = 0;
	char host[256], why[300];
	unsigned port = 0;
	uint64_t v;
	int ch, rc, paused;

	(void)ctx;
	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (util_parse_uint(optarg, 1, 65535, &v) != 0)
				return cmd_usage_error(&cmd_xl_relay_entry,
				    "--port %s: expected 1-65535", optarg);
			port = (unsigned)v;
			break;
		case 'T':
			tls.on = 1;
			break;
		default:
			return cmd_usage_error(&cmd_xl_relay_entry,
			    "unknown option");
		}
	}
	if (argc - optind < 1)
		return cmd_usage_error(&cmd_xl_relay_entry, "expected HOST");
	if (xl_parse_rune(argc - optind - 1, argv + optind + 1, &paused, why,
	    sizeof(why)) != 0)
		return cmd_usage_error(&cmd_xl_relay_entry, "%s", why);
	if ((rc = cli_conf(&conf)) != 0)
		return rc;
	if (port == 0)
		port = conf.relocation_port;
	if (cli_parse_target(argv[optind], host, sizeof(host), &port) != 0)
		return cmd_usage_error(&cmd_xl_relay_entry, "%s: expected "
		    "HOST, HOST:PORT or [ADDRESS]:PORT", argv[optind]);
	cli_tls(&conf, tls.on, &tls);
	signal(SIGPIPE, SIG_IGN);
	if (transport_connect(host, port, &tls, 30 * 1000, &tc) != 0) {
		fprintf(stderr, "xmig xl-relay: cannot reach xmigd on %s port "
		    "%u\n", host, port);
		return XMIG_EXIT_FAILED;
	}
	rc = xl_relay_reserve(tc.fd, host, paused, &hdr, &hdrlen, &m);
	if (rc != 0)
		goto out;
	job = m.reservation;
	reloc_msg_init(&m, RELOC_STREAM);
	if (relocio_send(tc.fd, &m, XL_TIMEOUT_MS) != 0 ||
	    relocio_write_full(tc.fd, hdr, hdrlen, XL_TIMEOUT_MS) != 0) {
		fprintf(stderr, "xmig xl-relay: the connection to xmigd on %s "
		    "failed\n", host);
		rc = XMIG_EXIT_FAILED;
		goto out;
	}
	xl_pump(STDIN_FILENO, STDOUT_FILENO, tc.fd, &seen);
	if (seen.status > 0) {
		fprintf(stderr, "xmig xl-relay: xmigd on %s could not start "
		    "the domain and destroyed its copy (its log says why)\n",
		    host);
		rc = XMIG_EXIT_FAILED;
	} else if (seen.status < 0 && seen.xl_ended) {
		fprintf(stderr, "xmig xl-relay: xl stopped sending before the "
		    "domain started on %s; xmigd dropped its copy (job %llu)\n",
		    host, (unsigned long long)job);
		rc = XMIG_EXIT_FAILED;
	} else if (seen.status < 0) {
		fprintf(stderr, "xmig xl-relay: xmigd on %s ended the "
		    "migration before the domain started there (its log, "
		    "job %llu, says why)\n", host,
		    (unsigned long long)job);
		rc = XMIG_EXIT_FAILED;
	}
out:
	free(hdr);
	reloc_msg_clear(&m);
	transport_close(&tc);
	return rc;
}

const struct cmd_entry cmd_xl_relay_entry = {
	.name = "xl-relay",
	.usage = "[--port N] [--tls] HOST[:PORT] xl [-t] [-v...] "
	    "migrate-receive [-e] [-d] [-p]",
	.summary = "the -s command of \"xl migrate\": migrate into xmigd",
	.help = "Run by xl, not by people: \"xl migrate -s \\\"xmig "
	    "xl-relay\\\" DOMAIN HOST\" runs\n\"xmig xl-relay HOST xl "
	    "migrate-receive\", which connects to the xmigd on HOST\n"
	    "(its relocation port and TLS as for \"xmig migrate\") and "
	    "carries xl's stream\nto it and its answers back.  xmigd "
	    "checks hosts-allow, reserves memory for\nthe domain from the "
	    "configuration in xl's header before taking any page,\nand "
	    "receives it in a worker as NAME--incoming; -p leaves it "
	    "paused there.\nA refusal is printed on xl's standard error; "
	    "xl then resumes its guest.\n\n"
	    "  --port N   relocation port (default from xmigd.conf, 8002)\n"
	    "  --tls      encrypt and authenticate (tls-* keys of "
	    "xmigd.conf)",
	.exec = cmd_xl_relay_exec,
};

/*
 * Keep the connection to the sender out of every process started here
 * (a simulated guest would hold it open): private descriptors for it,
 * /dev/null and stderr in their place.
 */
static int
xl_private_stdio(int *in, int *out)
{
	int null;

	*in = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	*out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	if (*in < 0 || *out < 0)
		return -errno;
	if ((null = open("/dev/null", O_RDONLY)) < 0)
		return -errno;
	if (dup2(null, STDIN_FILENO) < 0 ||
	    dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		close(null);
		return -errno;
	}
	if (null != STDIN_FILENO)
		close(null);
	return 0;
}

static int
cmd_xl_receive_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct xlmig_dst_params p = { .timeout_s = XL_TIMEOUT_MS / 1000,
	    .banner = 1 };
	struct backend be;
	char name[DOMNAME_MAX], why[600];
	int ch, rc;

	while ((ch = getopt(argc, argv, "+eFdp")) != -1) {
		switch (ch) {
		case 'p':
			p.paused = 1;
			break;
		case 'e':
		case 'F':
		case 'd':
			break;	/* xl's: no daemon, debug */
		default:
			return cmd_usage_error(&cmd_xl_receive_entry,
			    "unknown option");
		}
	}
	if (argc != optind)
		return cmd_usage_error(&cmd_xl_receive_entry,
		    "no arguments expected");
	if (xl_private_stdio(&p.in_fd, &p.out_fd) != 0) {
		fprintf(stderr, "xmig xl-receive: %s\n", strerror(errno));
		return XMIG_EXIT_FAILED;
	}
	if ((rc = cli_backend_open(ctx, &be)) != 0)
		return rc;
	signal(SIGPIPE, SIG_IGN);
	p.be = &be;
	rc = xlmig_dst_run(&p, name, sizeof(name), why, sizeof(why));
	backend_close(&be);
	if (rc != 0) {
		fprintf(stderr, "xmig xl-receive: %s\n", why);
		return XMIG_EXIT_FAILED;
	}
	if (!ctx->quiet)
		fprintf(stderr, "xmig xl-receive: %s received, %s\n", name,
		    p.paused ? "left paused" : "running");
	return XMIG_EXIT_OK;
}

const struct cmd_entry cmd_xl_receive_entry = {
	.name = "xl-receive",
	.usage = "[-p]",
	.summary = "xl's receiving side on stdin and stdout, without xmigd",
	.help = "Speak the receiving side of xl's migration protocol on "
	    "standard input and\noutput, as \"xl migrate-receive\" does, "
	    "and restore the domain on this host's\nbackend: paused as "
	    "NAME--incoming until the sender clears it, then renamed\nand "
	    "started (-p: left paused).  \"xmig migrate --xl --rune "
	    "\\\"xmig xl-receive\\\"\"\nor \"xl migrate -s \\\"\\\" "
	    "DOMAIN \\\"ssh HOST xmig xl-receive\\\"\" send to it.  xmigd's "
	    "workers\nrun the same code for a connection from \"xmig "
	    "xl-relay\".\n\n"
	    "  -p   leave the domain paused once it is here\n"
	    "  -e, -F, -d   accepted for xl's command line; no effect",
	.exec = cmd_xl_receive_exec,
};

/* Wait for the rune to end, 10 s at most, then kill it. */
static void
xl_rune_reap(pid_t pid)
{
	int i, st;

	for (i = 0; i < 100; i++) {
		if (waitpid(pid, &st, WNOHANG) != 0)
			return;
		usleep(100 * 1000);
	}
	fprintf(stderr, "xmig migrate: the receiver's command (pid %ld) "
	    "did not exit; killed\n", (long)pid);
	kill(pid, SIGKILL);
	(void)waitpid(pid, &st, 0);
}

/*
 * A connected pair of loopback TCP sockets: as a socketpair, but the
 * engine counts what it sent (TCP_INFO) for the progress and report.
 */
static int
xl_tcp_pair(int sv[2])
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int l, e;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sv[0] = sv[1] = -1;
	if ((l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(l, 1) != 0 ||
	    getsockname(l, (struct sockaddr *)&sa, &len) != 0 ||
	    (sv[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(sv[0], (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    (sv[1] = accept4(l, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		e = errno;
		if (sv[0] >= 0)
			close(sv[0]);
		close(l);
		errno = e;
		return -1;
	}
	close(l);
	return 0;
}

/* Start "sh -c rune" on one end of a socket pair; the other in *fd. */
static pid_t
xl_rune_start(const char *rune, int *fd)
{
	int sv[2];
	pid_t pid;

	if (xl_tcp_pair(sv) != 0 &&
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		if (dup2(sv[1], STDIN_FILENO) < 0 ||
		    dup2(sv[1], STDOUT_FILENO) < 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", rune, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	*fd = sv[0];
	return pid;
}

int
cli_xl_migrate(struct cli_ctx *ctx, struct mig_src_params *p, int argc,
    char **argv, const char *ssh, const char *rune)
{
	struct mig_stats stats;
	struct backend be;
	struct conf conf;
	enum mig_result res;
	char *cmd = NULL, why[1024];
	const char *host;
	pid_t pid;
	int rc;

	if (ssh != NULL && rune != NULL)
		return cmd_usage_error(&cmd_migrate_entry, "--ssh and --rune "
		    "exclude each other");
	if (argc != 2 && !(argc == 1 && rune != NULL))
		return cmd_usage_error(&cmd_migrate_entry, "--xl: expected "
		    "DOMAIN and HOST (HOST optional with --rune)");
	host = argc == 2 ? argv[1] : "the receiver";
	if (rune == NULL) {
		if (asprintf(&cmd, "exec %s %s xl migrate-receive",
		    ssh != NULL ? ssh : "ssh", argv[1]) < 0)
			return XMIG_EXIT_FAILED;
		rune = cmd;
	}
	if ((rc = cli_conf(&conf)) != 0)
		goto out;
	if ((rc = cli_backend_open(ctx, &be)) != 0)
		goto out;
	cli_catch_signals();
	p->be = &be;
	p->domain = argv[0];
	p->host = host;
	p->suspend_timeout_s = conf.suspend_timeout;
	p->device_dir = conf.device_migrate_dir;
	p->device_timeout_s = conf.device_migrate_timeout;
	p->cancel = &cli_cancel;
	p->progress = cli_progress;
	p->arg = ctx;
	if ((pid = xl_rune_start(rune, &p->fd)) < 0) {
		fprintf(stderr, "xmig migrate: cannot run \"%s\": %s\n", rune,
		    strerror(errno));
		backend_close(&be);
		rc = XMIG_EXIT_FAILED;
		goto out;
	}
	res = xlmig_src_run(p, &stats, why, sizeof(why));
	close(p->fd);
	xl_rune_reap(pid);
	cli_report(ctx, "migrate", res, stats.domain[0] ? stats.domain :
	    argv[0], host, &stats, why);
	backend_close(&be);
	rc = cli_exit_code(res);
out:
	free(cmd);
	return rc;
}
