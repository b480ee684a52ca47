/*
 * test_kit.c - the provider kit's wire mapping on a schema of its own:
 * each wire form, defaults, "not set", nested objects and lists, the
 * round trip request -> answer -> attributes, and in-place updates.
 * Table-driven: one named case per line of behaviour.
 */
#include "util/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "providers/kit.h"

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

	if (!v)
		fail_msg("bad test JSON: %s: %s", text, jerr.text);
	return v;
}

static void assert_json(const char *name, const json_t *got,
			const char *want_text)
{
	json_t *want = parse(want_text);
	char *g = json_dumps(got,
			     JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);

	if (!json_equal(got, want))
		fail_msg("%s: got %s\nwant %s", name, g, want_text);
	free(g);
	json_decref(want);
}

static json_t *tags_list(const json_t *map)
{
	json_t *list = json_array(), *v;
	const char *k;

	json_object_foreach((json_t *)map, k, v)
		json_array_append_new(list, json_pack("{s:s, s:O}", "Key", k,
						      "Value", v));
	return list;
}

static const struct ms_attr item_schema[] = {
	{ "key", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL, "", "Key" },
	{ "weight", MS_ATTR_NUMBER, 0, "1", NULL, "", "Weight" },
	{ NULL },
};

static const struct ms_attr box_schema[] = {
	{ "image", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL, "", "Image" },
	{ "env", MS_ATTR_MAP, 0, NULL, NULL, "", "Environment" },
	{ NULL },
};

static const struct ms_attr schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL,
	  NULL, "", "ThingName" },
	{ "size", MS_ATTR_NUMBER, 0, "5", NULL, "", "SizeInGB" },
	{ "script", MS_ATTR_STRING, 0, NULL, NULL, "",
	  "ScriptName|ThingScriptName" },
	{ "secret", MS_ATTR_STRING, 0, NULL, NULL, "", "Secret|" },
	{ "open", MS_ATTR_BOOL, 0, "true", NULL, "",
	  "Access:Enabled/Disabled" },
	{ "fast", MS_ATTR_BOOL, 0, NULL, NULL, "", "Fast" },
	{ "box", MS_ATTR_OBJECT, MS_ATTR_FORCE_NEW, NULL, box_schema, "",
	  "Box" },
	{ "items", MS_ATTR_LIST, 0, NULL, item_schema, "", "Items" },
	{ "zones", MS_ATTR_LIST, 0, NULL, NULL, "", "Zones" },
	{ "tags", MS_ATTR_MAP, MS_ATTR_TAGS, "{}", NULL, "", "Tags" },
	{ "uri", MS_ATTR_STRING, 0, NULL, NULL, "", "Source.S3.Uri" },
	{ "rate", MS_ATTR_NUMBER, 0, NULL, NULL, "", "Rate:text" },
	{ "artifacts", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "",
	  "|Model.Artifacts" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "",
	  "|ThingArn" },
	{ "local", MS_ATTR_STRING, 0, NULL, NULL, "" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "" },
	{ NULL },
};

static const struct ms_resource_type thing = {
	.name = "test_thing",
	.schema = schema,
	.id_attr = "name",
};

static void test_request(void **state)
{
	static const struct {
		const char *name, *attrs, *body, *error;
	} cases[] = {
		{ "defaults are sent, not-set is left out",
		  "{\"name\": \"t\", \"script\": \"\", \"env\": {}}",
		  "{\"ThingName\": \"t\", \"SizeInGB\": 5,"
		  " \"Access\": \"Enabled\"}" },
		{ "each wire form",
		  "{\"name\": \"t\", \"size\": 20.0, \"script\": \"s\","
		  " \"secret\": \"x\", \"open\": false, \"fast\": true,"
		  " \"local\": \"mine\", \"arn\": \"a\", \"zones\": [\"a\"],"
		  " \"uri\": \"s3://b/k\", \"rate\": 0.001}",
		  "{\"Source\": {\"S3\": {\"Uri\": \"s3://b/k\"}}, \"Rate\": \"0.001\","
		  " \"ThingName\": \"t\", \"SizeInGB\": 20,"
		  " \"ScriptName\": \"s\", \"Secret\": \"x\","
		  " \"Access\": \"Disabled\", \"Fast\": true,"
		  " \"Zones\": [\"a\"]}" },
		{ "nested objects and lists, maps of strings, tags",
		  "{\"name\": \"t\", \"box\": {\"image\": \"i\","
		  " \"env\": {\"N\": 4, \"B\": true}},"
		  " \"items\": [{\"key\": \"a\"}, {\"key\": \"b\","
		  " \"weight\": 0.5}], \"tags\": {\"k\": \"v\"}}",
		  "{\"ThingName\": \"t\", \"SizeInGB\": 5,"
		  " \"Access\": \"Enabled\","
		  " \"Box\": {\"Image\": \"i\","
		  " \"Environment\": {\"N\": \"4\", \"B\": \"true\"}},"
		  " \"Items\": [{\"Key\": \"a\", \"Weight\": 1},"
		  " {\"Key\": \"b\", \"Weight\": 0.5}],"
		  " \"Tags\": [{\"Key\": \"k\", \"Value\": \"v\"}]}" },
		{ "a required attribute", "{\"size\": 1}", NULL, "no name" },
		{ "a required nested attribute",
		  "{\"name\": \"t\", \"items\": [{\"weight\": 2}]}", NULL,
		  "no items[0].key" },
	};
	json_t *attrs, *body;
	size_t i;

	(void)state;
	for (i = 0; i < MS_ARRAY_SIZE(cases); i++) {
		attrs = parse(cases[i].attrs);
		body = NULL;
		if (cases[i].error) {
			assert_int_equal(ms_kit_request(&body, schema, attrs,
							tags_list),
					 -1);
			assert_null(body);
			if (strcmp(ms_error_last(), cases[i].error))
				fail_msg("%s: error \"%s\"", cases[i].name,
					 ms_error_last());
		} else {
			if (ms_kit_request(&body, schema, attrs, tags_list))
				fail_msg("%s: %s", cases[i].name,
					 ms_error_last());
			assert_json(cases[i].name, body, cases[i].body);
		}
		json_decref(body);
		json_decref(attrs);
	}
}

static void test_attrs(void **state)
{
	static const struct {
		const char *name, *answer, *tags, *attrs, *error;
	} cases[] = {
		{ "answer fields, AWS-only fields ignored, id from name",
		  "{\"ThingName\": \"t\", \"ThingArn\": \"a\", \"SizeInGB\": 5.0,"
		  " \"ThingScriptName\": \"s\", \"ScriptName\": \"no\","
		  " \"Secret\": \"no\", \"Access\": \"Disabled\","
		  " \"Model\": {\"Artifacts\": \"s3://m\"}, \"Rate\": \"0.001\","
		  " \"Source\": {\"S3\": {\"Uri\": \"s3://b/k\"}},"
		  " \"CreationTime\": 1.5}",
		  "{\"k\": \"v\"}",
		  "{\"name\": \"t\", \"id\": \"t\", \"arn\": \"a\", \"size\": 5,"
		  " \"artifacts\": \"s3://m\", \"uri\": \"s3://b/k\", \"rate\": 0.001,"
		  " \"script\": \"s\", \"open\": false, \"tags\": {\"k\": \"v\"}}" },
		{ "absent or empty takes the default, else is not set",
		  "{\"ThingName\": \"t\", \"ThingScriptName\": \"\","
		  " \"Box\": {\"Image\": \"i\", \"Environment\": {}},"
		  " \"Items\": [{\"Key\": \"a\", \"Weight\": 1.0}],"
		  " \"Zones\": []}",
		  NULL,
		  "{\"name\": \"t\", \"id\": \"t\", \"open\": true, \"size\": 5,"
		  " \"box\": {\"image\": \"i\"},"
		  " \"items\": [{\"key\": \"a\", \"weight\": 1}], \"tags\": {}}" },
		{ "no name", "{\"ThingArn\": \"a\"}", NULL, NULL,
		  "no ThingName in the answer" },
	};
	json_t *answer, *tags, *attrs;
	size_t i;

	(void)state;
	for (i = 0; i < MS_ARRAY_SIZE(cases); i++) {
		answer = parse(cases[i].answer);
		tags = cases[i].tags ? parse(cases[i].tags) : NULL;
		attrs = NULL;
		if (cases[i].error) {
			assert_int_equal(
				ms_kit_attrs(&attrs, &thing, answer, tags), -1);
			if (strcmp(ms_error_last(), cases[i].error))
				fail_msg("%s: error \"%s\"", cases[i].name,
					 ms_error_last());
		} else {
			if (ms_kit_attrs(&attrs, &thing, answer, tags))
				fail_msg("%s: %s", cases[i].name,
					 ms_error_last());
			assert_json(cases[i].name, attrs, cases[i].attrs);
		}
		json_decref(attrs);
		json_decref(tags);
		json_decref(answer);
	}
}

static void test_update_request(void **state)
{
	static const struct {
		const char *name, *prior, *desired, *body, *changed;
	} cases[] = {
		{ "nothing changes: numbers and words compared as sent",
		  "{\"id\": \"t\", \"name\": \"t\", \"size\": 5, \"open\": true,"
		  " \"tags\": {}}",
		  "{\"name\": \"t\", \"size\": 5.0, \"open\": true,"
		  " \"tags\": {\"new\": \"tag\"}}",
		  "{\"ThingName\": \"t\"}", "[]" },
		{ "settable fields only: not forcing ones, not computed",
		  "{\"name\": \"t\", \"size\": 5, \"box\": {\"image\": \"a\"}}",
		  "{\"name\": \"t\", \"size\": 8, \"script\": \"s\","
		  " \"open\": false, \"box\": {\"image\": \"b\"},"
		  " \"arn\": \"x\", \"local\": \"l\"}",
		  "{\"ThingName\": \"t\", \"SizeInGB\": 8,"
		  " \"ScriptName\": \"s\", \"Access\": \"Disabled\"}",
		  "[\"size\", \"script\", \"open\"]" },
	};
	json_t *prior, *desired, *body, *changed;
	size_t i;

	(void)state;
	for (i = 0; i < MS_ARRAY_SIZE(cases); i++) {
		prior = parse(cases[i].prior);
		desired = parse(cases[i].desired);
		if (ms_kit_update_request(&body, &changed, &thing, prior,
					  desired))
			fail_msg("%s: %s", cases[i].name, ms_error_last());
		assert_json(cases[i].name, body, cases[i].body);
		assert_json(cases[i].name, changed, cases[i].changed);
		json_decref(body);
		json_decref(changed);
		json_decref(prior);
		json_decref(desired);
	}
}

static void test_check_number(void **state)
{
	json_t *o = parse("{\"n\": 4.0, \"w\": 0.5}");

	(void)state;
	assert_int_equal(ms_kit_check_number(o, "n", "n", 1, 10, true), 0);
	assert_true(json_is_integer(json_object_get(o, "n")));
	assert_int_equal(ms_kit_check_number(o, "w", "w", 1, INFINITY, true),
			 -1);
	assert_string_equal(ms_error_last(),
			    "w: expected a whole number of at least 1");
	assert_int_equal(ms_kit_check_number(o, "n", "n", 5, 9, false), -1);
	assert_string_equal(ms_error_last(),
			    "n: expected a number from 5 to 9");
	assert_int_equal(ms_kit_check_number(o, "gone", "g", 1, 2, true), 0);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_attrs),
		cmocka_unit_test(test_update_request),
		cmocka_unit_test(test_check_number),
	};

	return cmocka_run_group_tests_name("kit", tests, NULL, NULL);
}
