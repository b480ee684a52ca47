/*
 * fuzz_state.c - the state directory's files as the engine reads them:
 * resources/<name>.json, stack.json and journal.json, each possibly
 * corrupt or written by another version, under a fixed stack.
 *
 * The input is up to six files separated by lines "--": the stored
 * values of the stack's resources store, role and model, of "old" (a
 * resource the stack no longer declares), then stack.json and
 * journal.json; a file not given, or empty, is absent. Opening the
 * engine checks them all; what passes goes through what `state list`,
 * `state show`, `show`, `output` and `plan -refresh=false` (destroy
 * too) do. A journal with intents needs a session, which fails at once
 * (no credentials, fuzz.h).
 */
#include "util/common.h"
#include "engine/engine.h"
#include "engine/render.h"
#include "util/json.h"
#include "tests/fuzz/fuzz.h"

#define SEPARATOR "\n--\n"

static const char stack_yaml[] =
	"stack: t\n"
	"tags: {team: ml}\n"
	"resources:\n"
	"  store:\n"
	"    type: aws_s3_bucket\n"
	"    properties: {bucket: t-data, tags: {env: prod}}\n"
	"  role:\n"
	"    type: aws_iam_role\n"
	"    properties:\n"
	"      name: t-role\n"
	"      assume_role_policy: {Version: \"2012-10-17\", Statement: []}\n"
	"      inline_policies:\n"
	"        s3: {Version: \"2012-10-17\", Statement: [{Effect: Allow, "
	"Action: \"s3:*\", Resource: \"${store.arn}\"}]}\n"
	"  model:\n"
	"    type: aws_sagemaker_model\n"
	"    properties:\n"
	"      execution_role_arn: ${role.arn}\n"
	"      primary_container: {image: \"1.dkr.ecr.us-east-1.amazonaws."
	"com/m:1\"}\n"
	"    lifecycle: {create_before_destroy: true}\n"
	"outputs:\n"
	"  bucket: ${store.arn}\n";

static const char *const files[] = {
	"state/t/resources/store.json", "state/t/resources/role.json",
	"state/t/resources/model.json", "state/t/resources/old.json",
	"state/t/stack.json",           "state/t/journal.json",
};

static char *paths[MS_ARRAY_SIZE(files)];
static struct ms_engine_opts eo;

static void show(struct ms_engine *e)
{
	json_t *names = NULL, *v, *r, *outputs = NULL, *sensitive = NULL;
	char *s;
	size_t i;

	if (!ms_engine_state_list(e, &names))
		json_array_foreach(names, i, v) {
			r = NULL;
			if (ms_engine_state_get(e, json_string_value(v), &r))
				continue;
			ms_render_resource(fuzz_devnull(), json_string_value(v),
					   r);
			json_decref(r);
		}
	json_decref(names);
	if (!ms_engine_outputs(e, &outputs, &sensitive)) {
		s = ms_json_compact(outputs);
		free(s);
	}
	json_decref(outputs);
	json_decref(sensitive);
}

static void plan(struct ms_engine *e, bool destroy)
{
	struct ms_plan_opts po = { destroy, false };
	json_t *p = NULL, *tf;

	if (ms_engine_plan(e, &po, &p))
		return;
	ms_render_plan(fuzz_devnull(), p);
	tf = ms_render_plan_json(p);
	ms_plan_needs_apply(p);
	json_decref(tf);
	json_decref(p);
}

/* Words stored values hold, for the JSON mutator. */
static const char *const words[] = {
	"aws_s3_bucket",
	"aws_iam_role",
	"aws_sagemaker_model",
	"aws_sagemaker_endpoint",
	"aws_s3_objects",
	"store",
	"role",
	"model",
	"old",
	"t-data",
	"t-role",
	"arn:aws:s3:::t-data",
	"create",
	"replace",
	"",
	NULL,
};

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	return fuzz_mutate_json(data, size, max_size, seed, SEPARATOR, false,
				words);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ms_engine *e = NULL;
	size_t i;

	(void)argc;
	(void)argv;
	fuzz_setup();
	for (i = 0; i < MS_ARRAY_SIZE(files); i++)
		paths[i] = fuzz_path(files[i]);
	eo.file = fuzz_path("mlstack.yaml");
	eo.state_dir = fuzz_path("state");
	fuzz_write(eo.file, stack_yaml, sizeof(stack_yaml) - 1);
	/* makes the state's repository and directories */
	if (ms_engine_open(&e, &eo, NULL)) {
		fprintf(stderr, "fuzz_state: %s\n", ms_error_last());
		abort();
	}
	ms_engine_free(e);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *sep;
	struct ms_engine *e = NULL;
	size_t i;

	for (i = 0; i < MS_ARRAY_SIZE(files); i++) {
		sep = p ? memmem(p, (size_t)(end - p), SEPARATOR,
				 strlen(SEPARATOR)) :
			  NULL;
		if (p && (sep ? sep : end) > p)
			fuzz_write(paths[i], p,
				   (size_t)((sep ? sep : end) - p));
		else
			remove(paths[i]);
		p = sep ? sep + strlen(SEPARATOR) : NULL;
	}
	/* opening checks every state file: a corrupt one ends here */
	if (ms_engine_open(&e, &eo, NULL)) {
		ms_error_clear();
		return 0;
	}
	show(e);
	plan(e, false);
	plan(e, true);
	ms_engine_free(e);
	ms_error_clear();
	return 0;
}
