/*
 * test_plan.c - the diff, as triples (jq's .test files in spirit): each
 * directory under tests/unit/plans/ holds a stack, a prior state and the
 * expected plan (action, changed and forcing attributes, unknown values),
 * or {"error": "..."}: the plan fails with a message holding that text.
 * Plans are made with refresh off, so no AWS is involved.
 */
#include "util/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include "engine/engine.h"
#include "engine/expr.h"
#include "state/state.h"
#include "util/json.h"

#include <dirent.h>
#include <unistd.h>

#define PLANS "tests/unit/plans"

static char *slurp(const char *path)
{
	struct ms_buf b = MS_BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ms_buf_add(&b, chunk, n);
	fclose(f);
	return ms_buf_detach(&b, NULL);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static json_t *change_of(const json_t *plan, const char *name)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(plan, "changes"), i, c)
		if (!strcmp(json_string_value(json_object_get(c, "name")), name))
			return c;
	return NULL;
}

static void assert_same_set(const json_t *got, const json_t *want,
			    const char *what)
{
	json_t *a = ms_json_sorted_set(json_deep_copy(got));
	json_t *b = ms_json_sorted_set(json_deep_copy(want));

	if (!json_equal(a, b)) {
		char *x = ms_json_compact(a), *y = ms_json_compact(b);

		print_error("%s: got %s, want %s\n", what, x, y);
		free(x);
		free(y);
		fail();
	}
	json_decref(a);
	json_decref(b);
}

static void run_case(const char *name)
{
	char tmpl[] = "/tmp/mlstack-plan-XXXXXX", *path, *text, *dir;
	struct ms_engine_opts eo = { 0 };
	struct ms_plan_opts po = { false, false };
	struct ms_engine *e = NULL;
	struct ms_state *st = NULL;
	json_t *prior, *expected, *plan = NULL, *diags = NULL, *want, *v;
	const char *key;
	size_t i;

	print_message("case: %s\n", name);
	assert_non_null(mkdtemp(tmpl));
	path = ms_asprintf("%s/%s/stack.yaml", PLANS, name);
	text = slurp(path);
	free(path);
	path = ms_asprintf("%s/mlstack.yaml", tmpl);
	write_file(path, text);
	free(text);

	text = ms_asprintf("%s/%s/state.json", PLANS, name);
	prior = json_load_file(text, 0, NULL);
	free(text);
	text = ms_asprintf("%s/%s/expected.json", PLANS, name);
	expected = json_load_file(text, 0, NULL);
	free(text);
	assert_non_null(prior);
	assert_non_null(expected);

	dir = ms_asprintf("%s/.mlstack", tmpl);
	assert_int_equal(ms_state_open(&st, dir, "t"), 0);
	json_object_foreach(prior, key, v)
		assert_int_equal(ms_state_put_resource(st, key, v), 0);
	assert_int_equal(ms_state_commit(st, "prior", NULL), 0);
	ms_state_free(st);

	eo.file = path;
	if (ms_engine_open(&e, &eo, &diags)) {
		json_array_foreach(diags, i, v)
			print_error("%s\n", json_string_value(v));
		print_error("%s\n", ms_error_last());
		fail();
	}
	want = json_object_get(expected, "error");
	if (want) {
		/* the plan must fail, saying this */
		assert_int_equal(ms_engine_plan(e, &po, &plan), -1);
		if (!strstr(ms_error_last(), json_string_value(want))) {
			print_error("got \"%s\", want \"%s\"\n",
				    ms_error_last(), json_string_value(want));
			fail();
		}
		json_object_clear(expected);
	} else if (ms_engine_plan(e, &po, &plan)) {
		print_error("plan: %s\n", ms_error_last());
		fail();
	}

	if (json_object_size(expected))
		assert_int_equal(json_array_size(json_object_get(plan, "changes")),
				 json_object_size(expected));
	json_object_foreach(expected, key, want) {
		json_t *c = change_of(plan, key), *u;

		if (!c) {
			print_error("no change for %s\n", key);
			fail();
		}
		assert_string_equal(json_string_value(json_object_get(c, "action")),
				    json_string_value(json_object_get(want, "action")));
		if (json_object_get(want, "changed"))
			assert_same_set(json_object_get(c, "changed"),
					json_object_get(want, "changed"),
					"changed");
		if (json_object_get(want, "forces"))
			assert_same_set(json_object_get(c, "forces"),
					json_object_get(want, "forces"),
					"forces");
		json_array_foreach(json_object_get(want, "unknown"), i, u) {
			json_t *x = json_object_get(json_object_get(c, "after"),
						    json_string_value(u));

			if (!x || !ms_has_unknown(x)) {
				print_error("%s.%s should be unknown\n", key,
					    json_string_value(u));
				fail();
			}
		}
	}

	json_decref(plan);
	json_decref(prior);
	json_decref(expected);
	json_decref(diags);
	ms_engine_free(e);
	text = ms_asprintf("rm -rf '%s'", tmpl);
	assert_int_equal(system(text), 0);
	free(text);
	free(path);
	free(dir);
}

static void test_plans(void **state)
{
	DIR *d = opendir(PLANS);
	struct dirent *ent;
	int n = 0;

	(void)state;
	assert_non_null(d);
	while ((ent = readdir(d))) {
		if (ent->d_name[0] == '.')
			continue;
		run_case(ent->d_name);
		n++;
	}
	closedir(d);
	assert_true(n >= 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plans),
	};

	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
