/*
 * fault.c - fault points armed through $XMIG_FAULT.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "log.h"

int
fault_armed(const char *name)
{
	const char *f = getenv("XMIG_FAULT"), *p;
	size_t n = strlen(name);

	if (f == NULL)
		return 0;
	for (p = f; (p = strstr(p, name)) != NULL; p += n) {
		if ((p == f || p[-1] == ',') && (p[n] == '\0' || p[n] == ',')) {
			log_warnx("fault point %s armed", name);
			return 1;
		}
	}
	return 0;
}
