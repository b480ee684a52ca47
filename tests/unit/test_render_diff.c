/*
 * test_render_diff.c - how a plan prints a change, as triples: each case
 * under tests/unit/diffs/ is NAME.json, what to render, and NAME.txt, the
 * exact text it must print.
 *
 * NAME.json holds one of:
 *   {"type", "attr", "before", "after", "action", "forces", "changed",
 *    "before_mask", "after_mask"}   one attribute (ms_diff_attr_lines,
 *                                   at the column of a plan's attributes)
 *   {"change": {...}}               a plan's change (ms_render_change)
 *   {"drift": {...}}                a drift entry (ms_render_drift)
 * and optionally "sign_first": true (MS_DIFF_SIGN_FIRST). A before or
 * after left out is absent; "action" defaults to "update", "changed" to
 * true.
 */
#include "util/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include "engine/render.h"
#include "engine/render_diff.h"
#include "util/json.h"

#define DIFFS "tests/unit/diffs"

static char *slurp(const char *path)
{
	struct ms_buf b = MS_BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		print_error("cannot open %s\n", path);
	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ms_buf_add(&b, chunk, n);
	fclose(f);
	return ms_buf_detach(&b, NULL);
}

static void run_case(const char *name)
{
	char *path = ms_asprintf("%s/%s.json", DIFFS, name);
	json_error_t jerr;
	json_t *c = json_load_file(path, 0, &jerr);
	struct ms_buf got = MS_BUF_INIT;
	unsigned flags = 0;
	char *want;

	if (!c)
		print_error("%s: %s\n", path, jerr.text);
	assert_non_null(c);
	free(path);
	path = ms_asprintf("%s/%s.txt", DIFFS, name);
	want = slurp(path);
	free(path);

	if (json_is_true(json_object_get(c, "sign_first")))
		flags |= MS_DIFF_SIGN_FIRST;
	if (json_object_get(c, "change")) {
		ms_render_change(&got, json_object_get(c, "change"), flags);
	} else if (json_object_get(c, "drift")) {
		ms_render_drift(&got, json_object_get(c, "drift"), flags);
	} else {
		struct ms_diff_attr a = { 0 };
		const char *action =
			json_string_value(json_object_get(c, "action"));

		a.type = json_string_value(json_object_get(c, "type"));
		a.name = json_string_value(json_object_get(c, "attr"));
		a.before = json_object_get(c, "before");
		a.after = json_object_get(c, "after");
		a.before_mask = json_object_get(c, "before_mask");
		a.after_mask = json_object_get(c, "after_mask");
		a.forces = json_is_true(json_object_get(c, "forces"));
		a.changed = !json_is_false(json_object_get(c, "changed"));
		assert_non_null(a.name);
		ms_diff_attr_lines(&got, &a,
				   action ? (enum ms_action)ms_action_parse(
						    action) :
					    MS_ACTION_UPDATE,
				   6, 0, flags);
	}
	if (strcmp(got.ptr, want)) {
		print_error("case %s: got\n%s--- want\n%s---\n", name, got.ptr,
			    want);
		fail();
	}
	ms_buf_release(&got);
	free(want);
	json_decref(c);
}

#define CASE(name)                             \
	static void test_##name(void **state)  \
	{                                      \
		(void)state;                   \
		run_case(#name);               \
	}
#define T(name) cmocka_unit_test(test_##name)

CASE(scalar_change)
CASE(map_changes)
CASE(list_append)
CASE(list_insert)
CASE(list_remove)
CASE(list_identity)
CASE(list_identity_replaced)
CASE(nested_objects)
CASE(policy_json_string)
CASE(policy_documents)
CASE(json_string_invalid)
CASE(unknown_scalar)
CASE(unknown_nested)
CASE(unknown_whole)
CASE(sensitive_top)
CASE(sensitive_nested)
CASE(sensitive_key)
CASE(sensitive_saved)
CASE(forces_block)
CASE(forces_scalar)
CASE(create)
CASE(destroy)
CASE(empty_to_values)
CASE(null_to_value)
CASE(value_to_null)
CASE(type_change)
CASE(multiline_string)
CASE(multiline_control)
CASE(manifest)
CASE(update_block)
CASE(drift)
CASE(sign_first)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(scalar_change),
		T(map_changes),
		T(list_append),
		T(list_insert),
		T(list_remove),
		T(list_identity),
		T(list_identity_replaced),
		T(nested_objects),
		T(policy_json_string),
		T(policy_documents),
		T(json_string_invalid),
		T(unknown_scalar),
		T(unknown_nested),
		T(unknown_whole),
		T(sensitive_top),
		T(sensitive_nested),
		T(sensitive_key),
		T(sensitive_saved),
		T(forces_block),
		T(forces_scalar),
		T(create),
		T(destroy),
		T(empty_to_values),
		T(null_to_value),
		T(value_to_null),
		T(type_change),
		T(multiline_string),
		T(multiline_control),
		T(manifest),
		T(update_block),
		T(drift),
		T(sign_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
