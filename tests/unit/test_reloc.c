/*
 * test_reloc.c - relocation protocol frames: round trips of every type,
 * and the rejection of bad headers and payloads with the right reason.
 */
#include "config.h"

#include <sys/eventfd.h>
#include <sys/socket.h>

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reloc.h"
#include "relocio.h"
#include "uuid.h"

static const uint8_t uuid1[16] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc,
    0xde, 0xf0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };

/* Encode m, decode it back into out; returns decode's rc. */
static int
round_trip(const struct reloc_msg *m, struct reloc_msg *out)
{
	struct reloc_hdr h;
	const char *why = NULL;
	char reason[256];
	uint8_t *frame;
	size_t len;
	int rc;

	frame = reloc_encode(m, &len, &why);
	ck_assert_msg(frame != NULL, "encode: %s", why);
	ck_assert_int_eq(reloc_hdr_decode(frame, &h, &why), 0);
	ck_assert_int_eq(h.type, m->type);
	ck_assert_uint_eq(h.len + RELOC_HDR_LEN, len);
	rc = reloc_decode(&h, frame + RELOC_HDR_LEN, out, reason,
	    sizeof(reason));
	ck_assert_msg(rc == 0, "decode: %s", reason);
	free(frame);
	return rc;
}

START_TEST(test_reloc_hello_round_trip)
{
	struct reloc_msg m, d;

	reloc_msg_init(&m, RELOC_HELLO);
	m.version = RELOC_VERSION;
	strcpy(m.software, "xmig 0.1.0");
	strcpy(m.host, "hostb");
	round_trip(&m, &d);
	ck_assert_uint_eq(d.version, RELOC_VERSION);
	ck_assert_str_eq(d.software, "xmig 0.1.0");
	ck_assert_str_eq(d.host, "hostb");
}
END_TEST

START_TEST(test_reloc_reserve_round_trip)
{
	struct reloc_msg m, d;

	reloc_msg_init(&m, RELOC_RESERVE);
	strcpy(m.job, "job-1");
	strcpy(m.name, "web1");
	memcpy(m.uuid, uuid1, 16);
	m.has_uuid = 1;
	strcpy(m.domtype, "pvh");
	m.memkb = 524288;
	m.vcpus = 2;
	m.config = strdup("{\"c_info\":{\"name\":\"web1\"}}");
	round_trip(&m, &d);
	ck_assert_str_eq(d.name, "web1");
	ck_assert_str_eq(d.job, "job-1");
	ck_assert_int_eq(d.has_uuid, 1);
	ck_assert_int_eq(memcmp(d.uuid, uuid1, 16), 0);
	ck_assert_str_eq(d.domtype, "pvh");
	ck_assert_uint_eq(d.memkb, 524288);
	ck_assert_uint_eq(d.vcpus, 2);
	ck_assert_str_eq(d.config, m.config);
	reloc_msg_clear(&m);
	reloc_msg_clear(&d);
	ck_assert_ptr_null(d.config);
}
END_TEST

START_TEST(test_reloc_every_type_round_trips)
{
	static char status[] = "{\"ok\":true,\"jobs\":[]}";
	struct reloc_msg m, d;
	uint32_t t;

	for (t = 1; t <= RELOC_TYPE_MAX; t++) {
		reloc_msg_init(&m, (enum reloc_type)t);
		/* Fill every required field with something valid. */
		m.version = 1;
		strcpy(m.software, "s");
		strcpy(m.job, "j");
		strcpy(m.name, "n");
		strcpy(m.domtype, "hvm");
		m.memkb = 1024;
		m.vcpus = 1;
		m.reservation = 9;
		strcpy(m.incoming, "n--incoming");
		strcpy(m.reason, "because");
		m.domid = 7;
		strcpy(m.result, "running");
		m.found = 1;
		m.status = status;	/* not cleared: not ours to free */
		round_trip(&m, &d);
		ck_assert_int_eq(d.type, t);
		if (t == RELOC_STATUS)
			ck_assert_str_eq(d.status, status);
		ck_assert_str_ne(reloc_type_name(t), "unknown");
		reloc_msg_clear(&d);
	}
	ck_assert_str_eq(reloc_type_name(0), "unknown");
	ck_assert_str_eq(reloc_type_name(RELOC_TYPE_MAX + 1), "unknown");
}
END_TEST

START_TEST(test_reloc_hdr_rejects_bad)
{
	uint8_t buf[RELOC_HDR_LEN];
	struct reloc_hdr h;
	const char *why = NULL;

	reloc_hdr_encode(buf, (enum reloc_type)0, 0);
	ck_assert_int_eq(reloc_hdr_decode(buf, &h, &why), -EPROTO);
	ck_assert_str_eq(why, "unknown frame type");
	reloc_hdr_encode(buf, (enum reloc_type)99, 0);
	ck_assert_int_eq(reloc_hdr_decode(buf, &h, &why), -EPROTO);
	reloc_hdr_encode(buf, RELOC_HELLO, 4097);
	ck_assert_int_eq(reloc_hdr_decode(buf, &h, &why), -EPROTO);
	ck_assert_str_eq(why, "frame longer than its type allows");
	reloc_hdr_encode(buf, RELOC_RESERVE, RELOC_PAYLOAD_MAX + 1);
	ck_assert_int_eq(reloc_hdr_decode(buf, &h, &why), -EPROTO);
	reloc_hdr_encode(buf, RELOC_RESERVE, RELOC_PAYLOAD_MAX);
	ck_assert_int_eq(reloc_hdr_decode(buf, &h, &why), 0);
	ck_assert_uint_eq(h.len, RELOC_PAYLOAD_MAX);
	/* Big-endian on the wire. */
	reloc_hdr_encode(buf, RELOC_GO, 0x01020304);
	ck_assert_int_eq(buf[0], 0);
	ck_assert_int_eq(buf[3], RELOC_GO);
	ck_assert_int_eq(buf[4], 1);
	ck_assert_int_eq(buf[7], 4);
}
END_TEST

/* Decode "json" as a payload of "type"; returns rc, reason in why. */
static char why[256];

static int
decode_text(enum reloc_type type, const char *json, size_t len)
{
	struct reloc_hdr h = { type, (uint32_t)len };
	struct reloc_msg m;
	int rc;

	why[0] = '\0';
	rc = reloc_decode(&h, (const uint8_t *)json, &m, why, sizeof(why));
	if (rc == 0)
		reloc_msg_clear(&m);
	return rc;
}

#define DECODE(t, s)	decode_text((t), (s), strlen(s))

START_TEST(test_reloc_decode_rejects_bad_payloads)
{
	static const struct {
		enum reloc_type	 type;
		const char	*json;
		const char	*reason;
	} cases[] = {
		{ RELOC_HELLO, "", "not JSON" },
		{ RELOC_HELLO, "{\"version\":1", "not JSON" },
		{ RELOC_HELLO, "[1,2]", "not a JSON object" },
		{ RELOC_HELLO, "{\"software\":\"x\"}", "lacks \"version\"" },
		{ RELOC_HELLO, "{\"version\":\"1\",\"software\":\"x\"}",
		    "\"version\" is not an integer" },
		{ RELOC_HELLO, "{\"version\":-1,\"software\":\"x\"}",
		    "\"version\" out of range" },
		{ RELOC_HELLO, "{\"version\":70000,\"software\":\"x\"}",
		    "\"version\" out of range" },
		{ RELOC_RESERVE, "{\"job\":\"j\",\"name\":\"n\",\"type\":"
		    "\"pv\",\"memkb\":1,\"vcpus\":0}", "\"vcpus\" out of range" },
		{ RELOC_RESERVE, "{\"job\":\"j\",\"name\":\"n\",\"type\":"
		    "\"pv\",\"memkb\":1,\"vcpus\":1,\"uuid\":\"zz\"}",
		    "\"uuid\" is not a UUID" },
		{ RELOC_RESERVE, "{\"job\":\"j\",\"name\":"
		    "\"0123456789012345678901234567890123456789012345678901234567890123456789\","
		    "\"type\":\"pv\",\"memkb\":1,\"vcpus\":1}",
		    "\"name\" longer than 63 bytes" },
		{ RELOC_RESERVE, "{\"job\":\"j\",\"name\":\"n\",\"type\":"
		    "\"pv\",\"memkb\":1.5,\"vcpus\":1}",
		    "\"memkb\" is not an integer" },
		{ RELOC_STATE, "{\"found\":1}", "\"found\" is not a boolean" },
		{ RELOC_RESERVE, "{\"job\":\"j\",\"name\":\"web1\\u0000"
		    "--incoming\",\"type\":\"pv\",\"memkb\":1,\"vcpus\":1}",
		    "holds \\u0000" },
		{ RELOC_HELLO, "{\"version\":1,\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]"
		    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
		    "nested deeper than 64" },
		{ RELOC_DENY, "{\"reason\":5}", "\"reason\" is not a string" },
		{ RELOC_RECEIVED, "{}", "lacks \"domid\"" },
		{ RELOC_RECEIVED, "{\"domid\":99999}", "\"domid\" out of range" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(DECODE(cases[i].type, cases[i].json) == -EPROTO,
		    "case %zu accepted", i);
		ck_assert_msg(strstr(why, cases[i].reason) != NULL,
		    "case %zu: wanted \"%s\", got \"%s\"", i,
		    cases[i].reason, why);
	}
	/* An embedded NUL is refused before parsing. */
	ck_assert_int_eq(decode_text(RELOC_GO, "{}\0", 3), -EPROTO);
	ck_assert_ptr_nonnull(strstr(why, "NUL byte"));
	/* Unknown fields are ignored: later versions may add some. */
	ck_assert_int_eq(DECODE(RELOC_GO, "{\"future\":[1,{}]}"), 0);
}
END_TEST

/*
 * DENY's refusal code travels when set, is absent when not (an old
 * xmigd's DENY decodes with an empty code), and is bounded.
 */
START_TEST(test_reloc_deny_code)
{
	struct reloc_msg m, d;

	reloc_msg_init(&m, RELOC_DENY);
	strcpy(m.reason, "4 incoming migrations already");
	strcpy(m.code, RELOC_DENY_BUSY);
	round_trip(&m, &d);
	ck_assert_str_eq(d.code, "busy");
	ck_assert_str_eq(d.reason, m.reason);
	reloc_msg_init(&m, RELOC_DENY);
	strcpy(m.reason, "no");
	round_trip(&m, &d);
	ck_assert_str_eq(d.code, "");
	ck_assert_int_eq(DECODE(RELOC_DENY, "{\"reason\":\"r\"}"), 0);
	ck_assert_int_eq(DECODE(RELOC_DENY, "{\"reason\":\"r\","
	    "\"code\":\"some-future-code\"}"), 0);
	ck_assert_int_eq(DECODE(RELOC_DENY, "{\"reason\":\"r\","
	    "\"code\":7}"), -EPROTO);
	ck_assert_ptr_nonnull(strstr(why, "\"code\" is not a string"));
	ck_assert_int_eq(DECODE(RELOC_DENY, "{\"reason\":\"r\",\"code\":"
	    "\"0123456789012345678901234567890123\"}"), -EPROTO);
	ck_assert_ptr_nonnull(strstr(why, "\"code\" longer than 31"));
}
END_TEST

START_TEST(test_reloc_encode_refuses_oversized)
{
	struct reloc_msg m;
	const char *w = NULL;
	size_t len;

	reloc_msg_init(&m, RELOC_RESERVE);
	strcpy(m.job, "j");
	strcpy(m.name, "n");
	strcpy(m.domtype, "pv");
	m.memkb = 1;
	m.vcpus = 1;
	m.config = malloc(RELOC_PAYLOAD_MAX + 1);
	memset(m.config, 'a', RELOC_PAYLOAD_MAX);
	m.config[RELOC_PAYLOAD_MAX] = '\0';
	ck_assert_ptr_null(reloc_encode(&m, &len, &w));
	ck_assert_ptr_nonnull(strstr(w, "larger than"));
	reloc_msg_clear(&m);
}
END_TEST

/* A temporary file of len bytes, byte i = i * 7 + 3; its fd. */
static int
tmpfile_pattern(size_t len)
{
	char path[PATH_MAX];
	uint8_t buf[4096];
	size_t i, n;
	int fd;

	snprintf(path, sizeof(path), "%s/relocio.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_int_eq(unlink(path), 0);
	for (i = 0; i < len; i += n) {
		n = len - i < sizeof(buf) ? len - i : sizeof(buf);
		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)((i + k) * 7 + 3);
		ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
	}
	return fd;
}

START_TEST(test_relocio_sendfile)
{
	int sv[2], fd = tmpfile_pattern(3 * 4096 + 100);
	uint8_t got[2 * 4096];
	size_t i;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* A range from the middle, offset not page-aligned. */
	ck_assert_int_eq(relocio_sendfile_full(sv[0], fd, 4096 + 50,
	    sizeof(got), 1000), 0);
	ck_assert_int_eq(relocio_read_full(sv[1], got, sizeof(got), 1000), 0);
	for (i = 0; i < sizeof(got); i++)
		ck_assert_uint_eq(got[i], (uint8_t)((4096 + 50 + i) * 7 + 3));
	/* Past the end of the file: the file ended first. */
	ck_assert_int_eq(relocio_sendfile_full(sv[0], fd, 3 * 4096, 200,
	    1000), -ECONNRESET);
	close(sv[0]);
	close(sv[1]);
	close(fd);
}
END_TEST

START_TEST(test_relocio_sendfile_peer_gone)
{
	int sv[2], fd = tmpfile_pattern(4096);
	sigset_t pending;

	/* The default action of SIGPIPE would kill this process. */
	ck_assert(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	ck_assert_int_eq(relocio_sendfile_full(sv[0], fd, 0, 4096, 1000),
	    -EPIPE);
	/* Nothing left pending either, to strike later. */
	ck_assert_int_eq(sigpending(&pending), 0);
	ck_assert(!sigismember(&pending, SIGPIPE));
	close(sv[0]);
	close(fd);
}
END_TEST

START_TEST(test_relocio_splice)
{
	int sv[2], pfd[2], fd = tmpfile_pattern(4 * 4096), ev;
	uint8_t src[3 * 4096], got[3 * 4096];
	int64_t off = 4096 + 8;
	size_t i;

	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 13 + 1);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(write(sv[0], src, sizeof(src)), (ssize_t)sizeof(src));
	/* Into the file at an offset, which moves on. */
	ck_assert_int_eq(relocio_splice_full(sv[1], fd, &off, sizeof(src),
	    pfd, 1000), 0);
	ck_assert_int_eq(off, 4096 + 8 + (int64_t)sizeof(src));
	ck_assert_int_eq(pread(fd, got, sizeof(got), 4096 + 8),
	    (ssize_t)sizeof(got));
	ck_assert_mem_eq(got, src, sizeof(src));
	/* The bytes before the offset are untouched. */
	ck_assert_int_eq(pread(fd, got, 8, 4096), 8);
	for (i = 0; i < 8; i++)
		ck_assert_uint_eq(got[i], (uint8_t)((4096 + i) * 7 + 3));
	/* The input ends first. */
	ck_assert_int_eq(write(sv[0], src, 100), 100);
	close(sv[0]);
	ck_assert_int_eq(relocio_splice_full(sv[1], fd, &off, 200, pfd, 1000),
	    -ECONNRESET);
	close(sv[1]);
	/* An input that cannot be spliced: nothing moved, copy instead. */
	ck_assert_int_ge(ev = eventfd(1, 0), 0);
	ck_assert_int_eq(relocio_splice_full(ev, fd, &off, 8, pfd, 1000),
	    -EOPNOTSUPP);
	close(ev);
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
}
END_TEST

START_TEST(test_reloc_uuid_text)
{
	uint8_t u[16];
	char s[37];

	uuid_fmt(uuid1, s);
	ck_assert_str_eq(s, "12345678-9abc-def0-0123-456789abcdef");
	ck_assert_int_eq(uuid_parse(s, u), 0);
	ck_assert_int_eq(memcmp(u, uuid1, 16), 0);
	ck_assert_int_eq(uuid_parse("12345678-9abc-def0-0123-456789abcdeg",
	    u), -EINVAL);
	ck_assert_int_eq(uuid_parse("123456789abc-def0-0123-456789abcdef0",
	    u), -EINVAL);
	ck_assert_int_eq(uuid_parse("", u), -EINVAL);
}
END_TEST

static Suite *
reloc_suite(void)
{
	Suite *s = suite_create("reloc");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_reloc_hello_round_trip);
	tcase_add_test(tc, test_reloc_reserve_round_trip);
	tcase_add_test(tc, test_reloc_every_type_round_trips);
	tcase_add_test(tc, test_reloc_deny_code);
	tcase_add_test(tc, test_reloc_hdr_rejects_bad);
	tcase_add_test(tc, test_reloc_decode_rejects_bad_payloads);
	tcase_add_test(tc, test_reloc_encode_refuses_oversized);
	tcase_add_test(tc, test_reloc_uuid_text);
	tcase_add_test(tc, test_relocio_sendfile);
	tcase_add_test(tc, test_relocio_sendfile_peer_gone);
	tcase_add_test(tc, test_relocio_splice);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(reloc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
