/*
 * fault.c - fault points armed through $XMIG_FAULT.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "log.h"
#include "util.h"

/*
 * Find item "name" (or "name:ACTION") in $XMIG_FAULT; copy ACTION (or
 * "") into act.  1 when found.
 */
static int
fault_find(const char *name, char *act, size_t actlen)
{
	const char *f = getenv("XMIG_FAULT"), *p, *end;
	size_t n = strlen(name), alen;

	if (f == NULL)
		return 0;
	for (p = f; (p = strstr(p, name)) != NULL; p += n) {
		if (p != f && p[-1] != ',')
			continue;
		if (p[n] != '\0' && p[n] != ',' && p[n] != ':')
			continue;
		act[0] = '\0';
		if (p[n] == ':') {
			end = strchr(p + n + 1, ',');
			alen = end != NULL ? (size_t)(end - (p + n + 1)) :
			    strlen(p + n + 1);
			if (alen >= actlen)
				alen = actlen - 1;
			memcpy(act, p + n + 1, alen);
			act[alen] = '\0';
		}
		return 1;
	}
	return 0;
}

int
fault_armed(const char *name)
{
	char act[32];

	if (!fault_find(name, act, sizeof(act)))
		return 0;
	log_warnx("fault point %s armed", name);
	return 1;
}

void
fault_point(const char *name, int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct rlimit rl = { 0, 0 };
	char act[32];
	uint64_t ms;

	if (!fault_find(name, act, sizeof(act)))
		return;
	if (strcmp(act, "cut") == 0) {
		log_warnx("fault point %s: cutting the connection", name);
		if (fd >= 0) {
			/*
			 * Reset, not closed in order, when the last copy of
			 * the socket goes: a peer blocked writing into a
			 * zero window would otherwise wait for its timeout.
			 */
			(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg,
			    sizeof(lg));
			(void)shutdown(fd, SHUT_RDWR);
		}
		return;
	}
	if (strncmp(act, "sleep=", 6) == 0 &&
	    util_parse_uint(act + 6, 0, 600000, &ms) == 0) {
		log_warnx("fault point %s: sleeping %llu ms", name,
		    (unsigned long long)ms);
		(void)usleep((useconds_t)ms * 1000);
		return;
	}
	(void)setrlimit(RLIMIT_CORE, &rl);
	if (strcmp(act, "killd") == 0) {
		log_warnx("fault point %s: killing xmigd (pid %ld) and this "
		    "worker", name, (long)getppid());
		(void)kill(getppid(), SIGKILL);
	} else
		log_warnx("fault point %s: killing this process", name);
	(void)raise(SIGKILL);
	for (;;)
		pause();
}
