/*
 * vbdstream.c - encode and check the disk list and the disk copy's
 * record heads.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "vbdstream.h"

void
vbd_rec_encode(uint8_t buf[VBD_REC_HDR], const struct vbd_rec *r)
{
	store_be32(buf, r->type);
	store_be32(buf + 4, r->disk);
	store_be64(buf + 8, r->offset);
	store_be32(buf + 16, r->length);
	store_be32(buf + 20, 0);
}

int
vbd_rec_decode(const uint8_t buf[VBD_REC_HDR], const struct vbd_spec *s,
    struct vbd_rec *r, const char **why)
{
	r->type = load_be32(buf);
	r->disk = load_be32(buf + 4);
	r->offset = load_be64(buf + 8);
	r->length = load_be32(buf + 16);
	if (load_be32(buf + 20) != 0) {
		*why = "reserved word not zero";
		return -EPROTO;
	}
	switch (r->type) {
	case VBD_REC_DATA:
	case VBD_REC_ZERO:
		if (r->disk >= s->n) {
			*why = "no such disk";
			return -EPROTO;
		}
		if (r->length == 0 || (r->type == VBD_REC_DATA &&
		    r->length > VBD_DATA_MAX)) {
			*why = "bad length";
			return -EPROTO;
		}
		if (r->offset > s->d[r->disk].size ||
		    r->length > s->d[r->disk].size - r->offset) {
			*why = "range past the end of the disk";
			return -EPROTO;
		}
		return 0;
	case VBD_REC_ROUND:
	case VBD_REC_END:
		if (r->disk != 0 || r->length != 0 ||
		    (r->type == VBD_REC_END && r->offset != 0)) {
			*why = "fields set that must be zero";
			return -EPROTO;
		}
		return 0;
	default:
		*why = "unknown record type";
		return -EPROTO;
	}
}

int
vbd_name_ok(const char *name)
{
	size_t len = strlen(name), i;

	if (len == 0 || len >= VBD_NAME_MAX || name[0] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-' || c == '+'))
			return 0;
	}
	return 1;
}

static int
vbd_vdev_ok(const char *v)
{
	size_t len = strlen(v), i;

	if (len == 0 || len >= VBD_VDEV_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') ||
		    (v[i] >= '0' && v[i] <= '9')))
			return 0;
	return 1;
}

/* One line "VDEV SIZE NAME" (no newline, NUL-terminated, modifiable). */
static int
vbd_spec_line(char *line, struct vbd_spec_disk *d, const char **why)
{
	char *vdev, *size, *name, *end, *save = NULL;
	unsigned long long v;

	vdev = strtok_r(line, " ", &save);
	size = strtok_r(NULL, " ", &save);
	name = strtok_r(NULL, " ", &save);
	if (vdev == NULL || size == NULL || name == NULL ||
	    strtok_r(NULL, " ", &save) != NULL) {
		*why = "expected VDEV SIZE NAME";
		return -EPROTO;
	}
	if (!vbd_vdev_ok(vdev)) {
		*why = "bad device name";
		return -EPROTO;
	}
	if (size[0] < '1' || size[0] > '9' || strlen(size) > 16) {
		*why = "bad size";
		return -EPROTO;
	}
	v = strtoull(size, &end, 10);
	if (*end != '\0' || v > VBD_SIZE_MAX) {
		*why = "bad size";
		return -EPROTO;
	}
	if (!vbd_name_ok(name)) {
		*why = "bad image name (a plain file name is expected)";
		return -EPROTO;
	}
	memcpy(d->vdev, vdev, strlen(vdev) + 1);
	memcpy(d->name, name, strlen(name) + 1);
	d->size = v;
	return 0;
}

int
vbd_spec_parse(const char *text, struct vbd_spec *s, char *why,
    size_t whylen)
{
	char line[VBD_VDEV_MAX + VBD_NAME_MAX + 32];
	const char *p = text, *nl, *err = NULL;
	size_t len;
	unsigned i;

	memset(s, 0, sizeof(*s));
	while (*p != '\0') {
		if ((nl = strchr(p, '\n')) == NULL) {
			err = "a line without its newline";
			break;
		}
		len = (size_t)(nl - p);
		if (s->n >= VBD_DISKS_MAX) {
			err = "too many disks";
			break;
		}
		if (len >= sizeof(line)) {
			err = "line too long";
			break;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		if (vbd_spec_line(line, &s->d[s->n], &err) != 0)
			break;
		for (i = 0; i < s->n; i++)
			if (strcmp(s->d[i].name, s->d[s->n].name) == 0 ||
			    strcmp(s->d[i].vdev, s->d[s->n].vdev) == 0)
				err = "two disks of one name";
		if (err != NULL)
			break;
		s->n++;
		p = nl + 1;
	}
	if (err == NULL && s->n == 0)
		err = "no disk";
	if (err != NULL) {
		snprintf(why, whylen, "disk list, line %u: %s", s->n + 1, err);
		memset(s, 0, sizeof(*s));
		return -EPROTO;
	}
	return 0;
}

int
vbd_spec_format(const struct vbd_spec *s, char *buf, size_t len)
{
	size_t off = 0;
	unsigned i;
	int n;

	buf[0] = '\0';
	for (i = 0; i < s->n; i++) {
		if (!vbd_vdev_ok(s->d[i].vdev) || !vbd_name_ok(s->d[i].name) ||
		    s->d[i].size == 0 || s->d[i].size > VBD_SIZE_MAX)
			return -ENAMETOOLONG;
		n = snprintf(buf + off, len - off, "%s %llu %s\n",
		    s->d[i].vdev, (unsigned long long)s->d[i].size,
		    s->d[i].name);
		if (n < 0 || (size_t)n >= len - off)
			return -ENAMETOOLONG;
		off += (size_t)n;
	}
	return 0;
}
