/*
 * training_job.c - aws_sagemaker_training_job: a SageMaker training job,
 * the estimator (one instance, or several for distributed training).
 *
 * A job is run once. It is named after a hash of its spec (the engine's
 * auto_name), so an unchanged spec is never run again and a changed one
 * is a new run (a replacement); only tags change in place. Create waits
 * until the job ends, reporting its secondary status (Starting,
 * Downloading, Training, Uploading); a job that ends Failed or Stopped
 * fails with AWS's reason and is recorded tainted, so the next plan runs
 * it again. SageMaker cannot delete a job: delete stops one still
 * running and forgets it; its artifacts stay in S3.
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/sagemaker/sagemaker.h"

#define NEW (MS_ATTR_FORCE_NEW)

static const struct ms_attr schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_OPTIONAL_COMPUTED | NEW, NULL, NULL,
	  "the job's name (default: `<stack>-<resource>-<hash>`)",
	  "TrainingJobName" },
	{ "role_arn", MS_ATTR_STRING, MS_ATTR_REQUIRED | NEW | MS_ATTR_ARN,
	  NULL, NULL, "the IAM role the job runs as", "RoleArn" },
	{ "algorithm_specification", MS_ATTR_OBJECT, MS_ATTR_REQUIRED | NEW,
	  NULL, ms_sagemaker_algorithm_schema,
	  "the training image and its input mode", "AlgorithmSpecification" },
	{ "hyper_parameters", MS_ATTR_MAP, NEW, NULL, NULL,
	  "hyperparameters (values are strings)", "HyperParameters" },
	{ "input_data_config", MS_ATTR_LIST, NEW, NULL,
	  ms_sagemaker_channel_schema, "the input channels", "InputDataConfig",
	  "channel_name" },
	{ "output_data_config", MS_ATTR_OBJECT, MS_ATTR_REQUIRED | NEW, NULL,
	  ms_sagemaker_output_schema, "where the model artifacts go",
	  "OutputDataConfig" },
	{ "resource_config", MS_ATTR_OBJECT, MS_ATTR_REQUIRED | NEW, NULL,
	  ms_sagemaker_resource_schema, "the instances it trains on",
	  "ResourceConfig" },
	{ "stopping_condition", MS_ATTR_OBJECT, NEW, "{}",
	  ms_sagemaker_stopping_schema, "when SageMaker stops it",
	  "StoppingCondition" },
	{ "environment", MS_ATTR_MAP, NEW | MS_ATTR_SENSITIVE, NULL, NULL,
	  "environment variables of the container (sensitive: never printed)",
	  "Environment" },
	{ "checkpoint_config", MS_ATTR_OBJECT, NEW, NULL,
	  ms_sagemaker_checkpoint_schema, "where checkpoints are kept",
	  "CheckpointConfig" },
	{ "enable_network_isolation", MS_ATTR_BOOL, NEW, NULL, NULL,
	  "no network access from the container but its S3 channels "
	  "(default: off)",
	  "EnableNetworkIsolation" },
	{ "tags", MS_ATTR_MAP, MS_ATTR_TAGS, "{}", NULL,
	  "tags (with the stack's default tags and its owner mark)", "Tags" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN",
	  "|TrainingJobArn" },
	{ "status", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "TrainingJobStatus (Completed)", "|TrainingJobStatus" },
	{ "secondary_status", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "SecondaryStatus (Completed)", "|SecondaryStatus" },
	{ "model_artifacts", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the S3 URI of model.tar.gz", "|ModelArtifacts.S3ModelArtifacts" },
	{ "final_metrics", MS_ATTR_MAP, MS_ATTR_COMPUTED, NULL, NULL,
	  "the final value of each metric" },
	{ "training_time_in_seconds", MS_ATTR_NUMBER, MS_ATTR_COMPUTED, NULL,
	  NULL, "how long it trained", "|TrainingTimeInSeconds" },
	{ "billable_time_in_seconds", MS_ATTR_NUMBER, MS_ATTR_COMPUTED, NULL,
	  NULL, "what is billed", "|BillableTimeInSeconds" },
	{ "failure_reason", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "why it failed", "|FailureReason" },
	{ MS_SAGEMAKER_LISTED_TIME, MS_ATTR_JSON,
	  MS_ATTR_COMPUTED | MS_ATTR_INTERNAL, NULL, NULL,
	  "LastModifiedTime when last read, for refresh by listing",
	  "|LastModifiedTime" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the job's name" },
	{ NULL },
};

static const char *const completed[] = { "Completed", NULL };
/* secondary statuses a job ends in without its artifacts */
static const char *const ended[] = {
	"Failed",      "Stopped", "MaxRuntimeExceeded", "MaxWaitTimeExceeded",
	"Interrupted", NULL
};

#define WAIT_DELAY 30.0
/* beyond the job's own max runtime: instances to start, artifacts to save */
#define WAIT_SLACK 1800

/*
 * Until the job ends, reporting its secondary status. Without a timeout
 * of the stack's, the job's own max runtime bounds the wait.
 */
static int wait_done(struct ms_sagemaker_object *o)
{
	const json_t *max;
	int err;

	err = ms_sagemaker_object_describe(o);
	if (!err && !o->poll.last)
		err = ms_error_code(MS_ENOTFOUND, "%s vanished", o->what);
	if (err)
		return err;
	max = json_object_get(json_object_get(o->poll.last,
					      "StoppingCondition"),
			      "MaxRuntimeInSeconds");
	o->poll.status_key = "SecondaryStatus";
	err = ms_sagemaker_wait(
		o, completed, ended, MS_AWS_WAIT_FAILURE, WAIT_DELAY,
		(int)((json_is_number(max) ? json_number_value(max) : 86400) +
		      WAIT_SLACK) /
			(int)WAIT_DELAY);
	o->poll.status_key = o->kind->status;
	return err;
}

/* FinalMetricDataList, [{MetricName, Value}], as a map of strings. */
static void final_metrics(json_t *attrs, const json_t *answer)
{
	json_t *map = json_object(), *m;
	size_t i;

	json_array_foreach(json_object_get(answer, "FinalMetricDataList"), i, m)
		if (json_is_string(json_object_get(m, "MetricName")))
			json_object_set(map,
					json_string_value(json_object_get(
						m, "MetricName")),
					json_object_get(m, "Value"));
	ms_kit_strings(map);
	json_object_set_new(attrs, "final_metrics", map);
}

static int job_normalize(json_t *attrs)
{
	ms_kit_strings(json_object_get(attrs, "tags"));
	ms_kit_strings(json_object_get(attrs, "hyper_parameters"));
	ms_kit_strings(json_object_get(attrs, "environment"));
	return ms_kit_check_number(json_object_get(attrs, "resource_config"),
				   "instance_count",
				   "resource_config.instance_count", 1,
				   INFINITY, true);
}

static const char *const compared[] = { "algorithm_specification",
					"hyper_parameters", "resource_config",
					NULL };
static const char *const adoptable[] = { "InProgress", "Completed", NULL };

static const struct ms_sagemaker_kind kind = {
	.noun = "training job",
	.object = "TrainingJob",
	.status = "TrainingJobStatus",
	.wait = wait_done,
	.compared = compared,
	.list = "ListTrainingJobs",
	.list_key = "TrainingJobSummaries",
	.tag_type = "sagemaker:training-job",
	.adoptable = adoptable,
	.answer = final_metrics,
};

/*
 * One run: its instances and their storage for the longest it may run,
 * or, once it has ended, for the seconds SageMaker billed (per instance:
 * BillableTimeInSeconds is wall-clock time, billed on each instance).
 */
static int job_cost(struct ms_cost *out, const json_t *attrs,
		    const struct ms_cost_env *env)
{
	const json_t *billed =
		json_object_get(attrs, "billable_time_in_seconds");
	double seconds = -1;

	if (json_is_number(billed) && ms_sagemaker_job_settled(attrs) &&
	    json_is_string(json_object_get(attrs, "status"))) {
		seconds = json_number_value(billed);
		out->billed = true;
	}
	ms_sagemaker_training_cost(out, env, attrs, "", 1, seconds);
	return 0;
}

const struct ms_resource_type ms_aws_sagemaker_training_job = {
	.name = "aws_sagemaker_training_job",
	.schema = schema,
	.id_attr = "name",
	.name_min = 1,
	.name_max = 63,
	.name_chars = "a-zA-Z0-9-",
	.name_ends = "a-zA-Z0-9",
	.auto_name = "name",
	.kind = &kind,
	.read_many = ms_sagemaker_read_many,
	.read = ms_sagemaker_read,
	.create = ms_sagemaker_create,
	.update = ms_sagemaker_job_update,
	.delete = ms_sagemaker_job_delete,
	.normalize = job_normalize,
	.settled = ms_sagemaker_job_settled,
	.delete_note = "SageMaker cannot delete a training job: a running one "
		       "is stopped, then forgotten; its artifacts stay in S3",
	.cost = job_cost,
};
