/*
 * fuzz_stack.c - the stack file: YAML (anchors, aliases, limits), the
 * checks against the provider schemas, references and the graph; and,
 * for a stack that loads, a plan of it against an empty state with
 * refresh off, as `mlstack plan -refresh=false` would make and print it
 * (its lint warnings too), and its lint findings as SARIF.
 *
 * The plan evaluates every expression (var., resource attributes,
 * merge(), file()), fills defaults and normalises desired values through
 * each type's hooks. References to aws.* and data.* need a session and
 * fail at once: there are no credentials (fuzz.h).
 */
#include "util/common.h"
#include "engine/engine.h"
#include "engine/render.h"
#include "engine/stack.h"
#include "tests/fuzz/fuzz.h"

static char *stack_file, *state_dir;

/* Words a stack holds, for the mutator (which writes YAML as JSON). */
static const char *const words[] = {
	"aws_s3_bucket",
	"aws_s3_objects",
	"aws_iam_role",
	"aws_sagemaker_model",
	"aws_sagemaker_endpoint",
	"aws_sagemaker_training_job",
	"aws_lambda_function",
	"aws_appautoscaling_policy",
	"aws_instance",
	"aws_security_group",
	"${var.prefix}",
	"${store.arn}",
	"${role.arn}",
	"${merge(var.tags, store.tags)}",
	"${stack.name}",
	"20m",
	"true",
	"1.10",
	"s3://b/p/",
	"x",
	"",
	"lint",
	"ignore",
	"MLS-IAM-002",
	"arn:aws:iam::aws:policy/AmazonS3FullAccess",
	"0.0.0.0/0",
	NULL,
};

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	return fuzz_mutate_json(data, size, max_size, seed, NULL, true, words);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	stack_file = fuzz_path("mlstack.yaml");
	state_dir = fuzz_path("state");
	return 0;
}

static void plan(const uint8_t *data, size_t size)
{
	struct ms_engine_opts eo = { 0 };
	struct ms_plan_opts po = { false, false, true };
	struct ms_engine *e = NULL;
	json_t *p = NULL, *tf = NULL, *diags = NULL, *lint = NULL, *sarif;
	char *dot = NULL, *dir = NULL;

	fuzz_write(stack_file, data, size);
	eo.file = stack_file;
	eo.state_dir = state_dir;
	if (ms_engine_open(&e, &eo, &diags))
		goto done;
	dir = ms_asprintf("%s/%s", state_dir, ms_engine_stack_name(e));
	if (!ms_engine_graph_dot(e, &dot))
		free(dot);
	if (!ms_engine_plan(e, &po, &p)) {
		ms_render_plan(fuzz_devnull(), p);
		ms_render_plan_markdown(fuzz_devnull(), p);
		tf = ms_render_plan_json(p);
		ms_plan_needs_apply(p);
	}
	if (!ms_engine_lint(e, &lint)) {
		ms_render_lint(fuzz_devnull(), lint);
		sarif = ms_render_lint_sarif(lint, "0");
		json_decref(sarif);
	}
done:
	ms_engine_free(e);
	/* each stack name makes its own directory in the state */
	if (dir)
		fuzz_remove(dir);
	free(dir);
	json_decref(p);
	json_decref(tf);
	json_decref(lint);
	json_decref(diags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ms_stack *s = NULL;
	json_t *diags = NULL;

	if (!ms_stack_load_buffer(&s, "fuzz.yaml", (const char *)data, size,
				  NULL, &diags))
		plan(data, size);
	ms_stack_free(s);
	json_decref(diags);
	ms_error_clear();
	return 0;
}
