/*
 * test_map.c - the string -> index map: first value kept, growth, keys
 * that differ only late or collide in the table, absent keys.
 */
#include "util/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include "util/map.h"

static void test_empty(void **state)
{
	struct ms_map m = MS_MAP_INIT;
	size_t v = 7;

	(void)state;
	assert_false(ms_map_get(&m, "a", &v));
	assert_int_equal(v, 7);
	assert_int_equal(ms_map_count(&m), 0);
	ms_map_release(&m);
	ms_map_release(&m); /* twice is harmless */
}

static void test_first_value_kept(void **state)
{
	struct ms_map m = MS_MAP_INIT;
	char again[] = "bucket";
	size_t v = 0;

	(void)state;
	assert_true(ms_map_add(&m, "bucket", 1));
	assert_true(ms_map_add(&m, "role", 2));
	/* an equal string at another address is the same key */
	assert_false(ms_map_add(&m, again, 3));
	assert_int_equal(ms_map_count(&m), 2);
	assert_true(ms_map_get(&m, again, &v));
	assert_int_equal(v, 1);
	assert_true(ms_map_get(&m, "role", NULL));
	assert_false(ms_map_get(&m, "Role", NULL));
	assert_false(ms_map_get(&m, "", NULL));
	assert_true(ms_map_add(&m, "", 4));
	assert_true(ms_map_get(&m, "", &v));
	assert_int_equal(v, 4);
	ms_map_release(&m);
}

static void test_many(void **state)
{
	enum { N = 50000 };
	struct ms_map m;
	char **keys = ms_calloc(N, sizeof(*keys));
	size_t i, v;

	(void)state;
	ms_map_init(&m);
	for (i = 0; i < N; i++) {
		/* long common prefixes: keys differ in their last digits */
		keys[i] = ms_asprintf("resource-with-a-long-name-%zu", i);
		assert_true(ms_map_add(&m, keys[i], i));
	}
	assert_int_equal(ms_map_count(&m), N);
	for (i = 0; i < N; i++) {
		char *probe = ms_asprintf("resource-with-a-long-name-%zu", i);

		v = N;
		assert_true(ms_map_get(&m, probe, &v));
		assert_int_equal(v, i);
		assert_false(ms_map_add(&m, probe, 0));
		free(probe);
	}
	assert_false(ms_map_get(&m, "resource-with-a-long-name-50000", NULL));
	assert_false(ms_map_get(&m, "resource-with-a-long-name-", NULL));
	ms_map_release(&m);
	for (i = 0; i < N; i++)
		free(keys[i]);
	free(keys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_first_value_kept),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
