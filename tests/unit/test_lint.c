/*
 * test_lint.c - every lint rule, table-driven: a stack's resources and
 * what the rule must find on one of them: a finding (at a position,
 * when given), none, or one suppressed by the resource's lint.ignore.
 * Each rule has a case where it fires, one where it does not, and one
 * where the value it reads is unknown offline (a lookup's, which lint
 * never reads), where it must not fire.
 *
 * Stacks are given to the engine through its read hook, offline, with no
 * state: no file, no AWS.
 */
#include "util/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include "engine/engine.h"
#include "engine/lint.h"
#include "engine/render.h"
#include "util/json.h"

enum want { FIRES, SILENT, SUPPRESSED };

struct lint_case {
	const char *name;
	const char *rule;
	const char *resource;
	enum want want;
	const char *resources; /* under "resources:", indented by two */
	const char *at;        /* "LINE:COL" of the finding, or NULL */
	const char *fix_has;   /* text the finding's fix holds, or NULL */
};

#define ROLE_ARN "arn:aws:iam::123456789012:role/r"
#define UNKNOWN  "\"${data.vpc.id}\""

/* A notebook, with extra properties. */
#define NOTEBOOK(extra)                                                  \
	"  nb:\n    type: aws_sagemaker_notebook_instance\n    properties:\n" \
	"      name: nb\n      instance_type: ml.t3.medium\n"             \
	"      role_arn: " ROLE_ARN "\n" extra

#define BUCKET(extra)                                              \
	"  store:\n    type: aws_s3_bucket\n    properties:\n" \
	"      bucket: t-store\n" extra

#define ROLE(extra)                                                      \
	"  role:\n    type: aws_iam_role\n    properties:\n"             \
	"      name: r\n      assume_role_policy: {Version: \"2012-10-17\", " \
	"Statement: [{Effect: Allow, Principal: {Service: "                \
	"sagemaker.amazonaws.com}, Action: \"sts:AssumeRole\"}]}\n" extra

#define TRUST(principal)                                                 \
	"  role:\n    type: aws_iam_role\n    properties:\n"             \
	"      name: r\n      assume_role_policy: {Version: \"2012-10-17\", " \
	"Statement: [{Effect: Allow, Principal: " principal                \
	", Action: \"sts:AssumeRole\"}]}\n"

/* A managed policy of one statement. */
#define POLICY(statement)                                          \
	"  pol:\n    type: aws_iam_policy\n    properties:\n"     \
	"      name: p\n      policy: {Version: \"2012-10-17\", " \
	"Statement: [" statement "]}\n"

#define GROUP(rule)                                               \
	"  sg:\n    type: aws_security_group\n    properties:\n" \
	"      name: sg\n      ingress: [" rule "]\n"

#define INSTANCE(extra)                                                  \
	"  host:\n    type: aws_instance\n    properties:\n"              \
	"      ami: ami-0123456789abcdef0\n      instance_type: t3.micro\n" \
	extra

#define MODEL                                                          \
	"  model:\n    type: aws_sagemaker_model\n    properties:\n"     \
	"      execution_role_arn: " ROLE_ARN "\n"                       \
	"      primary_container: {image: 1.dkr.ecr.us-east-1.amazonaws." \
	"com/i:1}\n"

#define CONFIG(count, extra)                                              \
	"  config:\n    type: aws_sagemaker_endpoint_configuration\n"     \
	"    properties:\n      production_variants:\n"                   \
	"        - {variant_name: AllTraffic, model_name: \"${model.name}\", " \
	"instance_type: ml.m5.large, initial_instance_count: " count "}\n" \
	extra

#define ENDPOINT                                                 \
	"  ep:\n    type: aws_sagemaker_endpoint\n    properties:\n" \
	"      name: ep\n      endpoint_config_name: ${config.name}\n"

#define TARGET(rid, min)                                                \
	"  scaling:\n    type: aws_appautoscaling_target\n"             \
	"    properties:\n      service_namespace: sagemaker\n"         \
	"      resource_id: " rid "\n"                                  \
	"      scalable_dimension: sagemaker:variant:DesiredInstanceCount\n" \
	"      min_capacity: " min "\n      max_capacity: 4\n"

#define JOB(extra)                                                       \
	"  job:\n    type: aws_sagemaker_training_job\n    properties:\n"  \
	"      role_arn: " ROLE_ARN "\n"                                   \
	"      algorithm_specification: {training_image: 1.dkr.ecr.us-east-" \
	"1.amazonaws.com/t:1}\n"                                           \
	"      output_data_config: {s3_output_path: \"s3://b/o\"}\n"       \
	"      resource_config: {instance_type: ml.m5.xlarge}\n" extra

#define IGNORE(rule) "    lint: {ignore: {" rule ": \"accepted here\"}}\n"

static const struct lint_case cases[] = {
	/* EC2 */
	{ "ssh from anywhere", "MLS-EC2-001", "sg", FIRES,
	  GROUP("{protocol: tcp, from_port: 22, to_port: 22, cidr_blocks: "
		"[\"0.0.0.0/0\"]}"),
	  "10:75" },
	{ "all traffic from anywhere", "MLS-EC2-001", "sg", FIRES,
	  GROUP("{protocol: \"-1\", cidr_blocks: [\"::/0\"]}") },
	{ "ssh from one address", "MLS-EC2-001", "sg", SILENT,
	  GROUP("{protocol: tcp, from_port: 22, to_port: 22, cidr_blocks: "
		"[203.0.113.10/32]}") },
	{ "https from anywhere", "MLS-EC2-001", "sg", SILENT,
	  GROUP("{protocol: tcp, from_port: 443, to_port: 443, cidr_blocks: "
		"[\"0.0.0.0/0\"]}") },
	{ "ssh from a lookup's range", "MLS-EC2-001", "sg", SILENT,
	  GROUP("{protocol: tcp, from_port: 22, to_port: 22, cidr_blocks: "
		"[\"${data.vpc.cidr_block}\"]}") },
	{ "ssh from anywhere, suppressed", "MLS-EC2-001", "sg", SUPPRESSED,
	  GROUP("{protocol: tcp, from_port: 22, to_port: 22, cidr_blocks: "
		"[\"0.0.0.0/0\"]}") IGNORE("MLS-EC2-001") },
	{ "no metadata options", "MLS-EC2-002", "host", FIRES, INSTANCE(""),
	  "6:3" },
	{ "imdsv1 allowed", "MLS-EC2-002", "host", FIRES,
	  INSTANCE("      metadata_options: {http_tokens: optional}\n"),
	  "11:26" },
	{ "imdsv2 required", "MLS-EC2-002", "host", SILENT,
	  INSTANCE("      metadata_options: {http_tokens: required}\n") },
	{ "no metadata service", "MLS-EC2-002", "host", SILENT,
	  INSTANCE("      metadata_options: {http_tokens: optional, "
		   "http_endpoint: disabled}\n") },
	{ "tokens unknown", "MLS-EC2-002", "host", SILENT,
	  INSTANCE("      metadata_options: {http_tokens: " UNKNOWN "}\n") },
	{ "imdsv1, suppressed", "MLS-EC2-002", "host", SUPPRESSED,
	  INSTANCE("") IGNORE("MLS-EC2-002") },
	{ "no root device", "MLS-EC2-003", "host", FIRES, INSTANCE("") },
	{ "root volume unencrypted", "MLS-EC2-003", "host", FIRES,
	  INSTANCE("      root_block_device: {volume_size: 20}\n") },
	{ "root volume encrypted", "MLS-EC2-003", "host", SILENT,
	  INSTANCE("      root_block_device: {encrypted: true}\n") },
	{ "encryption unknown", "MLS-EC2-003", "host", SILENT,
	  INSTANCE("      root_block_device: {encrypted: " UNKNOWN "}\n") },
	{ "root volume, suppressed", "MLS-EC2-003", "host", SUPPRESSED,
	  INSTANCE("") IGNORE("MLS-EC2-003") },

	/* IAM: managed policies */
	{ "administrator", "MLS-IAM-001", "role", FIRES,
	  ROLE("      managed_policy_arns: "
	       "[arn:aws:iam::aws:policy/AdministratorAccess]\n"),
	  "11:29" },
	{ "read only", "MLS-IAM-001", "role", SILENT,
	  ROLE("      managed_policy_arns: "
	       "[arn:aws:iam::aws:policy/ReadOnlyAccess]\n") },
	{ "a policy of the stack", "MLS-IAM-001", "role", SILENT,
	  POLICY("{Effect: Allow, Action: \"s3:GetObject\", Resource: "
		 "\"arn:aws:s3:::b/*\"}") ROLE("      managed_policy_arns: "
					       "[\"${pol.arn}\"]\n") },
	{ "administrator, suppressed", "MLS-IAM-001", "role", SUPPRESSED,
	  ROLE("      managed_policy_arns: "
	       "[arn:aws:iam::aws:policy/AdministratorAccess]\n")
		  IGNORE("MLS-IAM-001") },
	{ "s3 full access", "MLS-IAM-002", "role", FIRES,
	  BUCKET("") ROLE("      managed_policy_arns: "
			  "[arn:aws:iam::aws:policy/AmazonS3FullAccess]\n"),
	  NULL, "\"${store.arn}/*\"" },
	{ "sagemaker full access, execution role", "MLS-IAM-002", "role",
	  FIRES,
	  ROLE("      managed_policy_arns: "
	       "[arn:aws:iam::aws:policy/AmazonSageMakerFullAccess]\n"),
	  NULL, "ecr:GetAuthorizationToken" },
	{ "a customer policy named FullAccess", "MLS-IAM-002", "role", SILENT,
	  ROLE("      managed_policy_arns: "
	       "[arn:aws:iam::123456789012:policy/TeamFullAccess]\n") },
	{ "managed policies unknown", "MLS-IAM-002", "role", SILENT,
	  ROLE("      managed_policy_arns: [" UNKNOWN "]\n") },
	{ "full access, suppressed", "MLS-IAM-002", "role", SUPPRESSED,
	  ROLE("      managed_policy_arns: "
	       "[arn:aws:iam::aws:policy/AmazonS3FullAccess]\n")
		  IGNORE("MLS-IAM-002") },

	/* IAM: statements */
	{ "star on star", "MLS-IAM-003", "pol", FIRES,
	  POLICY("{Effect: Allow, Action: \"*\", Resource: \"*\"}") },
	{ "star on star, inline", "MLS-IAM-003", "role", FIRES,
	  ROLE("      inline_policies: {all: {Version: \"2012-10-17\", "
	       "Statement: [{Effect: Allow, Action: \"*\", Resource: "
	       "\"*\"}]}}\n") },
	{ "star denied", "MLS-IAM-003", "pol", SILENT,
	  POLICY("{Effect: Deny, Action: \"*\", Resource: \"*\"}") },
	{ "star on a bucket", "MLS-IAM-003", "pol", SILENT,
	  POLICY("{Effect: Allow, Action: \"*\", Resource: "
		 "\"arn:aws:s3:::b\"}") },
	{ "action unknown", "MLS-IAM-003", "pol", SILENT,
	  POLICY("{Effect: Allow, Action: " UNKNOWN ", Resource: \"*\"}") },
	{ "star on star, suppressed", "MLS-IAM-003", "pol", SUPPRESSED,
	  POLICY("{Effect: Allow, Action: \"*\", Resource: \"*\"}")
		  IGNORE("MLS-IAM-003") },
	{ "every action", "MLS-IAM-004", "pol", FIRES,
	  POLICY("{Effect: Allow, Action: [s3:GetObject, \"*\"], Resource: "
		 "\"arn:aws:s3:::b\"}") },
	{ "one action", "MLS-IAM-004", "pol", SILENT,
	  POLICY("{Effect: Allow, Action: s3:GetObject, Resource: "
		 "\"arn:aws:s3:::b\"}") },
	{ "actions unknown", "MLS-IAM-004", "pol", SILENT,
	  POLICY("{Effect: Allow, Action: [" UNKNOWN "], Resource: "
		 "\"arn:aws:s3:::b\"}") },
	{ "every action, suppressed", "MLS-IAM-004", "pol", SUPPRESSED,
	  POLICY("{Effect: Allow, Action: \"*\", Resource: "
		 "\"arn:aws:s3:::b\"}") IGNORE("MLS-IAM-004") },
	{ "s3 wildcard", "MLS-IAM-005", "pol", FIRES,
	  BUCKET("") POLICY("{Effect: Allow, Action: \"s3:*\", Resource: "
			    "\"*\"}"),
	  NULL, "\"${store.arn}\"" },
	{ "s3 prefix of actions", "MLS-IAM-005", "pol", SILENT,
	  POLICY("{Effect: Allow, Action: \"s3:Get*\", Resource: "
		 "\"arn:aws:s3:::b/*\"}") },
	{ "service wildcard unknown", "MLS-IAM-005", "pol", SILENT,
	  POLICY("{Effect: Allow, Action: " UNKNOWN ", Resource: "
		 "\"arn:aws:s3:::b/*\"}") },
	{ "s3 wildcard, suppressed", "MLS-IAM-005", "pol", SUPPRESSED,
	  POLICY("{Effect: Allow, Action: \"s3:*\", Resource: "
		 "\"arn:aws:s3:::b/*\"}") IGNORE("MLS-IAM-005") },
	{ "objects of every bucket", "MLS-IAM-006", "pol", FIRES,
	  BUCKET("") POLICY("{Effect: Allow, Action: s3:GetObject, "
			    "Resource: \"*\"}"),
	  "14:89", "Resource: [\"${store.arn}\", \"${store.arn}/*\"]" },
	{ "actions without a resource", "MLS-IAM-006", "pol", SILENT,
	  POLICY("{Effect: Allow, Action: [ecr:GetAuthorizationToken, "
		 "\"ec2:Describe*\"], Resource: \"*\"}") },
	{ "the bucket's objects", "MLS-IAM-006", "pol", SILENT,
	  BUCKET("") POLICY("{Effect: Allow, Action: s3:GetObject, "
			    "Resource: \"${store.arn}/*\"}") },
	{ "resource unknown", "MLS-IAM-006", "pol", SILENT,
	  POLICY("{Effect: Allow, Action: s3:GetObject, Resource: " UNKNOWN
		 "}") },
	{ "every resource, suppressed", "MLS-IAM-006", "pol", SUPPRESSED,
	  POLICY("{Effect: Allow, Action: s3:GetObject, Resource: \"*\"}")
		  IGNORE("MLS-IAM-006") },
	{ "pass any role", "MLS-IAM-007", "pol", FIRES,
	  ROLE("") POLICY("{Effect: Allow, Action: iam:PassRole, Resource: "
			  "\"*\"}"),
	  NULL, "\"${role.arn}\"" },
	{ "pass the stack's role", "MLS-IAM-007", "pol", SILENT,
	  ROLE("") POLICY("{Effect: Allow, Action: iam:PassRole, Resource: "
			  "\"${role.arn}\"}") },
	{ "pass, resource unknown", "MLS-IAM-007", "pol", SILENT,
	  POLICY("{Effect: Allow, Action: iam:PassRole, Resource: " UNKNOWN
		 "}") },
	{ "pass any role, suppressed", "MLS-IAM-007", "pol", SUPPRESSED,
	  POLICY("{Effect: Allow, Action: \"iam:*\", Resource: \"*\"}")
		  IGNORE("MLS-IAM-007") },

	/* IAM: trust */
	{ "any aws principal", "MLS-IAM-008", "role", FIRES,
	  TRUST("{AWS: \"*\"}"), "10:79" },
	{ "anyone", "MLS-IAM-008", "role", FIRES, TRUST("\"*\"") },
	{ "a service", "MLS-IAM-008", "role", SILENT,
	  TRUST("{Service: sagemaker.amazonaws.com}") },
	{ "an account's role", "MLS-IAM-008", "role", SILENT,
	  TRUST("{AWS: \"arn:aws:iam::123456789012:root\"}") },
	{ "a principal unknown", "MLS-IAM-008", "role", SILENT,
	  TRUST("{AWS: " UNKNOWN "}") },
	{ "anyone, suppressed", "MLS-IAM-008", "role", SUPPRESSED,
	  TRUST("\"*\"") IGNORE("MLS-IAM-008") },

	/* S3 */
	{ "public access block off", "MLS-S3-001", "store", FIRES,
	  BUCKET("      block_public_access: false\n"), "10:7" },
	{ "public access block on", "MLS-S3-001", "store", SILENT, BUCKET("") },
	{ "public access block unknown", "MLS-S3-001", "store", SILENT,
	  BUCKET("      block_public_access: " UNKNOWN "\n") },
	{ "public, suppressed", "MLS-S3-001", "store", SUPPRESSED,
	  BUCKET("      block_public_access: false\n") IGNORE("MLS-S3-001") },
	{ "no versioning", "MLS-S3-002", "store", FIRES, BUCKET(""), "6:3" },
	{ "versioning", "MLS-S3-002", "store", SILENT,
	  BUCKET("      versioning: true\n") },
	{ "versioning unknown", "MLS-S3-002", "store", SILENT,
	  BUCKET("      versioning: " UNKNOWN "\n") },
	{ "no versioning, suppressed", "MLS-S3-002", "store", SUPPRESSED,
	  BUCKET("") IGNORE("MLS-S3-002") },

	/* SageMaker: notebooks */
	{ "direct internet by default", "MLS-SM-001", "nb", FIRES, NOTEBOOK(""),
	  "6:3" },
	{ "direct internet written", "MLS-SM-001", "nb", FIRES,
	  NOTEBOOK("      direct_internet_access: true\n"), "12:7" },
	{ "no direct internet", "MLS-SM-001", "nb", SILENT,
	  NOTEBOOK("      direct_internet_access: false\n") },
	{ "direct internet unknown", "MLS-SM-001", "nb", SILENT,
	  NOTEBOOK("      direct_internet_access: " UNKNOWN "\n") },
	{ "direct internet, suppressed", "MLS-SM-001", "nb", SUPPRESSED,
	  NOTEBOOK("") IGNORE("MLS-SM-001") },
	{ "root by default", "MLS-SM-002", "nb", FIRES, NOTEBOOK("") },
	{ "no root", "MLS-SM-002", "nb", SILENT,
	  NOTEBOOK("      root_access: false\n") },
	{ "root unknown", "MLS-SM-002", "nb", SILENT,
	  NOTEBOOK("      root_access: " UNKNOWN "\n") },
	{ "root, suppressed", "MLS-SM-002", "nb", SUPPRESSED,
	  NOTEBOOK("") IGNORE("MLS-SM-002") },
	{ "no kms key", "MLS-SM-003", "nb", FIRES, NOTEBOOK("") },
	{ "a kms key", "MLS-SM-003", "nb", SILENT,
	  NOTEBOOK("      kms_key_id: 1234abcd-12ab-34cd-56ef-1234567890ab\n") },
	{ "kms key unknown", "MLS-SM-003", "nb", SILENT,
	  NOTEBOOK("      kms_key_id: " UNKNOWN "\n") },
	{ "no kms key, suppressed", "MLS-SM-003", "nb", SUPPRESSED,
	  NOTEBOOK("") IGNORE("MLS-SM-003") },
	{ "no subnet", "MLS-SM-004", "nb", FIRES, NOTEBOOK("") },
	{ "a subnet", "MLS-SM-004", "nb", SILENT,
	  NOTEBOOK("      subnet_id: subnet-0123456789abcdef0\n") },
	{ "subnet unknown", "MLS-SM-004", "nb", SILENT,
	  NOTEBOOK("      subnet_id: " UNKNOWN "\n") },
	{ "no subnet, suppressed", "MLS-SM-004", "nb", SUPPRESSED,
	  NOTEBOOK("") IGNORE("MLS-SM-004") },

	/* SageMaker: endpoints */
	{ "endpoint not scaled", "MLS-SM-005", "ep", FIRES,
	  MODEL CONFIG("2", "") ENDPOINT, NULL,
	  "endpoint/${ep.name}/variant/AllTraffic" },
	{ "endpoint scaled by reference", "MLS-SM-005", "ep", SILENT,
	  MODEL CONFIG("2", "") ENDPOINT TARGET(
		  "endpoint/${ep.name}/variant/AllTraffic", "2") },
	{ "endpoint scaled by name", "MLS-SM-005", "ep", SILENT,
	  MODEL CONFIG("2", "") ENDPOINT TARGET(
		  "endpoint/ep/variant/AllTraffic", "2") },
	{ "another endpoint scaled", "MLS-SM-005", "ep", FIRES,
	  MODEL CONFIG("2", "") ENDPOINT TARGET(
		  "endpoint/other/variant/AllTraffic", "2") },
	{ "scaling target unknown", "MLS-SM-005", "ep", SILENT,
	  MODEL CONFIG("2", "") ENDPOINT TARGET(UNKNOWN, "2") },
	{ "not scaled, suppressed", "MLS-SM-005", "ep", SUPPRESSED,
	  MODEL CONFIG("2", "") ENDPOINT IGNORE("MLS-SM-005") },
	{ "one instance, no scaling", "MLS-SM-006", "ep", FIRES,
	  MODEL CONFIG("1", "") ENDPOINT, NULL, "initial_instance_count: 2" },
	{ "one instance, scaling from one", "MLS-SM-006", "ep", FIRES,
	  MODEL CONFIG("1", "") ENDPOINT TARGET(
		  "endpoint/${ep.name}/variant/AllTraffic", "1"),
	  NULL, "min_capacity: 2" },
	{ "one instance, scaling from two", "MLS-SM-006", "ep", SILENT,
	  MODEL CONFIG("1", "") ENDPOINT TARGET(
		  "endpoint/${ep.name}/variant/AllTraffic", "2") },
	{ "two instances", "MLS-SM-006", "ep", SILENT,
	  MODEL CONFIG("2", "") ENDPOINT },
	{ "scaling minimum unknown", "MLS-SM-006", "ep", SILENT,
	  MODEL CONFIG("1", "") ENDPOINT TARGET(
		  "endpoint/${ep.name}/variant/AllTraffic", UNKNOWN) },
	{ "one instance, suppressed", "MLS-SM-006", "ep", SUPPRESSED,
	  MODEL CONFIG("1", "") ENDPOINT IGNORE("MLS-SM-006") },
	{ "config without a key", "MLS-SM-007", "config", FIRES,
	  MODEL CONFIG("1", "") },
	{ "config with a key", "MLS-SM-007", "config", SILENT,
	  MODEL CONFIG("1", "      kms_key_arn: arn:aws:kms:us-east-1:"
			    "123456789012:key/k\n") },
	{ "config key unknown", "MLS-SM-007", "config", SILENT,
	  MODEL CONFIG("1", "      kms_key_arn: " UNKNOWN "\n") },
	{ "config without a key, suppressed", "MLS-SM-007", "config",
	  SUPPRESSED, MODEL CONFIG("1", "") IGNORE("MLS-SM-007") },

	/* SageMaker: jobs */
	{ "no max runtime", "MLS-SM-008", "job", FIRES, JOB("") },
	{ "a max runtime", "MLS-SM-008", "job", SILENT,
	  JOB("      stopping_condition: {max_runtime_in_seconds: 3600}\n") },
	{ "max runtime unknown", "MLS-SM-008", "job", SILENT,
	  JOB("      stopping_condition: {max_runtime_in_seconds: " UNKNOWN
	      "}\n") },
	{ "tuning without max runtime", "MLS-SM-008", "tuner", FIRES,
	  "  tuner:\n    type: aws_sagemaker_hyper_parameter_tuning_job\n"
	  "    properties:\n"
	  "      objective: {type: Maximize, metric_name: acc}\n"
	  "      resource_limits: {max_number_of_training_jobs: 2, "
	  "max_parallel_training_jobs: 1}\n"
	  "      parameter_ranges: {continuous: [{name: lr, min_value: 0.1, "
	  "max_value: 0.2}]}\n"
	  "      training_job_definition:\n"
	  "        role_arn: " ROLE_ARN "\n"
	  "        algorithm_specification: {training_image: i, "
	  "metric_definitions: [{name: acc, regex: \"a=(.*)\"}]}\n"
	  "        output_data_config: {s3_output_path: \"s3://b/o\"}\n"
	  "        resource_config: {instance_type: ml.m5.xlarge}\n",
	  "12:7" },
	{ "no max runtime, suppressed", "MLS-SM-008", "job", SUPPRESSED,
	  JOB("") IGNORE("MLS-SM-008") },
	{ "no network isolation", "MLS-SM-009", "job", FIRES, JOB("") },
	{ "network isolation off", "MLS-SM-009", "job", FIRES,
	  JOB("      enable_network_isolation: false\n"), "13:7" },
	{ "network isolation", "MLS-SM-009", "job", SILENT,
	  JOB("      enable_network_isolation: true\n") },
	{ "network isolation unknown", "MLS-SM-009", "job", SILENT,
	  JOB("      enable_network_isolation: " UNKNOWN "\n") },
	{ "no network isolation, suppressed", "MLS-SM-009", "job", SUPPRESSED,
	  JOB("") IGNORE("MLS-SM-009") },
};

static const char *stack_text;

/* The engine's read hook: the stack under test, and nothing else. */
static int read_stack(void *ctx, const char *path, char **data, size_t *len)
{
	(void)ctx;
	if (strcmp(path, "mlstack.yaml"))
		return ms_error("\"%s\": not in this test", path);
	*data = ms_strdup(stack_text);
	*len = strlen(stack_text);
	return 0;
}

/* The findings of a stack of resources; fails on a stack that fails. */
static json_t *lint(const char *resources)
{
	struct ms_engine_opts eo = { 0 };
	struct ms_engine *e = NULL;
	json_t *diags = NULL, *out = NULL, *d;
	char *text;
	size_t i;

	text = ms_asprintf("stack: t\nregion: us-east-1\ndata:\n"
			   "  vpc: {type: aws_vpc, properties: {default: "
			   "true}}\nresources:\n%s",
			   resources);
	stack_text = text;
	eo.file = "mlstack.yaml";
	eo.read = read_stack;
	eo.no_state = true;
	if (ms_engine_open(&e, &eo, &diags)) {
		json_array_foreach(diags, i, d)
			print_error("%s\n", json_string_value(d));
		print_error("%s\n--\n%s\n", ms_error_last(), text);
		fail();
	}
	if (ms_engine_lint(e, &out)) {
		print_error("lint: %s\n", ms_error_last());
		fail();
	}
	ms_engine_free(e);
	json_decref(diags);
	free(text);
	return out;
}

static void run_case(const struct lint_case *c)
{
	json_t *findings = lint(c->resources), *f, *hit = NULL;
	const struct ms_lint_rule *rule = ms_lint_rule_find(c->rule);
	struct ms_buf line = MS_BUF_INIT;
	char at[32];
	size_t i;

	print_message("case: %s (%s)\n", c->name, c->rule);
	assert_non_null(rule);
	json_array_foreach(findings, i, f)
		if (!strcmp(json_string_value(json_object_get(f, "rule")),
			    c->rule) &&
		    !strcmp(json_string_value(json_object_get(f, "resource")),
			    c->resource))
			hit = f;
	if (c->want == SILENT) {
		if (hit) {
			ms_render_finding(&line, hit);
			print_error("%s: unexpected finding: %s\n", c->name,
				    line.ptr);
			fail();
		}
		goto done;
	}
	if (!hit) {
		print_error("%s: no %s finding on %s\n", c->name, c->rule,
			    c->resource);
		fail();
	}
	assert_string_equal(json_string_value(json_object_get(hit, "severity")),
			    ms_lint_severity_name(rule->severity));
	if (c->want == SUPPRESSED)
		assert_string_equal(json_string_value(json_object_get(
					    hit, "suppressed")),
				    "accepted here");
	else
		assert_null(json_object_get(hit, "suppressed"));
	if (c->at) {
		snprintf(at, sizeof(at), "%d:%d",
			 (int)json_integer_value(json_object_get(hit, "line")),
			 (int)json_integer_value(
				 json_object_get(hit, "column")));
		if (strcmp(at, c->at)) {
			print_error("%s: at %s, want %s\n", c->name, at, c->at);
			fail();
		}
	}
	if (c->fix_has &&
	    !strstr(json_string_value(json_object_get(hit, "fix")),
		    c->fix_has)) {
		print_error("%s: fix \"%s\" lacks \"%s\"\n", c->name,
			    json_string_value(json_object_get(hit, "fix")),
			    c->fix_has);
		fail();
	}
done:
	ms_buf_release(&line);
	json_decref(findings);
}

static void test_rules(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < MS_ARRAY_SIZE(cases); i++)
		run_case(&cases[i]);
}

/* Every rule has a case of each kind: no rule goes untested. */
static void test_every_rule_has_its_cases(void **state)
{
	const struct ms_lint_rule *r;
	bool seen[3];
	size_t i, k;

	(void)state;
	for (i = 0; (r = ms_lint_rule_at(i)); i++) {
		memset(seen, 0, sizeof(seen));
		for (k = 0; k < MS_ARRAY_SIZE(cases); k++)
			if (!strcmp(cases[k].rule, r->id))
				seen[cases[k].want] = true;
		if (!seen[FIRES] || !seen[SILENT] || !seen[SUPPRESSED]) {
			print_error("%s: a case where it fires, one where it "
				    "does not, one suppressed\n",
				    r->id);
			fail();
		}
	}
}

static void test_rule_table(void **state)
{
	const struct ms_lint_rule *r, *prev = NULL;
	size_t i;

	(void)state;
	for (i = 0; (r = ms_lint_rule_at(i)); i++) {
		assert_ptr_equal(ms_lint_rule_find(r->id), r);
		assert_non_null(r->title);
		assert_non_null(r->why);
		assert_non_null(r->fix);
		if (prev)
			assert_true(strcmp(prev->id, r->id) < 0);
		prev = r;
	}
	assert_true(i >= 20);
	assert_null(ms_lint_rule_find("MLS-NOPE-001"));
	assert_true(ms_lint_rule_applies(ms_lint_rule_find("MLS-IAM-003"),
					 "aws_iam_policy"));
	assert_false(ms_lint_rule_applies(ms_lint_rule_find("MLS-IAM-003"),
					  "aws_iam_polic"));
	assert_int_equal(ms_lint_severity_parse("high"), MS_LINT_HIGH);
	assert_int_equal(ms_lint_severity_parse("severe"), -1);
}

/* The text line and the summary, as lint prints them. */
static void test_text(void **state)
{
	json_t *findings = lint(NOTEBOOK("      direct_internet_access: true\n"
					 "      root_access: false\n"
					 "      kms_key_id: k\n"
					 "      subnet_id: subnet-1\n"));
	struct ms_buf b = MS_BUF_INIT;

	(void)state;
	assert_int_equal(json_array_size(findings), 1);
	ms_render_finding(&b, json_array_get(findings, 0));
	assert_string_equal(
		b.ptr, "mlstack.yaml:12:7: high MLS-SM-001 notebook \"nb\": "
		       "direct internet access is enabled (CKV_AWS_122) "
		       "\u2014 fix: direct_internet_access: false, with "
		       "subnet_id and security_groups (the internet through "
		       "the VPC's NAT, if it needs it)");
	ms_buf_reset(&b);
	ms_render_lint_summary(&b, findings);
	assert_string_equal(b.ptr, "1 finding: 1 high.");
	json_decref(findings);
	findings = lint(BUCKET("      versioning: true\n"));
	ms_buf_reset(&b);
	ms_render_lint_summary(&b, findings);
	assert_string_equal(b.ptr, "No findings.");
	json_decref(findings);
	ms_buf_release(&b);
}

/*
 * Findings in the order of their positions, then of rule, whatever order
 * the rules found them in: here the bucket's rules find its public access
 * block (line 8) before versioning, said at the resource (line 6), and
 * two rules at one position are in the order of their ids.
 */
static void test_findings_in_position_order(void **state)
{
	static const char *const want[] = {
		"6:3 MLS-S3-002", "8:35 MLS-S3-001", "13:79 MLS-IAM-008", "14:29 MLS-IAM-002",
		"16:66 MLS-IAM-005", "16:100 MLS-IAM-006", "16:100 MLS-IAM-007",
	};
	json_t *findings = lint(
		"  store:\n    type: aws_s3_bucket\n"
		"    properties: {bucket: t-store, block_public_access: false}\n"
		"  role:\n    type: aws_iam_role\n    properties:\n"
		"      name: r\n      assume_role_policy: {Version: "
		"\"2012-10-17\", Statement: [{Effect: Allow, Principal: "
		"{AWS: \"*\"}, Action: \"sts:AssumeRole\"}]}\n"
		"      managed_policy_arns: "
		"[arn:aws:iam::aws:policy/AmazonS3FullAccess]\n"
		"      inline_policies:\n"
		"        all: {Version: \"2012-10-17\", Statement: [{Effect: "
		"Allow, Action: [\"s3:*\", \"iam:PassRole\"], Resource: "
		"\"*\"}]}\n");
	char got[64];
	json_t *f;
	size_t i;

	(void)state;
	assert_int_equal(json_array_size(findings), MS_ARRAY_SIZE(want));
	json_array_foreach(findings, i, f) {
		snprintf(got, sizeof(got), "%d:%d %s",
			 (int)json_integer_value(json_object_get(f, "line")),
			 (int)json_integer_value(json_object_get(f, "column")),
			 json_string_value(json_object_get(f, "rule")));
		assert_string_equal(got, want[i]);
	}
	json_decref(findings);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_table),
		cmocka_unit_test(test_every_rule_has_its_cases),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_findings_in_position_order),
	};

	ms_json_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
