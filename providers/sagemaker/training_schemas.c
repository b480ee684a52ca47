/*
 * training_schemas.c - the blocks a training job and a tuning job's
 * training job definition share: the algorithm, the input channels, the
 * output, the instances, the stopping condition, checkpoints.
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/sagemaker/sagemaker.h"

static const struct ms_attr metric_schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the metric's name (val:acc)", "Name" },
	{ "regex", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the regular expression that finds it in the logs", "Regex" },
	{ NULL },
};

const struct ms_attr ms_sagemaker_algorithm_schema[] = {
	{ "training_image", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the training image (an ECR image URI)", "TrainingImage" },
	{ "training_input_mode", MS_ATTR_STRING, 0, "\"File\"", NULL,
	  "File, Pipe or FastFile", "TrainingInputMode" },
	{ "metric_definitions", MS_ATTR_LIST, 0, NULL, metric_schema,
	  "metrics read from the logs", "MetricDefinitions", "name" },
	{ NULL },
};

const struct ms_attr ms_sagemaker_channel_schema[] = {
	{ "channel_name", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the channel's name (train, validation)", "ChannelName" },
	{ "s3_uri", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "where the data is (s3://bucket/prefix)",
	  "DataSource.S3DataSource.S3Uri" },
	{ "s3_data_type", MS_ATTR_STRING, 0, "\"S3Prefix\"", NULL,
	  "S3Prefix or ManifestFile", "DataSource.S3DataSource.S3DataType" },
	{ "distribution", MS_ATTR_STRING, 0, "\"FullyReplicated\"", NULL,
	  "FullyReplicated or ShardedByS3Key (across instances)",
	  "DataSource.S3DataSource.S3DataDistributionType" },
	{ "content_type", MS_ATTR_STRING, 0, NULL, NULL, "the data's MIME type",
	  "ContentType" },
	{ NULL },
};

const struct ms_attr ms_sagemaker_output_schema[] = {
	{ "s3_output_path", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "where the model artifacts go", "S3OutputPath" },
	{ "kms_key_id", MS_ATTR_STRING, 0, NULL, NULL,
	  "the KMS key that encrypts them", "KmsKeyId" },
	{ NULL },
};

const struct ms_attr ms_sagemaker_resource_schema[] = {
	{ "instance_type", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the instance type (ml.m5.xlarge)", "InstanceType" },
	{ "instance_count", MS_ATTR_NUMBER, 0, "1", NULL,
	  "instances (2 or more: distributed training)", "InstanceCount" },
	{ "volume_size_in_gb", MS_ATTR_NUMBER, 0, "30", NULL,
	  "the storage volume of each instance, in GB", "VolumeSizeInGB" },
	{ NULL },
};

const struct ms_attr ms_sagemaker_stopping_schema[] = {
	{ "max_runtime_in_seconds", MS_ATTR_NUMBER, 0, "86400", NULL,
	  "the longest the job may run", "MaxRuntimeInSeconds" },
	{ NULL },
};

const struct ms_attr ms_sagemaker_checkpoint_schema[] = {
	{ "s3_uri", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "where checkpoints are kept", "S3Uri" },
	{ "local_path", MS_ATTR_STRING, 0, NULL, NULL,
	  "where the job writes them (/opt/ml/checkpoints)", "LocalPath" },
	{ NULL },
};
