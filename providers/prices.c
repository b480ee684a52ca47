/*
 * prices.c - the price table: AWS's on-demand prices of what mlstack
 * prices, by region, product and key (docs/cost.md).
 *
 * The table is providers/prices/prices.json, compiled in by the Makefile
 * as the string ms_prices_json, so that an installed binary carries it;
 * MLSTACK_PRICES names a file of the same format to use instead (a table
 * just rebuilt by scripts/update-prices.py). It is checked when loaded:
 * a price that is not a positive number in a unit the cost model knows
 * is refused, since a wrong price would print as a right one.
 */
#include "util/common.h"
#include "providers/provider.h"
#include "util/json.h"

/* providers/prices/prices.json, as the Makefile embeds it */
extern const char ms_prices_json[];

struct ms_prices {
	json_t *info;    /* date, made, origin, regions, sources */
	json_t *index;   /* "region product key" -> the price */
	json_t *regions; /* region -> true */
};

static const char *const units[] = { "hour", "GB-month", "GB-second", NULL };

static bool unit_known(const char *unit)
{
	const char *const *u;

	for (u = units; unit && *u; u++)
		if (!strcmp(*u, unit))
			return true;
	return false;
}

static char *index_key(const char *region, const char *product, const char *key)
{
	return ms_asprintf("%s %s %s", region, product, key);
}

/* Index doc's prices into p; -1 with ms_error() at the first bad one. */
static int index_prices(struct ms_prices *p, const json_t *doc,
			const char *origin)
{
	json_t *prices = json_object_get(doc, "prices"), *e;
	size_t i;

	if (!json_is_array(prices))
		return ms_error("price table %s: no \"prices\" list", origin);
	json_array_foreach(prices, i, e) {
		const char *region =
			json_string_value(json_object_get(e, "region"));
		const char *product =
			json_string_value(json_object_get(e, "product"));
		const char *key = json_string_value(json_object_get(e, "key"));
		const char *unit =
			json_string_value(json_object_get(e, "unit"));
		json_t *usd = json_object_get(e, "usd"), *entry;
		char *k;

		if (!region || !product || !key)
			return ms_error("price table %s: prices[%zu]: region, "
					"product and key are strings",
					origin, i);
		if (!json_is_number(usd) || !(json_number_value(usd) >= 0))
			return ms_error("price table %s: prices[%zu] (%s %s "
					"%s): usd is not a price",
					origin, i, region, product, key);
		if (!unit_known(unit))
			return ms_error("price table %s: prices[%zu] (%s %s "
					"%s): unit \"%s\" is not one of hour, "
					"GB-month, GB-second",
					origin, i, region, product, key,
					unit ? unit : "");
		k = index_key(region, product, key);
		entry = json_pack("{s:f, s:s, s:O?, s:O?}", "usd",
				  json_number_value(usd), "unit", unit,
				  "effective", json_object_get(e, "effective"),
				  "source", json_object_get(e, "source"));
		if (json_is_true(json_object_get(e, "estimate")))
			json_object_set_new(entry, "estimate", json_true());
		json_object_set_new(p->index, k, entry);
		json_object_set_new(p->regions, region, json_true());
		free(k);
	}
	return 0;
}

/* A table from its document (borrowed). */
static int from_doc(struct ms_prices **out, const json_t *doc,
		    const char *origin)
{
	struct ms_prices *p = ms_calloc(1, sizeof(*p));
	const char *version;
	int err = -1;

	*out = NULL;
	p->index = json_object();
	p->regions = json_object();
	if (!json_is_object(doc)) {
		ms_error("price table %s: not a JSON object", origin);
		goto done;
	}
	version = json_string_value(json_object_get(doc, "format_version"));
	if (!version || strcmp(version, "1")) {
		ms_error("price table %s: format_version is not \"1\"", origin);
		goto done;
	}
	if (index_prices(p, doc, origin))
		goto done;
	p->info = json_pack("{s:O?, s:O?, s:s, s:O?, s:O?}", "date",
			    json_object_get(doc, "date"), "made",
			    json_object_get(doc, "made"), "origin", origin,
			    "regions", json_object_get(doc, "regions"),
			    "sources", json_object_get(doc, "sources"));
	*out = p;
	p = NULL;
	err = 0;
done:
	ms_prices_free(p);
	return err;
}

int ms_prices_parse(struct ms_prices **out, const char *text,
		    const char *origin)
{
	json_error_t jerr;
	json_t *doc = json_loads(text, 0, &jerr);
	int err;

	*out = NULL;
	if (!doc)
		return ms_error("price table %s: not JSON: %s", origin,
				jerr.text);
	err = from_doc(out, doc, origin);
	json_decref(doc);
	return err;
}

int ms_prices_load(struct ms_prices **out)
{
	const char *path = getenv("MLSTACK_PRICES");
	json_t *doc = NULL;
	int err;

	if (!path || !*path)
		return ms_prices_parse(out, ms_prices_json, "built in");
	*out = NULL;
	if (ms_json_load_file(&doc, path, 0))
		return ms_error("MLSTACK_PRICES: %s", ms_error_last());
	err = from_doc(out, doc, path);
	json_decref(doc);
	return err;
}

void ms_prices_free(struct ms_prices *p)
{
	if (!p)
		return;
	json_decref(p->info);
	json_decref(p->index);
	json_decref(p->regions);
	free(p);
}

const json_t *ms_prices_info(const struct ms_prices *p)
{
	return p->info;
}

const json_t *ms_prices_get(const struct ms_prices *p, const char *region,
			    const char *product, const char *key)
{
	char *k;
	const json_t *v;

	if (!p || !region || !product || !key)
		return NULL;
	k = index_key(region, product, key);
	v = json_object_get(p->index, k);
	free(k);
	return v;
}

bool ms_prices_has_region(const struct ms_prices *p, const char *region)
{
	return p && region && json_object_get(p->regions, region);
}
