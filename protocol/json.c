/*
 * json.c - checked JSON parsing (see json.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "json.h"

/*
 * Scan text for nesting depth and \u0000 outside of what yajl checks.
 * Malformed text is left to yajl: the scan only has to be right for
 * well-formed JSON and must not read past the NUL for any text.
 */
static int
json_scan(const char *text, char *err, size_t errlen)
{
	const char *p;
	size_t depth = 0;
	int in_string = 0;

	for (p = text; *p != '\0'; p++) {
		if (in_string) {
			if (*p == '"')
				in_string = 0;
			else if (*p == '\\') {
				if (p[1] == '\0')
					break;
				p++;
				if (*p == 'u' && strncmp(p + 1, "0000", 4) == 0) {
					if (err != NULL)
						snprintf(err, errlen, "a string "
						    "holds \\u0000 at byte %zu",
						    (size_t)(p - 1 - text));
					return -1;
				}
			}
			continue;
		}
		switch (*p) {
		case '"':
			in_string = 1;
			break;
		case '[':
		case '{':
			if (++depth > JSON_DEPTH_MAX) {
				if (err != NULL)
					snprintf(err, errlen, "nested deeper "
					    "than %d at byte %zu",
					    JSON_DEPTH_MAX,
					    (size_t)(p - text));
				return -1;
			}
			break;
		case ']':
		case '}':
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
	}
	return 0;
}

yajl_val
json_parse(const char *text, char *err, size_t errlen)
{
	char buf[256], *p, *q;
	yajl_val v;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (json_scan(text, err, errlen) != 0)
		return NULL;
	buf[0] = '\0';
	if ((v = yajl_tree_parse(text, buf, sizeof(buf))) != NULL ||
	    err == NULL || errlen == 0)
		return v;
	/* yajl's message spans lines and pads with spaces: one line. */
	for (p = buf, q = buf; *p != '\0'; p++) {
		if (*p == '\n')
			*p = ' ';
		if (*p != ' ' || (q != buf && q[-1] != ' '))
			*q++ = *p;
	}
	while (q != buf && q[-1] == ' ')
		q--;
	*q = '\0';
	snprintf(err, errlen, "%s", buf[0] != '\0' ? buf : "not JSON");
	return NULL;
}
