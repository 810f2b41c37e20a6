/*
 * cursor.h - bounded little- and big-endian reads from a byte buffer, and
 * the matching stores.
 *
 * A cursor walks a borrowed buffer.  A read past the end sets the sticky
 * "short" flag and yields zero; later reads yield zero too, so a decoder
 * can read a whole structure and check cursor_ok() once.  Nothing here
 * casts a struct onto wire bytes.
 */
#ifndef XMIG_CURSOR_H
#define XMIG_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cursor {
	const uint8_t	*buf;
	size_t		 len;
	size_t		 pos;
	int		 bad;	/* a read went past the end */
};

/* Start reading "len" bytes at "buf" (borrowed, must outlive the cursor). */
static inline void
cursor_init(struct cursor *c, const void *buf, size_t len)
{
	c->buf = buf;
	c->len = len;
	c->pos = 0;
	c->bad = 0;
}

/* Bytes not yet read. */
static inline size_t
cursor_left(const struct cursor *c)
{
	return c->bad ? 0 : c->len - c->pos;
}

/* 1 if no read has gone past the end. */
static inline int
cursor_ok(const struct cursor *c)
{
	return !c->bad;
}

/*
 * Borrow the next n bytes: returns a pointer into the buffer, or NULL (and
 * marks the cursor bad) when fewer than n bytes are left.
 */
static inline const uint8_t *
cursor_take(struct cursor *c, size_t n)
{
	const uint8_t *p;

	if (c->bad || n > c->len - c->pos) {
		c->bad = 1;
		return NULL;
	}
	p = c->buf + c->pos;
	c->pos += n;
	return p;
}

/* Skip n bytes; same rules as cursor_take(). */
static inline void
cursor_skip(struct cursor *c, size_t n)
{
	(void)cursor_take(c, n);
}

/* Loads from raw bytes; the caller has checked the length. */
static inline uint16_t
load_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t
load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline uint64_t
load_le64(const uint8_t *p)
{
	return (uint64_t)load_le32(p) | (uint64_t)load_le32(p + 4) << 32;
}

static inline uint16_t
load_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t
load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint64_t
load_be64(const uint8_t *p)
{
	return (uint64_t)load_be32(p) << 32 | (uint64_t)load_be32(p + 4);
}

/* Stores into raw bytes; the caller has checked the room. */
static inline void
store_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void
store_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void
store_le64(uint8_t *p, uint64_t v)
{
	store_le32(p, (uint32_t)v);
	store_le32(p + 4, (uint32_t)(v >> 32));
}

static inline void
store_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void
store_be64(uint8_t *p, uint64_t v)
{
	store_be32(p, (uint32_t)(v >> 32));
	store_be32(p + 4, (uint32_t)v);
}

/* Cursor reads: zero once the cursor has gone bad. */
static inline uint8_t
cursor_u8(struct cursor *c)
{
	const uint8_t *p = cursor_take(c, 1);

	return p != NULL ? p[0] : 0;
}

static inline uint16_t
cursor_le16(struct cursor *c)
{
	const uint8_t *p = cursor_take(c, 2);

	return p != NULL ? load_le16(p) : 0;
}

static inline uint32_t
cursor_le32(struct cursor *c)
{
	const uint8_t *p = cursor_take(c, 4);

	return p != NULL ? load_le32(p) : 0;
}

static inline uint64_t
cursor_le64(struct cursor *c)
{
	const uint8_t *p = cursor_take(c, 8);

	return p != NULL ? load_le64(p) : 0;
}

static inline uint16_t
cursor_be16(struct cursor *c)
{
	const uint8_t *p = cursor_take(c, 2);

	return p != NULL ? load_be16(p) : 0;
}

static inline uint32_t
cursor_be32(struct cursor *c)
{
	const uint8_t *p = cursor_take(c, 4);

	return p != NULL ? load_be32(p) : 0;
}

static inline uint64_t
cursor_be64(struct cursor *c)
{
	const uint8_t *p = cursor_take(c, 8);

	return p != NULL ? load_be64(p) : 0;
}

/* 1 if the n bytes at p are all zero. */
static inline int
bytes_zero(const uint8_t *p, size_t n)
{
	while (n-- > 0)
		if (*p++ != 0)
			return 0;
	return 1;
}

#endif /* XMIG_CURSOR_H */
