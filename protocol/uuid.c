/*
 * uuid.c - uuid text form.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "uuid.h"

void
uuid_fmt(const uint8_t u[16], char out[UUID_STR_LEN])
{
	snprintf(out, UUID_STR_LEN, "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4],
	    u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
	    u[15]);
}

static int
uuid_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
uuid_parse(const char *s, uint8_t u[16])
{
	uint8_t tmp[16];
	int i, n = 0, hi, lo;

	if (strlen(s) != 36)
		return -EINVAL;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		if ((hi = uuid_hexval(s[i])) < 0 ||
		    (lo = uuid_hexval(s[i + 1])) < 0)
			return -EINVAL;
		tmp[n++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	memcpy(u, tmp, sizeof(tmp));
	return 0;
}
