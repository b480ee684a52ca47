/*
 * test_render_json.c - Terraform's JSON plan of mlstack plans: named
 * cases, each a plan document (mlstack's own format) and what Terraform's
 * document must hold at a path ("resource_changes[ADDRESS]/change/after/
 * root_access"), or that it holds nothing there (want NULL).
 */
#include "util/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include "engine/render.h"
#include "util/json.h"

struct expect {
	const char *path;
	const char *want; /* JSON text; NULL: absent */
};

struct render_case {
	const char *name;
	const char *plan;
	struct expect expect[12]; /* ends with an entry with no path */
};

#define PLAN(changes)                                                   \
	"{\"format_version\": \"1\", \"stack\": \"s\", \"state_commit\": "  \
	"\"\", \"state_version\": \"\", \"stack_digest\": \"\", "           \
	"\"destroy\": false, \"variables\": {\"prefix\": \"p\"}, "          \
	"\"tags\": {\"project\": \"x\"}, \"outputs\": {\"b\": "             \
	"\"${store.bucket}\"}, \"timestamp\": \"2026-01-02T03:04:05Z\", "   \
	"\"changes\": [" changes "]}"

#define CREATE(name, type, after, config)                                \
	"{\"name\": \"" name "\", \"type\": \"" type "\", \"action\": "    \
	"\"create\", \"before\": null, \"after\": " after ", \"config\": " \
	config ", \"dependencies\": []}"

#define UNKNOWN "{\"__mlstack_unknown__\": true}"

static const struct render_case cases[] = {
	{ "notebook switches read as SageMaker's words",
	  PLAN(CREATE("nb", "aws_sagemaker_notebook_instance",
		      "{\"name\": \"n\", \"root_access\": false, "
		      "\"direct_internet_access\": true, \"arn\": " UNKNOWN
		      "}",
		      "{\"name\": \"n\", \"root_access\": false}")),
	  {
		  { "resource_changes[aws_sagemaker_notebook_instance.nb]/"
		    "change/after/root_access",
		    "\"Disabled\"" },
		  { "resource_changes[aws_sagemaker_notebook_instance.nb]/"
		    "change/after/direct_internet_access",
		    "\"Enabled\"" },
		  { "resource_changes[aws_sagemaker_notebook_instance.nb]/"
		    "change/after/arn",
		    NULL },
		  { "resource_changes[aws_sagemaker_notebook_instance.nb]/"
		    "change/after_unknown/arn",
		    "true" },
		  { "configuration/root_module/resources["
		    "aws_sagemaker_notebook_instance.nb]/expressions/"
		    "root_access",
		    "{\"constant_value\": \"Disabled\"}" },
	  } },
	{ "policies are JSON text, inline ones blocks",
	  PLAN(CREATE("r", "aws_iam_role",
		      "{\"name\": \"r\", \"assume_role_policy\": "
		      "{\"Version\": \"2012-10-17\", \"Statement\": []}, "
		      "\"inline_policies\": {\"b\": {\"Statement\": [1]}, "
		      "\"a\": {\"Statement\": [2]}}}",
		      "{}")),
	  {
		  { "resource_changes[aws_iam_role.r]/change/after/"
		    "assume_role_policy",
		    "\"{\\\"Statement\\\":[],\\\"Version\\\":"
		    "\\\"2012-10-17\\\"}\"" },
		  { "resource_changes[aws_iam_role.r]/change/after/"
		    "inline_policy",
		    "[{\"name\": \"a\", \"policy\": \"{\\\"Statement\\\":"
		    "[2]}\"}, {\"name\": \"b\", \"policy\": "
		    "\"{\\\"Statement\\\":[1]}\"}]" },
		  { "resource_changes[aws_iam_role.r]/change/after/"
		    "inline_policies",
		    NULL },
	  } },
	{ "an object is a block; secrets stay hidden where they land",
	  PLAN(CREATE("m", "aws_sagemaker_model",
		      "{\"name\": \"m\", \"primary_container\": {\"image\": "
		      "\"i\", \"environment\": {\"K\": \"secret\"}}}",
		      "{}")),
	  {
		  { "resource_changes[aws_sagemaker_model.m]/change/after/"
		    "primary_container",
		    "[{\"image\": \"i\", \"environment\": "
		    "{\"__mlstack_sensitive__\": true}}]" },
		  { "resource_changes[aws_sagemaker_model.m]/change/"
		    "after_sensitive",
		    "{\"primary_container\": [{\"environment\": true}]}" },
		  { "planned_values/root_module/resources["
		    "aws_sagemaker_model.m]/sensitive_values",
		    "{\"primary_container\": [{\"environment\": true}]}" },
		  { "resource_changes[aws_sagemaker_model.m]/change/"
		    "before_sensitive",
		    "false" },
	  } },
	{ "a bucket's settings are resources of their own",
	  PLAN(CREATE("store", "aws_s3_bucket",
		      "{\"bucket\": \"b\", \"versioning\": true, "
		      "\"block_public_access\": true, \"tags\": {\"team\": "
		      "\"ml\", \"project\": \"x\", \"mlstack:stack\": \"s\"}}",
		      "{\"bucket\": \"${var.prefix}-b\", \"tags\": "
		      "{\"team\": \"ml\"}}") "," CREATE(
		      "open", "aws_s3_bucket",
		      "{\"bucket\": \"o\", \"versioning\": false, "
		      "\"block_public_access\": false}",
		      "{}")),
	  {
		  { "resource_changes[aws_s3_bucket_versioning.store]/change/"
		    "after/versioning_configuration",
		    "[{\"status\": \"Enabled\", \"mfa_delete\": null}]" },
		  { "resource_changes[aws_s3_bucket_public_access_block.store]"
		    "/change/after/restrict_public_buckets",
		    "true" },
		  { "resource_changes[aws_s3_bucket_versioning.open]", NULL },
		  { "resource_changes[aws_s3_bucket.store]/change/after/"
		    "versioning",
		    NULL },
		  { "resource_changes[aws_s3_bucket.store]/change/after/tags",
		    "{\"team\": \"ml\"}" },
		  { "resource_changes[aws_s3_bucket.store]/change/after/"
		    "tags_all",
		    "{\"team\": \"ml\", \"project\": \"x\", "
		    "\"mlstack:stack\": \"s\"}" },
		  { "configuration/root_module/resources["
		    "aws_s3_bucket_public_access_block.store]/expressions/"
		    "bucket",
		    "{\"references\": [\"aws_s3_bucket.store.id\", "
		    "\"aws_s3_bucket.store\"]}" },
		  { "output_changes/b/after", "\"b\"" },
	  } },
	{ "a forced replacement says what forced it",
	  PLAN("{\"name\": \"i\", \"type\": \"aws_instance\", \"action\": "
	       "\"replace\", \"before\": {\"ami\": \"a\", \"state\": "
	       "\"running\"}, \"after\": {\"ami\": \"b\", \"state\": "
	       "\"running\", \"vpc_security_group_ids\": [" UNKNOWN "]}, "
	       "\"forces\": [\"ami\"], \"config\": {\"vpc_security_group_ids\""
	       ": [\"${sg.id}\"]}, \"dependencies\": []}"),
	  {
		  { "resource_changes[aws_instance.i]/change/actions",
		    "[\"delete\", \"create\"]" },
		  { "resource_changes[aws_instance.i]/change/replace_paths",
		    "[[\"ami\"]]" },
		  { "resource_changes[aws_instance.i]/action_reason",
		    "\"replace_because_cannot_update\"" },
		  { "resource_changes[aws_instance.i]/change/after/"
		    "instance_state",
		    "\"running\"" },
		  { "resource_changes[aws_instance.i]/change/after/"
		    "vpc_security_group_ids",
		    "[null]" },
		  { "resource_changes[aws_instance.i]/change/after_unknown/"
		    "vpc_security_group_ids",
		    "[true]" },
		  { "prior_state/values/root_module/resources[aws_instance.i]"
		    "/values/ami",
		    "\"a\"" },
	  } },
	{ "a tainted object is replaced because it is",
	  PLAN("{\"name\": \"f\", \"type\": \"aws_lambda_function\", "
	       "\"action\": \"replace\", \"before\": {\"function_name\": "
	       "\"f\"}, \"after\": {\"function_name\": \"f\", "
	       "\"environment\": {}}, \"forces\": [\"(tainted)\"], "
	       "\"dependencies\": []}"),
	  {
		  { "resource_changes[aws_lambda_function.f]/action_reason",
		    "\"replace_because_tainted\"" },
		  { "resource_changes[aws_lambda_function.f]/change/"
		    "replace_paths",
		    NULL },
		  /* sensitive by the schema, hidden whole, inside its block */
		  { "resource_changes[aws_lambda_function.f]/change/after/"
		    "environment",
		    "[{\"variables\": {\"__mlstack_sensitive__\": true}}]" },
		  { "resource_changes[aws_lambda_function.f]/change/"
		    "after_sensitive/environment",
		    "[{\"variables\": true}]" },
		  { "resource_changes[aws_lambda_function.f]/change/after/"
		    "reserved_concurrent_executions",
		    "-1" },
	  } },
};

/* The value at path: "/"-separated keys, "[ADDRESS]" picks from a list. */
static json_t *at(json_t *doc, const char *path)
{
	char *copy = ms_strdup(path), *p = copy, *seg;
	json_t *v = doc;

	while (v && (seg = strsep(&p, "/"))) {
		char *open = strchr(seg, '[');

		if (open) {
			json_t *list, *x, *found = NULL;
			size_t i;

			*open = '\0';
			open[strlen(open + 1)] = '\0';
			list = json_object_get(v, seg);
			json_array_foreach(list, i, x)
				if (!strcmp(json_string_value(json_object_get(
						    x, "address")),
					    open + 1))
					found = x;
			v = found;
		} else {
			v = json_object_get(v, seg);
		}
	}
	free(copy);
	return v;
}

static void run_case(const struct render_case *c)
{
	json_error_t err;
	json_t *plan = json_loads(c->plan, 0, &err), *doc;
	const struct expect *e;

	if (!plan)
		fail_msg("%s: plan: %s", c->name, err.text);
	doc = ms_render_plan_json(plan);
	assert_string_equal(json_string_value(at(doc, "format_version")),
			    "1.2");
	assert_string_equal(json_string_value(at(doc, "timestamp")),
			    "2026-01-02T03:04:05Z");
	for (e = c->expect; e->path; e++) {
		json_t *got = at(doc, e->path);
		json_t *want = e->want ? json_loads(e->want, JSON_DECODE_ANY,
						    &err) :
					 NULL;

		if (e->want && !want)
			fail_msg("%s: %s: bad want: %s", c->name, e->path,
				 err.text);
		if (!json_equal(got, want) && (got || want)) {
			char *g = got ? json_dumps(got, JSON_ENCODE_ANY |
								JSON_SORT_KEYS) :
					ms_strdup("(absent)");

			print_error("%s: %s: got %s, want %s\n", c->name,
				    e->path, g, e->want ? e->want : "(absent)");
			free(g);
			fail();
		}
		json_decref(want);
	}
	json_decref(doc);
	json_decref(plan);
}

static void test_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < MS_ARRAY_SIZE(cases); i++)
		run_case(&cases[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
	};

	ms_json_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
