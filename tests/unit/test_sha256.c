/*
 * test_sha256.c - the digests as hex, against FIPS 180's "abc" vectors.
 */
#include "util/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include "util/sha256.h"

static void sha256_abc(void **state)
{
	char hex[65];

	(void)state;
	assert_int_equal(ms_sha256_hex(hex, "abc", 3), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
				 "b00361a396177a9cb410ff61f20015ad");
}

static void sha1_abc(void **state)
{
	char hex[41];

	(void)state;
	assert_int_equal(ms_sha1_hex(hex, "abc", 3), 0);
	assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
	assert_int_equal(ms_sha1_hex(hex, "", 0), 0);
	assert_string_equal(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sha256_abc),
		cmocka_unit_test(sha1_abc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
