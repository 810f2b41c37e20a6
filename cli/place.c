/*
 * place.c - placement of evacuated guests (place.h).
 */
#include "config.h"

#include <stdlib.h>

#include "place.h"

int
place_one(struct place_host *h, size_t nh, struct place_guest *g)
{
	uint64_t left, best_left = 0;
	size_t i;
	int best = -1;

	for (i = 0; i < nh && i < PLACE_HOSTS_MAX; i++) {
		if (!h[i].usable || (g->refused & (UINT64_C(1) << i)) != 0)
			continue;
		if (h[i].planned > h[i].room)
			continue;
		left = h[i].room - h[i].planned;
		if (left < g->bytes)
			continue;
		if (best < 0 || left > best_left) {
			best = (int)i;
			best_left = left;
		}
	}
	g->host = best;
	if (best >= 0) {
		h[best].planned += g->bytes;
		h[best].nplanned++;
	}
	return best;
}

void
place_remove(struct place_host *h, struct place_guest *g)
{
	struct place_host *p;

	if (g->host < 0)
		return;
	p = &h[g->host];
	p->planned = p->planned > g->bytes ? p->planned - g->bytes : 0;
	if (p->nplanned > 0)
		p->nplanned--;
	g->host = -1;
}

static int
place_cmp(const void *a, const void *b)
{
	const struct place_guest *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

size_t
place_plan(struct place_host *h, size_t nh, struct place_guest *g,
    size_t ng)
{
	size_t i, left = 0;

	if (ng > 1)
		qsort(g, ng, sizeof(*g), place_cmp);
	for (i = 0; i < ng; i++)
		if (place_one(h, nh, &g[i]) < 0)
			left++;
	return left;
}
