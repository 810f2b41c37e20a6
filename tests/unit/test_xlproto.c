/*
 * test_xlproto.c - xl's migration handshake messages and the
 * configuration facts of its receiver.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xlproto.h"

/* The bytes xl 4.17 puts on the wire, written out by hand. */
START_TEST(test_xlproto_msg_bytes)
{
	static const char banner[] =
	    "xl migration receiver ready, send binary domain data.\n";
	const uint8_t *b;
	size_t len;

	b = xlproto_msg(XLPROTO_MSG_BANNER, &len);
	ck_assert_uint_eq(len, strlen(banner));		/* no NUL */
	ck_assert(memcmp(b, banner, len) == 0);
	b = xlproto_msg(XLPROTO_MSG_READY, &len);
	ck_assert_uint_eq(len, strlen("domain received, ready to unpause")
	    + 1);
	ck_assert_uint_eq(b[len - 1], 0);
	b = xlproto_msg(XLPROTO_MSG_GO, &len);
	ck_assert_uint_eq(len,
	    strlen("domain is yours, you are cleared to unpause") + 1);
	ck_assert_uint_eq(b[len - 1], 0);
	b = xlproto_msg(XLPROTO_MSG_REPORT, &len);
	ck_assert_uint_eq(len, strlen("my copy unpause results are as "
	    "follows") + 1);
	ck_assert_uint_eq(b[len - 1], 0);
}
END_TEST

START_TEST(test_xlproto_msg_check)
{
	uint8_t buf[64];
	const void *go;
	size_t len;

	go = xlproto_msg(XLPROTO_MSG_GO, &len);
	memcpy(buf, go, len);
	ck_assert_int_eq(xlproto_msg_check(XLPROTO_MSG_GO, buf, len), 0);
	ck_assert_int_eq(xlproto_msg_check(XLPROTO_MSG_GO, buf, len - 1),
	    -ENODATA);
	/* The ready message is not the go message. */
	ck_assert_int_eq(xlproto_msg_check(XLPROTO_MSG_READY, buf, 34),
	    -EPROTO);
	buf[len - 1] = '!';	/* the NUL is part of it */
	ck_assert_int_eq(xlproto_msg_check(XLPROTO_MSG_GO, buf, len),
	    -EPROTO);
	ck_assert_int_eq(xlproto_msg_check(XLPROTO_MSG_GO, buf, len + 1),
	    -EPROTO);
}
END_TEST

static const char good[] = "{\"c_info\":{\"type\":\"pvh\",\"name\":\"web1\","
    "\"uuid\":\"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\"},"
    "\"b_info\":{\"max_vcpus\":2,\"max_memkb\":131072,"
    "\"target_memkb\":131072}}";

static const char bare[] = "{\"c_info\":{\"type\":\"pv\",\"name\":\"a\"},"
    "\"b_info\":{\"max_memkb\":1024}}";

START_TEST(test_xlproto_facts)
{
	struct xlproto_facts f;
	char why[200];

	/* As in the xl header: with its NUL. */
	ck_assert_int_eq(xlproto_config_facts(good, sizeof(good), &f, why,
	    sizeof(why)), 0);
	ck_assert_str_eq(f.name, "web1");
	ck_assert_str_eq(f.type, "pvh");
	ck_assert_int_eq(f.has_uuid, 1);
	ck_assert_uint_eq(f.uuid[0], 0x0f);
	ck_assert_uint_eq(f.uuid[15], 0xf0);
	ck_assert_uint_eq(f.max_memkb, 131072);
	ck_assert_uint_eq(f.vcpus, 2);
	/* Without a uuid or vcpus: none, and one vcpu. */
	ck_assert_int_eq(xlproto_config_facts(bare, strlen(bare), &f, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(f.has_uuid, 0);
	ck_assert_uint_eq(f.vcpus, 1);
}
END_TEST

/* Each must be refused, for the reason given. */
START_TEST(test_xlproto_facts_bad)
{
	static const struct {
		const char *json, *why;
	} bad[] = {
		{ "", "empty" },
		{ "[1]", "not a JSON object" },
		{ "{\"c_info\":", "not JSON" },
		{ "{\"c_info\":{\"type\":\"pvh\"},\"b_info\":"
		    "{\"max_memkb\":1}}", "c_info.name" },
		{ "{\"c_info\":{\"type\":\"pvh\",\"name\":\"\"},\"b_info\":"
		    "{\"max_memkb\":1}}", "c_info.name" },
		{ "{\"c_info\":{\"type\":\"pvh\",\"name\":\"0123456789012345"
		    "678901234567890123456789012345678901234567890123\"},"
		    "\"b_info\":{\"max_memkb\":1}}", "too long" },
		{ "{\"c_info\":{\"type\":\"vm\",\"name\":\"a\"},\"b_info\":"
		    "{\"max_memkb\":1}}", "c_info.type" },
		{ "{\"c_info\":{\"type\":\"pv\",\"name\":\"a\",\"uuid\":"
		    "\"x\"},\"b_info\":{\"max_memkb\":1}}", "c_info.uuid" },
		{ "{\"c_info\":{\"type\":\"pv\",\"name\":\"a\",\"uuid\":7},"
		    "\"b_info\":{\"max_memkb\":1}}", "c_info.uuid" },
		{ "{\"c_info\":{\"type\":\"pv\",\"name\":\"a\"}}",
		    "max_memkb" },
		{ "{\"c_info\":{\"type\":\"pv\",\"name\":\"a\"},\"b_info\":"
		    "{\"max_memkb\":0}}", "max_memkb" },
		{ "{\"c_info\":{\"type\":\"pv\",\"name\":\"a\"},\"b_info\":"
		    "{\"max_memkb\":1.5}}", "max_memkb" },
		{ "{\"c_info\":{\"type\":\"pv\",\"name\":\"a\"},\"b_info\":"
		    "{\"max_memkb\":2000000000000000}}", "max_memkb" },
		{ "{\"c_info\":{\"type\":\"pv\",\"name\":\"a\"},\"b_info\":"
		    "{\"max_memkb\":1,\"max_vcpus\":0}}", "max_vcpus" },
		{ "{\"c_info\":{\"type\":\"pv\",\"name\":\"a\"},\"b_info\":"
		    "{\"max_memkb\":1,\"max_vcpus\":5000}}", "max_vcpus" },
	};
	struct xlproto_facts f;
	char why[200];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		ck_assert_msg(xlproto_config_facts(bad[i].json,
		    strlen(bad[i].json), &f, why, sizeof(why)) == -EINVAL,
		    "accepted: %s", bad[i].json);
		ck_assert_msg(strstr(why, bad[i].why) != NULL,
		    "%s: \"%s\" does not say %s", bad[i].json, why,
		    bad[i].why);
	}
	/* A NUL inside. */
	ck_assert_int_eq(xlproto_config_facts("{}\0{}", 5, &f, why,
	    sizeof(why)), -EINVAL);
	ck_assert(strstr(why, "NUL") != NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("xlproto");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_xlproto_msg_bytes);
	tcase_add_test(tc, test_xlproto_msg_check);
	tcase_add_test(tc, test_xlproto_facts);
	tcase_add_test(tc, test_xlproto_facts_bad);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
