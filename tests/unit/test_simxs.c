/*
 * test_simxs.c - the simulated xenstore without sockets: every request
 * type, permissions, transactions, watches, malformed requests, and the
 * wire message helpers of protocol/xs_msg.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/simxs.h"
#include "xs_msg.h"

struct reply {
	struct xs_msg_hdr	hdr;
	char			data[XS_MSG_PAYLOAD_MAX + 1];
	int			len;
};

/* Send a request with a payload of len bytes; 0 or the framing error. */
static int
send_raw(struct simxs_conn *c, uint32_t type, uint32_t tx, const void *p,
    size_t len)
{
	unsigned char msg[XS_MSG_MAX];
	int n;

	n = xs_msg_build(msg, sizeof(msg), type, 77, tx, p, len);
	ck_assert_int_gt(n, 0);
	return simxs_conn_request(c, msg, (size_t)n);
}

/* Strings joined by NULs, each terminated: "a", "b" -> "a\0b\0". */
static size_t
join(char *buf, const char *a, const char *b)
{
	size_t la = strlen(a) + 1, lb = b ? strlen(b) + 1 : 0;

	memcpy(buf, a, la);
	if (b != NULL)
		memcpy(buf + la, b, lb);
	return la + lb;
}

static int
pop(struct simxs_conn *c, struct reply *r)
{
	r->len = simxs_conn_pop(c, &r->hdr, r->data, sizeof(r->data) - 1);
	if (r->len >= 0)
		r->data[r->len] = '\0';
	return r->len;
}

/* One request with up to two string arguments; the reply in *r. */
static void
req(struct simxs_conn *c, uint32_t type, uint32_t tx, const char *a,
    const char *b, struct reply *r)
{
	char buf[XS_MSG_PAYLOAD_MAX];

	ck_assert_int_eq(send_raw(c, type, tx, buf, join(buf, a, b)), 0);
	ck_assert_int_ge(pop(c, r), 0);
	ck_assert_uint_eq(r->hdr.req_id, 77);
}

/* WRITE path=value (value without NUL, as libxenstore sends it). */
static void
write_val(struct simxs_conn *c, uint32_t tx, const char *path,
    const char *val, struct reply *r)
{
	char buf[XS_MSG_PAYLOAD_MAX];
	size_t n = strlen(path) + 1;

	memcpy(buf, path, n);
	memcpy(buf + n, val, strlen(val));
	ck_assert_int_eq(send_raw(c, XS_MSG_WRITE, tx, buf,
	    n + strlen(val)), 0);
	ck_assert_int_ge(pop(c, r), 0);
}

static void
expect_ok(const struct reply *r, uint32_t type)
{
	ck_assert_msg(r->hdr.type == type, "type %u, wanted %u (%s)",
	    r->hdr.type, type, r->data);
}

static void
expect_err(const struct reply *r, const char *name)
{
	ck_assert_uint_eq(r->hdr.type, XS_MSG_ERROR);
	ck_assert_str_eq(r->data, name);
}

static void
expect_event(struct simxs_conn *c, const char *path, const char *token)
{
	struct reply r;

	ck_assert_int_ge(pop(c, &r), 0);
	ck_assert_uint_eq(r.hdr.type, XS_MSG_WATCH_EVENT);
	ck_assert_str_eq(r.data, path);
	ck_assert_str_eq(r.data + strlen(path) + 1, token);
}

static void
expect_nothing(struct simxs_conn *c)
{
	ck_assert_uint_eq(simxs_conn_out_len(c), 0);
}

START_TEST(test_simxs_read_write)
{
	struct simxs *xs = simxs_new();
	struct simxs_conn *c = simxs_conn_new(xs, 0);
	struct reply r;

	write_val(c, 0, "/a/b/c", "value", &r);
	expect_ok(&r, XS_MSG_WRITE);
	ck_assert_str_eq(r.data, "OK");
	req(c, XS_MSG_READ, 0, "/a/b/c", NULL, &r);
	expect_ok(&r, XS_MSG_READ);
	ck_assert_int_eq(r.len, 5);
	ck_assert_str_eq(r.data, "value");
	req(c, XS_MSG_READ, 0, "/a/b", NULL, &r);
	ck_assert_int_eq(r.len, 0);
	req(c, XS_MSG_READ, 0, "/a/x", NULL, &r);
	expect_err(&r, "ENOENT");
	/* relative for dom0: /local/domain/0 */
	write_val(c, 0, "rel", "1", &r);
	req(c, XS_MSG_READ, 0, "/local/domain/0/rel", NULL, &r);
	ck_assert_str_eq(r.data, "1");
	simxs_free(xs);
}
END_TEST

START_TEST(test_simxs_mkdir_rm_directory)
{
	struct simxs *xs = simxs_new();
	struct simxs_conn *c = simxs_conn_new(xs, 0);
	struct reply r;
	unsigned int before = simxs_node_count(xs);

	write_val(c, 0, "/d/x", "1", &r);
	req(c, XS_MSG_MKDIR, 0, "/d/y/z", NULL, &r);
	expect_ok(&r, XS_MSG_MKDIR);
	req(c, XS_MSG_MKDIR, 0, "/d/x", NULL, &r);
	expect_ok(&r, XS_MSG_MKDIR);
	req(c, XS_MSG_READ, 0, "/d/x", NULL, &r);
	ck_assert_str_eq(r.data, "1");
	req(c, XS_MSG_DIRECTORY, 0, "/d", NULL, &r);
	ck_assert_int_eq(r.len, 4);
	ck_assert_int_eq(memcmp(r.data, "x\0y\0", 4), 0);
	req(c, XS_MSG_RM, 0, "/d", NULL, &r);
	expect_ok(&r, XS_MSG_RM);
	ck_assert_uint_eq(simxs_node_count(xs), before);
	req(c, XS_MSG_RM, 0, "/d", NULL, &r);
	expect_ok(&r, XS_MSG_RM);
	req(c, XS_MSG_RM, 0, "/d/e", NULL, &r);
	expect_err(&r, "ENOENT");
	req(c, XS_MSG_RM, 0, "/", NULL, &r);
	expect_err(&r, "EINVAL");
	simxs_free(xs);
}
END_TEST

START_TEST(test_simxs_directory_part)
{
	struct simxs *xs = simxs_new();
	struct simxs_conn *c = simxs_conn_new(xs, 0);
	char path[64];
	struct reply r;
	size_t off = 0, got = 0, gl;
	int i;

	for (i = 0; i < 400; i++) {
		snprintf(path, sizeof(path), "/big/child-%04d-xxxxx", i);
		write_val(c, 0, path, "", &r);
	}
	req(c, XS_MSG_DIRECTORY, 0, "/big", NULL, &r);
	expect_err(&r, "E2BIG");
	for (;;) {
		snprintf(path, sizeof(path), "%zu", off);
		req(c, XS_MSG_DIRECTORY_PART, 0, "/big", path, &r);
		expect_ok(&r, XS_MSG_DIRECTORY_PART);
		gl = strlen(r.data) + 1;
		if ((size_t)r.len == gl + 1)
			break;		/* empty list: past the end */
		off += (size_t)r.len - gl;
		got += (size_t)r.len - gl;
		if (r.data[r.len - 1] == '\0' && r.data[r.len - 2] == '\0')
			break;
	}
	/* 400 names of 16 bytes + NUL, and the final extra NUL */
	ck_assert_uint_eq(got, 400 * 17 + 1);
	simxs_free(xs);
}
END_TEST

START_TEST(test_simxs_perms)
{
	struct simxs *xs = simxs_new();
	struct simxs_conn *d0 = simxs_conn_new(xs, 0);
	struct simxs_conn *d5 = simxs_conn_new(xs, 5);
	struct simxs_conn *d6 = simxs_conn_new(xs, 6);
	char buf[64];
	struct reply r;

	write_val(d0, 0, "/secret/x", "s", &r);
	req(d5, XS_MSG_READ, 0, "/secret/x", NULL, &r);
	expect_err(&r, "EACCES");
	req(d5, XS_MSG_READ, 0, "/secret/none", NULL, &r);
	expect_err(&r, "EACCES");	/* no leak of existence */
	write_val(d5, 0, "/secret/y", "s", &r);
	expect_err(&r, "EACCES");
	req(d0, XS_MSG_MKDIR, 0, "/local/domain/5", NULL, &r);
	ck_assert_int_eq(send_raw(d0, XS_MSG_SET_PERMS, 0, buf,
	    join(buf, "/local/domain/5", "n5")), 0);
	ck_assert_int_ge(pop(d0, &r), 0);
	expect_ok(&r, XS_MSG_SET_PERMS);
	write_val(d5, 0, "data/v", "1", &r);		/* relative */
	expect_ok(&r, XS_MSG_WRITE);
	req(d5, XS_MSG_GET_PERMS, 0, "/local/domain/5/data/v", NULL, &r);
	ck_assert_int_eq(memcmp(r.data, "n5\0", 3), 0);
	req(d6, XS_MSG_READ, 0, "/local/domain/5/data/v", NULL, &r);
	expect_err(&r, "EACCES");
	/* owner grants dom6 read */
	ck_assert_int_eq(send_raw(d5, XS_MSG_SET_PERMS, 0, buf,
	    join(buf, "data/v", "n5") + 0), 0);
	ck_assert_int_ge(pop(d5, &r), 0);
	expect_ok(&r, XS_MSG_SET_PERMS);
	memcpy(buf, "data/v\0n5\0r6\0", 13);
	ck_assert_int_eq(send_raw(d5, XS_MSG_SET_PERMS, 0, buf, 13), 0);
	ck_assert_int_ge(pop(d5, &r), 0);
	expect_ok(&r, XS_MSG_SET_PERMS);
	req(d6, XS_MSG_READ, 0, "/local/domain/5/data/v", NULL, &r);
	ck_assert_str_eq(r.data, "1");
	write_val(d6, 0, "/local/domain/5/data/v", "2", &r);
	expect_err(&r, "EACCES");
	/* only dom0 changes the owner */
	memcpy(buf, "data/v\0n6\0", 10);
	ck_assert_int_eq(send_raw(d5, XS_MSG_SET_PERMS, 0, buf, 10), 0);
	ck_assert_int_ge(pop(d5, &r), 0);
	expect_err(&r, "EPERM");
	memcpy(buf, "data/v\0x5\0", 10);
	ck_assert_int_eq(send_raw(d5, XS_MSG_SET_PERMS, 0, buf, 10), 0);
	ck_assert_int_ge(pop(d5, &r), 0);
	expect_err(&r, "EINVAL");
	req(d5, XS_MSG_INTRODUCE, 0, "7", "1", &r);
	expect_err(&r, "EACCES");
	simxs_free(xs);
}
END_TEST

START_TEST(test_simxs_quota)
{
	struct simxs *xs = simxs_new();
	struct simxs_conn *d0 = simxs_conn_new(xs, 0);
	struct simxs_conn *d5 = simxs_conn_new(xs, 5);
	char big[3000], path[64], buf[64];
	struct reply r;
	int i;

	req(d0, XS_MSG_MKDIR, 0, "/local/domain/5", NULL, &r);
	ck_assert_int_eq(send_raw(d0, XS_MSG_SET_PERMS, 0, buf,
	    join(buf, "/local/domain/5", "n5")), 0);
	ck_assert_int_ge(pop(d0, &r), 0);
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_val(d5, 0, "big", big, &r);
	expect_err(&r, "ENOSPC");
	write_val(d0, 0, "/local/domain/5/big", big, &r);
	expect_ok(&r, XS_MSG_WRITE);
	for (i = 0; i < 1100; i++) {
		snprintf(path, sizeof(path), "n%d", i);
		write_val(d5, 0, path, "", &r);
		if (r.hdr.type == XS_MSG_ERROR)
			break;
	}
	expect_err(&r, "ENOSPC");
	ck_assert_int_le(i, 1000);
	simxs_free(xs);
}
END_TEST

START_TEST(test_simxs_watch_events)
{
	struct simxs *xs = simxs_new();
	struct simxs_conn *c = simxs_conn_new(xs, 0);
	struct simxs_conn *w = simxs_conn_new(xs, 0);
	struct reply r;

	req(w, XS_MSG_WATCH, 0, "/w", "tok", &r);
	expect_ok(&r, XS_MSG_WATCH);
	expect_event(w, "/w", "tok");		/* fired at once */
	expect_nothing(w);
	write_val(c, 0, "/w/a/b", "1", &r);
	expect_event(w, "/w/a/b", "tok");
	write_val(c, 0, "/other", "1", &r);
	expect_nothing(w);
	req(c, XS_MSG_MKDIR, 0, "/w/m", NULL, &r);
	expect_event(w, "/w/m", "tok");
	req(c, XS_MSG_RM, 0, "/w/a", NULL, &r);
	expect_event(w, "/w/a", "tok");
	expect_nothing(w);
	req(w, XS_MSG_WATCH, 0, "/w", "tok", &r);
	expect_err(&r, "EEXIST");
	req(w, XS_MSG_WATCH, 0, "/w/m", "exact", &r);
	expect_event(w, "/w/m", "exact");
	req(c, XS_MSG_RM, 0, "/w", NULL, &r);
	/* children of a removed subtree fire only exact watches */
	expect_event(w, "/w/m", "exact");
	expect_event(w, "/w", "tok");
	expect_nothing(w);
	req(w, XS_MSG_UNWATCH, 0, "/w", "tok", &r);
	expect_ok(&r, XS_MSG_UNWATCH);
	req(w, XS_MSG_UNWATCH, 0, "/w", "tok", &r);
	expect_err(&r, "ENOENT");
	write_val(c, 0, "/w", "1", &r);
	expect_nothing(w);
	req(w, XS_MSG_RESET_WATCHES, 0, "", NULL, &r);
	expect_ok(&r, XS_MSG_RESET_WATCHES);
	write_val(c, 0, "/w/m", "1", &r);
	expect_nothing(w);
	simxs_free(xs);
}
END_TEST

START_TEST(test_simxs_watch_relative_and_perms)
{
	struct simxs *xs = simxs_new();
	struct simxs_conn *d0 = simxs_conn_new(xs, 0);
	struct simxs_conn *d5 = simxs_conn_new(xs, 5);
	char buf[64];
	struct reply r;

	req(d0, XS_MSG_MKDIR, 0, "/local/domain/5/control", NULL, &r);
	ck_assert_int_eq(send_raw(d0, XS_MSG_SET_PERMS, 0, buf,
	    join(buf, "/local/domain/5/control", "n5")), 0);
	ck_assert_int_ge(pop(d0, &r), 0);
	req(d5, XS_MSG_WATCH, 0, "control", "t", &r);
	expect_event(d5, "control", "t");
	write_val(d0, 0, "/local/domain/5/control/shutdown", "suspend", &r);
	expect_event(d5, "control/shutdown", "t");
	/* a guest does not see events of nodes it cannot read */
	req(d5, XS_MSG_WATCH, 0, "/secret", "s", &r);
	expect_event(d5, "/secret", "s");
	write_val(d0, 0, "/secret/x", "1", &r);
	expect_nothing(d5);
	/* nor special events unless allowed */
	req(d5, XS_MSG_WATCH, 0, "@releaseDomain", "rel", &r);
	expect_event(d5, "@releaseDomain", "rel");
	simxs_fire_special(xs, "@releaseDomain");
	expect_nothing(d5);
	ck_assert_int_eq(send_raw(d0, XS_MSG_SET_PERMS, 0, buf,
	    join(buf, "@releaseDomain", "r5")), 0);
	ck_assert_int_ge(pop(d0, &r), 0);
	expect_ok(&r, XS_MSG_SET_PERMS);
	simxs_fire_special(xs, "@releaseDomain");
	expect_event(d5, "@releaseDomain", "rel");
	simxs_free(xs);
}
END_TEST

START_TEST(test_simxs_transaction_conflict)
{
	struct simxs *xs = simxs_new();
	struct simxs_conn *a = simxs_conn_new(xs, 0);
	struct simxs_conn *b = simxs_conn_new(xs, 0);
	struct reply r;
	uint32_t ta, tb;

	write_val(a, 0, "/t/v", "0", &r);
	req(a, XS_MSG_TRANSACTION_START, 0, "", NULL, &r);
	expect_ok(&r, XS_MSG_TRANSACTION_START);
	ta = (uint32_t)strtoul(r.data, NULL, 10);
	req(b, XS_MSG_TRANSACTION_START, 0, "", NULL, &r);
	tb = (uint32_t)strtoul(r.data, NULL, 10);
	ck_assert_uint_ne(ta, 0);
	ck_assert_uint_ne(ta, tb);
	req(a, XS_MSG_READ, ta, "/t/v", NULL, &r);
	req(b, XS_MSG_READ, tb, "/t/v", NULL, &r);
	write_val(a, ta, "/t/v", "1", &r);
	ck_assert_uint_eq(r.hdr.tx_id, ta);
	write_val(b, tb, "/t/v", "2", &r);
	req(a, XS_MSG_READ, 0, "/t/v", NULL, &r);
	ck_assert_str_eq(r.data, "0");		/* isolated */
	req(a, XS_MSG_READ, ta, "/t/v", NULL, &r);
	ck_assert_str_eq(r.data, "1");
	req(a, XS_MSG_TRANSACTION_END, ta, "T", NULL, &r);
	expect_ok(&r, XS_MSG_TRANSACTION_END);
	req(b, XS_MSG_TRANSACTION_END, tb, "T", NULL, &r);
	expect_err(&r, "EAGAIN");
	req(b, XS_MSG_READ, 0, "/t/v", NULL, &r);
	ck_assert_str_eq(r.data, "1");
	req(b, XS_MSG_READ, tb, "/t/v", NULL, &r);
	expect_err(&r, "ENOENT");		/* the tx is gone */
	/* a transaction of b may not be used by a */
	req(b, XS_MSG_TRANSACTION_START, 0, "", NULL, &r);
	tb = (uint32_t)strtoul(r.data, NULL, 10);
	req(a, XS_MSG_READ, tb, "/t/v", NULL, &r);
	expect_err(&r, "ENOENT");
	req(b, XS_MSG_TRANSACTION_START, tb, "", NULL, &r);
	expect_err(&r, "EBUSY");
	req(b, XS_MSG_TRANSACTION_END, tb, "X", NULL, &r);
	expect_err(&r, "EINVAL");
	write_val(b, tb, "/t/v", "9", &r);
	req(b, XS_MSG_TRANSACTION_END, tb, "F", NULL, &r);
	expect_ok(&r, XS_MSG_TRANSACTION_END);
	req(b, XS_MSG_READ, 0, "/t/v", NULL, &r);
	ck_assert_str_eq(r.data, "1");		/* aborted */
	simxs_free(xs);
}
END_TEST

START_TEST(test_simxs_transaction_commit)
{
	struct simxs *xs = simxs_new();
	struct simxs_conn *a = simxs_conn_new(xs, 0);
	struct simxs_conn *w = simxs_conn_new(xs, 0);
	struct reply r;
	uint32_t t;

	write_val(a, 0, "/c/old/x", "1", &r);
	write_val(a, 0, "/c/keep", "k", &r);
	req(w, XS_MSG_WATCH, 0, "/c", "tok", &r);
	expect_event(w, "/c", "tok");
	req(a, XS_MSG_TRANSACTION_START, 0, "", NULL, &r);
	t = (uint32_t)strtoul(r.data, NULL, 10);
	write_val(a, t, "/c/new/y", "2", &r);
	req(a, XS_MSG_RM, t, "/c/old", NULL, &r);
	expect_ok(&r, XS_MSG_RM);
	req(a, XS_MSG_DIRECTORY, t, "/c", NULL, &r);
	ck_assert_int_eq(memcmp(r.data, "keep\0new\0", 9), 0);
	expect_nothing(w);			/* events wait for commit */
	/* an unrelated write does not conflict */
	write_val(w, 0, "/elsewhere", "1", &r);
	req(a, XS_MSG_TRANSACTION_END, t, "T", NULL, &r);
	expect_ok(&r, XS_MSG_TRANSACTION_END);
	req(a, XS_MSG_READ, 0, "/c/new/y", NULL, &r);
	ck_assert_str_eq(r.data, "2");
	req(a, XS_MSG_READ, 0, "/c/old/x", NULL, &r);
	expect_err(&r, "ENOENT");
	req(a, XS_MSG_READ, 0, "/c/keep", NULL, &r);
	ck_assert_str_eq(r.data, "k");
	ck_assert_uint_gt(simxs_conn_out_len(w), 0);
	/* a transaction that created a node conflicts with another creator */
	req(a, XS_MSG_TRANSACTION_START, 0, "", NULL, &r);
	t = (uint32_t)strtoul(r.data, NULL, 10);
	write_val(a, t, "/c/race", "a", &r);
	write_val(w, 0, "/c/race", "w", &r);
	req(a, XS_MSG_TRANSACTION_END, t, "T", NULL, &r);
	expect_err(&r, "EAGAIN");
	simxs_free(xs);
}
END_TEST

START_TEST(test_simxs_domains)
{
	struct simxs *xs = simxs_new();
	struct simxs_conn *c = simxs_conn_new(xs, 0);
	char buf[64];
	struct reply r;

	req(c, XS_MSG_WATCH, 0, "@introduceDomain", "i", &r);
	expect_event(c, "@introduceDomain", "i");
	req(c, XS_MSG_WATCH, 0, "@releaseDomain", "r", &r);
	expect_event(c, "@releaseDomain", "r");
	req(c, XS_MSG_IS_DOMAIN_INTRODUCED, 0, "3", NULL, &r);
	ck_assert_str_eq(r.data, "F");
	memcpy(buf, "3\0" "100\0" "5\0", 8);
	ck_assert_int_eq(send_raw(c, XS_MSG_INTRODUCE, 0, buf, 8), 0);
	/* as xenstored, the event is queued before the reply */
	expect_event(c, "@introduceDomain", "i");
	ck_assert_int_ge(pop(c, &r), 0);
	expect_ok(&r, XS_MSG_INTRODUCE);
	ck_assert_int_eq(simxs_is_introduced(xs, 3), 1);
	req(c, XS_MSG_IS_DOMAIN_INTRODUCED, 0, "3", NULL, &r);
	ck_assert_str_eq(r.data, "T");
	req(c, XS_MSG_GET_DOMAIN_PATH, 0, "3", NULL, &r);
	ck_assert_str_eq(r.data, "/local/domain/3");
	req(c, XS_MSG_GET_DOMAIN_PATH, 0, "x3", NULL, &r);
	expect_err(&r, "EINVAL");
	req(c, XS_MSG_RESUME, 0, "3", NULL, &r);
	expect_ok(&r, XS_MSG_RESUME);
	ck_assert_int_eq(send_raw(c, XS_MSG_RELEASE, 0, "3", 2), 0);
	expect_event(c, "@releaseDomain", "r");
	ck_assert_int_ge(pop(c, &r), 0);
	expect_ok(&r, XS_MSG_RELEASE);
	req(c, XS_MSG_RELEASE, 0, "3", NULL, &r);
	expect_err(&r, "ENOENT");
	memcpy(buf, "0\0" "1\0" "1\0", 6);
	ck_assert_int_eq(send_raw(c, XS_MSG_INTRODUCE, 0, buf, 6), 0);
	ck_assert_int_ge(pop(c, &r), 0);
	expect_err(&r, "EINVAL");
	req(c, XS_MSG_CONTROL, 0, "print", "hello", &r);
	expect_ok(&r, XS_MSG_CONTROL);
	req(c, XS_MSG_CONTROL, 0, "live-update", NULL, &r);
	expect_err(&r, "EINVAL");
	simxs_fire_special(xs, "@releaseDomain");
	expect_event(c, "@releaseDomain", "r");
	simxs_free(xs);
}
END_TEST

START_TEST(test_simxs_malformed)
{
	struct simxs *xs = simxs_new();
	struct simxs_conn *c = simxs_conn_new(xs, 0);
	unsigned char msg[XS_MSG_MAX + 16];
	struct xs_msg_hdr h = { XS_MSG_READ, 1, 0, 5000 };
	struct reply r;
	char path[3200];

	xs_msg_encode_hdr(&h, msg);
	ck_assert_int_eq(simxs_conn_request(c, msg, sizeof(msg)), -EMSGSIZE);
	h.len = 4;
	xs_msg_encode_hdr(&h, msg);
	ck_assert_int_eq(simxs_conn_request(c, msg, 19), -EPROTO);
	ck_assert_int_eq(simxs_conn_request(c, msg, 3), -EPROTO);
	expect_nothing(c);
	ck_assert_int_eq(send_raw(c, 99, 0, "x", 1), 0);
	ck_assert_int_ge(pop(c, &r), 0);
	expect_err(&r, "ENOSYS");
	ck_assert_int_eq(send_raw(c, XS_MSG_ERROR, 0, "x", 1), 0);
	ck_assert_int_ge(pop(c, &r), 0);
	expect_err(&r, "ENOSYS");
	ck_assert_int_eq(send_raw(c, XS_MSG_READ, 0, "/nonul", 6), 0);
	ck_assert_int_ge(pop(c, &r), 0);
	expect_err(&r, "EINVAL");
	ck_assert_int_eq(send_raw(c, XS_MSG_WRITE, 0, "", 0), 0);
	ck_assert_int_ge(pop(c, &r), 0);
	expect_err(&r, "EINVAL");
	req(c, XS_MSG_READ, 0, "/a//b", NULL, &r);
	expect_err(&r, "EINVAL");
	req(c, XS_MSG_READ, 0, "/a/", NULL, &r);
	expect_err(&r, "EINVAL");
	req(c, XS_MSG_READ, 0, "/a b", NULL, &r);
	expect_err(&r, "EINVAL");
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	req(c, XS_MSG_READ, 0, path, NULL, &r);
	expect_err(&r, "EINVAL");
	req(c, XS_MSG_WATCH, 0, "/w", NULL, &r);
	expect_err(&r, "EINVAL");
	simxs_free(xs);
}
END_TEST

START_TEST(test_simxs_output_bounded)
{
	struct simxs *xs = simxs_new();
	struct simxs_conn *c = simxs_conn_new(xs, 0);
	struct simxs_conn *lazy = simxs_conn_new(xs, 0);
	char val[1024];
	struct reply r;
	int i;

	memset(val, 'x', sizeof(val) - 1);
	val[sizeof(val) - 1] = '\0';
	req(lazy, XS_MSG_WATCH, 0, "/f", "t", &r);
	for (i = 0; i < 2000; i++) {
		write_val(c, 0, "/f/node", val, &r);
		expect_ok(&r, XS_MSG_WRITE);
	}
	ck_assert_uint_le(simxs_conn_out_len(lazy), SIMXS_OUT_MAX + 4096);
	simxs_conn_free(lazy);
	write_val(c, 0, "/f/node", "1", &r);
	expect_ok(&r, XS_MSG_WRITE);
	simxs_free(xs);
}
END_TEST

START_TEST(test_xs_msg_split_and_errors)
{
	struct xs_msg_args a;
	struct xs_msg_hdr h;
	unsigned char buf[XS_MSG_MAX];

	xs_msg_split("ab\0c\0tail", 9, &a);
	ck_assert_uint_eq(a.count, 2);
	ck_assert_str_eq(a.arg[0], "ab");
	ck_assert_str_eq(a.arg[1], "c");
	ck_assert_uint_eq(a.restlen, 4);
	xs_msg_split("", 0, &a);
	ck_assert_uint_eq(a.count, 0);
	ck_assert_ptr_null(xs_msg_onearg("a\0b\0", 4));
	ck_assert_ptr_null(xs_msg_onearg("ab", 2));
	ck_assert_ptr_nonnull(xs_msg_onearg("ab\0", 3));
	ck_assert_str_eq(xs_msg_errstr(ENOENT), "ENOENT");
	ck_assert_str_eq(xs_msg_errstr(-EAGAIN), "EAGAIN");
	ck_assert_str_eq(xs_msg_errstr(ERANGE), "EINVAL");
	ck_assert_int_eq(xs_msg_errno("EACCES", 7), EACCES);
	ck_assert_int_eq(xs_msg_errno("EBOGUS", 6), EINVAL);
	ck_assert_int_eq(xs_msg_decode_hdr(buf, 15, &h), -EAGAIN);
	ck_assert_int_eq(xs_msg_build(buf, sizeof(buf), 2, 3, 4, "x", 1), 17);
	ck_assert_int_eq(xs_msg_decode_hdr(buf, 17, &h), 0);
	ck_assert_uint_eq(h.type, 2);
	ck_assert_uint_eq(h.req_id, 3);
	ck_assert_uint_eq(h.tx_id, 4);
	ck_assert_uint_eq(h.len, 1);
	ck_assert_int_eq(xs_msg_build(buf, 10, 2, 3, 4, "x", 1), -ENOBUFS);
	ck_assert_int_eq(xs_msg_build(buf, sizeof(buf), 2, 3, 4, buf, 4097),
	    -EMSGSIZE);
	ck_assert_str_eq(xs_msg_type_name(XS_MSG_DIRECTORY_PART),
	    "DIRECTORY_PART");
	ck_assert_ptr_null(xs_msg_type_name(20));
}
END_TEST

static Suite *
simxs_suite(void)
{
	Suite *s = suite_create("simxs");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_simxs_read_write);
	tcase_add_test(tc, test_simxs_mkdir_rm_directory);
	tcase_add_test(tc, test_simxs_directory_part);
	tcase_add_test(tc, test_simxs_perms);
	tcase_add_test(tc, test_simxs_quota);
	tcase_add_test(tc, test_simxs_watch_events);
	tcase_add_test(tc, test_simxs_watch_relative_and_perms);
	tcase_add_test(tc, test_simxs_transaction_conflict);
	tcase_add_test(tc, test_simxs_transaction_commit);
	tcase_add_test(tc, test_simxs_domains);
	tcase_add_test(tc, test_simxs_malformed);
	tcase_add_test(tc, test_simxs_output_bounded);
	tcase_add_test(tc, test_xs_msg_split_and_errors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(simxs_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
