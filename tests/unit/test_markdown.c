/*
 * test_markdown.c - Markdown plans: what a comment must be whatever the
 * values hold (no terminal escapes, fences that close, the size limit).
 */
#include "util/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include "engine/render.h"
#include "util/json.h"

/* The plan rendered as Markdown, with colours asked for. */
static char *markdown(const json_t *plan)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	ms_render_color(true);
	ms_render_plan_markdown(f, plan);
	fclose(f);
	assert_true(ms_render_color(false));
	return text;
}

static json_t *bucket_plan(size_t n, const char *tag)
{
	json_t *changes = json_array();
	size_t i;

	for (i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "b%zu", i);
		json_array_append_new(
			changes,
			json_pack("{s:s, s:s, s:s, s:n, s:{s:s, s:{s:s}}}",
				  "name", name, "type", "aws_s3_bucket",
				  "action", "create", "before", "after",
				  "bucket", name, "tags", "note", tag));
	}
	return json_pack("{s:s, s:o, s:[]}", "stack", "t", "changes", changes,
			 "drift");
}

static void test_no_escapes_with_colour_on(void **state)
{
	json_t *plan = bucket_plan(2, "x");
	char *text = markdown(plan);

	(void)state;
	assert_null(strchr(text, '\033'));
	assert_non_null(strstr(text, "```diff\n"));
	free(text);
	json_decref(plan);
}

static void test_backticks_in_a_value_lengthen_the_fence(void **state)
{
	json_t *plan = bucket_plan(1, "a ```` b");
	char *text = markdown(plan);

	(void)state;
	assert_non_null(strstr(text, "`````diff\n"));
	assert_null(strstr(text, "\n```diff\n"));
	free(text);
	json_decref(plan);
}

static void test_a_long_plan_fits_a_comment(void **state)
{
	json_t *plan = bucket_plan(2000, "a value of some length");
	char *text = markdown(plan), *p;
	size_t opened = 0, closed = 0;

	(void)state;
	assert_true(strlen(text) <= 65536);
	for (p = text; (p = strstr(p, "<details>")); p++)
		opened++;
	for (p = text; (p = strstr(p, "</details>")); p++)
		closed++;
	assert_int_equal(opened, closed);
	assert_true(opened > 10 && opened < 2000);
	assert_non_null(strstr(text, "resources are not shown"));
	assert_int_equal(text[strlen(text) - 1], '\n');
	free(text);
	json_decref(plan);
}

static void test_one_huge_resource_is_cut_at_a_line(void **state)
{
	struct ms_buf big = MS_BUF_INIT;
	json_t *plan;
	char *text, *fence;
	size_t i;

	(void)state;
	for (i = 0; i < 20000; i++)
		ms_buf_adds(&big, "abcdefgh");
	plan = bucket_plan(1, "x");
	json_object_set_new(
		json_object_get(json_array_get(json_object_get(plan, "changes"),
					       0),
				"after"),
		"policy", json_string(big.ptr));
	text = markdown(plan);
	assert_true(strlen(text) <= 65536);
	/* its first lines are there, the fence closed */
	fence = strstr(text, "(cut short)</summary>\n\n```diff\n");
	assert_non_null(fence);
	assert_non_null(strstr(fence, "# b0 will be created\n"));
	assert_non_null(strstr(fence + 30, "\n```\n"));
	assert_non_null(strstr(text, "1 of 1 resources are not shown in full"));
	free(text);
	json_decref(plan);
	ms_buf_release(&big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_escapes_with_colour_on),
		cmocka_unit_test(test_backticks_in_a_value_lengthen_the_fence),
		cmocka_unit_test(test_a_long_plan_fits_a_comment),
		cmocka_unit_test(test_one_huge_resource_is_cut_at_a_line),
	};

	ms_json_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
