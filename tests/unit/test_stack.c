/*
 * test_stack.c - the stack loader: a full valid stack (variables and -var,
 * references, depends_on, lifecycle, timeouts, marks, digest), a table of
 * broken files each with the exact first "file:line:col: message" a user
 * would see, and the helpers (did you mean, schema checks, durations).
 *
 * Fixtures live in tests/unit/stacks/, found through MLSTACK_SRC (the
 * source root) or else beside this file as the compiler named it; make
 * compiles from the root, so tests run from the root find them.
 */
#include "util/common.h"
#include "util/sha256.h"
#include "engine/stack.h"
#include "engine/yaml.h"
#include "engine/expr.h"
#include "providers/provider.h"

#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#define U "{\"__mlstack_unknown__\": true}"

static char *fixture(const char *name)
{
	const char *src = getenv("MLSTACK_SRC");
	const char *slash = strrchr(__FILE__, '/');

	if (src && *src)
		return ms_asprintf("%s/tests/unit/stacks/%s", src, name);
	if (!slash)
		return ms_asprintf("stacks/%s", name);
	return ms_asprintf("%.*s/stacks/%s", (int)(slash - __FILE__), __FILE__,
			   name);
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

static char *slurp(const char *path, size_t *len)
{
	struct ms_buf b = MS_BUF_INIT;
	char chunk[4096];
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ms_buf_add(&b, chunk, n);
	fclose(f);
	return ms_buf_detach(&b, len);
}

/* The valid stack */

static void assert_mark(const struct ms_stack *s, const char *path,
			bool value, int line, int col)
{
	int l = -1, c = -1;

	if (value)
		ms_stack_value_mark(s, path, &l, &c);
	else
		ms_stack_mark(s, path, &l, &c);
	if (l != line || c != col)
		fail_msg("%s mark of %s: got %d:%d, want %d:%d",
			 value ? "value" : "key", path, l, c, line, col);
}

static void test_full(void **state)
{
	char *path = fixture("full.yaml"), *bytes, digest[65];
	json_t *vars = parse("{\"owner\": \"alice\", \"versioning\": \"true\","
			     " \"session\": \"7200\"}");
	json_t *diags = NULL;
	struct ms_stack *s = NULL;
	struct ms_resource *data, *role;
	size_t len;

	(void)state;
	if (ms_stack_load(&s, path, vars, &diags) < 0) {
		char *d = json_dumps(diags, 0);

		fail_msg("load failed: %s", d);
	}
	assert_non_null(s);
	assert_int_equal(json_array_size(diags), 0);
	assert_string_equal(s->file, path);
	assert_string_equal(s->name, "dog-breeds");
	assert_string_equal(s->region, "us-east-1");
	/* 1.10 as written, not the number 1.1 */
	assert_json(s->tags, "{\"project\": \"dog-breeds\", \"release\": \"1.10\"}");
	/* -var values take the type of the default or of "type:" */
	assert_json(s->variables,
		    "{\"prefix\": \"dogbreeds\", \"region\": \"us-east-1\","
		    " \"session\": 7200, \"versioning\": true,"
		    " \"owner\": \"alice\"}");

	assert_int_equal(s->n_resources, 2);
	assert_string_equal(s->resources[0].name, "store");
	assert_string_equal(s->resources[1].name, "role");
	data = ms_stack_resource(s, "store");
	role = ms_stack_resource(s, "role");
	assert_ptr_equal(data, &s->resources[0]);
	assert_ptr_equal(role, &s->resources[1]);
	assert_null(ms_stack_resource(s, "nope"));

	assert_string_equal(data->type, "aws_s3_bucket");
	/* references stay raw; "true" becomes a bool, 42 a string */
	assert_json(data->properties,
		    "{\"bucket\": \"${var.prefix}-data\","
		    " \"versioning\": \"${var.versioning}\","
		    " \"force_destroy\": true,"
		    " \"tags\": {\"owner\": \"${var.owner}\","
		    " \"cost-center\": \"42\"}}");
	assert_json(data->depends_on, "[]");
	assert_true(data->prevent_destroy);
	assert_false(data->create_before_destroy);
	assert_json(data->ignore_changes, "[]");
	assert_json(data->timeouts, "{\"create\": 1200, \"delete\": 90}");
	assert_int_equal(data->line, 16);
	assert_int_equal(data->col, 3);

	assert_string_equal(role->type, "aws_iam_role");
	assert_json(json_object_get(role->properties, "description"),
		    "\"2024\"");
	assert_json(json_object_get(role->properties, "max_session_duration"),
		    "7200");
	assert_json(json_object_get(role->properties, "managed_policy_arns"),
		    "[\"arn:aws:iam::aws:policy/AmazonSageMakerFullAccess\"]");
	assert_json(json_object_get(role->properties, "assume_role_policy"),
		    "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\":"
		    " \"Allow\", \"Principal\": {\"Service\":"
		    " \"sagemaker.amazonaws.com\"}, \"Action\":"
		    " \"sts:AssumeRole\"}]}");
	assert_json(role->depends_on, "[\"store\"]");
	assert_false(role->prevent_destroy);
	assert_true(role->create_before_destroy);
	assert_json(role->ignore_changes, "[\"tags\", \"description\"]");
	assert_json(role->timeouts, "{\"create\": 5400, \"update\": 600}");

	assert_json(s->outputs,
		    "{\"bucket\": \"${store.bucket}\", \"role_arn\":"
		    " \"${role.arn}\", \"where\":"
		    " \"${aws.region}/${stack.name}\"}");

	/* marks: keys, values, and the nearest ancestor for the rest */
	assert_mark(s, "stack", false, 2, 1);
	assert_mark(s, "stack", true, 2, 8);
	assert_mark(s, "resources.role", false, 28, 3);
	assert_mark(s, "resources.role.type", true, 29, 11);
	assert_mark(s, "resources.role.properties.max_session_duration", false,
		    33, 7);
	assert_mark(s, "resources.role.properties.max_session_duration", true,
		    33, 29);
	assert_mark(s, "resources.role.properties.inline_policies.store."
		       "Statement[0].Resource",
		    true, 43, 57);
	assert_mark(s, "resources.role.properties.nope.deeper[3]", false, 30,
		    5);
	assert_mark(s, "outputs.where", true, 53, 10);
	assert_mark(s, "variables.owner", false, 13, 3);

	bytes = slurp(path, &len);
	assert_int_equal(ms_sha256_hex(digest, bytes, len), 0);
	assert_string_equal(s->digest, digest);
	free(bytes);

	ms_stack_free(s);
	json_decref(vars);
	json_decref(diags);
	free(path);
}

/*
 * A shallow parse keeps the marks of the sections and their entries only;
 * ms_yaml_marks gives all of them, the same as a full parse. A duplicate
 * key below the first levels still says where the first one was.
 */
static void test_shallow_marks(void **state)
{
	static const char text[] =
		"stack: t\n"
		"resources:\n"
		"  b:\n"
		"    type: aws_s3_bucket\n"
		"    properties:\n"
		"      bucket: t-b\n"
		"      tags: {k: v, k: w}\n";
	static const char good[] = "stack: t\n"
				   "resources:\n"
				   "  b:\n"
				   "    type: aws_s3_bucket\n"
				   "    properties:\n"
				   "      bucket: t-b\n"
				   "      tags: {k: v}\n";
	struct ms_yaml_doc full, shallow;
	json_t *d1 = json_array(), *d2 = json_array(), *all, *v;
	const char *key;

	(void)state;
	assert_int_equal(ms_yaml_parse(&full, text, strlen(text), d1), -1);
	assert_int_equal(
		ms_yaml_parse_shallow(&shallow, text, strlen(text), d2), -1);
	assert_true(json_equal(d1, d2));
	assert_string_equal(json_string_value(json_array_get(
				    json_array_get(d2, 0), 2)),
			    "duplicate key \"k\" (first defined at 7:14)");
	assert_true(json_equal(full.root, shallow.root));
	/* the duplicate made it read the marks: it keeps them all */
	assert_false(shallow.shallow);
	assert_true(json_equal(full.marks, shallow.marks));
	ms_yaml_doc_release(&shallow);

	/* without a problem: the first levels only */
	json_array_clear(d2);
	assert_int_equal(ms_yaml_parse_shallow(&shallow, good, strlen(good),
					       d2),
			 0);
	assert_true(shallow.shallow);
	assert_non_null(json_object_get(shallow.marks, "resources.b"));
	assert_non_null(json_object_get(shallow.marks, "resources"));
	assert_null(json_object_get(shallow.marks, "resources.b.type"));
	json_object_foreach(shallow.marks, key, v)
		assert_true(json_equal(v, json_object_get(full.marks, key)));
	all = ms_yaml_marks(text, strlen(text));
	assert_true(json_equal(all, full.marks));
	json_decref(all);
	all = ms_yaml_marks(good, strlen(good));
	assert_non_null(json_object_get(all, "resources.b.properties.tags.k"));
	json_decref(all);
	ms_yaml_doc_release(&shallow);
	ms_yaml_doc_release(&full);
	json_decref(d1);
	json_decref(d2);
}

static void test_sha256(void **state)
{
	char hex[65];

	(void)state;
	assert_int_equal(ms_sha256_hex(hex, "abc", 3), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
				 "b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(ms_sha256_hex(hex, "", 0), 0);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
				 "27ae41e4649b934ca495991b7852b855");
}

/* Variables and -var */

struct var_case {
	const char *name;
	const char *vars;      /* JSON object, or NULL */
	const char *want;      /* the variables, or NULL */
	const char *diag;      /* the first diagnostic after the file name */
};

static const struct var_case var_cases[] = {
	{ "-var gives the variable without a default", "{\"owner\": \"me\"}",
	  "{\"prefix\": \"p\", \"size\": 10, \"owner\": \"me\"}", NULL },
	{ "-var overrides a default and takes its type",
	  "{\"owner\": \"me\", \"size\": \"12\", \"prefix\": \"q\"}",
	  "{\"prefix\": \"q\", \"size\": 12, \"owner\": \"me\"}", NULL },
	{ "a variable with no value", NULL, NULL,
	  ":5:3: variable \"owner\": no value (give it a default, or pass "
	  "-var owner=VALUE)" },
	{ "-var of the wrong type", "{\"owner\": \"me\", \"size\": \"ten\"}",
	  NULL,
	  ":4:3: variable \"size\": -var value: expected a number, got "
	  "\"ten\"" },
	{ "-var naming no variable", "{\"owner\": \"me\", \"sise\": \"1\"}",
	  NULL,
	  ":2:1: -var \"sise\": no variable \"sise\" is declared (did you mean "
	  "\"size\"?)" },
};

static void test_var_case(void **state)
{
	const struct var_case *c = *state;
	char *path = fixture("variables.yaml"), *want_diag = NULL;
	json_t *vars = c->vars ? parse(c->vars) : NULL, *diags = NULL;
	struct ms_stack *s = NULL;
	int err;

	err = ms_stack_load(&s, path, vars, &diags);
	if (c->want) {
		if (err)
			fail_msg("load failed: %s", ms_error_last());
		assert_json(s->variables, c->want);
	} else {
		assert_int_equal(err, -1);
		assert_null(s);
		want_diag = ms_asprintf("%s%s", path, c->diag);
		assert_string_equal(json_string_value(json_array_get(diags, 0)),
				    want_diag);
	}
	ms_stack_free(s);
	json_decref(vars);
	json_decref(diags);
	free(want_diag);
	free(path);
}

/* Broken files */

struct broken_case {
	const char *name;
	const char *file;
	const char *diag; /* the first diagnostic, after the file name */
	size_t count;     /* how many diagnostics; 0: not checked */
};

static const struct broken_case broken_cases[] = {
	{ "YAML syntax error", "syntax.yaml",
	  ":7:17: invalid YAML: did not find expected ',' or ']' (while "
	  "parsing a flow sequence started at 6:15)",
	  1 },
	{ "unknown type", "unknown_type.yaml",
	  ":4:11: resource \"x\": unknown type \"aws_s3_bukket\" (did you mean "
	  "\"aws_s3_bucket\"?)",
	  1 },
	{ "unknown attribute", "unknown_attribute.yaml",
	  ":7:7: resource \"notebook\": unknown attribute \"versoning\" (did "
	  "you mean \"versioning\"?)",
	  1 },
	{ "reference to no resource", "bad_ref_resource.yaml",
	  ":6:15: resource \"b\": reference \"${nope.arn}\": no resource "
	  "\"nope\"",
	  1 },
	{ "reference to no attribute", "bad_ref_attribute.yaml",
	  ":11:15: resource \"b\": reference \"${role.arnn}\": aws_iam_role "
	  "has no attribute \"arnn\" (did you mean \"arn\"?)",
	  1 },
	{ "reference to no variable", "bad_ref_variable.yaml",
	  ":8:15: resource \"b\": reference \"${var.prefx}\": no variable "
	  "\"prefx\" (did you mean \"prefix\"?)",
	  1 },
	{ "unclosed reference", "unclosed_ref.yaml",
	  ":6:15: resource \"b\": unclosed \"${\" in \"${var.x\"", 1 },
	{ "value of the wrong type", "wrong_type.yaml",
	  ":9:9: resource \"role\": attribute \"max_session_duration\": "
	  "expected a number, got a list",
	  1 },
	{ "billion laughs", "alias_bomb.yaml",
	  ":10:20: too many values (more than 1000000 after alias expansion)",
	  1 },
	{ "too many aliases", "many_aliases.yaml",
	  ":5:4033: too many aliases (more than 1000)", 1 },
	{ "deep nesting", "deep_nesting.yaml",
	  ":4:71: nesting deeper than 64 levels", 1 },
	{ "empty file", "empty.yaml",
	  ":1:1: empty stack file (expected \"stack:\" and \"resources:\")", 1 },
	{ "only comments", "comments_only.yaml",
	  ":1:1: empty stack file (expected \"stack:\" and \"resources:\")", 1 },
	{ "not a map", "not_a_map.yaml",
	  ":1:1: the stack file must be a map (with \"stack:\" and "
	  "\"resources:\"), got a list",
	  1 },
	{ "missing stack name", "missing_stack.yaml",
	  ":1:1: missing required key \"stack\"", 1 },
	{ "invalid stack name", "bad_stack_name.yaml",
	  ":1:8: stack: invalid name \"Dog_Breeds\" (lowercase letters, digits "
	  "and \"-\" only)",
	  1 },
	{ "duplicate key", "duplicate_key.yaml",
	  ":7:7: duplicate key \"bucket\" (first defined at 6:7)", 1 },
	{ "unknown top-level key", "unknown_top_level.yaml",
	  ":3:1: unknown top-level key \"ouputs\" (did you mean \"outputs\"?)",
	  1 },
	{ "unknown resource key", "unknown_meta.yaml",
	  ":6:5: resource \"b\": unknown key \"dependson\" (did you mean "
	  "\"depends_on\"?)",
	  1 },
	{ "missing required attribute", "missing_required.yaml",
	  ":3:3: resource \"b\": missing required attribute \"bucket\"", 1 },
	{ "computed attribute set", "computed.yaml",
	  ":7:7: resource \"b\": attribute \"arn\" is computed by AWS and "
	  "cannot be set",
	  1 },
	{ "depends_on no resource", "depends_on.yaml",
	  ":6:18: resource \"b\": depends_on: no resource \"ghost\"", 1 },
	{ "bad timeout", "timeouts.yaml",
	  ":7:15: resource \"b\": timeouts.create: invalid duration \"20 "
	  "minutes\" (expected seconds or a duration such as \"90s\", \"20m\" "
	  "or \"1h30m\")",
	  1 },
	{ "lint.ignore: an unknown rule", "lint_ignore.yaml",
	  ":8:9: resource \"b\": lint.ignore: unknown rule \"MLS-S3-02\" "
	  "(did you mean \"MLS-S3-002\"?) (see mlstack lint -rules)",
	  6 },
	{ "unknown lifecycle key", "lifecycle.yaml",
	  ":7:7: resource \"b\": lifecycle: unknown key \"prevent_destory\" "
	  "(did you mean \"prevent_destroy\"?)",
	  1 },
	{ "two documents", "two_documents.yaml",
	  ":3:1: only one YAML document is allowed in a stack file", 1 },
	{ "unsupported tag", "tag.yaml", ":6:15: unsupported tag \"!Ref\"", 1 },
	{ "every problem is reported", "many_errors.yaml",
	  ":2:1: unknown top-level key \"resorces\" (did you mean "
	  "\"resources\"?)",
	  15 },
	{ "index past a variable's list", "var_index.yaml",
	  ":8:15: resource \"b\": reference \"${var.zones[3]}\": index [3] "
	  "out of range (the list has 3 elements)",
	  1 },
	{ "key of a string variable", "var_key_of_string.yaml",
	  ":8:15: resource \"b\": reference \"${var.prefix.name}\": cannot "
	  "read key \"name\" of a string",
	  1 },
	{ "a list interpolated into a string", "var_interpolated_list.yaml",
	  ":8:15: resource \"b\": reference \"${var.zones}\": cannot "
	  "interpolate a list into a string",
	  1 },
	{ "a map inside tags, through a variable", "tags_nested.yaml",
	  ":9:21: resource \"b\": attribute \"tags.owner\": expected a "
	  "string, got a map",
	  1 },
	{ "bucket name with capitals", "bucket_name.yaml",
	  ":6:15: resource \"b\": bucket \"My_Bucket\": 'M' is not allowed; "
	  "aws_s3_bucket names are made of a-z0-9.-",
	  1 },
	{ "bucket names S3 refuses", "bucket_rules.yaml",
	  ":8:15: resource \"dots\": bucket \"dogs..data\": two periods in a "
	  "row are not allowed",
	  6 },
	{ "notebook names", "notebook_name.yaml",
	  ":6:13: resource \"nb\": name \"dog_breeds\": '_' is not allowed; "
	  "aws_sagemaker_notebook_instance names are made of a-zA-Z0-9-",
	  2 },
	{ "malformed ARNs", "bad_arn.yaml",
	  ":8:17: resource \"nb\": attribute \"role_arn\": "
	  "\"arn:aws:iam:role/nb\" is not an ARN "
	  "(arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE): expected six "
	  "parts separated by ':'",
	  3 },
	{ "policy text that is not JSON", "policy_json.yaml",
	  ":7:27: resource \"role\": attribute \"assume_role_policy\": not "
	  "valid JSON: unexpected token near '}' (line 1, column 41 of the "
	  "text)",
	  1 },
	{ "policy documents without Statement", "policy_statement.yaml",
	  ":8:9: resource \"role\": attribute \"assume_role_policy\": a policy "
	  "document needs \"Statement\"",
	  3 },
	{ "the rules of each type", "type_rules.yaml",
	  ":11:20: resource \"nb\": volume_size: expected a whole number "
	  "from 5 to 16384",
	  4 },
};

static void test_broken_case(void **state)
{
	const struct broken_case *c = *state;
	char *path = fixture(c->file), *want;
	struct ms_stack *s = (struct ms_stack *)&s;
	json_t *diags = NULL;

	assert_int_equal(ms_stack_load(&s, path, NULL, &diags), -1);
	assert_null(s);
	assert_true(json_array_size(diags) > 0);
	want = ms_asprintf("%s%s", path, c->diag);
	assert_string_equal(json_string_value(json_array_get(diags, 0)), want);
	/* callers that only look at the error see the first problem */
	assert_string_equal(ms_error_last(), want);
	if (c->count && json_array_size(diags) != c->count) {
		char *d = json_dumps(diags, JSON_INDENT(1));

		fail_msg("want %zu diagnostics, got %s", c->count, d);
	}
	json_decref(diags);
	free(want);
	free(path);
}

/* lint: {ignore: {RULE: why}}: every problem, each at its place. */
static void test_lint_key(void **state)
{
	static const char *const want[] = {
		":8:9: resource \"b\": lint.ignore: unknown rule \"MLS-S3-02\" "
		"(did you mean \"MLS-S3-002\"?) (see mlstack lint -rules)",
		":9:9: resource \"b\": lint.ignore: rule MLS-SM-001 does not "
		"check aws_s3_bucket (it checks aws_sagemaker_notebook_instance)",
		":10:21: resource \"b\": lint.ignore.MLS-S3-001: expected the "
		"reason the rule does not apply here (a non-empty string), got "
		"an empty string",
		":11:21: resource \"b\": lint.ignore.MLS-S3-002: expected the "
		"reason the rule does not apply here (a non-empty string), got a "
		"number",
		":12:7: resource \"b\": lint: unknown key \"ignroe\" (did you "
		"mean \"ignore\"?)",
		":16:11: resource \"n\": lint: expected a map (such as {ignore: "
		"{MLS-SM-001: \"why\"}}), got a list",
	};
	char *path = fixture("lint_ignore.yaml"), *line;
	struct ms_stack *s = NULL;
	json_t *diags = NULL;
	size_t i;

	(void)state;
	assert_int_equal(ms_stack_load(&s, path, NULL, &diags), -1);
	assert_int_equal(json_array_size(diags), MS_ARRAY_SIZE(want));
	for (i = 0; i < MS_ARRAY_SIZE(want); i++) {
		line = ms_asprintf("%s%s", path, want[i]);
		assert_string_equal(json_string_value(json_array_get(diags, i)),
				    line);
		free(line);
	}
	json_decref(diags);
	free(path);

	/* what is right is kept: the rule and its reason */
	path = fixture("lint_ok.yaml");
	assert_int_equal(ms_stack_load(&s, path, NULL, NULL), 0);
	assert_json(ms_stack_resource(s, "role")->lint_ignore,
		    "{\"MLS-IAM-002\": \"the notebook's users launch their "
		    "own jobs\"}");
	assert_json(ms_stack_resource(s, "store")->lint_ignore, "{}");
	ms_stack_free(s);
	free(path);
}

/*
 * A few aliases of one big string: few values, many bytes. The expansion
 * is budgeted in bytes, so the file stops at the alias that would pass
 * the budget, long before memory runs out.
 */
static void test_alias_byte_bomb(void **state)
{
	char path[] = "/tmp/ms-test-bomb-XXXXXX";
	struct ms_stack *s = NULL;
	json_t *diags = NULL;
	const char *d;
	int fd, level, i;
	FILE *f;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fprintf(f, "stack: bomb\nvariables:\n  l0: {default: &l0 \"");
	for (i = 0; i < 512 * 1024; i++)
		fputc('x', f);
	fprintf(f, "\"}\n");
	for (level = 1; level <= 4; level++) {
		fprintf(f, "  l%d: {default: &l%d [", level, level);
		for (i = 0; i < 8; i++)
			fprintf(f, "%s*l%d", i ? ", " : "", level - 1);
		fprintf(f, "]}\n");
	}
	fprintf(f, "resources: {}\n");
	fclose(f);
	assert_int_equal(ms_stack_load(&s, path, NULL, &diags), -1);
	d = json_string_value(json_array_get(diags, 0));
	assert_non_null(strstr(d, "values too large (more than 16 MiB after "
				  "alias expansion)"));
	/* 0.5 MiB, then 4 MiB, then 4 MiB a copy: the third copy passes */
	assert_non_null(strstr(d, ":5:"));
	json_decref(diags);
	unlink(path);
}

/* All of them, in file order, each where it belongs. */
static void test_many_errors(void **state)
{
	static const char *const want[] = {
		":2:1: unknown top-level key \"resorces\" (did you mean "
		"\"resources\"?)",
		":5:11: resource \"x\": unknown type \"aws_s3_bukket\" (did you "
		"mean \"aws_s3_bucket\"?)",
		":6:3: resource \"store\": missing required attribute \"bucket\"",
		":9:7: resource \"store\": unknown attribute \"versoning\" (did "
		"you mean \"versioning\"?)",
		":10:13: resource \"store\": attribute \"tags\": expected a map, "
		"got a list",
		":14:13: resource \"role\": reference \"${nope.arn}\": no "
		"resource \"nope\"",
		":14:13: resource \"role\": reference \"${var.x}\": no variable "
		"\"x\"",
		":15:27: resource \"role\": attribute \"assume_role_policy\": a "
		"policy document needs \"Statement\"",
		":16:29: resource \"role\": attribute \"max_session_duration\": "
		"expected a number, got \"lots\"",
		":17:13: resource \"role\": unclosed \"${\" in \"${var.x\"",
		":18:18: resource \"role\": depends_on: no resource \"ghost\"",
		":18:25: resource \"role\": depends_on: a resource cannot "
		"depend on itself",
		":19:24: resource \"role\": timeouts.create: invalid duration "
		"\"20 minutes\" (expected seconds or a duration such as "
		"\"90s\", \"20m\" or \"1h30m\")",
		":20:17: resource \"role\": lifecycle: unknown key "
		"\"prevent_destory\" (did you mean \"prevent_destroy\"?)",
		":22:10: output \"where\": reference \"${aws.regoin}\": aws has "
		"no attribute \"regoin\" (did you mean \"region\"?)",
	};
	char *path = fixture("many_errors.yaml"), *line;
	struct ms_stack *s = NULL;
	json_t *diags = NULL;
	size_t i;

	(void)state;
	assert_int_equal(ms_stack_load(&s, path, NULL, &diags), -1);
	assert_int_equal(json_array_size(diags), MS_ARRAY_SIZE(want));
	for (i = 0; i < MS_ARRAY_SIZE(want); i++) {
		line = ms_asprintf("%s%s", path, want[i]);
		assert_string_equal(json_string_value(json_array_get(diags, i)),
				    line);
		free(line);
	}
	json_decref(diags);
	free(path);
}

/* A file that cannot be read: one line naming it, in plain words. */
static void test_unreadable_file(void **state)
{
	static const struct {
		const char *file, *reason;
	} cases[] = {
		{ "no_such_file.yaml", "no such file or directory" },
		{ ".", "is a directory" }, /* fopen opens one; reading fails */
	};
	struct ms_stack *s = NULL;
	json_t *diags;
	char *path, *want;
	size_t i;

	(void)state;
	for (i = 0; i < MS_ARRAY_SIZE(cases); i++) {
		path = fixture(cases[i].file);
		want = ms_asprintf("\"%s\": %s", path, cases[i].reason);
		diags = NULL;
		assert_int_equal(ms_stack_load(&s, path, NULL, &diags), -1);
		assert_null(s);
		assert_int_equal(json_array_size(diags), 1);
		assert_string_equal(json_string_value(json_array_get(diags, 0)),
				    want);
		assert_string_equal(ms_error_last(), want);
		json_decref(diags);
		free(want);
		free(path);
	}
}

/* Diagnostics land in an existing array, after what it held. */
static void test_diags_appended(void **state)
{
	char *path = fixture("empty.yaml");
	json_t *diags = json_pack("[s]", "earlier");
	struct ms_stack *s = NULL;

	(void)state;
	assert_int_equal(ms_stack_load(&s, path, NULL, &diags), -1);
	assert_int_equal(json_array_size(diags), 2);
	assert_string_equal(json_string_value(json_array_get(diags, 0)),
			    "earlier");
	assert_int_equal(ms_stack_load(&s, path, NULL, NULL), -1);
	json_decref(diags);
	free(path);
}

/*
 * From memory: the same model and digest as from the file, diagnostics
 * under the name given, and bytes that need no terminating NUL.
 */
static void test_load_buffer(void **state)
{
	char *path = fixture("full.yaml"), *bytes, *cut;
	json_t *vars = parse("{\"owner\": \"alice\"}");
	json_t *diags = NULL;
	struct ms_stack *a = NULL, *b = NULL;
	size_t len;

	(void)state;
	bytes = slurp(path, &len);
	assert_int_equal(ms_stack_load(&a, path, vars, NULL), 0);
	assert_int_equal(ms_stack_load_buffer(&b, "mem.yaml", bytes, len, vars,
					      &diags),
			 0);
	assert_int_equal(json_array_size(diags), 0);
	assert_string_equal(b->file, "mem.yaml");
	assert_string_equal(b->digest, a->digest);
	assert_true(json_equal(b->variables, a->variables));
	assert_int_equal(b->n_resources, a->n_resources);
	assert_true(json_equal(b->resources[1].properties,
			       a->resources[1].properties));
	ms_stack_free(a);
	ms_stack_free(b);

	/* "stack: x" and no more: the "y" after it is not read */
	cut = ms_strdup("stack: x\nresources: {}\ny");
	assert_int_equal(ms_stack_load_buffer(&b, "cut.yaml", cut,
					      strlen(cut) - 1, NULL, NULL),
			 0);
	assert_string_equal(b->name, "x");
	ms_stack_free(b);
	free(cut);

	assert_int_equal(ms_stack_load_buffer(&b, "e.yaml", "", 0, NULL, &diags),
			 -1);
	assert_null(b);
	assert_string_equal(json_string_value(json_array_get(diags, 0)),
			    "e.yaml:1:1: empty stack file (expected \"stack:\" "
			    "and \"resources:\")");
	json_decref(diags);
	json_decref(vars);
	free(bytes);
	free(path);
}

/* ms_did_you_mean */

struct dym_case {
	const char *word;
	const char *want; /* NULL: no suggestion */
};

static void test_did_you_mean(void **state)
{
	static const char *const cands[] = {
		"instance_count", "instance_type", "arn", "name", "bucket",
		"bar", "baz", "aws_s3_bucket", "role", "data", NULL,
	};
	static const struct dym_case cases[] = {
		{ "instance_typ", "instance_type" },
		{ "instnce_tpye", "instance_type" },
		{ "aws_s3_bukket", "aws_s3_bucket" },
		{ "arnn", "arn" },
		{ "nmae", "name" },      /* a transposition is one edit */
		{ "Bucket", "bucket" },  /* case does not count */
		{ "bat", "bar" },        /* a tie goes to the first */
		{ "nope", NULL },        /* two edits is too much for 4 letters */
		{ "x", NULL },
		{ "zzzzzzzzzz", NULL },
	};
	size_t i;
	const char *got;

	(void)state;
	for (i = 0; i < MS_ARRAY_SIZE(cases); i++) {
		got = ms_did_you_mean(cases[i].word, cands);
		if (cases[i].want ? !got || strcmp(got, cases[i].want) : !!got)
			fail_msg("%s: got %s, want %s", cases[i].word,
				 got ? got : "NULL",
				 cases[i].want ? cases[i].want : "NULL");
	}
	assert_null(ms_did_you_mean("arn", NULL));
}

/* ms_stack_check_value, against a schema with nested parts */

static const struct ms_attr port_schema[] = {
	{ "port", MS_ATTR_NUMBER, MS_ATTR_REQUIRED, NULL, NULL, "port" },
	{ "protocol", MS_ATTR_STRING, 0, NULL, NULL, "protocol" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "id" },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

static const struct ms_attr vpc_schema[] = {
	{ "subnets", MS_ATTR_LIST, MS_ATTR_REQUIRED, NULL, NULL, "subnets" },
	{ "public", MS_ATTR_BOOL, 0, NULL, NULL, "public" },
	{ "ports", MS_ATTR_LIST, 0, NULL, port_schema, "ports" },
	{ "tags", MS_ATTR_MAP, 0, NULL, NULL, "tags" },
	{ "policy", MS_ATTR_JSON, 0, NULL, NULL, "policy" },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

static const struct ms_attr vpc_attr = { "vpc_config", MS_ATTR_OBJECT, 0, NULL,
					 vpc_schema, "vpc" };

struct check_case {
	const char *name;
	const char *value;
	const char *raw;      /* JSON object or NULL */
	const char *want;     /* the converted value, or NULL */
	const char *problems; /* JSON array, when want is NULL */
};

static const struct check_case check_cases[] = {
	{ "conversions", "{\"subnets\": [\"a\", 1, true], \"public\": \"true\","
	  " \"ports\": [{\"port\": \"443\"}], \"tags\": {\"n\": 1.5, \"b\":"
	  " false}, \"policy\": {\"x\": [1, null]}}",
	  NULL,
	  "{\"subnets\": [\"a\", \"1\", \"true\"], \"public\": true,"
	  " \"ports\": [{\"port\": 443}], \"tags\": {\"n\": \"1.5\", \"b\":"
	  " \"false\"}, \"policy\": {\"x\": [1, null]}}",
	  NULL },
	{ "numbers keep the text they were written as",
	  "{\"subnets\": [1.1], \"tags\": {\"v\": 1.1}}",
	  "{\".subnets[0]\": \"1.10\", \".tags.v\": \"1.10\"}",
	  "{\"subnets\": [\"1.10\"], \"tags\": {\"v\": \"1.10\"}}", NULL },
	{ "references are not checked",
	  "{\"subnets\": \"${net.ids}\", \"public\": \"${var.pub}\","
	  " \"ports\": [\"${x.port}\", {\"port\": \"${var.p}0\"}]}",
	  NULL,
	  "{\"subnets\": \"${net.ids}\", \"public\": \"${var.pub}\","
	  " \"ports\": [\"${x.port}\", {\"port\": \"${var.p}0\"}]}",
	  NULL },
	{ "unknowns pass", "{\"subnets\": " U ", \"tags\": {\"a\": " U "}}",
	  NULL, "{\"subnets\": " U ", \"tags\": {\"a\": " U "}}", NULL },
	{ "null means not set", "{\"subnets\": [], \"public\": null}", NULL,
	  "{\"subnets\": []}", NULL },
	{ "an interpolated string is no list",
	  "{\"subnets\": \"a-${var.x}\"}", NULL, NULL,
	  "[{\"path\": \".subnets\", \"at\": \"value\", \"message\":"
	  " \"attribute \\\"vpc_config.subnets\\\": expected a list, got"
	  " \\\"a-${var.x}\\\"\"}]" },
	{ "not a map", "\"x\"", NULL, NULL,
	  "[{\"path\": \"\", \"at\": \"value\", \"message\":"
	  " \"attribute \\\"vpc_config\\\": expected a map, got \\\"x\\\"\"}]" },
	{ "every problem, nested",
	  "{\"public\": \"yes\", \"ports\": [{\"port\": \"x\", \"protocl\":"
	  " \"tcp\", \"id\": \"i\"}, \"p\"], \"tags\": {\"a\": [1]},"
	  " \"extra\": 1, \"subnets\": null}",
	  NULL, NULL,
	  "[{\"path\": \".public\", \"at\": \"value\", \"message\": \"attribute"
	  " \\\"vpc_config.public\\\": expected a bool, got \\\"yes\\\"\"},"
	  " {\"path\": \".ports[0].port\", \"at\": \"value\", \"message\":"
	  " \"attribute \\\"vpc_config.ports[0].port\\\": expected a number,"
	  " got \\\"x\\\"\"},"
	  " {\"path\": \".ports[0].protocl\", \"at\": \"key\", \"message\":"
	  " \"unknown attribute \\\"vpc_config.ports[0].protocl\\\" (did you"
	  " mean \\\"vpc_config.ports[0].protocol\\\"?)\"},"
	  " {\"path\": \".ports[0].id\", \"at\": \"key\", \"message\":"
	  " \"attribute \\\"vpc_config.ports[0].id\\\" is computed by AWS and"
	  " cannot be set\"},"
	  " {\"path\": \".ports[1]\", \"at\": \"value\", \"message\":"
	  " \"attribute \\\"vpc_config.ports[1]\\\": expected a map, got"
	  " \\\"p\\\"\"},"
	  " {\"path\": \".tags.a\", \"at\": \"value\", \"message\": \"attribute"
	  " \\\"vpc_config.tags.a\\\": expected a string, got a list\"},"
	  " {\"path\": \".extra\", \"at\": \"key\", \"message\": \"unknown"
	  " attribute \\\"vpc_config.extra\\\"\"},"
	  " {\"path\": \".subnets\", \"at\": \"value\", \"message\": \"attribute"
	  " \\\"vpc_config.subnets\\\": expected a list, got null\"}]" },
	{ "missing required", "{\"ports\": [{\"protocol\": \"tcp\"}]}", NULL,
	  NULL,
	  "[{\"path\": \".ports[0]\", \"at\": \"key\", \"message\": \"missing"
	  " required attribute \\\"vpc_config.ports[0].port\\\"\"},"
	  " {\"path\": \"\", \"at\": \"key\", \"message\": \"missing required"
	  " attribute \\\"vpc_config.subnets\\\"\"}]" },
};

static void test_check_case(void **state)
{
	const struct check_case *c = *state;
	json_t *v = parse(c->value), *raw = c->raw ? parse(c->raw) : NULL;
	json_t *problems = json_array(), *out = NULL;
	int err;

	err = ms_stack_check_value(&out, &vpc_attr, v, "vpc_config", raw,
				   problems);
	if (c->want) {
		if (err) {
			char *p = json_dumps(problems, 0);

			fail_msg("problems: %s", p);
		}
		assert_json(out, c->want);
		assert_int_equal(json_array_size(problems), 0);
	} else {
		assert_int_equal(err, -1);
		assert_null(out);
		assert_json(problems, c->problems);
	}
	json_decref(out);
	json_decref(v);
	json_decref(raw);
	json_decref(problems);
}

/* ms_stack_parse_duration */

struct duration_case {
	const char *json;
	long want; /* -1: an error */
};

static void test_durations(void **state)
{
	static const struct duration_case cases[] = {
		{ "\"90s\"", 90 },     { "\"20m\"", 1200 },
		{ "\"1h30m\"", 5400 }, { "\"1h\"", 3600 },
		{ "\"2h0m5s\"", 7205 }, { "\"600\"", 600 },
		{ "600", 600 },        { "0", 0 },
		{ "\"20 minutes\"", -1 }, { "\"m\"", -1 },
		{ "\"\"", -1 },        { "\"5x\"", -1 },
		{ "\"30m1h\"", -1 },   { "\"1h1h\"", -1 },
		{ "\"1h30\"", -1 },    { "-5", -1 },
		{ "1.5", -1 },         { "true", -1 },
		{ "\"99999999999h\"", -1 },
	};
	json_t *v;
	long got;
	size_t i;
	int err;

	(void)state;
	for (i = 0; i < MS_ARRAY_SIZE(cases); i++) {
		v = parse(cases[i].json);
		err = ms_stack_parse_duration(&got, v);
		if (cases[i].want < 0 ? err != -1
				      : err || got != cases[i].want)
			fail_msg("%s: err %d, got %ld, want %ld", cases[i].json,
				 err, got, cases[i].want);
		json_decref(v);
	}
}

int main(void)
{
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_shallow_marks),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_alias_byte_bomb),
		cmocka_unit_test(test_lint_key),
		cmocka_unit_test(test_unreadable_file),
		cmocka_unit_test(test_diags_appended),
		cmocka_unit_test(test_load_buffer),
		cmocka_unit_test(test_did_you_mean),
		cmocka_unit_test(test_durations),
	};
	size_t n = MS_ARRAY_SIZE(fixed) + MS_ARRAY_SIZE(var_cases) +
		   MS_ARRAY_SIZE(broken_cases) + MS_ARRAY_SIZE(check_cases);
	struct CMUnitTest *tests = ms_calloc(n, sizeof(*tests));
	size_t i, k = 0;
	int failed;

	for (i = 0; i < MS_ARRAY_SIZE(fixed); i++)
		tests[k++] = fixed[i];
	for (i = 0; i < MS_ARRAY_SIZE(var_cases); i++) {
		tests[k].name = var_cases[i].name;
		tests[k].test_func = test_var_case;
		tests[k++].initial_state = (void *)&var_cases[i];
	}
	for (i = 0; i < MS_ARRAY_SIZE(broken_cases); i++) {
		tests[k].name = broken_cases[i].name;
		tests[k].test_func = test_broken_case;
		tests[k++].initial_state = (void *)&broken_cases[i];
	}
	for (i = 0; i < MS_ARRAY_SIZE(check_cases); i++) {
		tests[k].name = check_cases[i].name;
		tests[k].test_func = test_check_case;
		tests[k++].initial_state = (void *)&check_cases[i];
	}
	failed = _cmocka_run_group_tests("stack", tests, n, NULL, NULL);
	free(tests);
	return failed;
}
