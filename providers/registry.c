/*
 * registry.c - the table of resource types, and the session (AWS client)
 * the engine hands to every provider call.
 *
 * Adding a resource type is one file exporting a struct ms_resource_type
 * and one line in types[] below.
 */
#include "util/common.h"
#include "util/json.h"
#include "util/map.h"
#include "providers/provider.h"
#include "providers/aws/aws.h"
#include "providers/aws/internal.h" /* the region, as a session resolves it */

#include <pthread.h>

extern const struct ms_resource_type ms_aws_appautoscaling_policy;
extern const struct ms_resource_type ms_aws_appautoscaling_target;
extern const struct ms_resource_type ms_aws_instance;
extern const struct ms_resource_type ms_aws_key_pair;
extern const struct ms_resource_type ms_aws_lambda_alias;
extern const struct ms_resource_type ms_aws_lambda_function;
extern const struct ms_resource_type
	ms_aws_lambda_provisioned_concurrency_config;
extern const struct ms_resource_type ms_aws_s3_bucket;
extern const struct ms_resource_type ms_aws_security_group;
extern const struct ms_resource_type ms_aws_s3_object;
extern const struct ms_resource_type ms_aws_s3_objects;
extern const struct ms_resource_type ms_aws_iam_instance_profile;
extern const struct ms_resource_type ms_aws_iam_policy;
extern const struct ms_resource_type ms_aws_iam_role;
extern const struct ms_resource_type ms_aws_sagemaker_model;
extern const struct ms_resource_type ms_aws_sagemaker_endpoint_configuration;
extern const struct ms_resource_type ms_aws_sagemaker_endpoint;
extern const struct ms_resource_type ms_aws_sagemaker_notebook_instance;
extern const struct ms_resource_type ms_aws_sagemaker_training_job;
extern const struct ms_resource_type ms_aws_sagemaker_hyper_parameter_tuning_job;

static const struct ms_resource_type *const types[] = {
	&ms_aws_appautoscaling_policy,
	&ms_aws_appautoscaling_target,
	&ms_aws_iam_instance_profile,
	&ms_aws_iam_policy,
	&ms_aws_iam_role,
	&ms_aws_instance,
	&ms_aws_key_pair,
	&ms_aws_lambda_alias,
	&ms_aws_lambda_function,
	&ms_aws_lambda_provisioned_concurrency_config,
	&ms_aws_s3_bucket,
	&ms_aws_s3_object,
	&ms_aws_s3_objects,
	&ms_aws_security_group,
	&ms_aws_sagemaker_endpoint,
	&ms_aws_sagemaker_endpoint_configuration,
	&ms_aws_sagemaker_model,
	&ms_aws_sagemaker_notebook_instance,
	&ms_aws_sagemaker_training_job,
	&ms_aws_sagemaker_hyper_parameter_tuning_job,
	NULL,
};

extern const struct ms_resource_type ms_aws_ami_lookup;
extern const struct ms_resource_type ms_aws_vpc_lookup;
extern const struct ms_resource_type ms_aws_subnets_lookup;

static const struct ms_resource_type *const lookups[] = {
	&ms_aws_ami_lookup,
	&ms_aws_subnets_lookup,
	&ms_aws_vpc_lookup,
	NULL,
};

const struct ms_resource_type *ms_lookup_find(const char *type)
{
	size_t i;

	for (i = 0; lookups[i]; i++)
		if (!strcmp(lookups[i]->name, type))
			return lookups[i];
	return NULL;
}

const struct ms_resource_type *const *ms_lookup_all(void)
{
	return lookups;
}

const struct ms_resource_type *ms_provider_find(const char *type)
{
	/* a plan asks for one type many times over: the last answer first */
	static _Thread_local const struct ms_resource_type *last;
	size_t i;

	if (last && !strcmp(last->name, type))
		return last;
	for (i = 0; types[i]; i++)
		if (!strcmp(types[i]->name, type))
			return last = types[i];
	return NULL;
}

const struct ms_resource_type *const *ms_provider_all(void)
{
	return types;
}

const struct ms_attr *ms_provider_attr(const struct ms_resource_type *t,
				       const char *name)
{
	const struct ms_attr *a;

	for (a = t->schema; a->name; a++)
		if (!strcmp(a->name, name))
			return a;
	return NULL;
}

/*
 * Every default of every registered schema (nested ones too), parsed
 * once by their text when the first is asked for (ms_attr_default);
 * read-only from then on, so that the threads of a plan share it
 * without a lock.
 */
static struct {
	pthread_once_t once;
	struct ms_map index; /* text -> element of values */
	json_t **values;
	size_t n, alloc;
} defaults = { PTHREAD_ONCE_INIT, MS_MAP_INIT };

static void defaults_add(const struct ms_attr *schema)
{
	const struct ms_attr *a;

	for (a = schema; a && a->name; a++) {
		defaults_add(a->nested);
		if (!a->default_json ||
		    ms_map_get(&defaults.index, a->default_json, NULL))
			continue;
		if (defaults.n == defaults.alloc) {
			defaults.alloc = defaults.alloc ? 2 * defaults.alloc :
							  64;
			defaults.values =
				ms_realloc(defaults.values,
					   defaults.alloc * sizeof(json_t *));
		}
		defaults.values[defaults.n] =
			json_loads(a->default_json, JSON_DECODE_ANY, NULL);
		ms_map_add(&defaults.index, a->default_json, defaults.n++);
	}
}

static void defaults_init(void)
{
	size_t i;

	for (i = 0; types[i]; i++)
		defaults_add(types[i]->schema);
	for (i = 0; lookups[i]; i++)
		defaults_add(lookups[i]->schema);
}

json_t *ms_attr_default(const struct ms_attr *a)
{
	size_t i;

	if (!a->default_json)
		return NULL;
	pthread_once(&defaults.once, defaults_init);
	if (!ms_map_get(&defaults.index, a->default_json, &i))
		/* a schema not in the registry (a test's own) */
		return json_loads(a->default_json, JSON_DECODE_ANY, NULL);
	return ms_json_copy(defaults.values[i]);
}

void ms_call_progress(struct ms_call *call, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!call || !call->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	call->progress(call, msg, call->payload);
}

bool ms_provider_char_in(const char *set, char c)
{
	size_t i, n = strlen(set);

	for (i = 0; i < n; i++) {
		if (i + 2 < n && set[i + 1] == '-') {
			if (c >= set[i] && c <= set[i + 2])
				return true;
			i += 2;
		} else if (set[i] == c) {
			return true;
		}
	}
	return false;
}

int ms_provider_check_name(const struct ms_resource_type *t, const char *name)
{
	size_t i, n = strlen(name);

	if (!t->name_max)
		return 0;
	if (n < t->name_min || n > t->name_max)
		return ms_error("%s \"%s\" is %zu characters long; %s names "
				"are %u to %u",
				t->id_attr, name, n, t->name, t->name_min,
				t->name_max);
	for (i = 0; t->name_chars && i < n; i++)
		if (!ms_provider_char_in(t->name_chars, name[i]))
			return ms_error("%s \"%s\": '%c' is not allowed; %s "
					"names are made of %s",
					t->id_attr, name, name[i], t->name,
					t->name_chars);
	if (t->name_ends && n &&
	    (!ms_provider_char_in(t->name_ends, name[0]) ||
	     !ms_provider_char_in(t->name_ends, name[n - 1])))
		return ms_error("%s \"%s\": %s names begin and end with one "
				"of %s",
				t->id_attr, name, t->name, t->name_ends);
	return t->name_rule ? t->name_rule(name) : 0;
}

bool ms_call_owns(const struct ms_call *call, const json_t *tags)
{
	const char *stack =
		json_string_value(json_object_get(tags, MS_OWNER_STACK_TAG));
	const char *res =
		json_string_value(json_object_get(tags, MS_OWNER_RESOURCE_TAG));

	return call && call->stack && call->name && stack && res &&
	       !strcmp(stack, call->stack) && !strcmp(res, call->name);
}

int ms_call_taken(const struct ms_call *call, const char *what, const char *id)
{
	return ms_error_code(MS_EEXISTS,
			     "%s: the name is taken by an object this stack "
			     "did not make; to manage it, run \"mlstack import "
			     "%s %s\", or choose another name",
			     what, call && call->name ? call->name : "NAME",
			     id);
}

int ms_provider_session_new(struct ms_aws **out, const char *region)
{
	struct ms_aws_config cfg = { region, 0 };

	return ms_aws_new(out, &cfg);
}

void ms_provider_session_free(struct ms_aws *aws)
{
	ms_aws_free(aws);
}

int ms_provider_region(char **out, const char *region)
{
	return ms_aws_region_resolve(out, region);
}

const char *ms_provider_session_region(const struct ms_aws *aws)
{
	return ms_aws_region(aws);
}

int ms_provider_account_id(struct ms_aws *aws, char **out)
{
	xmlDoc *doc = NULL;
	json_t *params = json_object();
	int err;

	*out = NULL;
	err = ms_aws_query(aws, "sts", "2011-06-15", "GetCallerIdentity",
			   params, &doc);
	if (!err) {
		*out = ms_xml_text(xmlDocGetRootElement(doc),
				   "GetCallerIdentityResult/Account");
		if (!*out)
			err = ms_error(
				"GetCallerIdentity: no account in answer");
	}
	if (doc)
		xmlFreeDoc(doc);
	json_decref(params);
	return err;
}
