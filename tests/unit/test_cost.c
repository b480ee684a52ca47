/*
 * test_cost.c - the cost model, as triples: each file of tests/unit/costs/
 * holds a plan's changes (or a state) and the region, priced with the
 * table tests/unit/costs/prices.json (round figures); what the priced
 * document must hold at a path ("changes[nb].cost.hourly": 0.052, numbers
 * to a millionth), what it must not ("absent"), and lines the text
 * rendering must print ("text"). Then the price table itself: the one
 * built in loads, and a bad one is refused naming what is wrong.
 */
#include "util/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include "engine/cost.h"
#include "engine/render.h"
#include "util/json.h"

#include <dirent.h>

#define COSTS "tests/unit/costs"

static struct ms_prices *load_prices(void)
{
	struct ms_prices *p = NULL;
	json_t *doc = json_load_file(COSTS "/prices.json", 0, NULL);
	char *text;

	assert_non_null(doc);
	text = json_dumps(doc, 0);
	if (ms_prices_parse(&p, text, "tests"))
		fail_msg("prices: %s", ms_error_last());
	free(text);
	json_decref(doc);
	return p;
}

/*
 * The value at path: keys between dots, "list[NAME]" the element whose
 * "name" is NAME, "list[N]" the element at N.
 */
static json_t *at(json_t *v, const char *path)
{
	char *copy = ms_strdup(path), *seg, *next, *open;

	for (seg = copy; v && seg; seg = next) {
		/* a name in brackets may hold dots? not here: "cfg~deposed-0" */
		next = strchr(seg, '.');
		open = strchr(seg, '[');
		if (next && open && open < next) {
			char *close = strchr(open, ']');

			next = close ? strchr(close, '.') : NULL;
		}
		if (next)
			*next++ = '\0';
		if ((open = strchr(seg, '['))) {
			json_t *list, *x, *found = NULL;
			char *end;
			long n;
			size_t i;

			*open++ = '\0';
			open[strlen(open) - 1] = '\0';
			list = json_object_get(v, seg);
			n = strtol(open, &end, 10);
			if (!*end && *open) {
				found = json_array_get(list, (size_t)n);
			} else {
				json_array_foreach(list, i, x)
					if (json_string_value(
						    json_object_get(x, "name")) &&
					    !strcmp(json_string_value(
							    json_object_get(x,
									    "name")),
						    open))
						found = x;
			}
			v = found;
		} else {
			v = json_object_get(v, seg);
		}
	}
	free(copy);
	return v;
}

static bool same(const json_t *got, const json_t *want)
{
	double d;

	if (json_is_number(got) && json_is_number(want)) {
		d = json_number_value(got) - json_number_value(want);
		return d < 1e-6 && d > -1e-6;
	}
	return json_equal(got, want);
}

static char *rendered(const json_t *doc, bool plan)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	if (plan)
		ms_render_plan(f, doc);
	else
		ms_render_cost(f, doc);
	fclose(f);
	return text;
}

static void run_case(const char *file, const struct ms_prices *prices)
{
	char *path = ms_asprintf("%s/%s", COSTS, file), *text, *g;
	json_t *c = json_load_file(path, 0, NULL), *doc, *want, *v;
	struct ms_cost_region region = { NULL, "the stack" };
	const char *key;
	bool plan;
	size_t i;

	print_message("case: %s\n", file);
	if (!c)
		fail_msg("%s: not JSON", path);
	region.region = json_string_value(json_object_get(c, "region"));
	plan = json_object_get(c, "plan") != NULL;
	if (plan) {
		doc = json_pack("{s:s, s:O, s:{}, s:b}", "stack", "t",
				"changes", json_object_get(c, "plan"),
				"variables", "destroy", 0);
		ms_cost_plan(doc, prices, &region);
	} else {
		doc = ms_cost_state(json_object_get(c, "state"), prices,
				    &region);
		json_object_set_new(doc, "stack", json_string("t"));
	}
	json_object_foreach(json_object_get(c, "expect"), key, want) {
		json_t *got = at(doc, key);

		if (!same(got, want)) {
			g = got ? json_dumps(got, JSON_ENCODE_ANY) :
				  ms_strdup("(absent)");
			print_error("%s: %s: got %s\n", file, key, g);
			free(g);
			fail();
		}
	}
	json_array_foreach(json_object_get(c, "absent"), i, v)
		if (at(doc, json_string_value(v))) {
			print_error("%s: %s should be absent\n", file,
				    json_string_value(v));
			fail();
		}
	text = rendered(doc, plan);
	json_array_foreach(json_object_get(c, "text"), i, v) {
		char *line = ms_asprintf("\n%s\n", json_string_value(v));
		char *hay = ms_asprintf("\n%s", text);

		if (!strstr(hay, line)) {
			print_error("%s: no line \"%s\" in:\n%s\n", file,
				    json_string_value(v), text);
			fail();
		}
		free(line);
		free(hay);
	}
	free(text);
	json_decref(doc);
	json_decref(c);
	free(path);
}

static void test_cases(void **state)
{
	struct ms_prices *prices = load_prices();
	DIR *d = opendir(COSTS);
	struct dirent *ent;
	int n = 0;

	(void)state;
	assert_non_null(d);
	while ((ent = readdir(d))) {
		if (ent->d_name[0] == '.' || !strcmp(ent->d_name, "prices.json"))
			continue;
		run_case(ent->d_name, prices);
		n++;
	}
	closedir(d);
	ms_prices_free(prices);
	assert_true(n >= 15);
}

/* The table built in: it loads, and holds what docs/cost.md says. */
static void test_built_in(void **state)
{
	struct ms_prices *p = NULL;
	const json_t *v;

	(void)state;
	unsetenv("MLSTACK_PRICES");
	assert_int_equal(ms_prices_load(&p), 0);
	assert_true(ms_prices_has_region(p, "us-east-1"));
	assert_true(ms_prices_has_region(p, "eu-west-1"));
	assert_false(ms_prices_has_region(p, "ap-south-1"));
	v = ms_prices_get(p, "us-east-1", "sagemaker.hosting", "ml.m5.large");
	assert_non_null(v);
	assert_string_equal(json_string_value(json_object_get(v, "unit")),
			    "hour");
	assert_true(json_number_value(json_object_get(v, "usd")) > 0);
	assert_string_equal(json_string_value(json_object_get(v, "source")),
			    "AmazonSageMaker/us-east-1");
	assert_null(ms_prices_get(p, "us-east-1", "sagemaker.hosting",
				  "ml.x9.large"));
	assert_string_equal(
		json_string_value(json_object_get(ms_prices_info(p), "origin")),
		"built in");
	assert_non_null(json_string_value(
		json_object_get(ms_prices_info(p), "date")));
	ms_prices_free(p);
}

static const struct {
	const char *name, *table, *error;
} bad_tables[] = {
	{ "not JSON", "{", "price table t: not JSON" },
	{ "another format", "{\"format_version\": \"2\", \"prices\": []}",
	  "price table t: format_version is not \"1\"" },
	{ "no prices", "{\"format_version\": \"1\"}",
	  "price table t: no \"prices\" list" },
	{ "a price not a number",
	  "{\"format_version\": \"1\", \"prices\": [{\"region\": \"r\", "
	  "\"product\": \"p\", \"key\": \"k\", \"usd\": \"1\", \"unit\": "
	  "\"hour\"}]}",
	  "price table t: prices[0] (r p k): usd is not a price" },
	{ "a negative price",
	  "{\"format_version\": \"1\", \"prices\": [{\"region\": \"r\", "
	  "\"product\": \"p\", \"key\": \"k\", \"usd\": -1, \"unit\": "
	  "\"hour\"}]}",
	  "price table t: prices[0] (r p k): usd is not a price" },
	{ "a unit the model does not know",
	  "{\"format_version\": \"1\", \"prices\": [{\"region\": \"r\", "
	  "\"product\": \"p\", \"key\": \"k\", \"usd\": 1, \"unit\": "
	  "\"Hrs\"}]}",
	  "price table t: prices[0] (r p k): unit \"Hrs\" is not one of hour, "
	  "GB-month, GB-second" },
	{ "no key",
	  "{\"format_version\": \"1\", \"prices\": [{\"region\": \"r\", "
	  "\"product\": \"p\", \"usd\": 1, \"unit\": \"hour\"}]}",
	  "price table t: prices[0]: region, product and key are strings" },
};

static void test_bad_tables(void **state)
{
	struct ms_prices *p;
	size_t i;

	(void)state;
	for (i = 0; i < MS_ARRAY_SIZE(bad_tables); i++) {
		p = (struct ms_prices *)1;
		if (ms_prices_parse(&p, bad_tables[i].table, "t") != -1)
			fail_msg("%s: accepted", bad_tables[i].name);
		assert_null(p);
		if (strncmp(ms_error_last(), bad_tables[i].error,
			    strlen(bad_tables[i].error)))
			fail_msg("%s: got \"%s\"", bad_tables[i].name,
				 ms_error_last());
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_built_in),
		cmocka_unit_test(test_bad_tables),
	};

	ms_json_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
