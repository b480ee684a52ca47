/*
 * lambda.c - the Lambda service layer.
 */
#include "util/common.h"
#include "providers/files.h"
#include "providers/lambda/lambda.h"

#include <errno.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <zip.h>

int ms_lambda_call(json_t **out, struct ms_aws_error *error, struct ms_aws *aws,
		   const char *operation, const char *method,
		   const char *version, const char *function,
		   const char *suffix, const char *query, const json_t *body)
{
	struct ms_buf path = MS_BUF_INIT;
	struct ms_aws_rest rest;
	int err;

	ms_buf_addf(&path, "/%s/functions", version);
	if (function) {
		ms_buf_addch(&path, '/');
		ms_aws_uri_encode(&path, function, strlen(function), 0);
		ms_buf_adds(&path, suffix ? suffix : "");
	}
	memset(&rest, 0, sizeof(rest));
	rest.service = "lambda";
	rest.operation = operation;
	rest.method = method;
	rest.path = path.ptr;
	rest.query = query;
	err = ms_aws_rest_json_call(out, error, aws, &rest, body);
	ms_buf_release(&path);
	return err;
}

/* 1980-01-01 00:00:00, the earliest time a zip holds, in MS-DOS form */
#define DOS_DATE ((0 << 9) | (1 << 5) | 1)
#define DOS_TIME 0

static int add_file(zip_t *z, const char *name, const char *path,
		    bool executable)
{
	zip_source_t *src = zip_source_file(z, path, 0, -1);
	zip_int64_t i;

	if (!src)
		return ms_error("zip: '%s': %s", path, zip_strerror(z));
	i = zip_file_add(z, name, src, ZIP_FL_ENC_UTF_8);
	if (i < 0) {
		zip_source_free(src);
		return ms_error("zip: '%s': %s", path, zip_strerror(z));
	}
	if (zip_file_set_dostime(z, (zip_uint64_t)i, DOS_TIME, DOS_DATE, 0) ||
	    zip_file_set_external_attributes(
		    z, (zip_uint64_t)i, 0, ZIP_OPSYS_UNIX,
		    (zip_uint32_t)(S_IFREG | (executable ? 0755 : 0644)) << 16))
		return ms_error("zip: '%s': %s", path, zip_strerror(z));
	return 0;
}

/* The bytes of a closed in-memory archive. */
static int source_bytes(struct ms_buf *out, zip_source_t *src)
{
	zip_stat_t st;
	char chunk[65536];
	zip_int64_t got;

	if (zip_source_stat(src, &st) || zip_source_open(src))
		return ms_error("zip: cannot read the archive back");
	while ((got = zip_source_read(src, chunk, sizeof(chunk))) > 0)
		ms_buf_add(out, chunk, (size_t)got);
	zip_source_close(src);
	return got < 0 ? ms_error("zip: cannot read the archive back") : 0;
}

int ms_lambda_zip(struct ms_buf *out, char sha256[45], const char *path)
{
	struct ms_file *files = NULL;
	struct stat st;
	zip_error_t zerr;
	zip_source_t *src;
	zip_t *z;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	const char *base;
	size_t i, n = 0;
	int err = 0;

	sha256[0] = '\0';
	if (stat(path, &st))
		return ms_error("source '%s': %s", path, strerror(errno));
	zip_error_init(&zerr);
	src = zip_source_buffer_create(NULL, 0, 0, &zerr);
	z = src ? zip_open_from_source(src, ZIP_TRUNCATE, &zerr) : NULL;
	if (!z) {
		zip_error_fini(&zerr);
		if (src)
			zip_source_free(src);
		return ms_error("zip: cannot make an archive");
	}
	zip_source_keep(src);
	if (S_ISDIR(st.st_mode)) {
		err = ms_files_scan(&files, &n, path, NULL, NULL);
		for (i = 0; !err && i < n; i++)
			err = add_file(z, files[i].key, files[i].path,
				       files[i].executable);
		ms_files_free(files, n);
		if (!err && !n)
			err = ms_error("source '%s': no files to package",
				       path);
	} else {
		base = strrchr(path, '/');
		err = add_file(z, base ? base + 1 : path, path,
			       (st.st_mode & 0111) != 0);
	}
	if (err) {
		zip_discard(z);
	} else if (zip_close(z)) {
		err = ms_error("zip: %s", zip_strerror(z));
		zip_discard(z);
	}
	if (!err)
		err = source_bytes(out, src);
	zip_source_free(src);
	zip_error_fini(&zerr);
	if (!err &&
	    (!EVP_Digest(out->ptr, out->len, md, &len, EVP_sha256(), NULL) ||
	     len != 32))
		err = ms_error("zip: SHA-256 is not available");
	if (!err)
		EVP_EncodeBlock((unsigned char *)sha256, md, 32);
	return err;
}

struct poll {
	struct ms_aws *aws;
	const char *function;
};

/* One GetFunction: "Active" once created and updated, else where it is. */
static int poll_function(struct ms_aws_wait_poll *out, void *payload)
{
	struct poll *p = payload;
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *answer = NULL, *c;
	const char *state, *update;
	int err;

	err = ms_lambda_call(&answer, &error, p->aws, "GetFunction", "GET",
			     "2015-03-31", p->function, "", NULL, NULL);
	if (err && error.code)
		out->error_code = ms_strdup(error.code);
	if (err && ms_aws_error_is(&error, "ResourceNotFoundException", NULL)) {
		ms_error_clear();
		err = 0; /* gone: status NULL */
	} else if (!err) {
		c = json_object_get(answer, "Configuration");
		state = ms_kit_str(c, "State", "Active");
		update = ms_kit_str(c, "LastUpdateStatus", "Successful");
		if (strcmp(state, "Active")) {
			out->status = ms_strdup(state);
			out->reason =
				ms_strdup(ms_kit_str(c, "StateReason", ""));
		} else if (strcmp(update, "Successful")) {
			out->status = ms_asprintf("Update%s", update);
			out->reason = ms_strdup(
				ms_kit_str(c, "LastUpdateStatusReason", ""));
		} else {
			out->status = ms_strdup("Active");
		}
	}
	ms_aws_error_release(&error);
	json_decref(answer);
	return err;
}

int ms_lambda_wait(struct ms_call *call, const char *function)
{
	static const char *const success[] = { "Active", NULL };
	static const char *const failure[] = { "Failed", "UpdateFailed", NULL };
	struct poll p = { call->aws, function };
	struct ms_aws_waiter w = { 0 };
	char what[300];

	snprintf(what, sizeof(what), "function '%s'", function);
	w.what = what;
	w.delay = 1;
	w.max_attempts = 300;
	w.success = success;
	w.failure = failure;
	w.gone = MS_AWS_WAIT_FAILURE;
	return ms_aws_wait(NULL, call, &w, poll_function, &p);
}

int ms_lambda_stack_owns(struct ms_call *call, const char *fn, bool *ours)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *answer = NULL;
	int err;

	*ours = false;
	err = ms_lambda_call(&answer, &error, call->aws, "GetFunction", "GET",
			     "2015-03-31", fn, "", NULL, NULL);
	if (!err)
		*ours = call->stack &&
			!strcmp(ms_kit_str(json_object_get(answer, "Tags"),
					   MS_OWNER_STACK_TAG, ""),
				call->stack);
	if (err && ms_aws_error_is(&error, "ResourceNotFoundException", NULL)) {
		ms_error_clear();
		err = 0;
	}
	ms_aws_error_release(&error);
	json_decref(answer);
	return err;
}

int ms_lambda_qualified(const json_t *attrs, const char *key, char **fn,
			char **qualifier)
{
	const char *f = ms_kit_str(attrs, "function_name", NULL);
	const char *q = ms_kit_str(attrs, key, NULL);
	const char *id = ms_kit_str(attrs, "qualified_name",
				    ms_kit_str(attrs, "id", NULL));
	const char *colon = id ? strrchr(id, ':') : NULL;

	*fn = *qualifier = NULL;
	if (f && q) {
		*fn = ms_strdup(f);
		*qualifier = ms_strdup(q);
		return 0;
	}
	if (!colon || colon == id || !colon[1])
		return ms_error("'%s' is not <function>:<%s>", id ? id : "",
				key);
	*fn = ms_strndup(id, (size_t)(colon - id));
	*qualifier = ms_strdup(colon + 1);
	return 0;
}
