/*
 * subnets.c - the aws_subnets lookup: the subnets of a VPC, in one
 * availability zone when it says which.
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/ec2/ec2.h"

static const struct ms_attr schema[] = {
	{ "vpc_id", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL, "the VPC" },
	{ "availability_zone", MS_ATTR_STRING, 0, NULL, NULL,
	  "only this zone's (\"us-east-1a\")" },
	{ "ids", MS_ATTR_LIST, MS_ATTR_COMPUTED, NULL, NULL,
	  "the subnet ids, sorted" },
	{ NULL },
};

static int subnets_read(struct ms_call *call, const json_t *args, json_t **out)
{
	json_t *p = json_pack("{s:s, s:O}", "Filter.1.Name", "vpc-id",
			      "Filter.1.Value.1",
			      json_object_get(args, "vpc_id"));
	json_t *answer = NULL, *items, *ids = json_array(), *s;
	size_t i;
	int err;

	*out = NULL;
	if (ms_kit_str(args, "availability_zone", NULL)) {
		json_object_set_new(p, "Filter.2.Name",
				    json_string("availability-zone"));
		json_object_set(p, "Filter.2.Value.1",
				json_object_get(args, "availability_zone"));
	}
	err = ms_ec2_call(&answer, NULL, call->aws, "DescribeSubnets", p);
	items = err ? json_array() :
		      ms_ec2_items(json_object_get(answer, "subnetSet"));
	json_array_foreach(items, i, s)
		json_array_append_new(
			ids, json_string(ms_kit_str(s, "subnetId", "")));
	ms_kit_sorted_set(ids);
	if (!err && !json_array_size(ids))
		err = ms_error("no subnet matches");
	if (!err) {
		*out = json_deep_copy(args);
		json_object_set(*out, "ids", ids);
	}
	json_decref(ids);
	json_decref(p);
	json_decref(answer);
	json_decref(items);
	return err;
}

const struct ms_resource_type ms_aws_subnets_lookup = {
	.name = "aws_subnets",
	.schema = schema,
	.read = subnets_read,
};
