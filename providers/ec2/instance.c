/*
 * instance.c - aws_instance: an EC2 instance (the training host), with a
 * desired state: running, or stopped to stop paying for it while its
 * disk stays.
 *
 * AWS names an instance itself (i-...): each create carries an
 * idempotency token (ClientToken) that the engine makes and journals, so
 * a RunInstances retried after a lost answer, or recovered after a crash,
 * finds the instance it started instead of starting a second one. A new
 * instance type is applied by stopping the instance, changing it and
 * starting it again. Every change of state is waited for, with progress.
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/ec2/ec2.h"

#include <openssl/evp.h>

static const struct ms_attr disk_schema[] = {
	{ "volume_size", MS_ATTR_NUMBER, 0, NULL, NULL,
	  "GiB (default: the image's)" },
	{ "volume_type", MS_ATTR_STRING, 0, "\"gp3\"", NULL,
	  "gp3, gp2, io2 ..." },
	{ "encrypted", MS_ATTR_BOOL, 0, NULL, NULL,
	  "encrypt it (default: as the image's snapshot, or the account's "
	  "EBS encryption by default)" },
	{ NULL },
};

static const struct ms_attr metadata_schema[] = {
	{ "http_tokens", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "required (IMDSv2 only) or optional (IMDSv1 too)" },
	{ "http_endpoint", MS_ATTR_STRING, 0, "\"enabled\"", NULL,
	  "enabled, or disabled (no metadata service at all)" },
	{ NULL },
};

static const struct ms_attr schema[] = {
	{ "ami", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL,
	  NULL, "the image (ami-...)" },
	{ "instance_type", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "g5.xlarge ... (a change stops, modifies and starts it)" },
	{ "key_name", MS_ATTR_STRING, MS_ATTR_FORCE_NEW, NULL, NULL,
	  "the key pair to log in with" },
	{ "subnet_id", MS_ATTR_STRING,
	  MS_ATTR_OPTIONAL_COMPUTED | MS_ATTR_FORCE_NEW, NULL, NULL,
	  "its subnet (default: one of the default VPC's)" },
	{ "vpc_security_group_ids", MS_ATTR_LIST, MS_ATTR_OPTIONAL_COMPUTED,
	  NULL, NULL, "its security groups (ids)" },
	{ "iam_instance_profile", MS_ATTR_STRING, MS_ATTR_FORCE_NEW, NULL, NULL,
	  "the instance profile (name) it runs with" },
	{ "root_block_device", MS_ATTR_OBJECT, MS_ATTR_FORCE_NEW, NULL,
	  disk_schema, "its root volume (default: the image's)" },
	{ "user_data", MS_ATTR_STRING, MS_ATTR_FORCE_NEW, NULL, NULL,
	  "a cloud-init script run at first boot (a change replaces it)" },
	{ "metadata_options", MS_ATTR_OBJECT, 0, NULL, metadata_schema,
	  "its instance metadata service (default: the image's, most "
	  "answer IMDSv1 too)" },
	{ "state", MS_ATTR_STRING, 0, "\"running\"", NULL,
	  "running or stopped" },
	{ "ssh_user", MS_ATTR_STRING, 0, "\"ubuntu\"", NULL,
	  "the image's login user, for ssh_command" },
	{ "ssh_private_key_file", MS_ATTR_STRING, 0, NULL, NULL,
	  "the private key file, for ssh_command" },
	{ "tags", MS_ATTR_MAP, MS_ATTR_TAGS, "{}", NULL,
	  "tags (with the stack's default tags and its owner mark)" },
	{ "client_token", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the idempotency token it was started with" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the instance id (i-...)" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN" },
	{ "public_ip", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "its public IPv4 address (while running)" },
	{ "public_dns", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "its public DNS name" },
	{ "private_ip", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "its private IPv4 address" },
	{ "private_dns", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "its private DNS name" },
	{ "ssh_command", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the ssh command that reaches it" },
	{ NULL },
};

/* The instance as DescribeInstances answers it, by id or by token. */
static int describe(json_t **out, struct ms_call *call, const char *id,
		    const char *token)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *p, *answer = NULL, *res, *insts, *r, *i;
	size_t k, m;
	int err;

	*out = NULL;
	if (id && !strncmp(id, "i-", 2))
		p = json_pack("{s:s}", "InstanceId.1", id);
	else
		p = json_pack("{s:s, s:s}", "Filter.1.Name", "client-token",
			      "Filter.1.Value.1", token ? token : id);
	err = ms_ec2_call(&answer, &error, call->aws, "DescribeInstances", p);
	res = err ? json_array() :
		    ms_ec2_items(json_object_get(answer, "reservationSet"));
	json_array_foreach(res, k, r) {
		insts = ms_ec2_items(json_object_get(r, "instancesSet"));
		json_array_foreach(insts, m, i) {
			const char *st =
				ms_kit_str(json_object_get(i, "instanceState"),
					   "name", "");

			/* a terminated one is as good as gone */
			if (!*out && strcmp(st, "terminated"))
				*out = json_incref(i);
		}
		json_decref(insts);
	}
	if (err &&
	    ms_aws_error_is(&error, "InvalidInstanceID.NotFound", NULL)) {
		ms_error_clear();
		err = 0;
	}
	ms_aws_error_release(&error);
	json_decref(p);
	json_decref(answer);
	json_decref(res);
	return err;
}

static const char *state_of(const json_t *inst)
{
	return ms_kit_str(json_object_get(inst, "instanceState"), "name", "");
}

/* The attributes of a DescribeInstances item; prior gives what AWS lacks. */
static json_t *attrs_of(struct ms_call *call, const json_t *i,
			const json_t *prior)
{
	json_t *o = json_object(), *groups, *g, *ids = json_array(), *v;
	const char *host, *user, *key;
	char *s;
	size_t k;
	static const char *const kept[] = {
		"key_name",          "iam_instance_profile",
		"root_block_device", "user_data",
		"ssh_user",          "ssh_private_key_file",
		"client_token",
	};

	static const char *const fields[][2] = {
		{ "id", "instanceId" },
		{ "ami", "imageId" },
		{ "instance_type", "instanceType" },
		{ "subnet_id", "subnetId" },
		{ "public_ip", "ipAddress" },
		{ "public_dns", "dnsName" },
		{ "private_ip", "privateIpAddress" },
		{ "private_dns", "privateDnsName" },
		{ NULL },
	};

	for (k = 0; k < MS_ARRAY_SIZE(kept); k++)
		if ((v = json_object_get(prior, kept[k])))
			json_object_set(o, kept[k], v);
	ms_ec2_strings(o, i, fields);
	if (ms_kit_str(i, "keyName", NULL))
		json_object_set_new(o, "key_name",
				    json_string(ms_kit_str(i, "keyName", "")));
	groups = ms_ec2_items(json_object_get(i, "groupSet"));
	json_array_foreach(groups, k, g)
		json_array_append_new(
			ids, json_string(ms_kit_str(g, "groupId", "")));
	json_decref(groups);
	ms_kit_sorted_set(ids);
	json_object_set_new(o, "vpc_security_group_ids", ids);
	json_object_set_new(o, "state", json_string(state_of(i)));
	json_object_set_new(o, "tags",
			    ms_ec2_tags(json_object_get(i, "tagSet")));
	v = json_object_get(i, "metadataOptions");
	if (ms_kit_str(v, "httpTokens", NULL))
		json_object_set_new(
			o, "metadata_options",
			json_pack("{s:s, s:s}", "http_tokens",
				  ms_kit_str(v, "httpTokens", ""),
				  "http_endpoint",
				  ms_kit_str(v, "httpEndpoint", "enabled")));
	s = ms_asprintf("arn:aws:ec2:%s:%s:instance/%s",
			ms_provider_session_region(call->aws),
			ms_kit_str(i, "ownerId", ""),
			ms_kit_str(i, "instanceId", ""));
	json_object_set_new(o, "arn", json_string(s));
	free(s);
	if (!json_object_get(o, "ssh_user"))
		json_object_set_new(o, "ssh_user", json_string("ubuntu"));
	/* arn:aws:iam::123456789012:instance-profile/NAME */
	key = ms_kit_str(json_object_get(i, "iamInstanceProfile"), "arn", NULL);
	if (key && strrchr(key, '/'))
		json_object_set_new(o, "iam_instance_profile",
				    json_string(strrchr(key, '/') + 1));
	host = ms_kit_str(i, "dnsName", "");
	if (!*host)
		host = ms_kit_str(i, "ipAddress", "");
	user = ms_kit_str(prior, "ssh_user", "ubuntu");
	key = ms_kit_str(prior, "ssh_private_key_file", NULL);
	s = *host ? ms_asprintf("ssh %s%s%s%s@%s", key ? "-i " : "",
				key ? key : "", key ? " " : "", user, host) :
		    ms_strdup("");
	json_object_set_new(o, "ssh_command", json_string(s));
	free(s);
	return o;
}

static int instance_read(struct ms_call *call, const json_t *prior,
			 json_t **out)
{
	json_t *i = NULL;
	int err = describe(&i, call, ms_kit_str(prior, "id", NULL),
			   ms_kit_str(prior, "client_token", NULL));

	*out = err || !i ? NULL : attrs_of(call, i, prior);
	json_decref(i);
	return err;
}

/* What read answers for an instance DescribeInstances listed. */
static json_t *listed_attrs(struct ms_call *call, const json_t *i,
			    const json_t *prior)
{
	/* a terminated one is as good as gone */
	return strcmp(state_of(i), "terminated") ? attrs_of(call, i, prior) :
						   json_null();
}

/*
 * A refresh of many instances: DescribeInstances filtered by their ids.
 * One not listed is left to its own read, which tells a lag of EC2's
 * eventual consistency from an instance that is gone.
 */
static const struct ms_ec2_many many = {
	.action = "DescribeInstances",
	.filter = "instance-id",
	.set = "reservationSet",
	.nested = "instancesSet",
	.paged = true,
	.id_attr = "id",
	.prefix = "i-",
	.item_key = "instanceId",
	.attrs = listed_attrs,
};

static int instance_read_many(struct ms_call *call, const json_t *priors,
			      json_t **out)
{
	return ms_ec2_read_many(call, priors, &many, out);
}

struct poll {
	struct ms_call *call;
	const char *id;
};

static int poll_instance(struct ms_aws_wait_poll *out, void *payload)
{
	struct poll *p = payload;
	json_t *i = NULL;
	int err = describe(&i, p->call, p->id, NULL);

	if (!err && i)
		out->status = ms_strdup(state_of(i));
	json_decref(i);
	return err;
}

/* Until the instance is in state (terminated: gone is fine too). */
static int wait_for(struct ms_call *call, const char *id, const char *state)
{
	const char *success[] = { state, NULL };
	static const char *const failure[] = { NULL };
	struct ms_aws_waiter w = { 0 };
	struct poll p = { call, id };
	char what[100];

	snprintf(what, sizeof(what), "instance %s", id);
	w.what = what;
	w.delay = 15; /* botocore's InstanceRunning: 15 s, 40 times */
	w.max_attempts = 40;
	w.success = success;
	w.failure = failure;
	w.gone = strcmp(state, "terminated") ? MS_AWS_WAIT_FAILURE :
					       MS_AWS_WAIT_SUCCESS;
	return ms_aws_wait(NULL, call, &w, poll_instance, &p);
}

static int change_state(struct ms_call *call, const char *id,
			const char *action, const char *then)
{
	json_t *p = json_pack("{s:s}", "InstanceId.1", id);
	int err;

	ms_call_progress(call, "%s: %s", id, action);
	err = ms_ec2_call(NULL, NULL, call->aws, action, p);
	json_decref(p);
	return err ? err : wait_for(call, id, then);
}

static char *root_device(struct ms_call *call, const char *ami)
{
	json_t *p = json_pack("{s:s}", "ImageId.1", ami), *answer = NULL, *img;
	char *dev = NULL;
	json_t *items;

	if (!ms_ec2_call(&answer, NULL, call->aws, "DescribeImages", p)) {
		items = ms_ec2_items(json_object_get(answer, "imagesSet"));
		img = json_array_get(items, 0);
		if (ms_kit_str(img, "rootDeviceName", NULL))
			dev = ms_strdup(ms_kit_str(img, "rootDeviceName", ""));
		json_decref(items);
	} else {
		ms_error_clear();
	}
	json_decref(p);
	json_decref(answer);
	return dev ? dev : ms_strdup("/dev/sda1");
}

static int instance_create(struct ms_call *call, const json_t *desired,
			   json_t **out)
{
	const char *token = ms_kit_str(desired, "client_token", NULL);
	const char *data = ms_kit_str(desired, "user_data", NULL);
	json_t *p, *answer = NULL, *items, *i = NULL, *disk, *md;
	char *dev = NULL, *b64;
	const char *id;
	int err;

	*out = NULL;
	if (!token)
		return ms_error("aws_instance: no idempotency token");
	p = json_pack("{s:s, s:s, s:i, s:i, s:s}", "ImageId",
		      ms_kit_str(desired, "ami", ""), "InstanceType",
		      ms_kit_str(desired, "instance_type", ""), "MinCount", 1,
		      "MaxCount", 1, "ClientToken", token);
	if (ms_kit_str(desired, "key_name", NULL))
		json_object_set(p, "KeyName",
				json_object_get(desired, "key_name"));
	if (ms_kit_str(desired, "subnet_id", NULL))
		json_object_set(p, "SubnetId",
				json_object_get(desired, "subnet_id"));
	ms_ec2_list(p, "SecurityGroupId",
		    json_object_get(desired, "vpc_security_group_ids"));
	if (ms_kit_str(desired, "iam_instance_profile", NULL))
		json_object_set(p, "IamInstanceProfile.Name",
				json_object_get(desired,
						"iam_instance_profile"));
	disk = json_object_get(desired, "root_block_device");
	if (json_object_get(disk, "volume_size") ||
	    json_object_get(disk, "volume_type")) {
		dev = root_device(call, ms_kit_str(desired, "ami", ""));
		json_object_set_new(p, "BlockDeviceMapping.1.DeviceName",
				    json_string(dev));
		if (json_object_get(disk, "volume_size"))
			json_object_set(p,
					"BlockDeviceMapping.1.Ebs.VolumeSize",
					json_object_get(disk, "volume_size"));
		if (json_object_get(disk, "volume_type"))
			json_object_set(p,
					"BlockDeviceMapping.1.Ebs.VolumeType",
					json_object_get(disk, "volume_type"));
		if (json_is_boolean(json_object_get(disk, "encrypted")))
			json_object_set(p, "BlockDeviceMapping.1.Ebs.Encrypted",
					json_object_get(disk, "encrypted"));
		json_object_set_new(
			p, "BlockDeviceMapping.1.Ebs.DeleteOnTermination",
			json_true());
	}
	md = json_object_get(desired, "metadata_options");
	if (ms_kit_str(md, "http_tokens", NULL))
		json_object_set(p, "MetadataOptions.HttpTokens",
				json_object_get(md, "http_tokens"));
	if (ms_kit_str(md, "http_endpoint", NULL))
		json_object_set(p, "MetadataOptions.HttpEndpoint",
				json_object_get(md, "http_endpoint"));
	if (data) {
		b64 = ms_malloc(4 * (strlen(data) / 3 + 1) + 1);
		EVP_EncodeBlock((unsigned char *)b64,
				(const unsigned char *)data, (int)strlen(data));
		json_object_set_new(p, "UserData", json_string(b64));
		free(b64);
	}
	ms_ec2_tag_spec(p, 1, "instance", json_object_get(desired, "tags"));
	err = ms_ec2_call(&answer, NULL, call->aws, "RunInstances", p);
	items = err ? json_array() :
		      ms_ec2_items(json_object_get(answer, "instancesSet"));
	id = ms_kit_str(json_array_get(items, 0), "instanceId", NULL);
	if (!err && !id)
		err = ms_error("RunInstances: no instance in the answer");
	if (!err) {
		ms_call_progress(call, "%s: starting", id ? id : "?");
		err = wait_for(call, id ? id : "", "running");
	}
	if (!err && !strcmp(ms_kit_str(desired, "state", "running"), "stopped"))
		err = change_state(call, id, "StopInstances", "stopped");
	/* made, even if it never came up: the engine records it (tainted) */
	if (id && !describe(&i, call, id, NULL) && i)
		*out = attrs_of(call, i, desired);
	json_decref(i);
	json_decref(p);
	json_decref(answer);
	json_decref(items);
	free(dev);
	return err;
}

static int modify(struct ms_call *call, const char *id, const char *field,
		  const json_t *value)
{
	json_t *p = json_pack("{s:s}", "InstanceId", id);
	int err;

	json_object_set(p, field, (json_t *)value);
	err = ms_ec2_call(NULL, NULL, call->aws, "ModifyInstanceAttribute", p);
	json_decref(p);
	return err;
}

static int instance_update(struct ms_call *call, const json_t *prior,
			   const json_t *desired, json_t **out)
{
	const char *id = ms_kit_str(prior, "id", "");
	const char *have = ms_kit_str(prior, "state", "running");
	const char *want = ms_kit_str(desired, "state", "running");
	json_t *type = json_object_get(desired, "instance_type");
	json_t *groups = json_object_get(desired, "vpc_security_group_ids");
	json_t *md = json_object_get(desired, "metadata_options");
	json_t *i = NULL, *p;
	bool retype =
		type &&
		!json_equal(type, json_object_get(prior, "instance_type"));
	int err = 0;

	*out = NULL;
	if (retype && !strcmp(have, "running")) {
		err = change_state(call, id, "StopInstances", "stopped");
		have = "stopped";
	}
	if (!err && retype) {
		ms_call_progress(call, "%s: instance type %s", id,
				 json_string_value(type));
		err = modify(call, id, "InstanceType.Value", type);
	}
	if (!err && groups &&
	    !json_equal(groups,
			json_object_get(prior, "vpc_security_group_ids"))) {
		p = json_pack("{s:s}", "InstanceId", id);
		ms_ec2_list(p, "GroupId", groups);
		err = ms_ec2_call(NULL, NULL, call->aws,
				  "ModifyInstanceAttribute", p);
		json_decref(p);
	}
	if (!err && ms_kit_str(md, "http_tokens", NULL) &&
	    !json_equal(md, json_object_get(prior, "metadata_options"))) {
		ms_call_progress(call, "%s: metadata options", id);
		p = json_pack("{s:s, s:O, s:s}", "InstanceId", id, "HttpTokens",
			      json_object_get(md, "http_tokens"),
			      "HttpEndpoint",
			      ms_kit_str(md, "http_endpoint", "enabled"));
		err = ms_ec2_call(NULL, NULL, call->aws,
				  "ModifyInstanceMetadataOptions", p);
		json_decref(p);
	}
	if (!err && strcmp(have, want))
		err = !strcmp(want, "stopped") ?
			      change_state(call, id, "StopInstances",
					   "stopped") :
			      change_state(call, id, "StartInstances",
					   "running");
	if (!err)
		err = ms_ec2_tags_update(call->aws, id,
					 json_object_get(prior, "tags"),
					 json_object_get(desired, "tags"));
	if (!describe(&i, call, id, NULL) && i)
		*out = attrs_of(call, i, desired);
	else if (!err)
		err = ms_error("instance %s vanished", id);
	json_decref(i);
	return err;
}

static int instance_delete(struct ms_call *call, const json_t *prior)
{
	const char *id = ms_kit_str(prior, "id", NULL);
	json_t *i = NULL;
	int err =
		describe(&i, call, id, ms_kit_str(prior, "client_token", NULL));

	if (!err && i)
		err = change_state(call, ms_kit_str(i, "instanceId", ""),
				   "TerminateInstances", "terminated");
	json_decref(i);
	return err;
}

static int instance_normalize(json_t *attrs)
{
	const char *s = ms_kit_str(attrs, "state", NULL);
	const json_t *md = json_object_get(attrs, "metadata_options");
	const char *tokens = ms_kit_str(md, "http_tokens", NULL);
	const char *endpoint = ms_kit_str(md, "http_endpoint", NULL);

	if (s && strcmp(s, "running") && strcmp(s, "stopped"))
		return ms_error("state: \"running\" or \"stopped\", not \"%s\"",
				s);
	if (tokens && strcmp(tokens, "required") && strcmp(tokens, "optional"))
		return ms_error("metadata_options.http_tokens: \"required\" or "
				"\"optional\", not \"%s\"",
				tokens);
	if (endpoint && strcmp(endpoint, "enabled") &&
	    strcmp(endpoint, "disabled"))
		return ms_error(
			"metadata_options.http_endpoint: \"enabled\" or "
			"\"disabled\", not \"%s\"",
			endpoint);
	ms_kit_sorted_set(json_object_get(attrs, "vpc_security_group_ids"));
	ms_kit_strings(json_object_get(attrs, "tags"));
	return 0;
}

/* Terraform: its state is instance_state, user_data kept as a hash */
static const struct ms_tf_attr tf_attrs[] = {
	{ "state", "instance_state" },
	{ "user_data", NULL, MS_TF_SHA1 },
	{ NULL },
};

static const struct ms_tf_type tf = { .schema_version = 1, .attrs = tf_attrs };

/*
 * The instance by the hour (Linux, on-demand) unless stopped, and its
 * root volume by the GB-month, stopped or not. A root volume of the
 * image's size is not known here: its price is said to be unknown.
 */
static int instance_cost(struct ms_cost *out, const json_t *attrs,
			 const struct ms_cost_env *env)
{
	static const char *const unbilled[] = { "stopped", "stopping",
						"shutting-down", "terminated",
						NULL };
	const char *state = ms_kit_str(attrs, "state", "running");
	const json_t *disk = json_object_get(attrs, "root_block_device");
	const char *type, *volume;
	const char *const *u;
	char what[160];
	double gb;

	for (u = unbilled; *u && strcmp(*u, state); u++)
		;
	if (!*u) {
		type = ms_cost_string(out, attrs, "instance_type");
		snprintf(what, sizeof(what), "instance %s (Linux)",
			 type ? type : "");
		if (type)
			ms_cost_add(out, env, "ec2.instance", type, what, 1, 1);
	}
	if (!json_object_get(disk, "volume_size")) {
		ms_cost_unknown(out, "root volume: the image's size (set "
				     "root_block_device.volume_size to price "
				     "it)");
		return 0;
	}
	gb = ms_cost_number(out, attrs, "root_block_device.volume_size", 0);
	volume = json_is_string(json_object_get(disk, "volume_type")) ?
			 json_string_value(
				 json_object_get(disk, "volume_type")) :
			 "gp3";
	snprintf(what, sizeof(what), "root volume (%s)", volume);
	if (gb >= 0)
		ms_cost_add(out, env, "ec2.ebs", volume, what, gb, gb);
	return 0;
}

const struct ms_resource_type ms_aws_instance = {
	.name = "aws_instance",
	.data_note = "its root volume and what is on it are deleted",
	.schema = schema,
	.id_attr = "client_token",
	.token_attr = "client_token",
	.read = instance_read,
	.read_many = instance_read_many,
	.create = instance_create,
	.update = instance_update,
	.delete = instance_delete,
	.normalize = instance_normalize,
	.terraform = &tf,
	.cost = instance_cost,
};
