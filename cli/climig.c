/*
 * climig.c - one migration as "xmig migrate" runs it (climig.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "climig.h"
#include "fault.h"
#include "log.h"
#include "util.h"

/*
 * The connection was lost after the suspend: before leaving it to "xmig
 * recover", ask the destination (for up to 30 s, while it is unreachable
 * or still settling) what became of the domain; the same rules as "xmig
 * recover" decide.
 */
static enum mig_result
climig_settle(struct backend *be, const struct mig_stats *st,
    const char *host, unsigned port, const struct transport_tls *tls,
    char *why, size_t whylen)
{
	char lost[1024], again[1024] = "";
	enum mig_result res;

	util_strlcpy(lost, why, sizeof(lost));
	log_warnx("%s; asking %s what became of %s", lost, host, st->domain);
	res = cli_settle(be, st->domain, host, port, tls, 30, 1, again,
	    sizeof(again));
	switch (res) {
	case MIG_OK:
		log_info("%s runs on %s; the suspended copy here was "
		    "destroyed", st->domain, host);
		return MIG_OK;
	case MIG_RESUMED:
		snprintf(why, whylen, "the connection to %s was lost after it "
		    "was cleared to unpause; %s was not there and was "
		    "resumed here", host, st->domain);
		return MIG_RESUMED;
	default:
		snprintf(why, whylen, "%.700s (%.300s)", lost, again);
		return MIG_UNDEFINED;
	}
}

uint64_t
climig_backoff_ms(unsigned n, unsigned jitter)
{
	uint64_t ms = CLIMIG_BACKOFF_FIRST_MS;

	while (n > 1 && ms < CLIMIG_BACKOFF_MAX_MS) {
		ms *= 2;
		n--;
	}
	if (ms > CLIMIG_BACKOFF_MAX_MS)
		ms = CLIMIG_BACKOFF_MAX_MS;
	/* ms * (0.75 .. 1.25) */
	return ms * 3 / 4 + ms * (jitter & 1023) / 2048;
}

/* Sleep ms, in short steps so that a cancel is seen; 0 or -ECANCELED. */
static int
climig_pause(uint64_t ms, volatile sig_atomic_t *cancel)
{
	uint64_t end = util_now_ms() + ms, now;
	struct timespec ts;

	while ((now = util_now_ms()) < end) {
		if (cancel != NULL && *cancel)
			return -ECANCELED;
		ms = end - now > 100 ? 100 : end - now;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)ms * 1000000L;
		nanosleep(&ts, NULL);
	}
	return cancel != NULL && *cancel ? -ECANCELED : 0;
}

/* One attempt: connect, migrate, settle. */
static enum mig_result
climig_once(struct climig *m, struct mig_stats *stats, char *why,
    size_t whylen)
{
	struct transport_conn conn;
	enum mig_result res;
	int rc;

	rc = transport_connect(m->host, m->port, m->tls, 10000, &conn);
	if (rc != 0) {
		memset(stats, 0, sizeof(*stats));
		snprintf(why, whylen, "cannot connect to %s port %u: %s",
		    m->host, m->port, strerror(-rc));
		m->unreachable = 1;
		return MIG_FAILED;
	}
	m->params.fd = conn.fd;
	m->params.host = m->host;
	m->params.port = m->port;
	m->attempts++;
	res = mig_src_run(&m->params, stats, why, whylen);
	transport_close(&conn);
	m->params.fd = -1;
	if (res == MIG_UNDEFINED && stats->domain[0] != '\0' &&
	    !fault_armed("src-skip-settle"))
		res = climig_settle(m->params.be, stats, m->host, m->port,
		    m->tls, why, whylen);
	return res;
}

enum mig_result
climig_run(struct climig *m, struct mig_stats *stats, char *why,
    size_t whylen)
{
	uint64_t start = util_now_ms(), waited, pause;
	unsigned n = 0, jitter = (unsigned)getpid() * 2654435761u;
	enum mig_result res;

	m->unreachable = 0;
	m->attempts = 0;
	for (;;) {
		res = climig_once(m, stats, why, whylen);
		if (res != MIG_REFUSED || !m->wait ||
		    strcmp(stats->refusal, RELOC_DENY_BUSY) != 0)
			break;
		waited = util_now_ms() - start;
		jitter = jitter * 1103515245u + 12345u;
		pause = climig_backoff_ms(++n, jitter >> 16);
		if (m->wait_s != 0 &&
		    waited + pause > (uint64_t)m->wait_s * 1000) {
			snprintf(why + strlen(why), whylen - strlen(why),
			    "; still busy after waiting %llu s",
			    (unsigned long long)(waited / 1000));
			break;
		}
		if (m->waiting != NULL)
			m->waiting(m->arg, why, pause, waited);
		if (climig_pause(pause, m->params.cancel) != 0) {
			snprintf(why + strlen(why), whylen - strlen(why),
			    "; cancelled while waiting");
			break;
		}
	}
	return res;
}
