/*
 * security_group.c - aws_security_group: a VPC security group and its
 * rules.
 *
 * Rules are compared one source at a time: a rule naming two CIDR blocks
 * is two rules, as EC2 keeps them (it merges the rules of one protocol
 * and port range into one permission), so the plan, the state and AWS
 * agree whatever grouping either side used. Rule changes are made in
 * place (authorize what is new, revoke what went); the group is replaced
 * only when its name, description or VPC changes.
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/ec2/ec2.h"
#include "util/json.h"

static const struct ms_attr rule_schema[] = {
	{ "protocol", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "tcp, udp, icmp, or -1 (all)" },
	{ "from_port", MS_ATTR_NUMBER, 0, "0", NULL, "the first port" },
	{ "to_port", MS_ATTR_NUMBER, 0, "0", NULL, "the last port" },
	{ "cidr_blocks", MS_ATTR_LIST, 0, NULL, NULL,
	  "IPv4 ranges it admits (\"203.0.113.0/24\")" },
	{ "security_groups", MS_ATTR_LIST, 0, NULL, NULL,
	  "ids of the groups it admits" },
	{ NULL },
};

static const struct ms_attr schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL,
	  NULL, "the group's name", "GroupName" },
	{ "description", MS_ATTR_STRING, MS_ATTR_FORCE_NEW,
	  "\"Managed by mlstack\"", NULL, "its description",
	  "GroupDescription" },
	{ "vpc_id", MS_ATTR_STRING,
	  MS_ATTR_OPTIONAL_COMPUTED | MS_ATTR_FORCE_NEW, NULL, NULL,
	  "its VPC (default: the account's default VPC)", "VpcId" },
	{ "ingress", MS_ATTR_LIST, 0, "[]", rule_schema,
	  "what may come in (nothing else does)" },
	{ "egress", MS_ATTR_LIST, 0,
	  "[{\"protocol\": \"-1\", \"cidr_blocks\": [\"0.0.0.0/0\"]}]",
	  rule_schema, "what may go out (default: everything, as EC2 does)" },
	{ "tags", MS_ATTR_MAP, MS_ATTR_TAGS, "{}", NULL,
	  "tags (with the stack's default tags and its owner mark)" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the group's id (sg-...)" },
	{ "owner_id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the account that owns it" },
	{ NULL },
};

/* ---- rules, one source each ---------------------------------------------- */

static const char *protocol_of(const char *p)
{
	if (!strcmp(p, "all") || !strcmp(p, "-1"))
		return "-1";
	if (!strcmp(p, "6"))
		return "tcp";
	if (!strcmp(p, "17"))
		return "udp";
	if (!strcmp(p, "1"))
		return "icmp";
	return p;
}

static json_t *rule(const char *protocol, json_int_t from, json_int_t to,
		    const char *key, const char *source)
{
	bool all = !strcmp(protocol, "-1");

	return json_pack("{s:s, s:I, s:I, s:[s]}", "protocol", protocol,
			 "from_port", all ? (json_int_t)0 : from, "to_port",
			 all ? (json_int_t)0 : to, key, source);
}

/* The rules of a list, one source each, sorted; a new array. */
static json_t *explode(const json_t *rules)
{
	json_t *out = json_array(), *r, *v, *texts = json_array(), *sorted;
	const char *keys[] = { "cidr_blocks", "security_groups" };
	size_t i, k, j;
	char *text;

	json_array_foreach(rules, i, r) {
		const char *p = protocol_of(ms_kit_str(r, "protocol", "-1"));
		json_int_t from =
			json_integer_value(json_object_get(r, "from_port"));
		json_int_t to =
			json_integer_value(json_object_get(r, "to_port"));

		if (json_is_real(json_object_get(r, "from_port")))
			from = (json_int_t)json_real_value(
				json_object_get(r, "from_port"));
		if (json_is_real(json_object_get(r, "to_port")))
			to = (json_int_t)json_real_value(
				json_object_get(r, "to_port"));
		for (k = 0; k < 2; k++)
			json_array_foreach(json_object_get(r, keys[k]), j, v)
				if (json_is_string(v)) {
					json_t *one =
						rule(p, from, to, keys[k],
						     json_string_value(v));

					text = ms_json_compact(one);
					json_array_append_new(
						texts, json_string(text));
					free(text);
					json_decref(one);
				}
	}
	sorted = ms_json_sorted_set(texts);
	json_array_foreach(sorted, i, v)
		json_array_append_new(out, json_loads(json_string_value(v), 0,
						      NULL));
	json_decref(sorted);
	return out;
}

/* An answer's ipPermissions as rules. */
static json_t *rules_of(const json_t *permissions)
{
	json_t *items = ms_ec2_items(permissions), *rules = json_array(), *p;
	json_t *ranges, *groups, *x, *r, *out;
	size_t i, k;

	json_array_foreach(items, i, p) {
		r = json_object();
		json_object_set_new(
			r, "protocol",
			json_string(ms_kit_str(p, "ipProtocol", "-1")));
		json_object_set_new(
			r, "from_port",
			json_integer(strtoll(ms_kit_str(p, "fromPort", "0"),
					     NULL, 10)));
		json_object_set_new(
			r, "to_port",
			json_integer(strtoll(ms_kit_str(p, "toPort", "0"), NULL,
					     10)));
		ranges = ms_ec2_items(json_object_get(p, "ipRanges"));
		json_object_set_new(r, "cidr_blocks", json_array());
		json_array_foreach(ranges, k, x)
			if (ms_kit_str(x, "cidrIp", NULL))
				json_array_append_new(
					json_object_get(r, "cidr_blocks"),
					json_string(
						ms_kit_str(x, "cidrIp", "")));
		groups = ms_ec2_items(json_object_get(p, "groups"));
		json_object_set_new(r, "security_groups", json_array());
		json_array_foreach(groups, k, x)
			if (ms_kit_str(x, "groupId", NULL))
				json_array_append_new(
					json_object_get(r, "security_groups"),
					json_string(
						ms_kit_str(x, "groupId", "")));
		json_array_append_new(rules, r);
		json_decref(ranges);
		json_decref(groups);
	}
	json_decref(items);
	out = explode(rules);
	json_decref(rules);
	return out;
}

/* IpPermissions.N of rules (one source each) into params. */
static void permissions(json_t *params, const json_t *rules)
{
	json_t *r, *v;
	size_t i;
	char *key;

	json_array_foreach(rules, i, r) {
		size_t n = i + 1;
		const char *p = ms_kit_str(r, "protocol", "-1");

		key = ms_asprintf("IpPermissions.%zu.IpProtocol", n);
		json_object_set_new(params, key, json_string(p));
		free(key);
		if (strcmp(p, "-1")) {
			key = ms_asprintf("IpPermissions.%zu.FromPort", n);
			json_object_set(params, key,
					json_object_get(r, "from_port"));
			free(key);
			key = ms_asprintf("IpPermissions.%zu.ToPort", n);
			json_object_set(params, key,
					json_object_get(r, "to_port"));
			free(key);
		}
		if ((v = json_array_get(json_object_get(r, "cidr_blocks"),
					0))) {
			key = ms_asprintf("IpPermissions.%zu.IpRanges.1.CidrIp",
					  n);
			json_object_set(params, key, v);
			free(key);
		}
		if ((v = json_array_get(json_object_get(r, "security_groups"),
					0))) {
			key = ms_asprintf("IpPermissions.%zu.Groups.1.GroupId",
					  n);
			json_object_set(params, key, v);
			free(key);
		}
	}
}

static bool listed(const json_t *list, const json_t *v)
{
	json_t *x;
	size_t i;

	json_array_foreach(list, i, x)
		if (json_equal(x, v))
			return true;
	return false;
}

/*
 * Authorize (or revoke) rules, in one call. EC2 refuses the whole call
 * when one rule is already there (or already gone), as a retried call
 * whose answer was lost finds it: then one rule at a time, those taking
 * that refusal as done.
 */
static int change_rules(struct ms_call *call, const char *id, const char *verb,
			const char *direction, const json_t *rules)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	const char *done = !strcmp(verb, "Authorize") ?
				   "InvalidPermission.Duplicate" :
				   "InvalidPermission.NotFound";
	char *action = ms_asprintf("%sSecurityGroup%s", verb, direction);
	json_t *p = json_pack("{s:s}", "GroupId", id), *one, *v;
	size_t i;
	int err;

	permissions(p, rules);
	err = ms_ec2_call(NULL, &error, call->aws, action, p);
	if (err && ms_aws_error_is(&error, done, NULL) &&
	    json_array_size(rules) == 1) {
		ms_error_clear();
		err = 0;
	} else if (err && ms_aws_error_is(&error, done, NULL)) {
		ms_error_clear();
		err = 0;
		json_array_foreach(rules, i, v) {
			one = json_pack("[O]", v);
			err = change_rules(call, id, verb, direction, one);
			json_decref(one);
			if (err)
				break;
		}
	}
	ms_aws_error_release(&error);
	json_decref(p);
	free(action);
	return err;
}

/* Authorize what want has and have lacks, then revoke the reverse. */
static int sync_rules(struct ms_call *call, const char *id,
		      const char *direction, const json_t *have,
		      const json_t *want)
{
	json_t *add = json_array(), *drop = json_array(), *v;
	size_t i;
	int err = 0;

	json_array_foreach(want, i, v)
		if (!listed(have, v))
			json_array_append(add, v);
	json_array_foreach(have, i, v)
		if (!listed(want, v))
			json_array_append(drop, v);
	if (json_array_size(add))
		err = change_rules(call, id, "Authorize", direction, add);
	if (!err && json_array_size(drop))
		err = change_rules(call, id, "Revoke", direction, drop);
	json_decref(add);
	json_decref(drop);
	return err;
}

/* ---- the group ----------------------------------------------------------- */

/* The attributes of a DescribeSecurityGroups item. */
static json_t *group_attrs(struct ms_call *call, const json_t *g)
{
	static const char *const fields[][2] = {
		{ "name", "groupName" },
		{ "description", "groupDescription" },
		{ "vpc_id", "vpcId" },
		{ "id", "groupId" },
		{ "owner_id", "ownerId" },
		{ NULL },
	};
	json_t *o = json_object();

	ms_ec2_strings(o, g, fields);
	json_object_set_new(o, "arn",
			    json_sprintf("arn:aws:ec2:%s:%s:security-group/%s",
					 ms_provider_session_region(call->aws),
					 ms_kit_str(g, "ownerId", ""),
					 ms_kit_str(g, "groupId", "")));
	json_object_set_new(o, "ingress",
			    rules_of(json_object_get(g, "ipPermissions")));
	json_object_set_new(
		o, "egress",
		rules_of(json_object_get(g, "ipPermissionsEgress")));
	json_object_set_new(o, "tags",
			    ms_ec2_tags(json_object_get(g, "tagSet")));
	return o;
}

/*
 * The live attributes of the group with id (or, without one, named name
 * in vpc), or NULL when there is none.
 */
static int read_group(json_t **out, struct ms_call *call, const char *id,
		      const char *name, const char *vpc)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *p, *answer = NULL, *items, *g;
	int err;

	*out = NULL;
	if (id && !strncmp(id, "sg-", 3)) {
		p = json_pack("{s:s}", "GroupId.1", id);
	} else {
		p = json_pack("{s:s, s:s}", "Filter.1.Name", "group-name",
			      "Filter.1.Value.1", name ? name : id);
		if (vpc) {
			json_object_set_new(p, "Filter.2.Name",
					    json_string("vpc-id"));
			json_object_set_new(p, "Filter.2.Value.1",
					    json_string(vpc));
		}
	}
	err = ms_ec2_call(&answer, &error, call->aws, "DescribeSecurityGroups",
			  p);
	json_decref(p);
	items = err ? json_array() :
		      ms_ec2_items(
			      json_object_get(answer, "securityGroupInfo"));
	g = json_array_get(items, 0);
	if (!err && g)
		*out = group_attrs(call, g);
	if (err && ms_aws_error_is(&error, "InvalidGroup.NotFound", NULL)) {
		ms_error_clear();
		err = 0;
	}
	ms_aws_error_release(&error);
	json_decref(answer);
	json_decref(items);
	return err;
}

static int sg_read(struct ms_call *call, const json_t *prior, json_t **out)
{
	return read_group(out, call, ms_kit_str(prior, "id", NULL),
			  ms_kit_str(prior, "name", NULL),
			  ms_kit_str(prior, "vpc_id", NULL));
}

static json_t *listed_attrs(struct ms_call *call, const json_t *g,
			    const json_t *prior)
{
	return group_attrs(call, g);
}

/*
 * A refresh of many groups: DescribeSecurityGroups filtered by their
 * ids. A group not listed is left to its own read.
 */
static const struct ms_ec2_many many = {
	.action = "DescribeSecurityGroups",
	.filter = "group-id",
	.set = "securityGroupInfo",
	.paged = true,
	.id_attr = "id",
	.prefix = "sg-",
	.item_key = "groupId",
	.attrs = listed_attrs,
};

static int sg_read_many(struct ms_call *call, const json_t *priors,
			json_t **out)
{
	return ms_ec2_read_many(call, priors, &many, out);
}

static int default_vpc(char **out, struct ms_call *call)
{
	json_t *p = json_pack("{s:s, s:s}", "Filter.1.Name", "isDefault",
			      "Filter.1.Value.1", "true");
	json_t *answer = NULL, *items;
	int err = ms_ec2_call(&answer, NULL, call->aws, "DescribeVpcs", p);

	*out = NULL;
	items = err ? json_array() :
		      ms_ec2_items(json_object_get(answer, "vpcSet"));
	if (!err && !json_array_size(items))
		err = ms_error("the account has no default VPC: give vpc_id");
	if (!err)
		*out = ms_strdup(
			ms_kit_str(json_array_get(items, 0), "vpcId", ""));
	json_decref(p);
	json_decref(answer);
	json_decref(items);
	return err;
}

static int apply_rules(struct ms_call *call, const char *id, const json_t *have,
		       const json_t *want)
{
	int err = sync_rules(call, id, "Ingress",
			     json_object_get(have, "ingress"),
			     json_object_get(want, "ingress"));

	if (!err)
		err = sync_rules(call, id, "Egress",
				 json_object_get(have, "egress"),
				 json_object_get(want, "egress"));
	if (!err)
		err = ms_ec2_tags_update(call->aws, id,
					 json_object_get(have, "tags"),
					 json_object_get(want, "tags"));
	return err;
}

static int sg_create(struct ms_call *call, const json_t *desired, json_t **out)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	const char *name = ms_kit_str(desired, "name", "");
	char *vpc = NULL, *id, what[300];
	json_t *p = NULL, *answer = NULL, *have = NULL;
	int err = 0;

	*out = NULL;
	if (ms_kit_str(desired, "vpc_id", NULL))
		vpc = ms_strdup(ms_kit_str(desired, "vpc_id", ""));
	else
		err = default_vpc(&vpc, call);
	if (!err) {
		p = json_pack("{s:s, s:s, s:s}", "GroupName", name,
			      "GroupDescription",
			      ms_kit_str(desired, "description", ""), "VpcId",
			      vpc);
		ms_ec2_tag_spec(p, 1, "security-group",
				json_object_get(desired, "tags"));
		err = ms_ec2_call(&answer, &error, call->aws,
				  "CreateSecurityGroup", p);
	}
	if (err && ms_aws_error_is(&error, "InvalidGroup.Duplicate", NULL)) {
		/* ours when it carries the mark (a lost answer) */
		ms_error_clear();
		err = read_group(&have, call, NULL, name, vpc);
		snprintf(what, sizeof(what), "security group '%s'", name);
		if (!err &&
		    (!have ||
		     !ms_call_owns(call, json_object_get(have, "tags"))))
			err = ms_call_taken(call, what, name);
	} else if (!err) {
		/* a new group: EC2's own allow-all egress, no ingress */
		err = read_group(&have, call,
				 ms_kit_str(answer, "groupId", NULL), name,
				 vpc);
		if (!err && !have)
			err = ms_error("security group '%s': made, but it "
				       "cannot be read",
				       name);
	}
	id = ms_strdup(ms_kit_str(have, "id", ""));
	if (!err)
		err = apply_rules(call, id, have, desired);
	if (!err)
		err = read_group(out, call, id, name, vpc);
	free(id);
	ms_aws_error_release(&error);
	json_decref(p);
	json_decref(answer);
	json_decref(have);
	free(vpc);
	return err;
}

static int sg_update(struct ms_call *call, const json_t *prior,
		     const json_t *desired, json_t **out)
{
	const char *id = ms_kit_str(prior, "id", "");
	int err = apply_rules(call, id, prior, desired);

	*out = NULL;
	if (!err)
		err = read_group(out, call, id, NULL, NULL);
	if (!err && !*out)
		err = ms_error("security group '%s' vanished", id);
	return err;
}

static int sg_delete(struct ms_call *call, const json_t *prior)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *p = json_pack("{s:s}", "GroupId", ms_kit_str(prior, "id", ""));
	int err =
		ms_ec2_call(NULL, &error, call->aws, "DeleteSecurityGroup", p);

	if (err && ms_aws_error_is(&error, "InvalidGroup.NotFound", NULL)) {
		ms_error_clear();
		err = 0;
	}
	if (err && ms_aws_error_is(&error, "DependencyViolation", NULL))
		err = ms_error("security group '%s' is still in use (an "
			       "instance or a network interface outside this "
			       "stack): %s",
			       ms_kit_str(prior, "id", ""), ms_error_last());
	ms_aws_error_release(&error);
	json_decref(p);
	return err;
}

/*
 * Ports are whole numbers from -1 (ICMP's "any") to 65535; one out of
 * range must be refused before explode() makes it an integer, which for
 * 1e300 is undefined.
 */
static int check_ports(json_t *rules, const char *which)
{
	static const char *const keys[] = { "from_port", "to_port" };
	char where[64];
	json_t *r;
	size_t i, k;

	json_array_foreach(rules, i, r)
		for (k = 0; k < 2; k++) {
			snprintf(where, sizeof(where), "%s[%zu].%s", which, i,
				 keys[k]);
			if (ms_kit_check_number(r, keys[k], where, -1, 65535,
						true))
				return -1;
		}
	return 0;
}

/* Rules one source each, sorted, protocols by name. */
static int sg_normalize(json_t *attrs)
{
	json_t *v;

	if (check_ports(json_object_get(attrs, "ingress"), "ingress") ||
	    check_ports(json_object_get(attrs, "egress"), "egress"))
		return -1;
	if (json_is_array(v = json_object_get(attrs, "ingress")))
		json_object_set_new(attrs, "ingress", explode(v));
	if (json_is_array(v = json_object_get(attrs, "egress")))
		json_object_set_new(attrs, "egress", explode(v));
	ms_kit_strings(json_object_get(attrs, "tags"));
	return 0;
}

/* EC2 keeps "sg-" for group ids: a name cannot look like one. */
static int sg_name_rule(const char *name)
{
	if (!strncmp(name, "sg-", 3))
		return ms_error("name \"%s\": a security group's name cannot "
				"begin with \"sg-\"",
				name);
	return 0;
}

/* Terraform writes every key of a rule, empty or not */
static const struct ms_tf_attr tf_rule[] = {
	{ "cidr_blocks", NULL, MS_TF_VALUE, "[]" },
	{ "description", NULL, MS_TF_VALUE, "\"\"" },
	{ "ipv6_cidr_blocks", NULL, MS_TF_VALUE, "[]" },
	{ "prefix_list_ids", NULL, MS_TF_VALUE, "[]" },
	{ "security_groups", NULL, MS_TF_VALUE, "[]" },
	{ "self", NULL, MS_TF_VALUE, "false" },
	{ NULL },
};

static const struct ms_tf_attr tf_attrs[] = {
	{ "ingress", NULL, MS_TF_SAME, NULL, tf_rule },
	{ "egress", NULL, MS_TF_SAME, NULL, tf_rule },
	{ "revoke_rules_on_delete", NULL, MS_TF_VALUE, "false" },
	{ NULL },
};

static const struct ms_tf_type tf = { .schema_version = 1, .attrs = tf_attrs };

const struct ms_resource_type ms_aws_security_group = {
	.name = "aws_security_group",
	.schema = schema,
	.id_attr = "name",
	.name_min = 1,
	.name_max = 255,
	/* a group in a VPC */
	.name_chars = "a-zA-Z0-9 ._:/()#,@[]+=&;{}!$*-",
	.name_rule = sg_name_rule,
	.read = sg_read,
	.read_many = sg_read_many,
	.create = sg_create,
	.update = sg_update,
	.delete = sg_delete,
	.normalize = sg_normalize,
	.terraform = &tf,
	.cost = ms_cost_free,
};
