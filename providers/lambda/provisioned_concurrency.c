/*
 * provisioned_concurrency.c - aws_lambda_provisioned_concurrency_config:
 * execution environments kept warm for a version or an alias of a
 * function.
 *
 * Lambda allocates them asynchronously: a create or update waits until
 * the config is READY (FAILED fails the action with Lambda's reason).
 * A config follows the version it is on: when the stack points it at a
 * new version, the new config is made (and READY) before the old one is
 * deleted, so warm capacity never drops to nothing. Configs carry no
 * tags: one found on the qualifier is this stack's when its function
 * carries this stack's owner mark. The object is "<function>:<qualifier>".
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/lambda/lambda.h"

#define API "2019-09-30"

static const struct ms_attr schema[] = {
	{ "function_name", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW,
	  NULL, NULL, "the function" },
	{ "qualifier", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW,
	  NULL, NULL, "a published version or an alias (not $LATEST)" },
	{ "provisioned_concurrent_executions", MS_ATTR_NUMBER, MS_ATTR_REQUIRED,
	  NULL, NULL, "environments kept warm (1 or more)",
	  "ProvisionedConcurrentExecutions" },
	{ "status", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "READY once allocated", "|Status" },
	{ "allocated_provisioned_concurrent_executions", MS_ATTR_NUMBER,
	  MS_ATTR_COMPUTED, NULL, NULL, "how many are allocated",
	  "|AllocatedProvisionedConcurrentExecutions" },
	{ "qualified_name", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "<function>:<qualifier>" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "<function>:<qualifier>" },
	{ NULL },
};

struct config {
	struct ms_call *call;
	char *fn, *qualifier, *query;
};

static int config_init(struct config *c, struct ms_call *call,
		       const json_t *attrs)
{
	struct ms_buf q = MS_BUF_INIT;
	int err;

	memset(c, 0, sizeof(*c));
	c->call = call;
	err = ms_lambda_qualified(attrs, "qualifier", &c->fn, &c->qualifier);
	if (!err) {
		ms_buf_adds(&q, "Qualifier=");
		ms_aws_uri_encode(&q, c->qualifier, strlen(c->qualifier), 0);
		c->query = ms_buf_detach(&q, NULL);
	}
	return err;
}

static void config_release(struct config *c)
{
	free(c->fn);
	free(c->qualifier);
	free(c->query);
}

static int pc_send(struct config *c, json_t **out, struct ms_aws_error *error,
		   const char *operation, const char *method,
		   const json_t *body)
{
	return ms_lambda_call(out, error, c->call->aws, operation, method, API,
			      c->fn, "/provisioned-concurrency", c->query,
			      body);
}

/* *out = the live attributes, or NULL when there is no config. */
static int get(struct config *c, json_t **out)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *answer = NULL;
	char *id;
	int err;

	*out = NULL;
	err = pc_send(c, &answer, &error, "GetProvisionedConcurrencyConfig",
		      "GET", NULL);
	if (!err) {
		id = ms_asprintf("%s:%s", c->fn, c->qualifier);
		*out = json_pack(
			"{s:s, s:s, s:O?, s:O?, s:O?, s:s, s:s}",
			"function_name", c->fn, "qualifier", c->qualifier,
			"provisioned_concurrent_executions",
			json_object_get(
				answer,
				"RequestedProvisionedConcurrentExecutions"),
			"status", json_object_get(answer, "Status"),
			"allocated_provisioned_concurrent_executions",
			json_object_get(
				answer,
				"AllocatedProvisionedConcurrentExecutions"),
			"qualified_name", id, "id", id);
		free(id);
	}
	if (err &&
	    (ms_aws_error_is(&error,
			     "ProvisionedConcurrencyConfigNotFoundException",
			     NULL) ||
	     ms_aws_error_is(&error, "ResourceNotFoundException", NULL))) {
		ms_error_clear();
		err = 0;
	}
	ms_aws_error_release(&error);
	json_decref(answer);
	return err;
}

static int poll_config(struct ms_aws_wait_poll *out, void *payload)
{
	struct config *c = payload;
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *answer = NULL;
	int err = pc_send(c, &answer, &error, "GetProvisionedConcurrencyConfig",
			  "GET", NULL);

	if (!err) {
		out->status = ms_strdup(ms_kit_str(answer, "Status", ""));
		if (ms_kit_str(answer, "StatusReason", NULL))
			out->reason = ms_strdup(
				ms_kit_str(answer, "StatusReason", ""));
	} else if (error.code) {
		out->error_code = ms_strdup(error.code);
		if (ms_aws_error_is(
			    &error,
			    "ProvisionedConcurrencyConfigNotFoundException",
			    NULL)) {
			ms_error_clear();
			err = 0; /* gone */
		}
	}
	ms_aws_error_release(&error);
	json_decref(answer);
	return err;
}

/* Until READY; FAILED fails with Lambda's reason. */
static int wait_ready(struct config *c)
{
	static const char *const success[] = { "READY", NULL };
	static const char *const failure[] = { "FAILED", NULL };
	struct ms_aws_waiter w = { 0 };
	char what[300];

	snprintf(what, sizeof(what), "provisioned concurrency of '%s:%s'",
		 c->fn, c->qualifier);
	w.what = what;
	w.delay = 5;
	w.max_attempts = 180;
	w.success = success;
	w.failure = failure;
	w.gone = MS_AWS_WAIT_FAILURE;
	return ms_aws_wait(NULL, c->call, &w, poll_config, c);
}

static int put(struct config *c, const json_t *desired, json_t **out)
{
	json_t *body = json_pack(
		"{s:O}", "ProvisionedConcurrentExecutions",
		json_object_get(desired, "provisioned_concurrent_executions"));
	json_t *answer = NULL;
	int err = pc_send(c, &answer, NULL, "PutProvisionedConcurrencyConfig",
			  "PUT", body);
	int waited;

	*out = NULL;
	json_decref(body);
	json_decref(answer);
	if (err)
		return err;
	waited = wait_ready(c);
	/* made, even when it failed: the engine records it (tainted) */
	err = get(c, out);
	return waited ? waited : err;
}

static int pc_read(struct ms_call *call, const json_t *prior, json_t **out)
{
	struct config c;
	int err = config_init(&c, call, prior);

	*out = NULL;
	if (!err)
		err = get(&c, out);
	config_release(&c);
	return err;
}

static int pc_create(struct ms_call *call, const json_t *desired, json_t **out)
{
	struct config c;
	json_t *have = NULL;
	char what[300], *id;
	bool ours = false;
	int err = config_init(&c, call, desired);

	*out = NULL;
	if (!err)
		err = get(&c, &have);
	if (!err && have)
		err = ms_lambda_stack_owns(call, c.fn, &ours);
	if (!err && have && !ours) {
		id = ms_asprintf("%s:%s", c.fn, c.qualifier);
		snprintf(what, sizeof(what),
			 "provisioned concurrency config '%s'", id);
		err = ms_call_taken(call, what, id);
		free(id);
	}
	if (!err)
		err = put(&c, desired, out);
	json_decref(have);
	config_release(&c);
	return err;
}

static int pc_update(struct ms_call *call, const json_t *prior,
		     const json_t *desired, json_t **out)
{
	struct config c;
	int err = config_init(&c, call, desired);

	*out = NULL;
	if (!err)
		err = put(&c, desired, out);
	config_release(&c);
	return err;
}

static int pc_delete(struct ms_call *call, const json_t *prior)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	struct config c;
	int err = config_init(&c, call, prior);

	if (!err)
		err = pc_send(&c, NULL, &error,
			      "DeleteProvisionedConcurrencyConfig", "DELETE",
			      NULL);
	if (err &&
	    (ms_aws_error_is(&error,
			     "ProvisionedConcurrencyConfigNotFoundException",
			     NULL) ||
	     ms_aws_error_is(&error, "ResourceNotFoundException", NULL))) {
		ms_error_clear();
		err = 0;
	}
	ms_aws_error_release(&error);
	config_release(&c);
	return err;
}

static int pc_claim(struct ms_call *call, const json_t *live, double since,
		    bool *ours)
{
	return ms_lambda_stack_owns(call, ms_kit_str(live, "function_name", ""),
				    ours);
}

static int pc_normalize(json_t *attrs)
{
	const char *fn = ms_kit_str(attrs, "function_name", NULL);
	const char *q = ms_kit_str(attrs, "qualifier", NULL);
	char *s;

	if (q && !strcmp(q, "$LATEST"))
		return ms_error("qualifier: provisioned concurrency needs a "
				"published version or an alias, not $LATEST "
				"(set publish: true on the function)");
	if (fn && q) {
		s = ms_asprintf("%s:%s", fn, q);
		json_object_set_new(attrs, "qualified_name", json_string(s));
		free(s);
	}
	return ms_kit_check_number(attrs, "provisioned_concurrent_executions",
				   "provisioned_concurrent_executions", 1,
				   INFINITY, true);
}

/*
 * The environments kept warm, each the function's memory, by the
 * GB-second of its architecture; from the minimum to the maximum of an
 * auto scaling target of the stack that scales them. The function (its
 * memory size and architecture) is another resource of the stack.
 */
static int pc_cost(struct ms_cost *out, const json_t *attrs,
		   const struct ms_cost_env *env)
{
	const char *fn_name = ms_kit_str(attrs, "function_name", NULL);
	const char *qualifier = ms_kit_str(attrs, "qualifier", NULL);
	const json_t *fn, *target = NULL;
	const char *arch;
	double n, lo, hi, mb;
	char what[192], *id;

	n = ms_cost_number(out, attrs, "provisioned_concurrent_executions", 0);
	fn = env->related(env, "function_name", "aws_lambda_function",
			  "function_name");
	if (!fn && fn_name)
		fn = env->find(env, "aws_lambda_function", "arn", fn_name);
	if (!fn) {
		ms_cost_unknown(out,
				"function %s is not in the stack: its memory "
				"size is not known",
				fn_name ? fn_name : "(unknown)");
		return 0;
	}
	mb = ms_cost_number(out, fn, "memory_size", 128);
	arch = json_string_value(
		json_array_get(json_object_get(fn, "architectures"), 0));
	if (!arch)
		arch = "x86_64";
	lo = hi = n;
	if (fn_name && qualifier) {
		id = ms_asprintf("function:%s:%s", fn_name, qualifier);
		target = env->find(env, "aws_appautoscaling_target",
				   "resource_id", id);
		free(id);
	}
	if (target) {
		lo = ms_cost_number(out, target, "min_capacity", n);
		hi = ms_cost_number(out, target, "max_capacity", n);
	}
	if (n < 0 || mb < 0 || lo < 0 || hi < 0)
		return 0;
	snprintf(what, sizeof(what),
		 "provisioned concurrency, %g to %g environments of %g MB (%s)",
		 lo, hi, mb, arch);
	if (lo == hi)
		snprintf(what, sizeof(what),
			 "provisioned concurrency, %g environments of %g MB "
			 "(%s)",
			 lo, mb, arch);
	ms_cost_add(out, env, "lambda.provisioned-concurrency", arch, what,
		    lo * mb / 1024, hi * mb / 1024);
	return 0;
}

const struct ms_resource_type ms_aws_lambda_provisioned_concurrency_config = {
	.name = "aws_lambda_provisioned_concurrency_config",
	.schema = schema,
	.id_attr = "qualified_name",
	.create_before_destroy = true,
	.read = pc_read,
	.create = pc_create,
	.update = pc_update,
	.delete = pc_delete,
	.normalize = pc_normalize,
	.claim = pc_claim,
	.cost = pc_cost,
};
