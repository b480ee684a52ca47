/*
 * test_expr.c - ${...} references: listing, evaluation against a fixed
 * world, interpolation, unknown values and every error message.
 *
 * Each table row is its own named cmocka test, so a failure names the
 * case. An unknown is written in the tables as it is stored:
 * {"__mlstack_unknown__": true}.
 */
#include "util/common.h"
#include "engine/expr.h"

#include <setjmp.h>
#include <cmocka.h>

#define U "{\"__mlstack_unknown__\": true}"

/* What the resolver knows: root -> first -> value. */
static const char world_json[] =
	"{"
	" \"var\": {\"prefix\": \"dogs\", \"n\": 3, \"ratio\": 0.5,"
	"   \"big\": 1e20, \"flag\": true, \"off\": false,"
	"   \"list\": [\"a\", \"b\"], \"nul\": null,"
	"   \"map\": {\"k\": \"v\", \"nested\": {\"deep\": 1}}},"
	" \"aws\": {\"region\": \"us-east-1\", \"account_id\": \"012345678901\"},"
	" \"stack\": {\"name\": \"dog-breeds\"},"
	" \"role\": {\"arn\": \"arn:aws:iam::1:role/r\", \"tags\": {\"team\": \"ml\"},"
	"   \"pending\": " U "},"
	" \"endpoint\": " U ","
	" \"job\": {\"best\": {\"lr\": \"0.1\", \"later\": " U "}},"
	" \"file()\": {\"keys/id.pub\": \"ssh-ed25519 AAAA\","
	"   \"dogs.pub\": \"ssh-ed25519 BBBB\"}"
	"}";

static json_t *world;

static int resolve(const char *root, const char *first, json_t **out,
		   void *payload)
{
	json_t *w = payload, *r, *v;

	r = json_object_get(w, root);
	if (!r && !strcmp(root, "var"))
		return ms_error("no variable \"%s\"", first);
	if (!r)
		return ms_error("no resource \"%s\"", root);
	if (ms_is_unknown(r)) {
		*out = ms_unknown_new();
		return 0;
	}
	v = json_object_get(r, first);
	if (!v && !strcmp(root, "var"))
		return ms_error("no variable \"%s\"", first);
	if (!v)
		return ms_error("%s has no attribute \"%s\"", root, first);
	*out = json_incref(v);
	return 0;
}

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);

	if (!v)
		fail_msg("bad JSON in table: %s: %s", text, e.text);
	return v;
}

static void assert_json(const json_t *got, const char *want_text)
{
	json_t *want = parse(want_text);

	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_ENCODE_ANY | JSON_SORT_KEYS);

		fail_msg("got %s, want %s", g ? g : "(null)", want_text);
	}
	json_decref(want);
}

/* ms_expr_eval */

struct eval_case {
	const char *name;
	const char *input; /* JSON */
	const char *want;  /* JSON, or NULL when an error is expected */
	const char *error; /* the exact message */
};

static const struct eval_case eval_cases[] = {
	{ "plain string is copied", "\"hello\"", "\"hello\"", NULL },
	{ "number, bool and null are copied", "[42, 1.5, true, null]",
	  "[42, 1.5, true, null]", NULL },
	{ "whole reference keeps a string", "\"${var.prefix}\"", "\"dogs\"",
	  NULL },
	{ "whole reference keeps a number", "\"${var.n}\"", "3", NULL },
	{ "whole reference keeps a bool", "\"${var.flag}\"", "true", NULL },
	{ "whole reference keeps a map", "\"${role.tags}\"",
	  "{\"team\": \"ml\"}", NULL },
	{ "whole reference keeps a list", "\"${var.list}\"", "[\"a\", \"b\"]",
	  NULL },
	{ "whole reference keeps null", "\"${var.nul}\"", "null", NULL },
	{ "spaces inside the braces", "\"${ var.prefix }\"", "\"dogs\"",
	  NULL },
	{ "interpolation", "\"${var.prefix}-data\"", "\"dogs-data\"", NULL },
	{ "interpolation of numbers and bools",
	  "\"n=${var.n} r=${var.ratio} big=${var.big} ${var.flag}/${var.off}\"",
	  "\"n=3 r=0.5 big=1e+20 true/false\"", NULL },
	{ "several roots", "\"${aws.account_id}:${aws.region}:${stack.name}\"",
	  "\"012345678901:us-east-1:dog-breeds\"", NULL },
	{ "walk a key", "\"${var.map.k}\"", "\"v\"", NULL },
	{ "walk nested keys", "\"${var.map.nested.deep}\"", "1", NULL },
	{ "walk a list index", "\"${var.list[1]}\"", "\"b\"", NULL },
	{ "walk a quoted key", "\"${role.tags[\\\"team\\\"]}\"", "\"ml\"",
	  NULL },
	{ "escape", "\"$${var.prefix}\"", "\"${var.prefix}\"", NULL },
	{ "escape beside a reference", "\"$${x}-${var.prefix}\"",
	  "\"${x}-dogs\"", NULL },
	{ "dollars that are no reference", "\"costs $5, $$ and $ {x}\"",
	  "\"costs $5, $$ and $ {x}\"", NULL },
	{ "maps and lists are walked",
	  "{\"a\": [\"${var.n}\", \"x-${var.prefix}\"], \"b\": {\"c\": "
	  "\"${var.flag}\"}}",
	  "{\"a\": [3, \"x-dogs\"], \"b\": {\"c\": true}}", NULL },
	{ "unknown resource", "\"${endpoint.arn}\"", U, NULL },
	{ "walking into an unknown", "\"${role.pending.x[0]}\"", U, NULL },
	{ "interpolating an unknown", "\"arn=${role.pending}\"", U, NULL },
	{ "unknown inside a map is kept", "\"${job.best}\"",
	  "{\"lr\": \"0.1\", \"later\": " U "}", NULL },
	{ "unknown in, unknown out", U, U, NULL },
	{ "unknown beside known values", "[\"${var.n}\", \"${endpoint.arn}\"]",
	  "[3, " U "]", NULL },
	{ "missing key", "\"${var.map.nope}\"", NULL,
	  "reference \"${var.map.nope}\": no key \"nope\"" },
	{ "index out of range", "\"${var.list[5]}\"", NULL,
	  "reference \"${var.list[5]}\": index [5] out of range (the list has "
	  "2 elements)" },
	{ "key of a string", "\"${var.prefix.x}\"", NULL,
	  "reference \"${var.prefix.x}\": cannot read key \"x\" of a string" },
	{ "index of a map", "\"${var.map[0]}\"", NULL,
	  "reference \"${var.map[0]}\": cannot read index [0] of a map" },
	{ "resolver error", "\"${nope.arn}\"", NULL,
	  "reference \"${nope.arn}\": no resource \"nope\"" },
	{ "resolver error for a variable", "\"x-${var.nope}\"", NULL,
	  "reference \"${var.nope}\": no variable \"nope\"" },
	{ "a map inside a longer string", "\"tags: ${role.tags}\"", NULL,
	  "reference \"${role.tags}\": cannot interpolate a map into a string" },
	{ "a list inside a longer string", "\"${var.list}!\"", NULL,
	  "reference \"${var.list}\": cannot interpolate a list into a "
	  "string" },
	{ "a map holding an unknown inside a longer string",
	  "\"x-${job.best}\"", NULL,
	  "reference \"${job.best}\": cannot interpolate a map into a "
	  "string" },
	{ "null inside a longer string", "\"x${var.nul}\"", NULL,
	  "reference \"${var.nul}\": cannot interpolate null into a string" },
	{ "error after an unknown still counts",
	  "\"${endpoint.arn}-${var.nope}\"", NULL,
	  "reference \"${var.nope}\": no variable \"nope\"" },
	{ "error deep in a map", "{\"a\": {\"b\": [1, \"${var.map.zz}\"]}}",
	  NULL, "reference \"${var.map.zz}\": no key \"zz\"" },
	{ "unclosed", "\"abc ${var.x\"", NULL,
	  "unclosed \"${\" in \"abc ${var.x\"" },
	{ "empty", "\"a${ }b\"", NULL, "empty reference \"${}\" in \"a${ }b\"" },
	{ "function call", "\"${upper(var.x)}\"", NULL,
	  "invalid reference \"${upper(var.x)}\": expected "
	  "NAME.ATTRIBUTE[.KEY|[N]...]" },
	{ "merge with a map that holds an unknown",
	  "\"${merge(var.map, role.tags, job.best)}\"", U, NULL },
	{ "merge of two known maps", "\"${ merge(role.tags , var.map) }\"",
	  "{\"team\": \"ml\", \"k\": \"v\", \"nested\": {\"deep\": 1}}", NULL },
	{ "merge: the later map wins",
	  "\"${merge(var.map, var.map.nested, role.tags)}\"",
	  "{\"team\": \"ml\", \"k\": \"v\", \"nested\": {\"deep\": 1},"
	  " \"deep\": 1}", NULL },
	{ "merge with an unknown map", "\"${merge(role.tags, endpoint.x)}\"", U,
	  NULL },
	{ "merge of a list", "\"${merge(role.tags, var.list)}\"", NULL,
	  "\"${merge(role.tags, var.list)}\": argument 2 of merge is a list, "
	  "not a map" },
	{ "merge of nothing", "\"${merge()}\"", NULL,
	  "invalid reference \"${merge()}\": expected "
	  "NAME.ATTRIBUTE[.KEY|[N]...]" },
	{ "merge of a call", "\"${merge(merge(var.map))}\"", NULL,
	  "invalid reference \"${merge(merge(var.map))}\": expected "
	  "NAME.ATTRIBUTE[.KEY|[N]...]" },
	{ "merge of a missing variable", "\"${merge(var.nope)}\"", NULL,
	  "reference \"${var.nope}\": no variable \"nope\"" },
	{ "file of a literal path", "\"${file(\\\"keys/id.pub\\\")}\"",
	  "\"ssh-ed25519 AAAA\"", NULL },
	{ "file of a path in a variable", "\"${file(var.prefix)}.pub\"", NULL,
	  "\"${file(var.prefix)}\": file() has no attribute \"dogs\"" },
	{ "file of an unknown path", "\"${file(endpoint.path)}\"", U, NULL },
	{ "file of a missing file", "\"${file(\\\"nope\\\")}\"", NULL,
	  "\"${file(\"nope\")}\": file() has no attribute \"nope\"" },
	{ "file of two paths", "\"${file(\\\"a\\\", \\\"b\\\")}\"", NULL,
	  "\"${file(\"a\", \"b\")}\": file takes one path" },
	{ "merge of a literal", "\"${merge(\\\"a\\\")}\"", NULL,
	  "\"${merge(\"a\")}\": argument 1 of merge is a string, not a map" },
	{ "root alone", "\"${foo}\"", NULL,
	  "invalid reference \"${foo}\": expected NAME.ATTRIBUTE[.KEY|[N]...]" },
	{ "index right after the root", "\"${foo[0]}\"", NULL,
	  "invalid reference \"${foo[0]}\": expected "
	  "NAME.ATTRIBUTE[.KEY|[N]...]" },
	{ "negative index", "\"${var.list[-1]}\"", NULL,
	  "invalid reference \"${var.list[-1]}\": expected "
	  "NAME.ATTRIBUTE[.KEY|[N]...]" },
	{ "trailing dot", "\"${var.}\"", NULL,
	  "invalid reference \"${var.}\": expected NAME.ATTRIBUTE[.KEY|[N]...]" },
};

static void test_eval_case(void **state)
{
	const struct eval_case *c = *state;
	json_t *in = parse(c->input), *out = (json_t *)1;
	int err;

	ms_error_clear();
	err = ms_expr_eval(&out, in, resolve, world);
	if (c->want) {
		if (err)
			fail_msg("unexpected error: %s", ms_error_last());
		assert_json(out, c->want);
	} else {
		assert_int_equal(err, -1);
		assert_null(out);
		assert_string_equal(ms_error_last(), c->error);
	}
	json_decref(in);
	json_decref(out);
}

/* ms_expr_refs */

struct refs_case {
	const char *name;
	const char *input;
	const char *want;  /* JSON array, or NULL when an error is expected */
	const char *error;
};

static const struct refs_case refs_cases[] = {
	{ "two references in a string", "\"${var.prefix}-${role.arn}\"",
	  "[{\"root\": \"var\", \"path\": [\"prefix\"], \"text\": \"var.prefix\"},"
	  " {\"root\": \"role\", \"path\": [\"arn\"], \"text\": \"role.arn\"}]",
	  NULL },
	{ "paths with keys and indexes",
	  "{\"a\": [\"${job.best.lr}\", \"${role.tags[\\\"team\\\"]}\"],"
	  " \"b\": \"${var.list[0]}\"}",
	  "[{\"root\": \"job\", \"path\": [\"best\", \"lr\"], \"text\": "
	  "\"job.best.lr\"},"
	  " {\"root\": \"role\", \"path\": [\"tags\", \"team\"], \"text\": "
	  "\"role.tags[\\\"team\\\"]\"},"
	  " {\"root\": \"var\", \"path\": [\"list\", 0], \"text\": "
	  "\"var.list[0]\"}]",
	  NULL },
	{ "names with dashes", "\"${data-bucket.arn}\"",
	  "[{\"root\": \"data-bucket\", \"path\": [\"arn\"], \"text\": "
	  "\"data-bucket.arn\"}]",
	  NULL },
	{ "text is trimmed", "\"${ aws.region }\"",
	  "[{\"root\": \"aws\", \"path\": [\"region\"], \"text\": "
	  "\"aws.region\"}]",
	  NULL },
	{ "the arguments of a call",
	  "\"${merge(var.map, role.tags)}\"",
	  "[{\"root\": \"var\", \"path\": [\"map\"], \"text\": \"var.map\"},"
	  " {\"root\": \"role\", \"path\": [\"tags\"], \"text\": "
	  "\"role.tags\"}]",
	  NULL },
	{ "an escape is no reference", "\"$${var.x}\"", "[]", NULL },
	{ "scalars hold none", "[1, true, null, \"plain\"]", "[]", NULL },
	{ "unclosed", "{\"a\": \"x ${\"}", NULL, "unclosed \"${\" in \"x ${\"" },
	{ "spaces inside a path", "\"${var. x}\"", NULL,
	  "invalid reference \"${var. x}\": expected "
	  "NAME.ATTRIBUTE[.KEY|[N]...]" },
};

static void test_refs_case(void **state)
{
	const struct refs_case *c = *state;
	json_t *in = parse(c->input), *refs = NULL;
	int err;

	err = ms_expr_refs(in, &refs);
	assert_non_null(refs);
	if (c->want) {
		if (err)
			fail_msg("unexpected error: %s", ms_error_last());
		assert_json(refs, c->want);
	} else {
		assert_int_equal(err, -1);
		assert_string_equal(ms_error_last(), c->error);
	}
	json_decref(in);
	json_decref(refs);
}

/* Helpers */

static void test_refs_appends(void **state)
{
	json_t *refs = json_array(), *a = json_string("${var.a}");
	json_t *b = json_string("${var.b}");

	(void)state;
	assert_int_equal(ms_expr_refs(a, &refs), 0);
	assert_int_equal(ms_expr_refs(b, &refs), 0);
	assert_int_equal(json_array_size(refs), 2);
	json_decref(refs);
	json_decref(a);
	json_decref(b);
}

static void test_unknowns(void **state)
{
	json_t *u = ms_unknown_new(), *v;

	(void)state;
	assert_true(ms_is_unknown(u));
	v = parse("{\"a\": [1, {\"b\": " U "}]}");
	assert_false(ms_is_unknown(v));
	assert_true(ms_has_unknown(v));
	json_decref(v);
	/* the key alone makes an unknown: an extra key makes a map */
	v = parse("{\"__mlstack_unknown__\": true, \"x\": 1}");
	assert_false(ms_is_unknown(v));
	json_decref(v);
	v = parse("{\"a\": [1, 2], \"b\": \"${x.y}\"}");
	assert_false(ms_has_unknown(v));
	json_decref(v);
	assert_string_equal(ms_expr_kind(u), "an unknown value");
	json_decref(u);
}

struct pred_case {
	const char *s;
	bool is_ref, has_ref;
};

static void test_predicates(void **state)
{
	static const struct pred_case cases[] = {
		{ "${a.b}", true, true },
		{ " ${a.b}", false, true },
		{ "${a.b}${c.d}", false, true },
		{ "x-${a.b}", false, true },
		{ "$${a.b}", false, false },
		{ "plain", false, false },
		{ "${broken", false, true },
	};
	size_t i;

	(void)state;
	for (i = 0; i < MS_ARRAY_SIZE(cases); i++) {
		if (ms_expr_is_ref(cases[i].s) != cases[i].is_ref ||
		    ms_expr_has_ref(cases[i].s) != cases[i].has_ref)
			fail_msg("%s: is_ref %d has_ref %d", cases[i].s,
				 ms_expr_is_ref(cases[i].s),
				 ms_expr_has_ref(cases[i].s));
	}
}

struct text_case {
	const char *json;
	const char *want; /* NULL: an error */
};

static void test_text(void **state)
{
	static const struct text_case cases[] = {
		{ "\"s\"", "s" },     { "42", "42" },       { "-7", "-7" },
		{ "0.1", "0.1" },     { "2.5e-7", "2.5e-07" },
		{ "3.0", "3" },       { "true", "true" },   { "false", "false" },
		{ "null", NULL },     { "[]", NULL },       { "{}", NULL },
	};
	struct ms_buf b = MS_BUF_INIT;
	json_t *v;
	size_t i;

	(void)state;
	for (i = 0; i < MS_ARRAY_SIZE(cases); i++) {
		ms_buf_reset(&b);
		v = parse(cases[i].json);
		if (cases[i].want) {
			assert_int_equal(ms_expr_text(&b, v), 0);
			assert_string_equal(b.ptr, cases[i].want);
		} else {
			assert_int_equal(ms_expr_text(&b, v), -1);
		}
		json_decref(v);
	}
	ms_buf_release(&b);
}

static int setup(void **state)
{
	(void)state;
	world = parse(world_json);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	json_decref(world);
	return 0;
}

int main(void)
{
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_refs_appends),
		cmocka_unit_test(test_unknowns),
		cmocka_unit_test(test_predicates),
		cmocka_unit_test(test_text),
	};
	size_t n_eval = MS_ARRAY_SIZE(eval_cases);
	size_t n_refs = MS_ARRAY_SIZE(refs_cases);
	size_t n = MS_ARRAY_SIZE(fixed) + n_eval + n_refs, i, k = 0;
	struct CMUnitTest *tests = ms_calloc(n, sizeof(*tests));
	int failed;

	for (i = 0; i < MS_ARRAY_SIZE(fixed); i++)
		tests[k++] = fixed[i];
	for (i = 0; i < n_eval; i++) {
		tests[k].name = eval_cases[i].name;
		tests[k].test_func = test_eval_case;
		tests[k++].initial_state = (void *)&eval_cases[i];
	}
	for (i = 0; i < n_refs; i++) {
		tests[k].name = refs_cases[i].name;
		tests[k].test_func = test_refs_case;
		tests[k++].initial_state = (void *)&refs_cases[i];
	}
	failed = _cmocka_run_group_tests("expr", tests, n, setup, teardown);
	free(tests);
	return failed;
}
