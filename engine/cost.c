/*
 * cost.c - what a plan adds to, changes in and takes from the stack's
 * bill, and what the applied stack costs (docs/cost.md).
 *
 * Each resource is priced by its type's cost hook twice: as it is before
 * the plan, among the other resources as they are before it, and as it
 * will be after, among the others as they will be. A price may depend on
 * other resources (an endpoint on its config and its auto scaling
 * target), so every resource is priced, not only those the plan changes:
 * an endpoint's range moves when only its target changes. A change's
 * cost is the difference; the plan's the sum. A job costs by the run, so
 * what a plan adds for one is the run it starts, apart from the hours.
 */
#include "util/common.h"
#include "engine/cost.h"
#include "engine/engine.h"
#include "engine/expr.h"
#include "engine/internal.h"
#include "engine/sensitive.h"
#include "util/json.h"
#include "util/map.h"

/* A resource priced among the others. */
struct entry {
	const char *name;
	char *own; /* the name, when made here (a deposed object's) */
	const char *type;
	json_t *attrs;        /* with the secrets hidden, as rendered */
	const json_t *config; /* the stack's properties (a plan's after) */
};

/* The resources of a type by the string value of one attribute. */
struct finder {
	char *type, *key;
	struct ms_map values; /* value -> index in res of the first */
};

/* The resources priced among, in the order added. */
struct world {
	struct ms_cost_env env;
	struct entry *res;
	size_t n, alloc;
	struct ms_map names;      /* name -> index in res */
	const struct entry *self; /* the resource being priced */
	/*
	 * What find looked up, indexed when first asked: each endpoint
	 * looking through every resource for its config was quadratic.
	 */
	struct finder *finders;
	size_t n_finders;
};

static const struct entry *world_get(const struct world *w, const char *name)
{
	size_t i;

	return name && ms_map_get(&w->names, name, &i) ? &w->res[i] : NULL;
}

static void finders_drop(struct world *w)
{
	size_t i;

	for (i = 0; i < w->n_finders; i++) {
		ms_map_release(&w->finders[i].values);
		free(w->finders[i].type);
		free(w->finders[i].key);
	}
	free(w->finders);
	w->finders = NULL;
	w->n_finders = 0;
}

/* The index of type's resources by key, made on the first question. */
static const struct finder *finder_of(struct world *w, const char *type,
				      const char *key)
{
	struct finder *f;
	const json_t *v;
	size_t i;

	for (i = 0; i < w->n_finders; i++)
		if (!strcmp(w->finders[i].type, type) &&
		    !strcmp(w->finders[i].key, key))
			return &w->finders[i];
	w->finders = ms_realloc(w->finders,
				(w->n_finders + 1) * sizeof(*w->finders));
	f = &w->finders[w->n_finders++];
	f->type = ms_strdup(type);
	f->key = ms_strdup(key);
	ms_map_init(&f->values);
	for (i = 0; i < w->n; i++) {
		if (strcmp(w->res[i].type, type))
			continue;
		v = json_object_get(w->res[i].attrs, key);
		if (json_is_string(v))
			ms_map_add(&f->values, json_string_value(v), i);
	}
	return f;
}

static const json_t *world_find(const struct ms_cost_env *env, const char *type,
				const char *key, const char *value)
{
	struct world *w = env->payload;
	size_t i;

	if (!type || !key || !value)
		return NULL;
	if (!ms_map_get(&finder_of(w, type, key)->values, value, &i))
		return NULL;
	return w->res[i].attrs;
}

static const json_t *world_related(const struct ms_cost_env *env,
				   const char *attr, const char *type,
				   const char *key)
{
	const struct world *w = env->payload;
	json_t *v = json_object_get(w->self->attrs, attr);
	json_t *raw = json_object_get(w->self->config, attr);
	json_t *refs = NULL;
	const struct entry *r;
	const json_t *found = NULL;

	if (json_is_string(v))
		return world_find(env, type, key, json_string_value(v));
	/* unknown yet: the resource the stack's reference names */
	if (!json_is_string(raw) || !ms_expr_is_ref(json_string_value(raw)) ||
	    ms_expr_refs(raw, &refs)) {
		ms_error_clear();
		json_decref(refs);
		return NULL;
	}
	r = world_get(w, json_string_value(json_object_get(
				 json_array_get(refs, 0), "root")));
	if (r && !strcmp(r->type, type))
		found = r->attrs;
	json_decref(refs);
	return found;
}

static void world_init(struct world *w, const struct ms_prices *prices,
		       const char *region)
{
	memset(w, 0, sizeof(*w));
	w->env.prices = prices;
	w->env.region = region;
	w->env.find = world_find;
	w->env.related = world_related;
	w->env.payload = w;
	ms_map_init(&w->names);
}

static void world_release(struct world *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		free(w->res[i].own);
		json_decref(w->res[i].attrs);
	}
	free(w->res);
	ms_map_release(&w->names);
	finders_drop(w);
}

/*
 * Add a resource (own: name is the caller's to give, freed with w);
 * attrs with the secrets marked hidden, as rendered. A name added again
 * takes the place of the first.
 */
static void world_add(struct world *w, const char *name, char *own,
		      const char *type, const json_t *attrs,
		      const json_t *marked, const json_t *config)
{
	struct entry *e;
	size_t i;

	if (!name || !type || !json_is_object(attrs)) {
		free(own);
		return;
	}
	finders_drop(w); /* what they index changes */
	if (ms_map_get(&w->names, name, &i)) {
		e = &w->res[i];
		json_decref(e->attrs);
		free(own); /* the map keeps the first one's name */
	} else {
		if (w->n == w->alloc) {
			w->alloc = w->alloc ? 2 * w->alloc : 64;
			w->res = ms_realloc(w->res, w->alloc * sizeof(*w->res));
		}
		e = &w->res[w->n];
		e->name = name;
		e->own = own;
		ms_map_add(&w->names, name, w->n++);
	}
	e->type = type;
	e->attrs = json_array_size(marked) ?
			   ms_sensitive_hidden(type, attrs, marked) :
			   json_incref((json_t *)attrs);
	e->config = config;
}

static double num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/*
 * Rounded to a trillionth of a dollar, which takes off the noise of sums
 * of binary fractions (0.30000000000000004) and keeps the smallest
 * amounts (a few MB in S3 by the hour).
 */
static double rounded(double x)
{
	if (!(x > -1e6 && x < 1e6))
		return x == x ? x : 0;
	return (double)(long long)(x * 1e12 + (x < 0 ? -0.5 : 0.5)) / 1e12 +
	       0.0;
}

static json_t *usd(double x)
{
	return json_real(rounded(x));
}

/*
 * What resource name costs in w: {"hourly", "hourly_max", "monthly",
 * "monthly_max", "items", "unknown"} and for a job {"job", "run",
 * "billed"}, or NULL when it is not in w (or, with skip_free, when it
 * costs nothing and says so: no amount, item, run or unknown price).
 */
static json_t *price(struct world *w, const char *name, bool skip_free)
{
	static const char *const amounts[] = { "hourly", "hourly_max", "run" };
	const struct entry *r = world_get(w, name);
	const struct ms_resource_type *t = r ? ms_provider_find(r->type) : NULL;
	json_t *out, *item;
	size_t i, k;
	struct ms_cost c;

	if (!r || (skip_free && t && t->cost == ms_cost_free))
		return NULL;
	ms_cost_init(&c);
	w->self = r;
	if (t && t->cost)
		t->cost(&c, r->attrs, &w->env);
	else
		ms_cost_unknown(&c, "mlstack does not price %s", r->type);
	if (skip_free && !c.hourly && !c.hourly_max && !c.job &&
	    !json_array_size(c.items) && !json_array_size(c.unknown)) {
		ms_cost_release(&c);
		return NULL;
	}
	out = json_object();
	json_object_set_new(out, "hourly", usd(c.hourly));
	json_object_set_new(out, "hourly_max", usd(c.hourly_max));
	json_object_set_new(out, "monthly", usd(c.hourly * MS_HOURS_PER_MONTH));
	json_object_set_new(out, "monthly_max",
			    usd(c.hourly_max * MS_HOURS_PER_MONTH));
	if (c.job) {
		json_object_set_new(out, "job", json_true());
		json_object_set_new(out, "run", usd(c.run));
		json_object_set_new(out, "billed", json_boolean(c.billed));
	}
	json_array_foreach(c.items, i, item)
		for (k = 0; k < MS_ARRAY_SIZE(amounts); k++)
			if (json_is_number(json_object_get(item, amounts[k])))
				json_object_set_new(item, amounts[k],
						    usd(num(item, amounts[k])));
	json_object_set(out, "items", c.items);
	json_object_set(out, "unknown", c.unknown);
	ms_cost_release(&c);
	return out;
}

static void add_unknown(json_t *to, const json_t *from)
{
	json_t *v, *x;
	size_t i, j;

	json_array_foreach(from, i, v) {
		bool seen = false;

		json_array_foreach(to, j, x)
			seen |= json_equal(x, v);
		if (!seen)
			json_array_append(to, v);
	}
}

/* The difference after - before (either may be NULL: nothing). */
static json_t *delta(const json_t *before, const json_t *after)
{
	static const char *const keys[] = { "hourly", "hourly_max", "monthly",
					    "monthly_max" };
	json_t *d = json_object(), *unknown = json_array();
	size_t i;

	for (i = 0; i < MS_ARRAY_SIZE(keys); i++)
		json_object_set_new(
			d, keys[i],
			usd(num(after, keys[i]) - num(before, keys[i])));
	add_unknown(unknown, json_object_get(before, "unknown"));
	add_unknown(unknown, json_object_get(after, "unknown"));
	json_object_set_new(d, "unknown", unknown);
	return d;
}

/* Whether cost (may be NULL) is a cost by the hour. */
static bool hourly(const json_t *cost)
{
	return cost && (num(cost, "hourly") || num(cost, "hourly_max"));
}

/* A sum of costs, each amount rounded as it grows. */
struct totals {
	double hourly, hourly_max, monthly, monthly_max, runs;
	json_int_t unknown; /* how many costs have a price unknown */
};

/* Add cost's hours (and run, when run) to totals t. */
static void total_add(struct totals *t, const json_t *cost, bool run)
{
	t->hourly = rounded(t->hourly + num(cost, "hourly"));
	t->hourly_max = rounded(t->hourly_max + num(cost, "hourly_max"));
	t->monthly = rounded(t->monthly + num(cost, "monthly"));
	t->monthly_max = rounded(t->monthly_max + num(cost, "monthly_max"));
	if (run)
		t->runs = rounded(t->runs + num(cost, "run"));
	if (json_array_size(json_object_get(cost, "unknown")))
		t->unknown++;
}

/* t as the cost documents give it; with_runs: the runs' sum too. */
static json_t *totals_json(const struct totals *t, bool with_runs)
{
	json_t *o = json_pack("{s:f, s:f, s:f, s:f}", "hourly", t->hourly,
			      "hourly_max", t->hourly_max, "monthly",
			      t->monthly, "monthly_max", t->monthly_max);

	if (with_runs)
		json_object_set_new(o, "runs", json_real(t->runs));
	json_object_set_new(o, "unknown", json_integer(t->unknown));
	return o;
}

/* The top-level facts every cost document carries. */
static json_t *header(const struct ms_prices *prices,
		      const struct ms_cost_region *region)
{
	return json_pack("{s:s, s:s, s:s, s:O, s:f}", "currency", "USD",
			 "region", region->region, "region_from", region->from,
			 "prices", ms_prices_info(prices), "hours_per_month",
			 MS_HOURS_PER_MONTH);
}

void ms_cost_plan(json_t *plan, const struct ms_prices *prices,
		  const struct ms_cost_region *region)
{
	struct world was, will;
	json_t *changes = json_object_get(plan, "changes"), *c, *doc;
	struct totals total = { 0 }, before = { 0 }, after = { 0 };
	size_t i;

	world_init(&was, prices, region->region);
	world_init(&will, prices, region->region);
	json_array_foreach(changes, i, c) {
		const char *name =
			json_string_value(json_object_get(c, "name"));
		const char *type =
			json_string_value(json_object_get(c, "type"));
		int a = ms_action_parse(
			json_string_value(json_object_get(c, "action")));
		json_t *marked = json_object_get(c, "sensitive");

		json_object_del(c, "cost");
		if (a != MS_ACTION_CREATE)
			world_add(&was, name, NULL, type,
				  json_object_get(c, "before"), marked, NULL);
		if (a != MS_ACTION_DELETE)
			world_add(&will, name, NULL, type,
				  json_object_get(c, "after"), marked,
				  json_object_get(c, "config"));
	}
	json_array_foreach(changes, i, c) {
		const char *name =
			json_string_value(json_object_get(c, "name"));
		int a = ms_action_parse(
			json_string_value(json_object_get(c, "action")));
		json_t *b = price(&was, name, true),
		       *f = price(&will, name, true);
		json_t *d;
		bool run = f && json_is_true(json_object_get(f, "job")) &&
			   (a == MS_ACTION_CREATE || a == MS_ACTION_REPLACE);

		if (!b && !f)
			continue; /* free either side: nothing to say or add */

		if (b && !json_is_true(json_object_get(b, "job")))
			total_add(&before, b, false);
		if (f && !json_is_true(json_object_get(f, "job")))
			total_add(&after, f, false);
		d = delta(b, f);
		if (run) {
			json_object_set(d, "run", json_object_get(f, "run"));
			json_object_set(d, "billed",
					json_object_get(f, "billed"));
		}
		if (b)
			json_object_set(d, "before", b);
		if (f)
			json_object_set(d, "after", f);
		/*
		 * A change shows what it costs (or that it cannot say); a
		 * noop only when its cost moves with another's change.
		 */
		if (hourly(d) ||
		    (a != MS_ACTION_NOOP &&
		     (run || hourly(b) || hourly(f) ||
		      json_array_size(json_object_get(d, "unknown"))))) {
			json_object_set(c, "cost", d);
			total_add(&total, d, run);
		}
		json_decref(b);
		json_decref(f);
		json_decref(d);
	}
	doc = header(prices, region);
	json_object_update_new(doc, totals_json(&total, true));
	/* the stack's own cost either side: its hours (jobs aside) */
	json_object_set_new(doc, "before", totals_json(&before, false));
	json_object_set_new(doc, "after", totals_json(&after, false));
	json_object_set_new(plan, "cost", doc);
	world_release(&was);
	world_release(&will);
}

json_t *ms_cost_state(const json_t *stored, const struct ms_prices *prices,
		      const struct ms_cost_region *region)
{
	struct world w;
	struct totals sum = { 0 };
	json_t *list = json_array(), *total, *doc, *v, *d;
	const char *name;
	char *node;
	size_t i;
	bool bound = false;

	world_init(&w, prices, region->region);
	json_object_foreach((json_t *)stored, name, v) {
		const char *type =
			json_string_value(json_object_get(v, "type"));

		world_add(&w, name, NULL, type,
			  json_object_get(v, "attributes"),
			  json_object_get(v, "sensitive"), NULL);
		json_array_foreach(json_object_get(v, "deposed"), i, d) {
			node = ms_asprintf("%s~deposed-%zu", name, i);
			world_add(&w, node, node, type, d,
				  json_object_get(v, "sensitive"), NULL);
		}
	}
	for (i = 0; i < w.n; i++) {
		json_t *cost = price(&w, w.res[i].name, false);

		json_object_set_new(cost, "name", json_string(w.res[i].name));
		json_object_set_new(cost, "type", json_string(w.res[i].type));
		total_add(&sum, cost,
			  json_is_true(json_object_get(cost, "job")));
		bound |= json_is_true(json_object_get(cost, "job")) &&
			 !json_is_true(json_object_get(cost, "billed"));
		json_array_append_new(list, cost);
	}
	total = totals_json(&sum, true);
	if (bound)
		json_object_set_new(total, "runs_bound", json_true());
	doc = header(prices, region);
	json_object_set_new(doc, "resources", list);
	json_object_set(doc, "total", total);
	/* what destroy stops: the hours (a job's run is spent) */
	json_object_set_new(
		doc, "destroy_saves",
		json_pack("{s:O, s:O, s:O, s:O}", "hourly",
			  json_object_get(total, "hourly"), "hourly_max",
			  json_object_get(total, "hourly_max"), "monthly",
			  json_object_get(total, "monthly"), "monthly_max",
			  json_object_get(total, "monthly_max")));
	json_decref(total);
	world_release(&w);
	return doc;
}

/*
 * The region priced: the stack's, else the open session's, else as a
 * session would resolve it; us-east-1 when none is set. *own is freed by
 * the caller.
 */
static void region_of(struct ms_engine *e, struct ms_cost_region *out,
		      char **own)
{
	*own = NULL;
	if (e->stack->region) {
		out->region = e->stack->region;
		out->from = "the stack";
	} else if (e->aws) {
		out->region = ms_provider_session_region(e->aws);
		out->from = "the environment";
	} else if (!ms_provider_region(own, NULL) && *own) {
		out->region = *own;
		out->from = "the environment";
	} else {
		ms_error_clear();
		out->region = "us-east-1";
		out->from = "assumed";
	}
}

int ms_engine_cost_plan(struct ms_engine *e, json_t *plan)
{
	struct ms_prices *prices = NULL;
	struct ms_cost_region region;
	char *own;

	if (ms_prices_load(&prices))
		return -1;
	region_of(e, &region, &own);
	ms_cost_plan(plan, prices, &region);
	free(own);
	ms_prices_free(prices);
	return 0;
}

int ms_engine_cost(struct ms_engine *e, json_t **out)
{
	struct ms_prices *prices = NULL;
	struct ms_cost_region region;
	json_t *stored = NULL;
	char *own = NULL;
	int err = -1;

	*out = NULL;
	if (ms_engine_stored(e, &stored) || ms_prices_load(&prices))
		goto done;
	region_of(e, &region, &own);
	*out = ms_cost_state(stored, prices, &region);
	json_object_set_new(*out, "stack", json_string(e->stack->name));
	err = 0;
done:
	free(own);
	json_decref(stored);
	ms_prices_free(prices);
	return err;
}
