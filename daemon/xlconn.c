/*
 * xlconn.c - a migration from "xl migrate -s 'xmig xl-relay'" into
 * xmigd: the reservation's facts from the xl header's configuration,
 * and the worker's run of xl's receiving half (lib/xlmig.c).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "relocio.h"
#include "util.h"
#include "xlconn.h"
#include "xlmig.h"

int
xlconn_reserve_facts(struct reloc_msg *m, char *why, size_t whylen)
{
	struct xlproto_facts f;
	int rc;

	if (m->config == NULL) {
		snprintf(why, whylen, "an xl migration must carry the domain "
		    "configuration of its xl header");
		return -EINVAL;
	}
	rc = xlproto_config_facts(m->config, strlen(m->config), &f, why,
	    whylen);
	if (rc != 0)
		return rc;
	xlproto_facts_reserve(&f, m);
	return 0;
}

int
xlconn_worker(struct backend *be, int fd, const struct reloc_msg *r,
    unsigned timeout_s, void (*phase)(void *arg, enum mig_phase ph,
    int64_t domid, const char *detail), void *arg)
{
	struct xlmig_dst_params p = {
		.be = be,
		.in_fd = fd,
		.out_fd = fd,
		.paused = (r->xl & RELOC_XL_PAUSED) != 0,
		.timeout_s = timeout_s,
		.reserved_config = r->config,
		.phase = phase,
		.arg = arg,
	};
	struct reloc_msg m;
	char name[DOMNAME_MAX], why[600];
	int rc;

	rc = relocio_expect(fd, RELOC_STREAM, &m, (int)timeout_s * 1000);
	reloc_msg_clear(&m);
	if (rc != 0) {
		log_warnx("incoming %s from xl: no stream: %s", r->name,
		    strerror(-rc));
		if (phase != NULL)
			phase(arg, MIG_PHASE_FAILED, -1, "no stream");
		return rc;
	}
	log_info("receiving %s from xl%s", r->name, p.paused ?
	    " (to be left paused)" : "");
	return xlmig_dst_run(&p, name, sizeof(name), why, sizeof(why));
}
