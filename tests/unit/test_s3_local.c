/*
 * test_s3_local.c - the local side of a folder synced to S3: ETags as S3
 * computes them (single-part MD5, multipart MD5 of part MD5s), manifest
 * entries and totals, filters, and the walk of a folder (sorted, links
 * inside followed, loops and links outside refused); S3's times.
 */
#include "util/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "providers/provider.h"
#include "providers/s3/s3.h"

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/mlstack-s3-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return ms_strdup(d);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void scan_one(struct ms_file *f, const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	memset(f, 0, sizeof(*f));
	f->key = (char *)"x";
	f->path = (char *)path;
	f->size = (uint64_t)st.st_size;
}

/* S3's ETags of known content, as boto3 and the AWS CLI compute them. */
static void test_etags(void **state)
{
	char *dir = tmpdir(), *path = ms_asprintf("%s/f", dir);
	unsigned char *data = ms_malloc(12u << 20);
	char etag[MS_S3_ETAG_LEN];
	struct ms_file f;
	size_t i;

	(void)state;
	write_file(path, "", 0);
	scan_one(&f, path);
	assert_int_equal(ms_s3_hash_file(etag, &f, 8u << 20), 0);
	assert_string_equal(etag, "d41d8cd98f00b204e9800998ecf8427e");

	write_file(path, "hello\n", 6);
	scan_one(&f, path);
	assert_int_equal(ms_s3_hash_file(etag, &f, 8u << 20), 0);
	assert_string_equal(etag, "b1946ac92492d2347c6235b4d2611184");

	/* 12 MiB of zeros in 5 MiB parts: 5 + 5 + 2 */
	memset(data, 0, 12u << 20);
	write_file(path, data, 12u << 20);
	scan_one(&f, path);
	assert_int_equal(ms_s3_hash_file(etag, &f, 5u << 20), 0);
	assert_string_equal(etag, "4e982d58b6c2ce178ae042c23f9bca6e-3");
	/* exactly one part size: a multipart upload of one part */
	write_file(path, data, 5u << 20);
	scan_one(&f, path);
	assert_int_equal(ms_s3_hash_file(etag, &f, 5u << 20), 0);
	assert_int_equal(etag[strlen(etag) - 2], '-');
	assert_int_equal(etag[strlen(etag) - 1], '1');
	assert_int_equal(ms_s3_parts(5u << 20, 5u << 20), 1);
	assert_int_equal(ms_s3_parts((5u << 20) - 1, 5u << 20), 0);
	assert_int_equal(ms_s3_parts((10u << 20) + 1, 5u << 20), 3);

	/* a size that is no longer the file's: changed while read */
	f.size++;
	assert_int_equal(ms_s3_hash_file(etag, &f, 5u << 20), -1);
	assert_non_null(strstr(ms_error_last(), "changed while it was read"));

	for (i = 0; i < 2; i++)
		unlink(path);
	rmdir(dir);
	free(data);
	free(path);
	free(dir);
}

static void test_entries_and_totals(void **state)
{
	json_t *m = json_pack("{s:s, s:s}", "b.jpg", "abc 10", "a.jpg",
			      "def-2 20");
	json_t *attrs = json_object(), *again = json_object();
	char etag[MS_S3_ETAG_LEN], *e;
	uint64_t size;

	(void)state;
	e = ms_s3_entry("d41d8cd98f00b204e9800998ecf8427e", 0);
	assert_string_equal(e, "d41d8cd98f00b204e9800998ecf8427e 0");
	assert_int_equal(ms_s3_entry_parse(e, etag, &size), 0);
	assert_string_equal(etag, "d41d8cd98f00b204e9800998ecf8427e");
	assert_int_equal(size, 0);
	free(e);
	assert_int_equal(ms_s3_entry_parse("no-size", etag, &size), -1);
	assert_int_equal(ms_s3_entry_parse("abc 12x", etag, &size), -1);
	assert_int_equal(ms_s3_entry_parse(" 12", etag, &size), -1);

	ms_s3_manifest_totals(attrs, m);
	assert_int_equal(json_integer_value(json_object_get(attrs,
							     "object_count")),
			 2);
	assert_int_equal(json_integer_value(json_object_get(attrs,
							     "total_bytes")),
			 30);
	/* the digest is of the content, whatever the insertion order */
	json_object_del(m, "b.jpg");
	json_object_set_new(m, "b.jpg", json_string("abc 10"));
	ms_s3_manifest_totals(again, m);
	assert_true(json_equal(json_object_get(attrs, "digest"),
			       json_object_get(again, "digest")));
	json_object_set_new(m, "b.jpg", json_string("abd 10"));
	ms_s3_manifest_totals(again, m);
	assert_false(json_equal(json_object_get(attrs, "digest"),
				json_object_get(again, "digest")));
	json_decref(m);
	json_decref(attrs);
	json_decref(again);
}

static void test_filters(void **state)
{
	json_t *none = json_array();
	json_t *jpg = json_pack("[s]", "*.jpg");
	json_t *ds = json_pack("[s, s]", "*/.DS_Store", "tmp/*");

	(void)state;
	assert_true(ms_files_filter("a/b.png", none, none));
	assert_true(ms_files_filter("a/b.jpg", jpg, none)); /* '*' crosses '/' */
	assert_false(ms_files_filter("a/b.png", jpg, none));
	assert_false(ms_files_filter("x/.DS_Store", none, ds));
	assert_false(ms_files_filter("tmp/a/b.jpg", jpg, ds));
	assert_true(ms_files_filter("a/tmp/b.jpg", jpg, ds));
	json_decref(none);
	json_decref(jpg);
	json_decref(ds);
}

static void test_scan(void **state)
{
	char *dir = tmpdir();
	char *sub = ms_asprintf("%s/sub", dir);
	char *a = ms_asprintf("%s/sub/a.jpg", dir);
	char *b = ms_asprintf("%s/b.jpg", dir);
	char *link = ms_asprintf("%s/link.jpg", dir);
	char *loop = ms_asprintf("%s/sub/loop", dir);
	char *out = ms_asprintf("%s/out", dir);
	struct ms_file *files = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(mkdir(sub, 0755), 0);
	write_file(a, "a", 1);
	write_file(b, "bb", 2);
	assert_int_equal(symlink("sub/a.jpg", link), 0);
	assert_int_equal(ms_files_scan(&files, &n, dir, NULL, NULL), 0);
	assert_int_equal(n, 3);
	assert_string_equal(files[0].key, "b.jpg");
	assert_string_equal(files[1].key, "link.jpg"); /* followed: inside */
	assert_int_equal(files[1].size, 1);
	assert_string_equal(files[2].key, "sub/a.jpg");
	ms_files_free(files, n);

	assert_int_equal(symlink("..", loop), 0);
	assert_int_equal(ms_files_scan(&files, &n, dir, NULL, NULL), -1);
	assert_non_null(strstr(ms_error_last(), "a link loop"));
	unlink(loop);
	assert_int_equal(symlink("/etc", out), 0);
	assert_int_equal(ms_files_scan(&files, &n, dir, NULL, NULL), -1);
	assert_non_null(strstr(ms_error_last(), "outside the folder"));
	unlink(out);
	assert_int_equal(ms_files_scan(&files, &n, a, NULL, NULL), -1);
	assert_non_null(strstr(ms_error_last(), "not a folder"));

	unlink(link);
	unlink(a);
	unlink(b);
	rmdir(sub);
	rmdir(dir);
	free(dir);
	free(sub);
	free(a);
	free(b);
	free(link);
	free(loop);
	free(out);
}

/* A part size S3 cannot take is refused before anything is read. */
/* S3's times: a listing's ISO 8601 and a header's HTTP date, to the second. */
static void test_dates(void **state)
{
	static const struct {
		const char *name, *text;
		double want;
	} cases[] = {
		{ "listing", "2026-11-29T02:40:07.000Z", 1795920007 },
		{ "listing with milliseconds", "2026-11-29T02:40:07.918Z",
		  1795920007 },
		{ "http date", "Sun, 29 Nov 2026 02:40:07 GMT", 1795920007 },
		{ "http date, one digit day", "Tue, 1 Dec 2026 00:00:00 GMT",
		  1796083200 },
		{ "unknown month", "Sun, 29 Nox 2026 02:40:07 GMT", -1 },
		{ "empty", "", -1 },
		{ "none", NULL, -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double got = ms_s3_date(cases[i].text);

		if (got != cases[i].want)
			fail_msg("%s: %.0f, want %.0f", cases[i].name, got,
				 cases[i].want);
	}
}

static void test_part_size_bounds(void **state)
{
	static const struct {
		const char *part_size, *error;
	} cases[] = {
		{ "1024", "part_size: 1024 is below S3's smallest part "
			  "(5242880 bytes)" },
		/* 1e300 was converted to an integer, which is undefined */
		{ "1e300", "part_size: more than S3's largest part "
			   "(5368709120 bytes)" },
		{ "5368709121", "part_size: more than S3's largest part "
				"(5368709120 bytes)" },
	};
	const struct ms_resource_type *t = ms_provider_find("aws_s3_objects");
	json_t *desired;
	char *text;
	size_t i;

	(void)state;
	assert_non_null(t);
	assert_non_null(t->local);
	for (i = 0; i < MS_ARRAY_SIZE(cases); i++) {
		text = ms_asprintf("{\"bucket\": \"b\", \"part_size\": %s}",
				   cases[i].part_size);
		desired = json_loads(text, 0, NULL);
		assert_non_null(desired);
		assert_int_equal(t->local("/nonexistent", desired, NULL), -1);
		assert_string_equal(ms_error_last(), cases[i].error);
		json_decref(desired);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_etags),
		cmocka_unit_test(test_entries_and_totals),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_part_size_bounds),
		cmocka_unit_test(test_dates),
	};

	return cmocka_run_group_tests_name("s3_local", tests, NULL, NULL);
}
