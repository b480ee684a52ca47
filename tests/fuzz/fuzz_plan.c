/*
 * fuzz_plan.c - the saved plan (docs/plan-format.md): read as `mlstack
 * show PLAN` and `mlstack apply PLAN` read it (cmd_read_plan), then shown
 * as text and as Terraform's JSON representation, and asked whether it
 * has anything to apply.
 *
 * A saved plan is a file a user can edit or corrupt; whatever the reader
 * accepts, the renderers must show without crashing.
 */
#include "util/common.h"
#include "cmd/cmd.h"
#include "engine/render.h"
#include "tests/fuzz/fuzz.h"

static char *plan_file;

/* cmd/common.c's cmd_plan_apply needs these two of cmd/main.c; the
 * target never calls it. */
const char *cmd_opt(const struct cmd_opts *o, const char *name)
{
	(void)o;
	(void)name;
	return NULL;
}

bool cmd_flag(const struct cmd_opts *o, const char *name)
{
	(void)o;
	(void)name;
	return false;
}

/* Words a plan holds, for the JSON mutator. */
static const char *const words[] = {
	"create",
	"update",
	"replace",
	"delete",
	"noop",
	"aws_s3_bucket",
	"aws_s3_objects",
	"aws_sagemaker_endpoint",
	"aws_sagemaker_training_job",
	"store",
	"tags",
	"objects",
	"${store.arn}",
	"d41d8cd98f00b204e9800998ecf8427e 10",
	"",
	NULL,
};

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	return fuzz_mutate_json(data, size, max_size, seed, NULL, false, words);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	plan_file = fuzz_path("plan.json");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *plan = NULL, *tf;
	char *text;

	fuzz_write(plan_file, data, size);
	if (cmd_read_plan(&plan, plan_file)) {
		ms_error_clear();
		return 0;
	}
	ms_render_plan(fuzz_devnull(), plan);
	ms_render_plan_markdown(fuzz_devnull(), plan);
	tf = ms_render_plan_json(plan);
	text = json_dumps(tf, JSON_SORT_KEYS);
	free(text);
	json_decref(tf);
	ms_plan_has_changes(plan);
	ms_plan_needs_apply(plan);
	json_decref(plan);
	ms_error_clear();
	return 0;
}
