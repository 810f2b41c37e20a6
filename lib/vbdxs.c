/*
 * vbdxs.c - a domain's disks from its backends in xenstore.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "vbdxs.h"

int
vbdxs_params(const char *params, char *format, size_t flen, char *path,
    size_t plen)
{
	const char *colon = strchr(params, ':'), *p = params;
	const char *fmt = "raw";

	if (colon != NULL && params[0] != '/') {
		p = colon + 1;
		if (strncmp(params, "qcow2:", 6) == 0)
			fmt = "qcow2";
		else if (strncmp(params, "vhd:", 4) == 0)
			fmt = "vhd";
		else if (strncmp(params, "aio:", 4) != 0 &&
		    strncmp(params, "raw:", 4) != 0)
			return -EINVAL;
	}
	if (p[0] == '\0' || util_strlcpy(path, p, plen) != 0 ||
	    util_strlcpy(format, fmt, flen) != 0)
		return -EINVAL;
	return 0;
}

/* One key of a backend directory; malloc()ed or NULL. */
static char *
vbdxs_read(struct xs_handle *xs, const char *dir, const char *key)
{
	char path[320];
	unsigned int len;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, key) >=
	    sizeof(path))
		return NULL;
	return xs_read(xs, XBT_NULL, path, &len);
}

/* The size: the backend's sectors, else the image's or device's own. */
static uint64_t
vbdxs_size(struct xs_handle *xs, const char *dir, const char *path)
{
	char *sec = vbdxs_read(xs, dir, "sectors");
	char *ssz = vbdxs_read(xs, dir, "sector-size");
	uint64_t n = 0, sz = 512, size = 0;
	struct stat st;
	int fd;

	if (sec != NULL && util_parse_uint(sec, 1, UINT64_MAX / 4096,
	    &n) == 0 && (ssz == NULL || util_parse_uint(ssz, 512, 4096,
	    &sz) == 0))
		size = n * sz;
	free(sec);
	free(ssz);
	if (size != 0 || stat(path, &st) != 0)
		return size;
	if (S_ISREG(st.st_mode))
		return (uint64_t)st.st_size;
	if (S_ISBLK(st.st_mode) &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		if (ioctl(fd, BLKGETSIZE64, &size) != 0)
			size = 0;
		close(fd);
	}
	return size;
}

/* The disks of one backend type ("vbd" or "qdisk"). */
static void
vbdxs_scan(struct xs_handle *xs, uint32_t domid, const char *type,
    struct be_disk *out, size_t max, size_t *n)
{
	char base[128], dir[256], *params, *dev, *devtype;
	struct be_disk *d;
	unsigned int i, num;
	char **ids;

	snprintf(base, sizeof(base), "/local/domain/0/backend/%s/%u", type,
	    domid);
	if ((ids = xs_directory(xs, XBT_NULL, base, &num)) == NULL)
		return;
	for (i = 0; i < num && *n < max; i++) {
		snprintf(dir, sizeof(dir), "%s/%s", base, ids[i]);
		params = vbdxs_read(xs, dir, "params");
		dev = vbdxs_read(xs, dir, "dev");
		devtype = vbdxs_read(xs, dir, "device-type");
		d = &out[*n];
		memset(d, 0, sizeof(*d));
		if (params == NULL || params[0] == '\0' ||
		    (devtype != NULL && strcmp(devtype, "cdrom") == 0) ||
		    vbdxs_params(params, d->format, sizeof(d->format),
		    d->path, sizeof(d->path)) != 0)
			goto next;
		snprintf(d->vdev, sizeof(d->vdev), "%s", dev != NULL ?
		    dev : ids[i]);
		snprintf(d->kind, sizeof(d->kind), "%s",
		    strcmp(type, "qdisk") == 0 ? "qdisk" : "phy");
		d->size = vbdxs_size(xs, dir, d->path);
		(*n)++;
next:
		free(params);
		free(dev);
		free(devtype);
	}
	free(ids);
}

int
vbdxs_list(struct xs_handle *xs, uint32_t domid, struct be_disk *out,
    size_t max, size_t *n)
{
	*n = 0;
	vbdxs_scan(xs, domid, "vbd", out, max, n);
	vbdxs_scan(xs, domid, "qdisk", out, max, n);
	return 0;
}

/* ------------------------------------------------------------ a copy */

struct disk_track {
	int		fd;
	uint64_t	size;
	uint64_t	nblocks;
	int		first;
};

int
vbdxs_track_start(const struct be_disk *d, uint32_t block,
    struct disk_track **out)
{
	struct disk_track *t;
	int rc;

	if (block == 0 || d->size == 0)
		return -EINVAL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -ENOMEM;
	if ((t->fd = open(d->path, O_RDONLY | O_CLOEXEC)) == -1) {
		rc = -errno;
		log_warn("disk %s", d->path);
		free(t);
		return rc;
	}
	t->size = d->size;
	t->nblocks = (d->size + block - 1) / block;
	t->first = 1;
	*out = t;
	return 0;
}

int
vbdxs_track_dirty(struct disk_track *t, uint64_t *bits, uint64_t nblocks)
{
	uint64_t w, words = (nblocks + 63) / 64;

	if (nblocks != t->nblocks)
		return -EINVAL;
	if (!t->first)
		return 0;
	for (w = 0; w < words; w++)
		bits[w] = ~UINT64_C(0);
	if (nblocks % 64 != 0)
		bits[words - 1] = (UINT64_C(1) << (nblocks % 64)) - 1;
	t->first = 0;
	return 0;
}

int
vbdxs_track_read(struct disk_track *t, uint64_t off, void *buf, size_t len)
{
	ssize_t n;

	if (off > t->size || len > t->size - off)
		return -EINVAL;
	n = pread(t->fd, buf, len, (off_t)off);
	if (n < 0)
		return -errno;
	if ((size_t)n < len)
		memset((uint8_t *)buf + n, 0, len - (size_t)n);
	return 0;
}

void
vbdxs_track_stop(struct disk_track *t)
{
	if (t == NULL)
		return;
	close(t->fd);
	free(t);
}
