/*
 * fuzz_expr.c - ${...} expressions: parsing, the reference list the graph
 * is built from, and evaluation against fixed values.
 *
 * The input is one string value as the stack loader hands it over (UTF-8,
 * no NUL), or, when it reads as JSON, a whole value whose strings are
 * evaluated where they stand. The resolver knows var.*, aws.*, stack.name,
 * data.ami, two resources (one of them still unknown) and answers file()
 * with its path instead of reading a file.
 */
#include "util/common.h"
#include "engine/expr.h"
#include "tests/fuzz/fuzz.h"

static json_t *values;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	values = json_loads(
		"{\"var\": {\"prefix\": \"dogbreeds\", \"count\": 3,"
		"  \"on\": true, \"none\": null, \"list\": [\"a\", 1, {}],"
		"  \"map\": {\"k\": \"v\", \"n\": 1.5, \"deep\": {\"x\": [1]}}},"
		" \"aws\": {\"region\": \"us-east-1\","
		"  \"account_id\": \"123456789012\"},"
		" \"stack\": {\"name\": \"t\"},"
		" \"data\": {\"ami\": {\"id\": \"ami-1\", \"tags\": {}}},"
		" \"store\": {\"arn\": \"arn:aws:s3:::b\", \"tags\": {\"a\": \"1\"},"
		"  \"list\": [[\"x\"], {\"y\": 2}]}}",
		0, NULL);
	if (!values)
		abort();
	return 0;
}

static int resolve(const char *root, const char *first, json_t **out,
		   void *payload)
{
	json_t *v;

	(void)payload;
	*out = NULL;
	if (!strcmp(root, "file()")) {
		*out = json_string(first);
		return 0;
	}
	if (!strcmp(root, "pending")) {
		*out = ms_unknown_new();
		return 0;
	}
	v = json_object_get(values, root);
	if (!v)
		return ms_error("no resource \"%s\"", root);
	v = json_object_get(v, first);
	if (!v)
		return ms_error("\"%s\" has no \"%s\"", root, first);
	*out = json_incref(v);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	json_t *value = NULL, *refs = NULL, *out = NULL;
	struct ms_buf b = MS_BUF_INIT;

	if (size && (s[0] == '{' || s[0] == '['))
		value = json_loadb(s, size, 0, NULL);
	if (!value && !memchr(s, '\0', size))
		value = json_stringn(s, size); /* NULL: not UTF-8 */
	if (!value)
		return 0;
	if (json_is_string(value)) {
		ms_expr_is_ref(json_string_value(value));
		ms_expr_has_ref(json_string_value(value));
	}
	ms_expr_refs(value, &refs);
	if (!ms_expr_eval(&out, value, resolve, NULL)) {
		ms_has_unknown(out);
		ms_expr_kind(out);
		ms_expr_text(&b, out);
	}
	ms_buf_release(&b);
	json_decref(out);
	json_decref(refs);
	json_decref(value);
	ms_error_clear();
	return 0;
}
