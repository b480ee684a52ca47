/*
 * function.c - aws_lambda_function: a Lambda function, its code (a local
 * folder or file zipped by mlstack, or an object in S3), its settings,
 * and its latest published version.
 *
 * The zip is made the same way everywhere (providers/lambda/lambda.h), so
 * the plan compares its SHA-256 with Lambda's CodeSha256: the same
 * sources plan no change on any machine. Lambda applies creates and
 * updates asynchronously: each is followed by a wait until the function
 * is Active and its last update Successful. With publish, a change of
 * code or settings publishes a new version, unknown in the plan.
 */
#include "util/common.h"
#include "providers/files.h"
#include "providers/provider.h"
#include "providers/lambda/lambda.h"

#include <openssl/evp.h>

#define API             "2015-03-31"
#define TAGS_API        "2017-03-31"
#define ROLE_PROPAGATES 60.0 /* seconds a new role may take for Lambda */

static const struct ms_attr schema[] = {
	{ "function_name", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW,
	  NULL, NULL, "the function's name", "FunctionName" },
	{ "role", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_ARN, NULL, NULL,
	  "the ARN of the role it runs as", "Role" },
	{ "runtime", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "python3.12, nodejs20.x ...", "Runtime" },
	{ "handler", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the entry point (\"handler.lambda_handler\")", "Handler" },
	{ "source", MS_ATTR_STRING, MS_ATTR_INPUT, NULL, NULL,
	  "its code: a folder or a file, relative to the stack file" },
	{ "s3_bucket", MS_ATTR_STRING, 0, NULL, NULL,
	  "or its code as a zip in S3: the bucket" },
	{ "s3_key", MS_ATTR_STRING, 0, NULL, NULL, "and the key" },
	{ "environment", MS_ATTR_MAP, MS_ATTR_SENSITIVE, "{}", NULL,
	  "environment variables (sensitive: never printed)",
	  "Environment.Variables" },
	{ "memory_size", MS_ATTR_NUMBER, 0, "128", NULL,
	  "memory in MB (128 to 10240)", "MemorySize" },
	{ "timeout", MS_ATTR_NUMBER, 0, "3", NULL,
	  "seconds an invocation may run (1 to 900)", "Timeout" },
	{ "architectures", MS_ATTR_LIST, 0, "[\"x86_64\"]", NULL,
	  "x86_64 or arm64", "Architectures" },
	{ "description", MS_ATTR_STRING, 0, "\"\"", NULL, "a description",
	  "Description" },
	{ "publish", MS_ATTR_BOOL, 0, "false", NULL,
	  "publish a version for each change of code or settings" },
	{ "tags", MS_ATTR_MAP, MS_ATTR_TAGS, "{}", NULL,
	  "tags (with the stack's default tags and its owner mark)", "Tags|" },
	{ "code_sha256", MS_ATTR_STRING, MS_ATTR_COMPUTED | MS_ATTR_LOCAL, NULL,
	  NULL, "base64 SHA-256 of the zip (known in the plan)",
	  "|CodeSha256" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN",
	  "|FunctionArn" },
	{ "invoke_arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the ARN API Gateway invokes it by" },
	{ "version", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the latest published version ($LATEST when none)" },
	{ "qualified_arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the ARN of that version" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the function's name" },
	{ NULL },
};

static const char *const settings[] = {
	"role",        "runtime",     "handler", "environment",
	"memory_size", "description", "timeout",
};

static int function_local(const char *dir, json_t *desired,
			  const json_t *stored)
{
	struct ms_buf zip = MS_BUF_INIT;
	char sha[45], *path = ms_files_path(dir, desired, "source", NULL);
	int err = 0;

	/* (s3_bucket may not be known yet: create checks that one is given) */
	if (path && ms_kit_str(desired, "s3_bucket", NULL))
		err = ms_error("give the code as source (a folder or a file) "
			       "or as s3_bucket and s3_key, not both");
	else if (path)
		err = ms_lambda_zip(&zip, sha, path);
	if (!err && path)
		json_object_set_new(desired, "code_sha256", json_string(sha));
	ms_buf_release(&zip);
	free(path);
	return err;
}

/* Code as CreateFunction and UpdateFunctionCode take it, into body. */
static int code_fields(json_t *body, struct ms_call *call,
		       const json_t *desired)
{
	struct ms_buf zip = MS_BUF_INIT;
	char sha[45], *path = ms_files_path(call->dir, desired, "source", NULL),
		      *b64;
	int err = 0;

	if (!path && !ms_kit_str(desired, "s3_bucket", NULL))
		return ms_error("give the code as source (a folder or a file) "
				"or as s3_bucket and s3_key");
	if (!path) {
		json_object_set(body, "S3Bucket",
				json_object_get(desired, "s3_bucket"));
		json_object_set(body, "S3Key",
				json_object_get(desired, "s3_key"));
		return 0;
	}
	err = ms_lambda_zip(&zip, sha, path);
	if (!err && strcmp(sha, ms_kit_str(desired, "code_sha256", sha)))
		err = ms_error("'%s' changed since the plan; plan again", path);
	if (!err) {
		b64 = ms_malloc(4 * (zip.len / 3 + 1) + 1);
		EVP_EncodeBlock((unsigned char *)b64,
				(const unsigned char *)zip.ptr, (int)zip.len);
		json_object_set_new(body, "ZipFile", json_string(b64));
		free(b64);
	}
	ms_buf_release(&zip);
	free(path);
	return err;
}

/* The latest published version, or "$LATEST". */
static int latest_version(char **out, struct ms_call *call, const char *fn)
{
	json_t *answer = NULL, *v;
	char *marker = NULL, *query;
	long best = 0, n;
	size_t i;
	int err = 0;

	do {
		struct ms_buf q = MS_BUF_INIT;

		ms_buf_adds(&q, "MaxItems=50");
		if (marker) {
			ms_buf_adds(&q, "&Marker=");
			ms_aws_uri_encode(&q, marker, strlen(marker), 0);
		}
		query = ms_buf_detach(&q, NULL);
		free(marker);
		marker = NULL;
		err = ms_lambda_call(&answer, NULL, call->aws,
				     "ListVersionsByFunction", "GET", API, fn,
				     "/versions", query, NULL);
		free(query);
		json_array_foreach(
			err ? NULL : json_object_get(answer, "Versions"), i, v)
			if (!ms_parse_uint(ms_kit_str(v, "Version", ""), &n) &&
			    n > best)
				best = n;
		if (!err && ms_kit_str(answer, "NextMarker", NULL))
			marker =
				ms_strdup(ms_kit_str(answer, "NextMarker", ""));
		json_decref(answer);
		answer = NULL;
	} while (!err && marker);
	*out = best ? ms_asprintf("%ld", best) : ms_strdup("$LATEST");
	return err;
}

/*
 * *out = the attributes of the function whose configuration is c (as
 * GetFunction and ListFunctions give it), with tags and its latest
 * published version.
 */
static int function_attrs(json_t **out, struct ms_call *call, const json_t *c,
			  const json_t *tags, const char *version)
{
	const char *arn = ms_kit_str(c, "FunctionArn", "");
	char *s;
	int err = ms_kit_attrs(out, call->type, c, tags);

	if (err)
		return err;
	/* no variables: Lambda leaves Environment out */
	if (!json_object_get(*out, "environment"))
		json_object_set_new(*out, "environment", json_object());
	json_object_set_new(*out, "version", json_string(version));
	s = ms_asprintf("%s:%s", arn, version);
	json_object_set_new(*out, "qualified_arn", json_string(s));
	free(s);
	s = ms_asprintf("arn:aws:apigateway:%s:lambda:path/%s/functions/%s/"
			"invocations",
			ms_provider_session_region(call->aws), API, arn);
	json_object_set_new(*out, "invoke_arn", json_string(s));
	free(s);
	return 0;
}

/* The live attributes of function fn, or NULL when it does not exist. */
static int read_function(json_t **out, struct ms_call *call, const char *fn)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *answer = NULL;
	char *version = NULL;
	int err;

	*out = NULL;
	err = ms_lambda_call(&answer, &error, call->aws, "GetFunction", "GET",
			     API, fn, "", NULL, NULL);
	if (err && ms_aws_error_is(&error, "ResourceNotFoundException", NULL)) {
		ms_error_clear();
		err = 0;
		goto done;
	}
	if (!err)
		err = latest_version(&version, call, fn);
	if (!err)
		err = function_attrs(out, call,
				     json_object_get(answer, "Configuration"),
				     json_object_get(answer, "Tags"), version);
done:
	if (err) {
		json_decref(*out);
		*out = NULL;
	}
	ms_aws_error_release(&error);
	json_decref(answer);
	free(version);
	return err;
}

/* What the stack said of the code (Lambda keeps only its hash), kept. */
static void keep_prior(json_t *live, const json_t *prior)
{
	json_object_set(live, "source", json_object_get(prior, "source"));
	json_object_set(live, "s3_bucket", json_object_get(prior, "s3_bucket"));
	json_object_set(live, "s3_key", json_object_get(prior, "s3_key"));
	json_object_set(live, "publish",
			json_is_boolean(json_object_get(prior, "publish")) ?
				json_object_get(prior, "publish") :
				json_false());
}

static int function_read(struct ms_call *call, const json_t *prior,
			 json_t **out)
{
	int err;

	*out = NULL;
	err = read_function(out, call, ms_kit_name(call, prior));
	if (!err && *out)
		keep_prior(*out, prior);
	return err;
}

/*
 * A $LATEST that ListFunctions lists with every version, as GetFunction
 * gives it: its ARN without the ":$LATEST" a version's ARN carries.
 */
static json_t *unqualified(const json_t *f)
{
	const char *arn = ms_kit_str(f, "FunctionArn", "");
	size_t n = strlen(arn), k = strlen(":$LATEST");
	json_t *c = json_copy((json_t *)f);

	if (n > k && !strcmp(arn + n - k, ":$LATEST"))
		json_object_set_new(c, "FunctionArn", json_stringn(arn, n - k));
	return c;
}

/*
 * Every function and version ListFunctions (FunctionVersion=ALL) lists,
 * 50 a page, up to the call's list_pages (*cut: pages were left): *out
 * maps a function's name to {"config": its $LATEST, "version": its
 * highest published version, or "$LATEST"}.
 */
static int list_functions(json_t **out, bool *cut, struct ms_call *call)
{
	json_t *answer = NULL, *f, *e;
	char *marker = NULL, *query;
	const char *name, *v;
	long n, best;
	size_t i, pages = 0;
	int err = 0;

	*out = json_object();
	do {
		struct ms_buf q = MS_BUF_INIT;

		ms_buf_addf(&q, "FunctionVersion=ALL&MaxItems=%d",
			    ms_kit_page_size(50));
		if (marker) {
			ms_buf_adds(&q, "&Marker=");
			ms_aws_uri_encode(&q, marker, strlen(marker), 0);
		}
		query = ms_buf_detach(&q, NULL);
		err = ms_lambda_call(&answer, NULL, call->aws, "ListFunctions",
				     "GET", API, NULL, "", query, NULL);
		free(query);
		json_array_foreach(err ? NULL :
					 json_object_get(answer, "Functions"),
				   i, f) {
			name = ms_kit_str(f, "FunctionName", "");
			if (!(e = json_object_get(*out, name))) {
				e = json_pack("{s:s}", "version", "$LATEST");
				json_object_set_new(*out, name, e);
			}
			v = ms_kit_str(f, "Version", "");
			if (!strcmp(v, "$LATEST"))
				json_object_set_new(e, "config",
						    unqualified(f));
			else if (!ms_parse_uint(v, &n) &&
				 (ms_parse_uint(ms_kit_str(e, "version", ""),
						&best) ||
				  n > best))
				json_object_set_new(e, "version",
						    json_string(v));
		}
		v = err ? NULL : ms_kit_str(answer, "NextMarker", NULL);
		if (v && marker && !strcmp(v, marker))
			err = ms_error("ListFunctions: the same NextMarker "
				       "twice");
		free(marker);
		marker = v && *v && !err ? ms_strdup(v) : NULL;
		json_decref(answer);
		answer = NULL;
	} while (!err && marker && ++pages != call->list_pages);
	*cut = marker != NULL;
	free(marker);
	if (err) {
		json_decref(*out);
		*out = NULL;
	}
	return err;
}

/*
 * A refresh of many functions: ListFunctions (above) gives each one's
 * configuration as GetFunction does (every setting the state records,
 * and CodeSha256) and its published versions; the tagging API's
 * GetResources (lambda:function) its tags. The tagging API may lag
 * behind an apply: a function whose tags there are not the recorded
 * ones (or that it does not show while the state recorded some) is read
 * alone, as one not listed (docs/refresh.md).
 */
static int function_read_many(struct ms_call *call, const json_t *priors,
			      json_t **out)
{
	json_t *listed = NULL, *tagged = NULL, *prior, *e, *c, *tags, *live;
	const char *name, *fn;
	bool cut = false, tags_cut = false;
	int err;

	*out = NULL;
	err = list_functions(&listed, &cut, call);
	if (!err && !cut)
		err = ms_kit_tagged(&tagged, call->aws, "lambda:function",
				    call->list_pages, &tags_cut);
	if (err)
		goto done;
	*out = json_object();
	/*
	 * A list cut short may have shown a function's $LATEST and not all
	 * its versions, which need not come together: nothing is settled.
	 */
	json_object_foreach(cut ? NULL : (json_t *)priors, name, prior) {
		fn = ms_kit_name(call, prior);
		e = json_object_get(listed, fn ? fn : "");
		c = json_object_get(e, "config");
		if (!c)
			continue;
		tags = json_object_get(tagged,
				       ms_kit_str(c, "FunctionArn", ""));
		if (tags ? !json_equal(tags, json_object_get(prior, "tags")) :
			   tags_cut || json_object_size(
					       json_object_get(prior, "tags")))
			continue;
		live = NULL;
		if ((err = function_attrs(&live, call, c, tags,
					  ms_kit_str(e, "version", ""))))
			break;
		keep_prior(live, prior);
		json_object_set_new(*out, name, live);
	}
done:
	if (err) {
		json_decref(*out);
		*out = NULL;
	}
	json_decref(listed);
	json_decref(tagged);
	return err;
}

static int tags_update(struct ms_call *call, const char *arn,
		       const json_t *have, const json_t *want)
{
	struct ms_buf q = MS_BUF_INIT;
	json_t *body, *v;
	const char *key;
	int err = 0;

	json_object_foreach((json_t *)have, key, v)
		if (!json_object_get(want, key)) {
			ms_buf_addf(&q, "%stagKeys=", q.len ? "&" : "");
			ms_aws_uri_encode(&q, key, strlen(key), 0);
		}
	if (q.len) {
		struct ms_aws_rest rest = { "lambda", "UntagResource", "DELETE",
					    NULL, q.ptr };
		struct ms_buf path = MS_BUF_INIT;

		ms_buf_addf(&path, "/%s/tags/", TAGS_API);
		ms_aws_uri_encode(&path, arn, strlen(arn), 0);
		rest.path = path.ptr;
		err = ms_aws_rest_json_call(NULL, NULL, call->aws, &rest, NULL);
		ms_buf_release(&path);
	}
	if (!err && json_object_size(want) && !json_equal(have, want)) {
		struct ms_aws_rest rest = { "lambda", "TagResource", "POST",
					    NULL, NULL };
		struct ms_buf path = MS_BUF_INIT;

		ms_buf_addf(&path, "/%s/tags/", TAGS_API);
		ms_aws_uri_encode(&path, arn, strlen(arn), 0);
		rest.path = path.ptr;
		body = json_pack("{s:O}", "Tags", want);
		err = ms_aws_rest_json_call(NULL, NULL, call->aws, &rest, body);
		json_decref(body);
		ms_buf_release(&path);
	}
	ms_buf_release(&q);
	return err;
}

/*
 * An update, PublishVersion: Lambda refuses one while an earlier update
 * is in progress (ResourceConflictException), an earlier attempt of this
 * very call among them when its answer was lost. Wait for the function,
 * and try again.
 */
static int update_call(struct ms_call *call, const char *operation,
		       const char *method, const char *fn, const char *suffix,
		       const json_t *body)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *answer = NULL;
	int err, tries;

	for (tries = 0;; tries++) {
		err = ms_lambda_call(&answer, &error, call->aws, operation,
				     method, API, fn, suffix, NULL, body);
		json_decref(answer);
		answer = NULL;
		if (!err || tries == 5 ||
		    !ms_aws_error_is(&error, "ResourceConflictException", NULL))
			break;
		ms_error_clear();
		err = ms_lambda_wait(call, fn);
		if (err)
			break;
	}
	ms_aws_error_release(&error);
	return err ? err : ms_lambda_wait(call, fn);
}

/* Tags as Lambda takes them: a map, as it is. */
static json_t *tags_map(const json_t *map)
{
	return json_deep_copy(map);
}

static int publish(struct ms_call *call, const char *fn)
{
	return update_call(call, "PublishVersion", "POST", fn, "/versions",
			   NULL);
}

static bool differs(const json_t *have, const json_t *want, const char *attr)
{
	json_t *a = json_object_get(have, attr),
	       *b = json_object_get(want, attr);

	return (a || b) && !json_equal(a, b);
}

/* Bring the function from have to want: code, settings, tags, version. */
static int apply_changes(struct ms_call *call, const char *fn,
			 const json_t *have, const json_t *want, json_t **out)
{
	json_t *body, *all = NULL, *changed = NULL;
	bool code, config = false;
	size_t i;
	int err = 0;

	*out = NULL;
	code = differs(have, want, "code_sha256") ||
	       differs(have, want, "s3_bucket") ||
	       differs(have, want, "s3_key") ||
	       differs(have, want, "architectures");
	if (code) {
		body = json_pack("{s:O?}", "Architectures",
				 json_object_get(want, "architectures"));
		err = code_fields(body, call, want);
		if (!err)
			err = update_call(call, "UpdateFunctionCode", "PUT", fn,
					  "/code", body);
		json_decref(body);
	}
	for (i = 0; i < MS_ARRAY_SIZE(settings); i++)
		if (differs(have, want, settings[i]))
			config = true;
	if (!err && config) {
		err = ms_kit_request(&all, call->type->schema, want, NULL);
		if (!err) {
			/* every setting: an empty environment clears it */
			body = json_pack(
				"{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, "
				"s:{s:O}}",
				"Role", json_object_get(all, "Role"), "Runtime",
				json_object_get(all, "Runtime"), "Handler",
				json_object_get(all, "Handler"), "MemorySize",
				json_object_get(all, "MemorySize"), "Timeout",
				json_object_get(all, "Timeout"), "Description",
				json_object_get(want, "description"),
				"Environment", "Variables",
				json_object_get(want, "environment") ?
					json_object_get(want, "environment") :
					json_object());
			err = update_call(call, "UpdateFunctionConfiguration",
					  "PUT", fn, "/configuration", body);
			json_decref(body);
		}
	}
	if (!err && json_is_true(json_object_get(want, "publish")) &&
	    (code || config ||
	     !strcmp(ms_kit_str(have, "version", "$LATEST"), "$LATEST")))
		err = publish(call, fn);
	if (!err)
		err = tags_update(call, ms_kit_str(have, "arn", ""),
				  json_object_get(have, "tags"),
				  json_object_get(want, "tags"));
	if (!err)
		err = read_function(out, call, fn);
	if (!err && !*out)
		err = ms_error("function '%s' vanished while it was updated",
			       fn);
	if (!err) {
		json_object_set(*out, "source",
				json_object_get(want, "source"));
		json_object_set(*out, "s3_bucket",
				json_object_get(want, "s3_bucket"));
		json_object_set(*out, "s3_key",
				json_object_get(want, "s3_key"));
		json_object_set(*out, "publish",
				json_object_get(want, "publish"));
	}
	json_decref(all);
	json_decref(changed);
	return err;
}

/*
 * CreateFunction, retried while IAM has not yet told Lambda of a new
 * role. A name taken is adopted only when the function carries this
 * stack's owner mark.
 */
static int function_create(struct ms_call *call, const json_t *desired,
			   json_t **out)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	const char *fn = ms_kit_str(desired, "function_name", "");
	json_t *body = NULL, *code = json_object(), *answer = NULL;
	json_t *have = NULL;
	double until = ms_now() + ROLE_PROPAGATES;
	char what[300];
	int err;

	*out = NULL;
	err = ms_kit_request(&body, call->type->schema, desired, tags_map);
	if (!err)
		err = code_fields(code, call, desired);
	if (!err) {
		json_object_set(body, "Code", code);
		json_object_set(body, "Publish",
				json_object_get(desired, "publish"));
	}
	while (!err) {
		err = ms_lambda_call(&answer, &error, call->aws,
				     "CreateFunction", "POST", API, NULL, NULL,
				     NULL, body);
		if (!err ||
		    !ms_aws_error_is(&error, "InvalidParameterValueException",
				     "cannot be assumed") ||
		    ms_now() > until)
			break;
		ms_call_progress(call, "waiting for IAM to give Lambda the "
				       "role");
		ms_sleep(2);
		err = 0;
	}
	if (!err) {
		err = ms_lambda_wait(call, fn);
		if (!err)
			err = read_function(out, call, fn);
		if (!err && *out) {
			json_object_set(*out, "source",
					json_object_get(desired, "source"));
			json_object_set(*out, "s3_bucket",
					json_object_get(desired, "s3_bucket"));
			json_object_set(*out, "s3_key",
					json_object_get(desired, "s3_key"));
			json_object_set(*out, "publish",
					json_object_get(desired, "publish"));
		}
	} else if (ms_aws_error_is(&error, "ResourceConflictException", NULL)) {
		ms_error_clear();
		err = read_function(&have, call, fn);
		snprintf(what, sizeof(what), "function '%s'", fn);
		if (!err &&
		    (!have ||
		     !ms_call_owns(call, json_object_get(have, "tags"))))
			err = ms_call_taken(call, what, fn);
		if (!err)
			err = apply_changes(call, fn, have, desired, out);
	}
	ms_aws_error_release(&error);
	json_decref(body);
	json_decref(code);
	json_decref(answer);
	json_decref(have);
	return err;
}

static int function_update(struct ms_call *call, const json_t *prior,
			   const json_t *desired, json_t **out)
{
	return apply_changes(call, ms_kit_name(call, prior), prior, desired,
			     out);
}

static int function_delete(struct ms_call *call, const json_t *prior)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	int err = ms_lambda_call(NULL, &error, call->aws, "DeleteFunction",
				 "DELETE", API, ms_kit_name(call, prior), "",
				 NULL, NULL);

	if (err && ms_aws_error_is(&error, "ResourceNotFoundException", NULL)) {
		ms_error_clear();
		err = 0;
	}
	ms_aws_error_release(&error);
	return err;
}

static int function_normalize(json_t *attrs)
{
	int err = ms_kit_check_number(attrs, "memory_size", "memory_size", 128,
				      10240, true);

	if (!err)
		err = ms_kit_check_number(attrs, "timeout", "timeout", 1, 900,
					  true);
	ms_kit_strings(json_object_get(attrs, "environment"));
	ms_kit_strings(json_object_get(attrs, "tags"));
	return err;
}

/* A change of code or settings, with publish, is a new version. */
static json_t *function_renewed(const json_t *after, const json_t *changed)
{
	json_t *v;
	size_t i;

	if (!json_is_true(json_object_get(after, "publish")))
		return NULL;
	json_array_foreach(changed, i, v)
		if (strcmp(json_string_value(v), "tags"))
			return json_pack("[s, s]", "version", "qualified_arn");
	return NULL;
}

/*
 * Terraform: the variables in an environment block; and what mlstack
 * never sets, as Terraform writes it unset (no reserved concurrency, the
 * environment encrypted with Lambda's own key, code from a zip).
 */
static const struct ms_tf_attr tf_attrs[] = {
	{ "environment", NULL, MS_TF_WRAP, "variables" },
	{ "reserved_concurrent_executions", NULL, MS_TF_VALUE, "-1" },
	{ "kms_key_arn", NULL, MS_TF_VALUE, "null" },
	{ "package_type", NULL, MS_TF_VALUE, "\"Zip\"" },
	{ NULL },
};

static const struct ms_tf_type tf = { .attrs = tf_attrs };

const struct ms_resource_type ms_aws_lambda_function = {
	.name = "aws_lambda_function",
	.schema = schema,
	.id_attr = "function_name",
	.name_min = 1,
	.name_max = 64,
	.name_chars = "a-zA-Z0-9_-",
	.read = function_read,
	.read_many = function_read_many,
	.create = function_create,
	.update = function_update,
	.delete = function_delete,
	.normalize = function_normalize,
	.local = function_local,
	.renewed = function_renewed,
	.terraform = &tf,
	/*
	 * free while idle: requests and their duration are not priced
	 * (docs/cost.md)
	 */
	.cost = ms_cost_free,
};
