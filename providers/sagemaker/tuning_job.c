/*
 * tuning_job.c - aws_sagemaker_hyper_parameter_tuning_job: a SageMaker
 * hyperparameter tuning job, which runs training jobs over parameter
 * ranges and finds the best by an objective metric.
 *
 * Like a training job it is run once, named after a hash of its spec (in
 * SageMaker's 32 characters), waited for until it ends, reporting its
 * counters and the best objective so far, and stopped (not deleted) by
 * destroy. Its outputs are what the estimators and models downstream use:
 * the best training job, its tuned hyperparameters and its artifacts.
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/sagemaker/sagemaker.h"

static const struct ms_attr objective_schema[] = {
	{ "type", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "Maximize or Minimize", "Type" },
	{ "metric_name", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the metric (one of the definition's metric definitions)",
	  "MetricName" },
	{ NULL },
};

static const struct ms_attr limits_schema[] = {
	{ "max_number_of_training_jobs", MS_ATTR_NUMBER, MS_ATTR_REQUIRED, NULL,
	  NULL, "training jobs in all", "MaxNumberOfTrainingJobs" },
	{ "max_parallel_training_jobs", MS_ATTR_NUMBER, MS_ATTR_REQUIRED, NULL,
	  NULL, "training jobs at once", "MaxParallelTrainingJobs" },
	{ NULL },
};

static const struct ms_attr range_schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the hyperparameter", "Name" },
	{ "min_value", MS_ATTR_NUMBER, MS_ATTR_REQUIRED, NULL, NULL,
	  "the smallest value", "MinValue:text" },
	{ "max_value", MS_ATTR_NUMBER, MS_ATTR_REQUIRED, NULL, NULL,
	  "the largest value", "MaxValue:text" },
	{ "scaling_type", MS_ATTR_STRING, 0, "\"Auto\"", NULL,
	  "Auto, Linear, Logarithmic or ReverseLogarithmic", "ScalingType" },
	{ NULL },
};

static const struct ms_attr categorical_schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the hyperparameter", "Name" },
	{ "values", MS_ATTR_LIST, MS_ATTR_REQUIRED, NULL, NULL,
	  "the values to try", "Values" },
	{ NULL },
};

static const struct ms_attr ranges_schema[] = {
	{ "integer", MS_ATTR_LIST, 0, NULL, range_schema, "integer ranges",
	  "IntegerParameterRanges", "name" },
	{ "continuous", MS_ATTR_LIST, 0, NULL, range_schema,
	  "continuous ranges", "ContinuousParameterRanges", "name" },
	{ "categorical", MS_ATTR_LIST, 0, NULL, categorical_schema,
	  "categorical ranges", "CategoricalParameterRanges", "name" },
	{ NULL },
};

static const struct ms_attr definition_schema[] = {
	{ "role_arn", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_ARN, NULL,
	  NULL, "the IAM role the training jobs run as", "RoleArn" },
	{ "algorithm_specification", MS_ATTR_OBJECT, MS_ATTR_REQUIRED, NULL,
	  ms_sagemaker_algorithm_schema, "the training image",
	  "AlgorithmSpecification" },
	{ "static_hyper_parameters", MS_ATTR_MAP, 0, NULL, NULL,
	  "hyperparameters every training job gets", "StaticHyperParameters" },
	{ "input_data_config", MS_ATTR_LIST, 0, NULL,
	  ms_sagemaker_channel_schema, "the input channels", "InputDataConfig",
	  "channel_name" },
	{ "output_data_config", MS_ATTR_OBJECT, MS_ATTR_REQUIRED, NULL,
	  ms_sagemaker_output_schema, "where the model artifacts go",
	  "OutputDataConfig" },
	{ "resource_config", MS_ATTR_OBJECT, MS_ATTR_REQUIRED, NULL,
	  ms_sagemaker_resource_schema, "the instances of each job",
	  "ResourceConfig" },
	{ "stopping_condition", MS_ATTR_OBJECT, 0, "{}",
	  ms_sagemaker_stopping_schema, "when a job is stopped",
	  "StoppingCondition" },
	{ NULL },
};

#define NEW    (MS_ATTR_FORCE_NEW)
#define CONFIG "HyperParameterTuningJobConfig."

static const struct ms_attr schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_OPTIONAL_COMPUTED | NEW, NULL, NULL,
	  "the tuning job's name (default: `<stack>-<resource>-<hash>`, in "
	  "32 characters)",
	  "HyperParameterTuningJobName" },
	{ "strategy", MS_ATTR_STRING, NEW, "\"Bayesian\"", NULL,
	  "Bayesian, Random, Grid or Hyperband", CONFIG "Strategy" },
	{ "objective", MS_ATTR_OBJECT, MS_ATTR_REQUIRED | NEW, NULL,
	  objective_schema, "the metric to maximize or minimize",
	  CONFIG "HyperParameterTuningJobObjective" },
	{ "resource_limits", MS_ATTR_OBJECT, MS_ATTR_REQUIRED | NEW, NULL,
	  limits_schema, "how many training jobs", CONFIG "ResourceLimits" },
	{ "parameter_ranges", MS_ATTR_OBJECT, MS_ATTR_REQUIRED | NEW, NULL,
	  ranges_schema, "the hyperparameters to tune",
	  CONFIG "ParameterRanges" },
	{ "training_job_definition", MS_ATTR_OBJECT, MS_ATTR_REQUIRED | NEW,
	  NULL, definition_schema, "the training jobs it runs",
	  "TrainingJobDefinition" },
	{ "tags", MS_ATTR_MAP, MS_ATTR_TAGS, "{}", NULL,
	  "tags (with the stack's default tags and its owner mark)", "Tags" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN",
	  "|HyperParameterTuningJobArn" },
	{ "status", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "HyperParameterTuningJobStatus (Completed)",
	  "|HyperParameterTuningJobStatus" },
	{ "training_job_counters", MS_ATTR_MAP, MS_ATTR_COMPUTED, NULL, NULL,
	  "training jobs by status (Completed, InProgress ...)",
	  "|TrainingJobStatusCounters" },
	{ "best_training_job", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the name of the best training job",
	  "|BestTrainingJob.TrainingJobName" },
	{ "best_hyperparameters", MS_ATTR_MAP, MS_ATTR_COMPUTED, NULL, NULL,
	  "the tuned hyperparameters of the best job",
	  "|BestTrainingJob.TunedHyperParameters" },
	{ "best_objective_value", MS_ATTR_NUMBER, MS_ATTR_COMPUTED, NULL, NULL,
	  "the best job's objective metric",
	  "|BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric.Value" },
	{ "best_model_artifacts", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the S3 URI of the best job's model.tar.gz" },
	{ "failure_reason", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "why it failed", "|FailureReason" },
	{ MS_SAGEMAKER_LISTED_TIME, MS_ATTR_JSON,
	  MS_ATTR_COMPUTED | MS_ATTR_INTERNAL, NULL, NULL,
	  "LastModifiedTime when last read, for refresh by listing",
	  "|LastModifiedTime" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the tuning job's name" },
	{ NULL },
};

static const char *const completed[] = { "Completed", NULL };
static const char *const ended[] = { "Failed", "Stopped", NULL };

#define WAIT_DELAY 30.0
#define WAIT_HOURS 72

/* The counters and the best objective so far, when they change. */
struct progress {
	struct ms_sagemaker_object *o;
	char last[256];
};

static int poll(struct ms_aws_wait_poll *out, void *payload)
{
	struct progress *p = payload;
	const json_t *a, *n, *best;
	char line[256];
	int err = ms_sagemaker_poll(out, &p->o->poll);

	a = p->o->poll.last;
	n = json_object_get(a, "TrainingJobStatusCounters");
	best = json_object_get(json_object_get(a, "BestTrainingJob"),
			       "FinalHyperParameterTuningJobObjectiveMetric");
	if (err || !n)
		return err;
	snprintf(line, sizeof(line), "%lld/%lld jobs done, %lld running",
		 (long long)json_integer_value(json_object_get(n, "Completed")),
		 (long long)json_integer_value(json_object_get(
			 json_object_get(
				 json_object_get(
					 a, "HyperParameterTuningJobConfig"),
				 "ResourceLimits"),
			 "MaxNumberOfTrainingJobs")),
		 (long long)json_integer_value(
			 json_object_get(n, "InProgress")));
	if (json_is_number(json_object_get(best, "Value")))
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
			 ", best %s=%g", ms_kit_str(best, "MetricName", "?"),
			 json_number_value(json_object_get(best, "Value")));
	if (strcmp(line, p->last)) {
		ms_call_progress(p->o->call, "%s", line);
		snprintf(p->last, sizeof(p->last), "%s", line);
	}
	return 0;
}

static int wait_done(struct ms_sagemaker_object *o)
{
	struct ms_aws_waiter w = { 0 };
	struct progress p = { o, "" };

	w.what = o->what;
	w.delay = WAIT_DELAY;
	w.max_attempts = (int)(WAIT_HOURS * 3600 / WAIT_DELAY);
	w.success = completed;
	w.failure = ended;
	w.retryable = ms_sagemaker_retryable;
	w.gone = MS_AWS_WAIT_FAILURE;
	w.started = o->started;
	return ms_aws_wait(NULL, o->call, &w, poll, &p);
}

/*
 * The best job's artifacts: SageMaker writes them to
 * <output path>/<job name>/output/model.tar.gz.
 */
static void best_artifacts(json_t *attrs, const json_t *answer)
{
	const char *best = ms_kit_str(attrs, "best_training_job", NULL);
	const char *out = ms_kit_str(
		json_object_get(json_object_get(answer,
						"TrainingJobDefinition"),
				"OutputDataConfig"),
		"S3OutputPath", NULL);
	size_t n;

	if (!best || !out)
		return;
	n = strlen(out);
	json_object_set_new(
		attrs, "best_model_artifacts",
		json_sprintf("%.*s/%s/output/model.tar.gz",
			     (int)(n && out[n - 1] == '/' ? n - 1 : n), out,
			     best));
	ms_kit_strings(json_object_get(attrs, "best_hyperparameters"));
	ms_kit_strings(json_object_get(attrs, "training_job_counters"));
}

static int tuning_normalize(json_t *attrs)
{
	json_t *def = json_object_get(attrs, "training_job_definition");

	ms_kit_strings(json_object_get(attrs, "tags"));
	ms_kit_strings(json_object_get(def, "static_hyper_parameters"));
	return 0;
}

static const char *const compared[] = { "parameter_ranges",
					"training_job_definition", NULL };
static const char *const adoptable[] = { "InProgress", "Completed", NULL };

static const struct ms_sagemaker_kind kind = {
	.noun = "tuning job",
	.object = "HyperParameterTuningJob",
	.status = "HyperParameterTuningJobStatus",
	.wait = wait_done,
	.compared = compared,
	.list = "ListHyperParameterTuningJobs",
	.list_key = "HyperParameterTuningJobSummaries",
	.tag_type = "sagemaker:hyper-parameter-tuning-job",
	.adoptable = adoptable,
	.answer = best_artifacts,
};

/*
 * Its training jobs, each bounded as a training job is (its instances for
 * the longest it may run): as many as it may run, or, once it has ended,
 * as many as it ran (its counters). SageMaker bills the training jobs
 * only; the tuning itself is free.
 */
static int tuning_cost(struct ms_cost *out, const json_t *attrs,
		       const struct ms_cost_env *env)
{
	const json_t *counters =
		json_object_get(attrs, "training_job_counters");
	double jobs = ms_cost_number(
		out, attrs, "resource_limits.max_number_of_training_jobs", 1);
	const char *key;
	json_t *v;

	if (json_is_object(counters) && json_object_size(counters) &&
	    ms_sagemaker_job_settled(attrs) &&
	    json_is_string(json_object_get(attrs, "status"))) {
		jobs = 0;
		json_object_foreach((json_t *)counters, key, v)
			jobs += json_is_number(v) ?
					json_number_value(v) :
				json_is_string(v) ?
					strtod(json_string_value(v), NULL) :
					0;
	}
	ms_sagemaker_training_cost(out, env, attrs, "training_job_definition.",
				   jobs, -1);
	return 0;
}

const struct ms_resource_type ms_aws_sagemaker_hyper_parameter_tuning_job = {
	.name = "aws_sagemaker_hyper_parameter_tuning_job",
	.schema = schema,
	.id_attr = "name",
	.name_min = 1,
	.name_max = 32,
	.name_chars = "a-zA-Z0-9-",
	.name_ends = "a-zA-Z0-9",
	.auto_name = "name",
	.kind = &kind,
	.read_many = ms_sagemaker_read_many,
	.read = ms_sagemaker_read,
	.create = ms_sagemaker_create,
	.update = ms_sagemaker_job_update,
	.delete = ms_sagemaker_job_delete,
	.normalize = tuning_normalize,
	.settled = ms_sagemaker_job_settled,
	.delete_note = "SageMaker keeps a tuning job: a running one is "
		       "stopped with its training jobs, then forgotten; their "
		       "artifacts stay in S3",
	.cost = tuning_cost,
};
