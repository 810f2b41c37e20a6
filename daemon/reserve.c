/*
 * reserve.c - resource reservations for incoming domains.
 *
 * A reservation is judged against what the host has free minus what every
 * other accepted reservation already holds, so two requests that only fit
 * one at a time are not both accepted.  A reservation lives from ACCEPT
 * until its worker exits (or its stream fails to start in time).  The
 * memory of a domain being restored is then counted twice (its pages are
 * gone from free memory and its reservation still holds them): on purpose,
 * the conservative side.  On Xen the restore itself claims the domain's
 * memory from the hypervisor (xc_domain_claim_pages,
 * lib/xen/xen_restore.c) before the first page arrives, so other
 * toolstacks cannot take it meanwhile; free memory as libxl reports it
 * excludes outstanding claims.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "migrate.h"
#include "util.h"
#include "xmigd.h"

#define RESERVE_SUFFIX	MIG_SUFFIX_INCOMING

void
reserve_init(struct reserve_table *t)
{
	TAILQ_INIT(&t->list);
	t->count = 0;
	t->next_id = 1;
}

uint64_t
reserve_held(const struct reserve_table *t)
{
	const struct reservation *r;
	uint64_t sum = 0;

	TAILQ_FOREACH(r, &t->list, entry)
		sum += r->bytes;
	return sum;
}

struct reservation *
reserve_find(struct reserve_table *t, uint64_t id)
{
	struct reservation *r;

	TAILQ_FOREACH(r, &t->list, entry)
		if (r->id == id)
			return r;
	return NULL;
}

/* A domain name xmig accepts: printable, no '/', room for the suffix. */
static int
reserve_name_ok(const char *name)
{
	size_t len = strlen(name), i;

	if (len == 0 || len + sizeof(RESERVE_SUFFIX) > RELOC_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (name[i] <= ' ' || name[i] == '/' || name[i] == 0x7f)
			return 0;
	return 1;
}

/* Does a reservation already hold this name or uuid? */
static int
reserve_clash(const struct reserve_table *t, const struct reserve_req *r,
    const char **what)
{
	const struct reservation *o;

	TAILQ_FOREACH(o, &t->list, entry) {
		if (strcmp(o->name, r->name) == 0) {
			*what = "name";
			return 1;
		}
		if (r->uuid != NULL && o->has_uuid &&
		    memcmp(o->uuid, r->uuid, 16) == 0) {
			*what = "uuid";
			return 1;
		}
	}
	return 0;
}

/* Checks that need no arithmetic.  0 or -errno with why. */
static int
reserve_check_request(const struct reserve_table *t,
    const struct reserve_req *r, const struct reserve_host *h,
    unsigned max_incoming, char *why, size_t whylen)
{
	const char *what;

	if (!reserve_name_ok(r->name)) {
		snprintf(why, whylen, "domain name \"%.64s\" not acceptable",
		    r->name);
		return -EINVAL;
	}
	if (r->vcpus < 1 || r->vcpus > XMIGD_VCPUS_MAX) {
		snprintf(why, whylen, "%u vcpus: expected 1 to %d", r->vcpus,
		    XMIGD_VCPUS_MAX);
		return -EINVAL;
	}
	if (r->memkb == 0 || r->memkb > UINT64_MAX / 1024) {
		snprintf(why, whylen, "memory %llu KiB not acceptable",
		    (unsigned long long)r->memkb);
		return -EINVAL;
	}
	if (t->count >= max_incoming) {
		snprintf(why, whylen, "%u incoming migrations already "
		    "(max-incoming); try later", t->count);
		return -EBUSY;
	}
	if (h->name_taken || reserve_clash(t, r, &what) != 0) {
		if (h->name_taken)
			what = "name";
		snprintf(why, whylen, "a domain with the %s of %s %s on "
		    "this host", what, r->name, h->name_taken ?
		    "already exists" : "is already arriving");
		return -EEXIST;
	}
	if (h->uuid_taken) {
		snprintf(why, whylen, "a domain with the uuid of %s already "
		    "exists on this host", r->name);
		return -EEXIST;
	}
	return 0;
}

int
reserve_admit(struct reserve_table *t, const struct reserve_req *r,
    const struct reserve_host *h, unsigned max_incoming,
    struct reservation **out, char *why, size_t whylen)
{
	struct reservation *res;
	uint64_t need, held, avail;
	char b1[32], b2[32], b3[32];
	int rc;

	rc = reserve_check_request(t, r, h, max_incoming, why, whylen);
	if (rc != 0)
		return rc;
	need = r->memkb * 1024;
	held = reserve_held(t);
	avail = h->free_bytes > held ? h->free_bytes - held : 0;
	if (need > avail) {
		/*
		 * Fits in what is free but for other reservations: those
		 * end (their domains arrive or fail) and the source may ask
		 * again, which "busy" tells it.  The conservative count
		 * above may then answer "no memory" on a later try.
		 */
		snprintf(why, whylen, "not enough memory for %s: needs %s, "
		    "%s free of which %s reserved for incoming domains%s",
		    r->name, util_fmt_size(need, b1, sizeof(b1)),
		    util_fmt_size(h->free_bytes, b2, sizeof(b2)),
		    util_fmt_size(held, b3, sizeof(b3)),
		    need <= h->free_bytes ? "; try later" : "");
		return need <= h->free_bytes ? -EAGAIN : -ENOSPC;
	}
	if ((res = calloc(1, sizeof(*res))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	res->id = t->next_id++;
	util_strlcpy(res->name, r->name, sizeof(res->name));
	snprintf(res->incoming, sizeof(res->incoming), "%s%s", r->name,
	    RESERVE_SUFFIX);
	if (r->uuid != NULL) {
		memcpy(res->uuid, r->uuid, 16);
		res->has_uuid = 1;
	}
	res->bytes = need;
	res->vcpus = r->vcpus;
	res->created_ms = util_now_ms();
	res->state = RES_WAITING;
	TAILQ_INSERT_TAIL(&t->list, res, entry);
	t->count++;
	*out = res;
	return 0;
}

void
reserve_release(struct reserve_table *t, struct reservation *r)
{
	if (r == NULL)
		return;
	TAILQ_REMOVE(&t->list, r, entry);
	t->count--;
	free(r);
}

void
reserve_clear(struct reserve_table *t)
{
	while (!TAILQ_EMPTY(&t->list))
		reserve_release(t, TAILQ_FIRST(&t->list));
}

int
reserve_host_facts(struct backend *be, const struct reserve_req *r,
    struct reserve_host *h, char *why, size_t whylen)
{
	struct dom_info *doms = NULL;
	char incoming[RELOC_NAME_MAX + sizeof(RESERVE_SUFFIX)];
	size_t n = 0, i;
	int rc, same_uuid;

	memset(h, 0, sizeof(*h));
	h->dying_incoming = -1;
	if ((rc = be->ops->free_memory(be, &h->free_bytes)) != 0) {
		snprintf(why, whylen, "cannot read the host's free memory: "
		    "%s", strerror(-rc));
		return rc;
	}
	if ((rc = be->ops->list(be, &doms, &n)) != 0) {
		snprintf(why, whylen, "cannot list the host's domains: %s",
		    strerror(-rc));
		return rc;
	}
	snprintf(incoming, sizeof(incoming), "%s%s", r->name, RESERVE_SUFFIX);
	for (i = 0; i < n; i++) {
		same_uuid = r->uuid != NULL &&
		    memcmp(doms[i].uuid, r->uuid, 16) == 0;
		/*
		 * NAME with the request's own uuid is the source itself: a
		 * migration to the same host, which xl allows too.  The
		 * copy arrives as NAME--incoming; the source is renamed
		 * away before the destination takes the name.
		 */
		if (strcmp(doms[i].name, r->name) == 0 && same_uuid) {
			h->self = 1;
			continue;
		}
		/*
		 * A dying NAME--incoming never runs again: a destroy cut
		 * short left it (see reserve_finish_dying), not a copy
		 * on its way.
		 */
		if (strcmp(doms[i].name, incoming) == 0 &&
		    doms[i].state == DOM_DYING)
			h->dying_incoming = doms[i].domid;
		else if (strcmp(doms[i].name, r->name) == 0 ||
		    strcmp(doms[i].name, incoming) == 0)
			h->name_taken = 1;
		if (same_uuid)
			h->uuid_taken = 1;
	}
	free(doms);
	return 0;
}


int
reserve_finish_dying(struct backend *be, const struct reservation *res,
    const struct reserve_host *h, char *why, size_t whylen)
{
	int rc;

	if (h->dying_incoming <= 0)	/* none (Domain-0 is never one) */
		return 0;
	rc = be->ops->destroy(be, (uint32_t)h->dying_incoming);
	if (rc == 0 || rc == -ESRCH) {
		log_warnx("%s (domain %lld), left dying by a destroy cut short, "
		    "destroyed", res->incoming, (long long)h->dying_incoming);
		return 0;
	}
	snprintf(why, whylen, "a domain named %s is being destroyed on this "
	    "host and the destroy cannot be finished: %s", res->incoming,
	    strerror(-rc));
	return rc;
}
