/*
 * ami.c - the aws_ami lookup: an image by its owners and name (a glob),
 * with other filters, the newest when several match and most_recent says
 * so (the Deep Learning AMI of the day).
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/ec2/ec2.h"

static const struct ms_attr schema[] = {
	{ "owners", MS_ATTR_LIST, MS_ATTR_REQUIRED, NULL, NULL,
	  "account ids or aliases (\"amazon\")" },
	{ "name", MS_ATTR_STRING, 0, NULL, NULL,
	  "the image's name, a glob (\"Deep Learning*Ubuntu*\")" },
	{ "filters", MS_ATTR_JSON, 0, "{}", NULL,
	  "other EC2 filters: name -> value or list of values" },
	{ "most_recent", MS_ATTR_BOOL, 0, "false", NULL,
	  "the newest of several (else several is an error)" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the image id (ami-...)" },
	{ "image_name", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "its name" },
	{ "creation_date", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "when it was made" },
	{ "architecture", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "x86_64 or arm64" },
	{ "root_device_name", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "its root device" },
	{ NULL },
};

static void add_filter(json_t *p, int *n, const char *name, const json_t *v)
{
	json_t *list = json_is_array(v) ? json_incref((json_t *)v) :
					  json_pack("[O]", v),
	       *x;
	char *key;
	size_t i;

	(*n)++;
	key = ms_asprintf("Filter.%d.Name", *n);
	json_object_set_new(p, key, json_string(name));
	free(key);
	json_array_foreach(list, i, x) {
		key = ms_asprintf("Filter.%d.Value.%zu", *n, i + 1);
		json_object_set(p, key, x);
		free(key);
	}
	json_decref(list);
}

/* what a DescribeImages item gives */
static const char *const fields[][2] = {
	{ "id", "imageId" },
	{ "image_name", "name" },
	{ "creation_date", "creationDate" },
	{ "architecture", "architecture" },
	{ "root_device_name", "rootDeviceName" },
	{ NULL },
};

static int ami_read(struct ms_call *call, const json_t *args, json_t **out)
{
	json_t *p = json_object(), *answer = NULL, *items, *img, *best = NULL;
	const char *key;
	json_t *v;
	int n = 0, err;
	size_t i;

	*out = NULL;
	ms_ec2_list(p, "Owner", json_object_get(args, "owners"));
	if (ms_kit_str(args, "name", NULL))
		add_filter(p, &n, "name", json_object_get(args, "name"));
	json_object_foreach(json_object_get(args, "filters"), key, v)
		add_filter(p, &n, key, v);
	err = ms_ec2_call(&answer, NULL, call->aws, "DescribeImages", p);
	items = err ? json_array() :
		      ms_ec2_items(json_object_get(answer, "imagesSet"));
	if (!err && !json_array_size(items))
		err = ms_error("no image matches");
	else if (!err && json_array_size(items) > 1 &&
		 !json_is_true(json_object_get(args, "most_recent")))
		err = ms_error("%zu images match (set most_recent: true for "
			       "the newest)",
			       json_array_size(items));
	json_array_foreach(err ? NULL : items, i, img)
		if (!best || strcmp(ms_kit_str(img, "creationDate", ""),
				    ms_kit_str(best, "creationDate", "")) > 0)
			best = img;
	if (!err) {
		*out = json_deep_copy(args);
		ms_ec2_strings(*out, best, fields);
	}
	json_decref(p);
	json_decref(answer);
	json_decref(items);
	return err;
}

const struct ms_resource_type ms_aws_ami_lookup = {
	.name = "aws_ami",
	.schema = schema,
	.read = ami_read,
};
