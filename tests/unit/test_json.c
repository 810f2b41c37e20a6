/*
 * test_json.c - checked JSON parsing.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* "[" * depth, then "]" * depth. */
static char *
nested(size_t depth)
{
	char *t = malloc(2 * depth + 1);

	ck_assert_ptr_nonnull(t);
	memset(t, '[', depth);
	memset(t + depth, ']', depth);
	t[2 * depth] = '\0';
	return t;
}

START_TEST(test_json_depth_limit)
{
	char err[128], *t;
	yajl_val v;

	t = nested(JSON_DEPTH_MAX);
	v = json_parse(t, err, sizeof(err));
	ck_assert_ptr_nonnull(v);
	yajl_tree_free(v);
	free(t);

	t = nested(JSON_DEPTH_MAX + 1);
	ck_assert_ptr_null(json_parse(t, err, sizeof(err)));
	ck_assert_msg(strstr(err, "nested deeper than 64") != NULL, "%s", err);
	free(t);

	/* Deep enough to exhaust the stack when yajl frees the tree. */
	t = nested(400000);
	ck_assert_ptr_null(json_parse(t, err, sizeof(err)));
	free(t);
}
END_TEST

START_TEST(test_json_brackets_in_strings_do_not_count)
{
	char text[2 * JSON_DEPTH_MAX + 32], err[128];
	size_t n;
	yajl_val v;

	/* Brackets after an escaped quote inside a string are text. */
	n = (size_t)snprintf(text, sizeof(text), "{\"a\":\"\\\"");
	memset(text + n, '[', 2 * JSON_DEPTH_MAX);
	strcpy(text + n + 2 * JSON_DEPTH_MAX, "\"}");
	v = json_parse(text, err, sizeof(err));
	ck_assert_msg(v != NULL, "%s: %s", text, err);
	yajl_tree_free(v);
}
END_TEST

START_TEST(test_json_refuses_nul_escape)
{
	char err[128];
	yajl_val v;

	ck_assert_ptr_null(json_parse("{\"name\":\"web1\\u0000--incoming\"}",
	    err, sizeof(err)));
	ck_assert_msg(strstr(err, "\\u0000") != NULL, "%s", err);
	/* An escaped backslash then "u0000" is no NUL. */
	v = json_parse("{\"name\":\"a\\\\u0000\"}", err, sizeof(err));
	ck_assert_msg(v != NULL, "%s", err);
	yajl_tree_free(v);
	v = json_parse("{\"name\":\"\\u0041\"}", err, sizeof(err));
	ck_assert_ptr_nonnull(v);
	yajl_tree_free(v);
}
END_TEST

START_TEST(test_json_error_is_one_line)
{
	char err[128];

	ck_assert_ptr_null(json_parse("{\"a\":\n tru}", err, sizeof(err)));
	ck_assert_ptr_null(strchr(err, '\n'));
	ck_assert_int_gt((int)strlen(err), 0);
	ck_assert_int_ne(err[strlen(err) - 1], ' ');
	/* Without a buffer for the reason. */
	ck_assert_ptr_null(json_parse("[", NULL, 0));
	/* A string left open does not read past the end. */
	ck_assert_ptr_null(json_parse("[\"\\", err, sizeof(err)));
}
END_TEST

static Suite *
json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_json_depth_limit);
	tcase_add_test(tc, test_json_brackets_in_strings_do_not_count);
	tcase_add_test(tc, test_json_refuses_nul_escape);
	tcase_add_test(tc, test_json_error_is_one_line);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(json_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
