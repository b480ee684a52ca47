/*
 * vpc.c - the aws_vpc lookup: the account's default VPC, or one by
 * filters.
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/ec2/ec2.h"

static const struct ms_attr schema[] = {
	{ "default", MS_ATTR_BOOL, 0, "false", NULL, "the default VPC" },
	{ "filters", MS_ATTR_JSON, 0, "{}", NULL,
	  "EC2 filters: name -> value or list of values" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the VPC id (vpc-...)" },
	{ "cidr_block", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "its IPv4 range" },
	{ NULL },
};

/* what a DescribeVpcs item gives */
static const char *const fields[][2] = {
	{ "id", "vpcId" },
	{ "cidr_block", "cidrBlock" },
	{ NULL },
};

static int vpc_read(struct ms_call *call, const json_t *args, json_t **out)
{
	json_t *p = json_object(), *answer = NULL, *items, *v, *list, *x;
	const char *key;
	int n = 0, err;
	size_t i;
	char *k;

	*out = NULL;
	if (json_is_true(json_object_get(args, "default"))) {
		json_object_set_new(p, "Filter.1.Name",
				    json_string("isDefault"));
		json_object_set_new(p, "Filter.1.Value.1", json_string("true"));
		n = 1;
	}
	json_object_foreach(json_object_get(args, "filters"), key, v) {
		n++;
		k = ms_asprintf("Filter.%d.Name", n);
		json_object_set_new(p, k, json_string(key));
		free(k);
		list = json_is_array(v) ? json_incref(v) : json_pack("[O]", v);
		json_array_foreach(list, i, x) {
			k = ms_asprintf("Filter.%d.Value.%zu", n, i + 1);
			json_object_set(p, k, x);
			free(k);
		}
		json_decref(list);
	}
	err = ms_ec2_call(&answer, NULL, call->aws, "DescribeVpcs", p);
	items = err ? json_array() :
		      ms_ec2_items(json_object_get(answer, "vpcSet"));
	if (!err && json_array_size(items) != 1)
		err = ms_error("%zu VPCs match, not one",
			       json_array_size(items));
	if (!err) {
		*out = json_deep_copy(args);
		ms_ec2_strings(*out, json_array_get(items, 0), fields);
	}
	json_decref(p);
	json_decref(answer);
	json_decref(items);
	return err;
}

const struct ms_resource_type ms_aws_vpc_lookup = {
	.name = "aws_vpc",
	.schema = schema,
	.read = vpc_read,
};
