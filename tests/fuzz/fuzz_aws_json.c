/*
 * fuzz_aws_json.c - JSON answers (SageMaker and Application Auto Scaling
 * over JSON 1.1, Lambda over REST-JSON) as the providers read them: the
 * answer check of both protocols (ms_aws_json_parse), then every
 * resource type's reading of it into attributes (ms_kit_attrs: wire
 * fields, defaults, numbers and booleans given as text, tags, the type's
 * normalize hook), and those attributes as the prior of an update
 * request.
 */
#include "util/common.h"
#include "providers/aws/internal.h"
#include "providers/kit.h"
#include "providers/sagemaker/sagemaker.h"
#include "tests/fuzz/fuzz.h"

/* Words answers hold, for the JSON mutator. */
static const char *const words[] = {
	"Enabled",
	"Disabled",
	"true",
	"false",
	"1",
	"1.5",
	"-1",
	"1e400",
	"InService",
	"Completed",
	"arn:aws:sagemaker:us-east-1:123456789012:model/m",
	"ml.m5.large",
	"s3://b/k",
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
	return 0;
}

static void read_as(const struct ms_resource_type *t, const json_t *answer,
		    const json_t *tags)
{
	json_t *attrs = NULL, *body = NULL, *changed = NULL;

	if (ms_kit_attrs(&attrs, t, answer, tags))
		return;
	ms_sagemaker_job_settled(attrs);
	if (!ms_kit_update_request(&body, &changed, t, attrs, attrs)) {
		json_decref(body);
		json_decref(changed);
	}
	json_decref(attrs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ms_resource_type *const *t;
	struct ms_aws_response res;
	json_t *answer = NULL, *tags, *v;
	const char *key;

	ms_aws_response_init(&res);
	res.status = 200;
	ms_buf_add(&res.body, data, size);
	if (ms_aws_json_parse(&answer, &res, "Describe"))
		goto done;
	/* ListTags answers {"Tags": [{Key, Value}]}; Lambda a map */
	tags = json_is_object(json_object_get(answer, "Tags")) ?
		       json_incref(json_object_get(answer, "Tags")) :
		       ms_kit_tags_map(json_object_get(answer, "Tags"));
	/* the answer, and what it wraps (Lambda's Configuration, a list) */
	for (t = ms_provider_all(); *t; t++) {
		read_as(*t, answer, tags);
		json_object_foreach(answer, key, v) {
			if (json_is_array(v))
				v = json_array_get(v, 0);
			if (json_is_object(v))
				read_as(*t, v, tags);
		}
	}
	json_decref(tags);
done:
	json_decref(answer);
	ms_aws_response_release(&res);
	ms_error_clear();
	return 0;
}
