/*
 * test_json.c - the jansson helpers: ms_json_copy copies as
 * json_deep_copy does (equal, independent, key order kept), and the
 * sorted set.
 */
#include "util/common.h"
#include "util/json.h"

#include <setjmp.h>
#include <cmocka.h>

static void test_copy(void **state)
{
	static const char *const docs[] = {
		"{\"b\": 1, \"a\": [true, false, null, 2.5, \"x\"], "
		"\"c\": {\"z\": {}, \"y\": []}}",
		"[]",
		"\"text\"",
		"-7",
		"null",
	};
	size_t i;

	(void)state;
	assert_null(ms_json_copy(NULL));
	for (i = 0; i < MS_ARRAY_SIZE(docs); i++) {
		json_t *v = json_loads(docs[i], JSON_DECODE_ANY, NULL);
		json_t *c = ms_json_copy(v);
		json_t *d = json_deep_copy(v);
		char *sc = json_dumps(c, JSON_ENCODE_ANY);
		char *sd = json_dumps(d, JSON_ENCODE_ANY);

		assert_non_null(v);
		assert_true(json_equal(v, c));
		/* the same text, keys in the same order */
		assert_string_equal(sc, sd);
		if (json_is_object(v) || json_is_array(v))
			assert_ptr_not_equal(c, v);
		free(sc);
		free(sd);
		json_decref(c);
		json_decref(d);
		json_decref(v);
	}
}

static void test_copy_is_independent(void **state)
{
	json_t *v = json_pack("{s:{s:[s]}, s:s}", "a", "b", "c", "k", "v");
	json_t *c = ms_json_copy(v);
	json_t *s = json_stringn("a\0b", 3);
	json_t *sc = ms_json_copy(s);

	(void)state;
	json_array_append_new(json_object_get(json_object_get(c, "a"), "b"),
			      json_string("d"));
	json_object_set_new(c, "k", json_string("w"));
	assert_int_equal(json_array_size(json_object_get(
				 json_object_get(v, "a"), "b")),
			 1);
	assert_string_equal(json_string_value(json_object_get(v, "k")), "v");
	/* a NUL inside a string is kept */
	assert_int_equal(json_string_length(sc), 3);
	assert_true(json_equal(s, sc));
	json_decref(s);
	json_decref(sc);
	json_decref(c);
	json_decref(v);
}

static void test_sorted_set(void **state)
{
	json_t *s = ms_json_sorted_set(
		json_pack("[s, s, i, s, s]", "b", "a", 3, "b", "c"));
	char *t = json_dumps(s, JSON_COMPACT);

	(void)state;
	assert_string_equal(t, "[\"a\",\"b\",\"c\"]");
	free(t);
	json_decref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_copy_is_independent),
		cmocka_unit_test(test_sorted_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
