/*
 * uuid.h - domain uuids as Xen's tools write them: 36 characters,
 * lower-case hex in 8-4-4-4-12 groups.
 */
#ifndef XMIG_UUID_H
#define XMIG_UUID_H

#include <stdint.h>

#define UUID_STR_LEN	37	/* with the NUL */

/* Format u into out (36 characters and a NUL). */
void	uuid_fmt(const uint8_t u[16], char out[UUID_STR_LEN]);

/*
 * Parse exactly 36 characters (either case) into u.  Returns 0, or
 * -EINVAL with u untouched.
 */
int	uuid_parse(const char *s, uint8_t u[16]);

#endif /* XMIG_UUID_H */
