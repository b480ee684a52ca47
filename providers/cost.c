/*
 * cost.c - what the types' cost hooks share: reading the attributes a
 * price depends on, and pricing a quantity of something by the table.
 *
 * A price that is missing, or an attribute not known yet, is never taken
 * as zero: it goes in the cost's unknown list with the reason, and the
 * totals then read "at least".
 */
#include "util/common.h"
#include "providers/provider.h"

void ms_cost_init(struct ms_cost *c)
{
	memset(c, 0, sizeof(*c));
	c->items = json_array();
	c->unknown = json_array();
}

void ms_cost_release(struct ms_cost *c)
{
	json_decref(c->items);
	json_decref(c->unknown);
	c->items = c->unknown = NULL;
}

int ms_cost_free(struct ms_cost *out, const json_t *attrs,
		 const struct ms_cost_env *env)
{
	return 0;
}

void ms_cost_unknown(struct ms_cost *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	json_t *v;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_foreach(c->unknown, i, v)
		if (!strcmp(json_string_value(v), msg))
			return;
	json_array_append_new(c->unknown, json_string(msg));
}

/*
 * Why a value a price needs is not a value: the engine hands the hooks
 * unknowns ("known after apply") and hidden secrets as marker objects
 * (engine/expr.h, engine/sensitive.h).
 */
static void not_a_value(struct ms_cost *c, const json_t *v, const char *name,
			const char *want)
{
	if (json_is_object(v) && json_object_get(v, "__mlstack_sensitive__"))
		ms_cost_unknown(c, "%s is hidden (sensitive)", name);
	else if (json_is_object(v) || json_is_array(v))
		ms_cost_unknown(c, "%s is known after apply", name);
	else if (!v || json_is_null(v))
		ms_cost_unknown(c, "%s is not set", name);
	else
		ms_cost_unknown(c, "%s is not %s", name, want);
}

/* attrs' value at a path "a.b"; NULL when absent. */
static const json_t *at(const json_t *attrs, const char *path)
{
	char part[128];
	const char *dot;

	while (attrs && (dot = strchr(path, '.'))) {
		snprintf(part, sizeof(part), "%.*s", (int)(dot - path), path);
		attrs = json_object_get(attrs, part);
		path = dot + 1;
	}
	return json_is_object(attrs) ? json_object_get(attrs, path) : NULL;
}

const char *ms_cost_string(struct ms_cost *c, const json_t *attrs,
			   const char *name)
{
	const json_t *v = at(attrs, name);

	if (json_is_string(v))
		return json_string_value(v);
	not_a_value(c, v, name, "a string");
	return NULL;
}

double ms_cost_number(struct ms_cost *c, const json_t *attrs, const char *name,
		      double dflt)
{
	const json_t *v = at(attrs, name);

	if (!v || json_is_null(v))
		return dflt;
	if (json_is_number(v) && json_number_value(v) >= 0)
		return json_number_value(v);
	if (json_is_string(v)) {
		char *end;
		double d = strtod(json_string_value(v), &end);

		if (end != json_string_value(v) && !*end && d >= 0)
			return d;
	}
	not_a_value(c, v, name, "a number");
	return -1;
}

/* The price, or NULL with the reason said. */
static const json_t *price_of(struct ms_cost *c, const struct ms_cost_env *env,
			      const char *product, const char *key)
{
	const json_t *p = ms_prices_get(env->prices, env->region, product, key);

	if (p)
		return p;
	if (!ms_prices_has_region(env->prices, env->region))
		ms_cost_unknown(c, "no prices for region %s in the price table",
				env->region);
	else
		ms_cost_unknown(c, "no price for %s (%s) in %s", key, product,
				env->region);
	return NULL;
}

/* Hours an amount of the unit lasts: 1 for an hour, per GB-month ... */
static double hourly_factor(const char *unit)
{
	if (!strcmp(unit, "GB-month"))
		return 1.0 / MS_HOURS_PER_MONTH;
	if (!strcmp(unit, "GB-second"))
		return 3600.0;
	return 1.0;
}

static json_t *item(const char *what, double count, double count_max,
		    const json_t *price)
{
	json_t *i = json_pack("{s:s, s:f, s:O, s:O}", "what", what, "count",
			      count, "usd", json_object_get(price, "usd"),
			      "unit", json_object_get(price, "unit"));

	if (count_max != count)
		json_object_set_new(i, "count_max", json_real(count_max));
	if (json_is_true(json_object_get(price, "estimate")))
		json_object_set_new(i, "estimate", json_true());
	return i;
}

bool ms_cost_add(struct ms_cost *c, const struct ms_cost_env *env,
		 const char *product, const char *key, const char *what,
		 double count, double count_max)
{
	const json_t *p;
	double usd, f;
	json_t *i;

	if (count <= 0 && count_max <= 0)
		return true;
	if (!(p = price_of(c, env, product, key)))
		return false;
	usd = json_number_value(json_object_get(p, "usd"));
	f = hourly_factor(json_string_value(json_object_get(p, "unit")));
	i = item(what, count, count_max, p);
	json_object_set_new(i, "hourly", json_real(usd * f * count));
	if (count_max != count)
		json_object_set_new(i, "hourly_max",
				    json_real(usd * f * count_max));
	json_array_append_new(c->items, i);
	c->hourly += usd * f * count;
	c->hourly_max += usd * f * count_max;
	return true;
}

bool ms_cost_add_run(struct ms_cost *c, const struct ms_cost_env *env,
		     const char *product, const char *key, const char *what,
		     double count, double seconds)
{
	const json_t *p;
	double usd, f, run;
	json_t *i;

	c->job = true;
	if (count <= 0 || seconds <= 0)
		return true;
	if (!(p = price_of(c, env, product, key)))
		return false;
	usd = json_number_value(json_object_get(p, "usd"));
	f = hourly_factor(json_string_value(json_object_get(p, "unit")));
	run = usd * f * count * seconds / 3600.0;
	i = item(what, count, count, p);
	json_object_set_new(i, "seconds", json_real(seconds));
	json_object_set_new(i, "run", json_real(run));
	json_array_append_new(c->items, i);
	c->run += run;
	return true;
}
