/*
 * test_buf.c - the string buffer's formatted adds: the formats appended
 * directly ("%s", "%d", "%zu", "%%") print what vsnprintf prints, a
 * format with anything else goes through vsnprintf, and an add past cap
 * leaves the buffer as it was on either path.
 */
#include "util/common.h"

#include <limits.h>
#include <setjmp.h>
#include <cmocka.h>

/* b's text after addf, against snprintf's for the same arguments */
#define SAME(fmt, ...)                                                  \
	do {                                                            \
		struct ms_buf b = MS_BUF_INIT;                          \
		char want[256];                                         \
                                                                        \
		snprintf(want, sizeof(want), fmt, __VA_ARGS__);         \
		assert_int_equal(ms_buf_addf(&b, fmt, __VA_ARGS__), 0); \
		assert_string_equal(b.ptr, want);                       \
		assert_int_equal(b.len, strlen(want));                  \
		ms_buf_release(&b);                                     \
	} while (0)

static void test_simple_formats(void **state)
{
	(void)state;
	SAME("%s.%s", "resources", "b0");
	SAME("[%zu]", (size_t)12345);
	SAME("%d:%d: %s", 3, -7, "x");
	SAME("%d %d %d", INT_MIN, INT_MAX, 0);
	SAME("100%% of %s", "it");
	SAME("%s", "");
	SAME("no conversion%s", "");
	SAME("%zu%s%d", (size_t)0, "-", 1);
}

static void test_other_formats(void **state)
{
	(void)state;
	SAME("%.*s|%5s", 3, "abcdef", "ab");
	SAME("%s %.2f", "x", 1.5);
	SAME("%lu %zd %x", 7ul, (ssize_t)-2, 255u);
	SAME("%-4s|", "a");
}

static void test_cap(void **state)
{
	struct ms_buf b = MS_BUF_INIT;

	(void)state;
	b.cap = 8;
	assert_int_equal(ms_buf_addf(&b, "%s", "abc"), 0);
	/* past cap on the direct path: nothing of it stays */
	assert_int_equal(ms_buf_addf(&b, "%s-%d", "de", 12345), -1);
	assert_string_equal(b.ptr, "abc");
	assert_int_equal(b.len, 3);
	/* and on vsnprintf's */
	assert_int_equal(ms_buf_addf(&b, "%5s|", "de"), -1);
	assert_string_equal(b.ptr, "abc");
	assert_int_equal(ms_buf_addf(&b, "%zu%%", (size_t)42), 0);
	assert_string_equal(b.ptr, "abc42%");
	ms_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_formats),
		cmocka_unit_test(test_other_formats),
		cmocka_unit_test(test_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
