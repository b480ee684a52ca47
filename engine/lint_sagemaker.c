/*
 * lint_sagemaker.c - the SageMaker rules: notebook instances (internet,
 * root, encryption, VPC), endpoints (auto scaling, more than one
 * instance), endpoint configs (encryption), training and tuning jobs
 * (a max runtime of their own, network isolation).
 *
 * An endpoint is judged with what serves it: the endpoint config it
 * names and the auto scaling targets that name it, found by reference
 * (${config.name}) or by the names they are known by. When the stack
 * cannot tell which config or target it is (a name AWS makes), the rules
 * say nothing.
 */
#include "util/common.h"
#include "util/map.h"
#include "engine/lint_internal.h"
#include "engine/expr.h"

#define NOTEBOOK "aws_sagemaker_notebook_instance"
#define ENDPOINT "aws_sagemaker_endpoint"
#define CONFIG   "aws_sagemaker_endpoint_configuration"
#define TRAINING "aws_sagemaker_training_job"
#define TUNING   "aws_sagemaker_hyper_parameter_tuning_job"
#define TARGET   "aws_appautoscaling_target"

static const struct ms_lint_rule rules[] = {
	{ "MLS-SM-001", NOTEBOOK, MS_LINT_HIGH,
	  "notebook instance with direct internet access",
	  "SageMaker gives the notebook its own route to the internet, "
	  "outside any VPC: code run in it (or a package it installs) can "
	  "send the data it reads anywhere, and nothing filters or logs it",
	  "direct_internet_access: false, with subnet_id and security_groups "
	  "(the internet through the VPC's NAT, if it needs it)",
	  "CKV_AWS_122" },
	{ "MLS-SM-002", NOTEBOOK, MS_LINT_HIGH,
	  "notebook instance users have root access",
	  "root on the notebook can change its software, its lifecycle "
	  "scripts' effects and its credentials' use; packages install "
	  "without it (pip and conda in the user's environments)",
	  "root_access: false", "CKV_AWS_307" },
	{ "MLS-SM-003", NOTEBOOK, MS_LINT_MEDIUM,
	  "notebook instance storage without a customer managed KMS key",
	  "the ML storage volume is encrypted with SageMaker's own key: "
	  "access to it cannot be audited, restricted or revoked apart from "
	  "the notebook's",
	  "kms_key_id: the ARN or id of a customer managed KMS key",
	  "CKV_AWS_22" },
	{ "MLS-SM-004", NOTEBOOK, MS_LINT_MEDIUM,
	  "notebook instance outside a VPC",
	  "without a subnet the notebook is not in any VPC of the account: "
	  "no security group, VPC endpoint policy or flow log applies to "
	  "its traffic",
	  "subnet_id: a private subnet, with security_groups", "CKV_AWS_306" },
	{ "MLS-SM-005", ENDPOINT, MS_LINT_MEDIUM,
	  "endpoint without auto scaling",
	  "a fixed instance count is either paid for while idle or "
	  "overwhelmed by a burst of requests, which then fail",
	  "an aws_appautoscaling_target (service_namespace: sagemaker, "
	  "resource_id: endpoint/NAME/variant/VARIANT, scalable_dimension: "
	  "sagemaker:variant:DesiredInstanceCount) with a target-tracking "
	  "aws_appautoscaling_policy",
	  NULL },
	{ "MLS-SM-006", ENDPOINT, MS_LINT_LOW,
	  "endpoint variant served by a single instance",
	  "SageMaker spreads the instances of a variant across availability "
	  "zones; with one, an instance or zone failure stops the endpoint "
	  "until it is replaced",
	  "initial_instance_count: 2 in the endpoint config's variant, or "
	  "min_capacity: 2 on its auto scaling target",
	  NULL },
	{ "MLS-SM-007", CONFIG, MS_LINT_LOW,
	  "endpoint config without a customer managed KMS key",
	  "the storage volumes of the endpoint's instances are encrypted "
	  "with SageMaker's own key: access to them cannot be audited, "
	  "restricted or revoked",
	  "kms_key_arn: the ARN of a customer managed KMS key", "CKV_AWS_98" },
	{ "MLS-SM-008", TRAINING " " TUNING, MS_LINT_LOW,
	  "training job without a max runtime of its own",
	  "SageMaker stops a job after a day by default: a job that hangs "
	  "(a stuck data loader, a dead worker of a distributed job) bills "
	  "its instances for 24 hours",
	  "stopping_condition: {max_runtime_in_seconds: N}, a little above "
	  "the job's usual run time",
	  NULL },
	{ "MLS-SM-009", TRAINING, MS_LINT_MEDIUM,
	  "training job without network isolation",
	  "the training container can reach the internet: code in it (the "
	  "training script, a dependency, a pickled model) can send the "
	  "training data or credentials out; isolated, it reaches only its "
	  "S3 channels, through SageMaker",
	  "enable_network_isolation: true (suppress, with the reason, for a "
	  "container that must download at start)",
	  NULL },
	{ NULL },
};

static void check_notebook(struct ms_lint *L, const struct ms_lint_res *r)
{
	const json_t *a = r->attrs;

	if (ms_lint_bool(a, "direct_internet_access") == 1)
		ms_lint_report(L, r, "MLS-SM-001", "direct_internet_access",
			       NULL, NULL, "direct internet access is %s",
			       ms_lint_written(r, "direct_internet_access") ?
				       "enabled" :
				       "enabled (SageMaker's default)");
	if (ms_lint_bool(a, "root_access") == 1)
		ms_lint_report(L, r, "MLS-SM-002", "root_access", NULL, NULL,
			       "users have root access%s",
			       ms_lint_written(r, "root_access") ?
				       "" :
				       " (SageMaker's default)");
	if (!json_object_get(a, "kms_key_id"))
		ms_lint_report(L, r, "MLS-SM-003", "kms_key_id", NULL, NULL,
			       "its storage volume is encrypted with "
			       "SageMaker's own key, not one of yours");
	if (!json_object_get(a, "subnet_id"))
		ms_lint_report(L, r, "MLS-SM-004", "subnet_id", NULL, NULL,
			       "it is in no VPC (no subnet_id)");
}

/*
 * The index an endpoint is judged with, built once a run (each endpoint
 * looked through every resource, parsing references each time: 4.6 s for
 * 3,000 endpoints). A scaling target is about an endpoint when its
 * resource_id refers to it, or else names it ("endpoint/NAME/...") while
 * both names are known; when either is not, the stack cannot tell.
 */
struct sm_target {
	const struct ms_lint_res *t;
	const char *variant; /* the variant its resource_id names, or NULL */
	size_t variant_len;
};

struct sm_about {
	size_t *slots, n,
		alloc; /* the targets about it, in the stack's order */
	size_t refs, refs_unknown; /* of them, by reference; and with no rid */
};

struct ms_lint_sm {
	struct sm_target *targets; /* sagemaker's (or unknown namespace) */
	size_t n_targets, unknown_rid;
	struct sm_about *about;                     /* by index in L->res */
	struct ms_map config_names, endpoint_names; /* name -> index */
};

static size_t index_of(const struct ms_lint *L, const struct ms_resource *r)
{
	return (size_t)(r - L->stack->resources);
}

/* The resources attr of r refers to, by index; a new array of indexes. */
static size_t *referred(const struct ms_lint *L, const struct ms_lint_res *r,
			const char *attr, size_t *n)
{
	json_t *refs = NULL, *ref;
	const struct ms_resource *to;
	size_t *out, i;

	*n = 0;
	if (ms_expr_refs(json_object_get(r->r->properties, attr), &refs)) {
		ms_error_clear();
		json_decref(refs);
		return NULL;
	}
	out = ms_calloc(json_array_size(refs) + 1, sizeof(*out));
	json_array_foreach(refs, i, ref)
		if ((to = ms_stack_resource(
			     L->stack,
			     json_string_value(json_object_get(ref, "root")))))
			out[(*n)++] = index_of(L, to);
	json_decref(refs);
	return out;
}

static void about_add(struct sm_about *a, size_t slot)
{
	if (a->n && a->slots[a->n - 1] == slot)
		return; /* referred to twice, or by reference and by name */
	if (a->n == a->alloc) {
		a->alloc = a->alloc ? 2 * a->alloc : 2;
		a->slots = ms_realloc(a->slots, a->alloc * sizeof(*a->slots));
	}
	a->slots[a->n++] = slot;
}

static struct ms_lint_sm *sm_index(struct ms_lint *L)
{
	struct ms_lint_sm *x;
	const struct ms_lint_res *r;
	const char *ns, *rid, *name, *v, *end;
	size_t i, k, n, e, *to;
	char *word;

	if (L->sm)
		return L->sm;
	x = L->sm = ms_calloc(1, sizeof(*x));
	x->targets = ms_calloc(L->n + 1, sizeof(*x->targets));
	x->about = ms_calloc(L->n + 1, sizeof(*x->about));
	ms_map_init(&x->config_names);
	ms_map_init(&x->endpoint_names);
	for (i = 0; i < L->n; i++) {
		r = &L->res[i];
		name = ms_lint_str(r->attrs, "name");
		if (name && !strcmp(r->r->type, CONFIG))
			ms_map_add(&x->config_names, name, i);
		else if (name && !strcmp(r->r->type, ENDPOINT))
			ms_map_add(&x->endpoint_names, name, i);
	}
	for (i = 0; i < L->n; i++) {
		struct sm_target *t = &x->targets[x->n_targets];

		r = &L->res[i];
		ns = ms_lint_str(r->attrs, "service_namespace");
		if (strcmp(r->r->type, TARGET) ||
		    (ns && strcmp(ns, "sagemaker")))
			continue;
		rid = ms_lint_str(r->attrs, "resource_id");
		t->t = r;
		x->unknown_rid += !rid;
		if (rid && !strncmp(rid, "endpoint/", 9) &&
		    (v = strstr(rid + 9, "/variant/"))) {
			t->variant = v + 9;
			t->variant_len = strlen(v + 9);
		}
		to = referred(L, r, "resource_id", &n);
		for (k = 0; k < n; k++) {
			struct sm_about *a = &x->about[to[k]];
			size_t before = a->n;

			if (strcmp(L->res[to[k]].r->type, ENDPOINT))
				continue;
			about_add(a, x->n_targets);
			if (a->n > before) {
				a->refs++;
				a->refs_unknown += !rid;
			}
		}
		free(to);
		/* "endpoint/NAME/...": the endpoint known by that name */
		if (rid && !strncmp(rid, "endpoint/", 9) &&
		    (end = strchr(rid + 9, '/'))) {
			word = ms_strndup(rid + 9, (size_t)(end - rid - 9));
			if (ms_map_get(&x->endpoint_names, word, &e))
				about_add(&x->about[e], x->n_targets);
			free(word);
		}
		x->n_targets++;
	}
	return x;
}

static void sm_release(struct ms_lint *L)
{
	size_t i;

	if (!L->sm)
		return;
	for (i = 0; i < L->n; i++)
		free(L->sm->about[i].slots);
	free(L->sm->about);
	free(L->sm->targets);
	ms_map_release(&L->sm->config_names);
	ms_map_release(&L->sm->endpoint_names);
	free(L->sm);
	L->sm = NULL;
}

/*
 * Whether a target the stack cannot tell about endpoint e is among them:
 * one with no known resource_id, or any when e's name is not known, that
 * does not refer to e.
 */
static bool unsure_about(const struct ms_lint_sm *x,
			 const struct ms_lint_res *e, const struct sm_about *a)
{
	if (!ms_lint_str(e->attrs, "name"))
		return x->n_targets > a->refs;
	return x->unknown_rid > a->refs_unknown;
}

/* The endpoint config resource endpoint e serves, or NULL. */
static const struct ms_lint_res *config_of(struct ms_lint *L,
					   const struct ms_lint_res *e)
{
	struct ms_lint_sm *x = sm_index(L);
	const char *want = ms_lint_str(e->attrs, "endpoint_config_name");
	size_t n, k, at, best = L->n, *to;

	/* the first in the stack's order, by reference or by name */
	to = referred(L, e, "endpoint_config_name", &n);
	for (k = 0; k < n; k++)
		if (!strcmp(L->res[to[k]].r->type, CONFIG) && to[k] < best)
			best = to[k];
	free(to);
	if (want && ms_map_get(&x->config_names, want, &at) && at < best)
		best = at;
	return best < L->n ? &L->res[best] : NULL;
}

/* A scaling target suggested for variant of endpoint e; new. */
static json_t *target_for(const struct ms_lint_res *e, const char *variant)
{
	json_t *props = json_object();

	json_object_set_new(props, "service_namespace",
			    json_string("sagemaker"));
	json_object_set_new(props, "resource_id",
			    json_sprintf("endpoint/${%s.name}/variant/%s",
					 e->r->name, variant));
	json_object_set_new(
		props, "scalable_dimension",
		json_string("sagemaker:variant:DesiredInstanceCount"));
	json_object_set_new(props, "min_capacity", json_integer(2));
	json_object_set_new(props, "max_capacity", json_integer(4));
	return json_pack("{s:s, s:o}", "type", TARGET, "properties", props);
}

static void check_endpoint(struct ms_lint *L, const struct ms_lint_res *e)
{
	const struct ms_lint_res *cfg = config_of(L, e);
	const struct ms_lint_sm *x = sm_index(L);
	const struct sm_about *about = &x->about[index_of(L, e->r)];
	const struct sm_target *t;
	const json_t *variants, *pv;
	const char *vname;
	size_t i, k;
	bool any = about->n > 0, unsure = unsure_about(x, e, about), scaled;
	double count, min, lowest;
	char *fix;

	if (!any && !unsure) {
		pv = json_array_get(ms_lint_get(cfg ? cfg->attrs : NULL,
						"production_variants"),
				    0);
		vname = ms_lint_str(pv, "variant_name");
		if (!vname)
			vname = "AllTraffic";
		fix = ms_asprintf("add an aws_appautoscaling_target with "
				  "resource_id: endpoint/${%s.name}/variant/%s "
				  "(service_namespace: sagemaker, "
				  "scalable_dimension: sagemaker:variant:"
				  "DesiredInstanceCount) and a "
				  "target-tracking aws_appautoscaling_policy",
				  e->r->name, vname);
		ms_lint_report(L, e, "MLS-SM-005", NULL, fix,
			       target_for(e, vname),
			       "no auto scaling target scales it");
		free(fix);
	}
	/* its config's variants, each with its scaling target's minimum */
	variants = ms_lint_get(cfg ? cfg->attrs : NULL, "production_variants");
	json_array_foreach(json_is_array(variants) ? variants : NULL, k, pv) {
		vname = ms_lint_str(pv, "variant_name");
		if (!vname ||
		    !ms_lint_number(pv, "initial_instance_count", &count))
			continue;
		lowest = count;
		scaled = false;
		unsure = unsure_about(x, e, about);
		for (i = 0; i < about->n; i++) {
			t = &x->targets[about->slots[i]];
			if (!t->variant) {
				unsure = true;
				continue;
			}
			if (t->variant_len != strlen(vname) ||
			    strncmp(t->variant, vname, t->variant_len))
				continue;
			if (!ms_lint_number(t->t->attrs, "min_capacity",
					    &min)) {
				unsure = true;
				continue;
			}
			scaled = true;
			lowest = min;
		}
		if (unsure || lowest >= 2)
			continue;
		fix = scaled ?
			      ms_asprintf("min_capacity: 2 on the auto scaling "
					  "target of variant %s",
					  vname) :
			      ms_asprintf("initial_instance_count: 2 in "
					  "variant %s of %s",
					  vname, cfg->r->name);
		ms_lint_report(L, e, "MLS-SM-006", NULL, fix, NULL,
			       "variant \"%s\" runs on one instance (%s)",
			       vname,
			       scaled ? "its auto scaling minimum is 1" :
					"initial_instance_count 1, no auto "
					"scaling");
		free(fix);
	}
}

static void check_config(struct ms_lint *L, const struct ms_lint_res *r)
{
	if (!json_object_get(r->attrs, "kms_key_arn"))
		ms_lint_report(L, r, "MLS-SM-007", "kms_key_arn", NULL, NULL,
			       "the storage volumes of its instances are "
			       "encrypted with SageMaker's own key, not one "
			       "of yours");
}

static void check_job(struct ms_lint *L, const struct ms_lint_res *r,
		      const char *base)
{
	char *at =
		ms_asprintf("%s%sstopping_condition", base, *base ? "." : "");
	char *max = ms_asprintf("%s.max_runtime_in_seconds", at);

	if (!ms_lint_written(r, max))
		ms_lint_report(L, r, "MLS-SM-008", at, NULL, NULL,
			       "no max_runtime_in_seconds: SageMaker stops "
			       "it after 86400 s (a day)");
	free(at);
	free(max);
}

static void check(struct ms_lint *L, const struct ms_lint_res *r)
{
	const char *type = r->r->type;

	if (!strcmp(type, NOTEBOOK)) {
		check_notebook(L, r);
	} else if (!strcmp(type, ENDPOINT)) {
		check_endpoint(L, r);
	} else if (!strcmp(type, CONFIG)) {
		check_config(L, r);
	} else if (!strcmp(type, TRAINING)) {
		check_job(L, r, "");
		if (ms_lint_bool(r->attrs, "enable_network_isolation") == 0 ||
		    !json_object_get(r->attrs, "enable_network_isolation"))
			ms_lint_report(
				L, r, "MLS-SM-009", "enable_network_isolation",
				NULL, NULL,
				"its container can reach the internet (%s)",
				json_object_get(r->attrs,
						"enable_network_isolation") ?
					"enable_network_isolation: false" :
					"no enable_network_isolation");
	} else if (!strcmp(type, TUNING)) {
		check_job(L, r, "training_job_definition");
	}
}

const struct ms_lint_group ms_lint_sagemaker = { rules, check, sm_release };
