/*
 * test_file.c - reading a file the user named (util/file.c and
 * ms_json_load_file): each way a path can be wrong, with the exact
 * message a user would see, a whole file and one cut at a limit, and
 * jansson's error positions made 1-based.
 */
#include "util/common.h"
#include "util/file.h"
#include "util/json.h"

#include <setjmp.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

static char tmpdir[256];

static const char *const tmp_files[] = {
	"empty.json", "blank.json", "bad.json", "truncated.json",
	"plan.json",  "list.json",
};

static char *path_in(const char *name)
{
	return ms_asprintf("%s/%s", tmpdir, name);
}

static void write_file(const char *name, const char *text)
{
	char *p = path_in(name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static int setup(void **state)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/mlstack-test-file-XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir))
		return -1;
	write_file("empty.json", "");
	write_file("blank.json", " \n\t\n");
	write_file("bad.json", "{\n  \"a\" 1\n}\n");
	write_file("truncated.json", "{\"a\":\n");
	write_file("plan.json", "{\"changes\": []}\n");
	write_file("list.json", "[1, 2]");
	return 0;
}

static int teardown(void **state)
{
	size_t i;
	char *p;

	for (i = 0; i < MS_ARRAY_SIZE(tmp_files); i++) {
		p = path_in(tmp_files[i]);
		unlink(p);
		free(p);
	}
	rmdir(tmpdir);
	return 0;
}

struct load_case {
	const char *name;
	const char *file;  /* in tmpdir; "" is tmpdir itself */
	int rc;            /* what ms_json_load_file returns */
	const char *error; /* after "\"PATH\": "; NULL: loaded */
};

static const struct load_case load_cases[] = {
	{ "a JSON file", "plan.json", 0, NULL },
	{ "any document", "list.json", 0, NULL },
	{ "no such file", "missing.json", MS_ENOTFOUND,
	  "no such file or directory" },
	{ "a directory", "", -1, "is a directory" },
	{ "empty", "empty.json", -1, "the file is empty" },
	{ "only blanks", "blank.json", -1, "the file is empty" },
	{ "bad token", "bad.json", -1,
	  "not JSON at line 2, column 7: ':' expected near '1'" },
	/* jansson says column 0 at the start of a line */
	{ "cut short", "truncated.json", -1,
	  "not JSON at line 2, column 1: unexpected token near end of file" },
};

static void test_json_load_file(void **state)
{
	const struct load_case *c;
	json_t *v;
	char *path, *want;
	size_t i;

	for (i = 0; i < MS_ARRAY_SIZE(load_cases); i++) {
		c = &load_cases[i];
		path = *c->file ? path_in(c->file) : ms_strdup(tmpdir);
		v = (json_t *)&v;
		if (ms_json_load_file(&v, path, 0) != c->rc)
			fail_msg("%s: want %d, got \"%s\"", c->name, c->rc,
				 ms_error_last());
		if (!c->error) {
			assert_non_null(v);
			json_decref(v);
		} else {
			assert_null(v);
			want = ms_asprintf("\"%s\": %s", path, c->error);
			if (strcmp(ms_error_last(), want))
				fail_msg("%s: got \"%s\"\nwant \"%s\"", c->name,
					 ms_error_last(), want);
			free(want);
		}
		free(path);
	}
}

/* fopen(3) opens a directory; ms_file_open refuses it before any read. */
static void test_file_open(void **state)
{
	char *file = path_in("plan.json"), *want;
	FILE *f = (FILE *)&f;

	assert_int_equal(ms_file_open(&f, tmpdir), -1);
	assert_null(f);
	want = ms_asprintf("\"%s\": is a directory", tmpdir);
	assert_string_equal(ms_error_last(), want);
	free(want);

	assert_int_equal(ms_file_open(&f, file), 0);
	assert_non_null(f);
	assert_int_equal(fgetc(f), '{');
	fclose(f);
	free(file);

	assert_int_equal(ms_file_error("x.yaml", EACCES), -1);
	assert_string_equal(ms_error_last(), "\"x.yaml\": permission denied");
	assert_int_equal(ms_file_error("x.yaml", ENOENT), MS_ENOTFOUND);
}

/* The whole text, appended; past max, max + 1 bytes and no error. */
static void test_file_read(void **state)
{
	struct ms_buf b = MS_BUF_INIT;
	char *file = path_in("plan.json"), *want;
	const char *text = "{\"changes\": []}\n";
	size_t n = strlen(text);

	ms_buf_adds(&b, ">");
	assert_int_equal(ms_file_read(&b, file, 0), 0);
	assert_int_equal(b.len, n + 1);
	assert_string_equal(b.ptr + 1, text);

	/* at the limit it is whole; under it, read to a byte past it */
	ms_buf_reset(&b);
	assert_int_equal(ms_file_read(&b, file, n), 0);
	assert_string_equal(b.ptr, text);
	ms_buf_reset(&b);
	assert_int_equal(ms_file_read(&b, file, 4), 0);
	assert_string_equal(b.ptr, "{\"cha");

	/* an empty file, and one whose size stat does not know */
	ms_buf_reset(&b);
	free(file);
	file = path_in("empty.json");
	assert_int_equal(ms_file_read(&b, file, 0), 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.ptr, "");
	assert_int_equal(ms_file_read(&b, "/proc/self/stat", 0), 0);
	assert_true(b.len > 0 && strlen(b.ptr) == b.len);
	ms_buf_release(&b);

	/* what is wrong with the path, in ms_file_open's words */
	assert_int_equal(ms_file_read(&b, tmpdir, 0), -1);
	want = ms_asprintf("\"%s\": is a directory", tmpdir);
	assert_string_equal(ms_error_last(), want);
	assert_int_equal(b.len, 0);
	free(want);
	free(file);
	file = path_in("missing.json");
	assert_int_equal(ms_file_read(&b, file, 0), MS_ENOTFOUND);
	want = ms_asprintf("\"%s\": no such file or directory", file);
	assert_string_equal(ms_error_last(), want);
	free(want);
	free(file);
	ms_buf_release(&b);
}

static void test_json_error_mark(void **state)
{
	static const struct {
		const char *text;
		int line, col;
	} cases[] = {
		{ "", 1, 1 },            /* nothing read: column 0 */
		{ "x", 1, 1 },           /* the first character */
		{ "{\"a\" 1}", 1, 6 },   /* the token it stopped at */
		{ "{\n\"a\":\n", 3, 1 }, /* after the last newline */
	};
	json_error_t jerr;
	json_t *v;
	int line, col;
	size_t i;

	for (i = 0; i < MS_ARRAY_SIZE(cases); i++) {
		v = json_loads(cases[i].text, 0, &jerr);
		assert_null(v);
		ms_json_error_mark(&jerr, &line, &col);
		if (line != cases[i].line || col != cases[i].col)
			fail_msg("\"%s\": got %d:%d, want %d:%d", cases[i].text,
				 line, col, cases[i].line, cases[i].col);
	}
	memset(&jerr, 0, sizeof(jerr));
	jerr.line = jerr.column = -1; /* what jansson says when it cannot open */
	ms_json_error_mark(&jerr, &line, &col);
	assert_int_equal(line, 1);
	assert_int_equal(col, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_load_file),
		cmocka_unit_test(test_file_open),
		cmocka_unit_test(test_file_read),
		cmocka_unit_test(test_json_error_mark),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
