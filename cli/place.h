/*
 * place.h - where "xmig evacuate" puts each guest: largest guest first,
 * onto the destination with the most room left that it fits in.  Pure
 * arithmetic over the figures the destinations gave ("xmig status
 * --host": free memory minus what reservations hold); the reservation
 * at migration time stays the truth, and a guest it refuses is placed
 * again with place_one() among the hosts that did not refuse it.
 */
#ifndef XMIG_CLI_PLACE_H
#define XMIG_CLI_PLACE_H

#include <stddef.h>
#include <stdint.h>

#define PLACE_HOSTS_MAX	64	/* a guest's "refused" is a bit mask */

struct place_host {
	uint64_t	room;		/* bytes free for incoming guests */
	int		usable;		/* 0: never place here */
	uint64_t	planned;	/* bytes of the guests placed here */
	unsigned	nplanned;	/* how many guests */
};

struct place_guest {
	uint64_t	bytes;		/* its memory */
	uint64_t	refused;	/* bit i: host i refused it */
	int		host;		/* out: host index, -1 nowhere */
	size_t		id;		/* the caller's, kept through sorting */
};

/*
 * Place guest g on the usable host, not in g->refused, with the most
 * room left (room - planned) that holds g->bytes; on a tie the first such
 * host.  Adds g to that host's planned figures and sets g->host, or sets
 * it to -1 when no host holds it.  Returns g->host.
 */
int	place_one(struct place_host *h, size_t nh, struct place_guest *g);

/* Take a placed guest off its host's planned figures (g->host = -1). */
void	place_remove(struct place_host *h, struct place_guest *g);

/*
 * Sort g largest first (equal sizes by id) and place_one() each in that
 * order onto h (nh <= PLACE_HOSTS_MAX), whose planned figures must start
 * at zero or hold guests placed earlier.  Returns how many guests fit
 * nowhere.
 */
size_t	place_plan(struct place_host *h, size_t nh, struct place_guest *g,
	    size_t ng);

#endif /* XMIG_CLI_PLACE_H */
