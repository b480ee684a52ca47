/*
 * fuzz_aws_xml.c - XML answers (IAM and STS Query, EC2, S3) as the
 * providers read them: libxml2's parse with mlstack's settings
 * (ms_aws_xml_parse, no DTD, no entities, no network), the path helpers,
 * the model-less conversion to JSON that the Query and EC2 callers use
 * (ms_xml_json, ms_ec2_items, ms_ec2_tags), S3's tag sets, listings and
 * dates, IAM's URL-encoded policy documents, and every resource type's
 * reading of an answer into attributes (ms_kit_attrs).
 */
#include "util/common.h"
#include "providers/aws/internal.h"
#include "providers/ec2/ec2.h"
#include "providers/iam/iam.h"
#include "providers/kit.h"
#include "providers/s3/s3.h"
#include "tests/fuzz/fuzz.h"

#include <libxml/parser.h>

/* Answer objects read into attributes, per input. */
#define MAX_OBJECTS 16

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	xmlInitParser();
	return 0;
}

/* What every type makes of o as a Describe/Get answer. */
static void read_as_attrs(const json_t *o)
{
	const struct ms_resource_type *const *t;
	json_t *tags, *attrs;

	tags = json_object_get(o, "tagSet") ?
		       ms_ec2_tags(json_object_get(o, "tagSet")) :
		       ms_kit_tags_map(json_object_get(o, "Tags"));
	for (t = ms_provider_all(); *t; t++) {
		attrs = NULL;
		if (!ms_kit_attrs(&attrs, *t, o, tags))
			json_decref(attrs);
	}
	json_decref(tags);
}

/* Depth first over v: objects into attributes, strings as policies. */
static void walk(const json_t *v, size_t *objects)
{
	const char *key;
	json_t *x, *items, *policy;
	size_t i;

	if (json_is_string(v) && strchr(json_string_value(v), '%')) {
		policy = NULL;
		if (!ms_iam_policy_decode(&policy, json_string_value(v),
					  "document"))
			json_decref(policy);
	} else if (json_is_object(v)) {
		if ((*objects)++ < MAX_OBJECTS)
			read_as_attrs(v);
		items = ms_ec2_items(v);
		json_decref(items);
		json_object_foreach((json_t *)v, key, x)
			walk(x, objects);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			walk(x, objects);
	}
}

/* ListObjectsV2 and ListBuckets, as transfer.c and s3.c read them. */
static void s3_listing(xmlNode *root)
{
	static const char *const fields[] = {
		"Key",          "ETag", "Size",         "StorageClass",
		"LastModified", "Name", "CreationDate",
	};
	xmlNode *n;
	char *s;
	size_t i;

	for (n = ms_xml_find(root, "Contents"); n;
	     n = ms_xml_next(n, "Contents"))
		for (i = 0; i < MS_ARRAY_SIZE(fields); i++) {
			s = ms_xml_text(n, fields[i]);
			ms_s3_date(s);
			free(s);
		}
	for (n = ms_xml_find(root, "Buckets/Bucket"); n;
	     n = ms_xml_next(n, "Bucket")) {
		s = ms_xml_text(n, "CreationDate");
		ms_s3_date(s);
		free(s);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	xmlDoc *doc = ms_aws_xml_parse((const char *)data, size);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	json_t *all = NULL, *tags = NULL;
	size_t objects = 0, n;
	char *s, *result;

	if (!root)
		goto done;
	/* ms_ec2_call reads the whole answer, ms_iam_call its Result */
	all = ms_xml_json(root);
	walk(all, &objects);
	n = strlen((const char *)root->name);
	if (n > 8 && !strcmp((const char *)root->name + n - 8, "Response")) {
		result = ms_asprintf("%.*sResult", (int)(n - 8),
				     (const char *)root->name);
		s = ms_xml_text(root, result);
		free(s);
		free(result);
	}
	s = ms_xml_text(root, "ResponseMetadata/RequestId");
	free(s);
	ms_s3_tagging_parse(&tags, doc);
	s3_listing(root);
done:
	json_decref(all);
	json_decref(tags);
	if (doc)
		xmlFreeDoc(doc);
	ms_error_clear();
	return 0;
}
