/*
 * test_control.c - parsing of xmigd control requests (daemon/control.c).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmigd.h"

/* control.c's other neighbours, not exercised here. */
void listener_describe(const struct xmigd *d, char *buf, size_t len)
{ (void)d; buf[0] = len > 0 ? '\0' : 0; }
int worker_kill(struct xmigd *d, uint64_t id, const char *why)
{ (void)d; (void)id; (void)why; return -ESRCH; }
const char *worker_phase_name(int phase) { (void)phase; return "x"; }
uint64_t worker_bytes(const struct job *j) { (void)j; return 0; }
void session_free(struct session *s) { (void)s; }
uint64_t reserve_held(const struct reserve_table *t) { (void)t; return 0; }
struct backend *xmigd_backend(struct xmigd *d) { (void)d; return NULL; }

static int
parse(const char *line, struct control_req *r, char *why)
{
	return control_parse(line, strlen(line), r, why, 128);
}

START_TEST(test_control_parse_good_requests)
{
	struct control_req r;
	char why[128];

	ck_assert_int_eq(parse("{\"cmd\":\"status\"}", &r, why), 0);
	ck_assert_int_eq(r.cmd, CONTROL_STATUS);
	ck_assert_int_eq(parse(" { \"cmd\" : \"cancel\", \"job\": 42 } ", &r,
	    why), 0);
	ck_assert_int_eq(r.cmd, CONTROL_CANCEL);
	ck_assert_uint_eq(r.job, 42);
	/* Unknown fields are ignored. */
	ck_assert_int_eq(parse("{\"cmd\":\"status\",\"x\":[1,2]}", &r, why),
	    0);
}
END_TEST

START_TEST(test_control_parse_bad_requests)
{
	static const char *bad[] = {
		"", "status", "[]", "{}", "{\"cmd\":1}", "{\"cmd\":\"reboot\"}",
		"{\"cmd\":\"cancel\"}", "{\"cmd\":\"cancel\",\"job\":\"3\"}",
		"{\"cmd\":\"cancel\",\"job\":0}",
		"{\"cmd\":\"cancel\",\"job\":-5}",
		"{\"cmd\":\"cancel\",\"job\":1.5}",
		"{\"cmd\":\"status\"", "{\"cmd\":\"status\"}}",
	};
	struct control_req r;
	char why[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		ck_assert_msg(parse(bad[i], &r, why) == -EINVAL, "%s", bad[i]);
		ck_assert_msg(why[0] != '\0', "no reason for %s", bad[i]);
	}
}
END_TEST

START_TEST(test_control_parse_bounds)
{
	struct control_req r;
	char why[128], *big;
	size_t n = CONTROL_REQ_MAX + 1;

	big = malloc(n + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', n);
	big[n] = '\0';
	ck_assert_int_eq(control_parse(big, n, &r, why, sizeof(why)),
	    -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "longer"));
	free(big);
	/* An embedded NUL does not cut a request short. */
	ck_assert_int_eq(control_parse("{\"cmd\":\"status\"}\0x", 18, &r, why,
	    sizeof(why)), -EINVAL);
}
END_TEST

static Suite *
control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_control_parse_good_requests);
	tcase_add_test(tc, test_control_parse_bad_requests);
	tcase_add_test(tc, test_control_parse_bounds);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(control_suite());
	int failed;

	log_init("test_control", 1, LOG_LVL_ERR);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
