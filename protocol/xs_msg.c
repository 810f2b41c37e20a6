/*
 * xs_msg.c - xenstore wire messages: headers, strings, error names.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "xs_msg.h"

/* The order of Xen's xsd_errors[]: new entries only ever go at the end. */
static const struct {
	int		 err;
	const char	*name;
} xs_msg_errors[] = {
	{ EINVAL, "EINVAL" },
	{ EACCES, "EACCES" },
	{ EEXIST, "EEXIST" },
	{ EISDIR, "EISDIR" },
	{ ENOENT, "ENOENT" },
	{ ENOMEM, "ENOMEM" },
	{ ENOSPC, "ENOSPC" },
	{ EIO, "EIO" },
	{ ENOTEMPTY, "ENOTEMPTY" },
	{ ENOSYS, "ENOSYS" },
	{ EROFS, "EROFS" },
	{ EBUSY, "EBUSY" },
	{ EAGAIN, "EAGAIN" },
	{ EISCONN, "EISCONN" },
	{ E2BIG, "E2BIG" },
	{ EPERM, "EPERM" },
};

static const char *const xs_msg_names[XS_MSG_TYPE_COUNT] = {
	[XS_MSG_CONTROL] = "CONTROL",
	[XS_MSG_DIRECTORY] = "DIRECTORY",
	[XS_MSG_READ] = "READ",
	[XS_MSG_GET_PERMS] = "GET_PERMS",
	[XS_MSG_WATCH] = "WATCH",
	[XS_MSG_UNWATCH] = "UNWATCH",
	[XS_MSG_TRANSACTION_START] = "TRANSACTION_START",
	[XS_MSG_TRANSACTION_END] = "TRANSACTION_END",
	[XS_MSG_INTRODUCE] = "INTRODUCE",
	[XS_MSG_RELEASE] = "RELEASE",
	[XS_MSG_GET_DOMAIN_PATH] = "GET_DOMAIN_PATH",
	[XS_MSG_WRITE] = "WRITE",
	[XS_MSG_MKDIR] = "MKDIR",
	[XS_MSG_RM] = "RM",
	[XS_MSG_SET_PERMS] = "SET_PERMS",
	[XS_MSG_WATCH_EVENT] = "WATCH_EVENT",
	[XS_MSG_ERROR] = "ERROR",
	[XS_MSG_IS_DOMAIN_INTRODUCED] = "IS_DOMAIN_INTRODUCED",
	[XS_MSG_RESUME] = "RESUME",
	[XS_MSG_SET_TARGET] = "SET_TARGET",
	[XS_MSG_RESET_WATCHES] = "RESET_WATCHES",
	[XS_MSG_DIRECTORY_PART] = "DIRECTORY_PART",
};

static uint32_t
xs_msg_get32(const unsigned char *p)
{
	uint32_t v;

	/* Native byte order, as on Xen's socket and ring. */
	memcpy(&v, p, sizeof(v));
	return v;
}

int
xs_msg_decode_hdr(const void *buf, size_t len, struct xs_msg_hdr *hdr)
{
	const unsigned char *p = buf;

	if (len < XS_MSG_HDR_LEN)
		return -EAGAIN;
	hdr->type = xs_msg_get32(p);
	hdr->req_id = xs_msg_get32(p + 4);
	hdr->tx_id = xs_msg_get32(p + 8);
	hdr->len = xs_msg_get32(p + 12);
	if (hdr->len > XS_MSG_PAYLOAD_MAX)
		return -EMSGSIZE;
	return 0;
}

void
xs_msg_encode_hdr(const struct xs_msg_hdr *hdr, void *out)
{
	unsigned char *p = out;

	memcpy(p, &hdr->type, 4);
	memcpy(p + 4, &hdr->req_id, 4);
	memcpy(p + 8, &hdr->tx_id, 4);
	memcpy(p + 12, &hdr->len, 4);
}

void
xs_msg_split(const void *payload, size_t len, struct xs_msg_args *args)
{
	const unsigned char *p = payload;
	const unsigned char *nul;
	size_t off = 0;

	memset(args, 0, sizeof(*args));
	while (off < len) {
		nul = memchr(p + off, 0, len - off);
		if (nul == NULL)
			break;
		if (args->count < XS_MSG_MAX_ARGS) {
			args->arg[args->count] = (const char *)(p + off);
			args->arglen[args->count] = (size_t)(nul - (p + off));
		}
		args->count++;
		off = (size_t)(nul - p) + 1;
	}
	args->rest = len > 0 ? p + off : p;
	args->restlen = len - off;
}

const char *
xs_msg_onearg(const void *payload, size_t len)
{
	const char *p = payload;

	if (len == 0 || memchr(p, 0, len) != p + len - 1)
		return NULL;
	return p;
}

int
xs_msg_build(void *out, size_t cap, uint32_t type, uint32_t req_id,
    uint32_t tx_id, const void *payload, size_t len)
{
	struct xs_msg_hdr hdr;

	if (len > XS_MSG_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (cap < XS_MSG_HDR_LEN + len)
		return -ENOBUFS;
	hdr.type = type;
	hdr.req_id = req_id;
	hdr.tx_id = tx_id;
	hdr.len = (uint32_t)len;
	xs_msg_encode_hdr(&hdr, out);
	if (len > 0)
		memcpy((unsigned char *)out + XS_MSG_HDR_LEN, payload, len);
	return (int)(XS_MSG_HDR_LEN + len);
}

const char *
xs_msg_errstr(int err)
{
	size_t i;

	if (err < 0)
		err = -err;
	for (i = 0; i < sizeof(xs_msg_errors) / sizeof(xs_msg_errors[0]); i++)
		if (xs_msg_errors[i].err == err)
			return xs_msg_errors[i].name;
	return "EINVAL";
}

int
xs_msg_errno(const char *name, size_t len)
{
	size_t i, n;

	for (i = 0; i < sizeof(xs_msg_errors) / sizeof(xs_msg_errors[0]); i++) {
		n = strlen(xs_msg_errors[i].name);
		if ((len == n || (len == n + 1 && name[n] == '\0')) &&
		    memcmp(name, xs_msg_errors[i].name, n) == 0)
			return xs_msg_errors[i].err;
	}
	return EINVAL;
}

const char *
xs_msg_type_name(uint32_t type)
{
	if (type >= XS_MSG_TYPE_COUNT)
		return NULL;
	return xs_msg_names[type];
}
