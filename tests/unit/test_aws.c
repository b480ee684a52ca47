/*
 * test_aws.c - the AWS client's decisions, without a network: where
 * credentials, regions and endpoints come from, how Query requests are
 * encoded, what each protocol's error answer says, when to retry and how
 * long to wait, and the XML path helpers.
 *
 * Every test starts from an environment with no AWS_* variable and HOME
 * pointing at an empty temporary directory, so nothing on the machine
 * running the tests leaks in.
 */
#include "util/common.h"
#include "providers/aws/internal.h"

#include <setjmp.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

static char tmpdir[256];

static const char *const aws_vars[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
	"AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_REGION",
	"AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
	"AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS",
	"AWS_ENDPOINT_URL_SAGEMAKER",
	"AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING",
	"AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL_EC2",
	"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_MAX_ATTEMPTS",
	"AWS_CA_BUNDLE", "MLSTACK_RETRY_BASE",
};

static char *path_in(const char *name)
{
	return ms_asprintf("%s/%s", tmpdir, name);
}

static void write_file(const char *name, const char *text, int mode)
{
	char *p = path_in(name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(p, (mode_t)mode);
	free(p);
}

static void remove_file(const char *name)
{
	char *p = path_in(name);

	unlink(p);
	free(p);
}

static const char *const tmp_files[] = {
	"credentials", "config", "proc.sh", ".aws/credentials",
	".aws/config",
};

static int setup(void **state)
{
	const char *base = getenv("TMPDIR");
	size_t i;

	for (i = 0; i < MS_ARRAY_SIZE(aws_vars); i++)
		unsetenv(aws_vars[i]);
	snprintf(tmpdir, sizeof(tmpdir), "%s/mlstack-test-aws-XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir))
		return -1;
	setenv("HOME", tmpdir, 1);
	return 0;
}

static int teardown(void **state)
{
	char *aws_dir = path_in(".aws");
	size_t i;

	for (i = 0; i < MS_ARRAY_SIZE(tmp_files); i++)
		remove_file(tmp_files[i]);
	rmdir(aws_dir);
	free(aws_dir);
	rmdir(tmpdir);
	return 0;
}

static void use_files(void)
{
	char *c = path_in("credentials"), *g = path_in("config");

	setenv("AWS_SHARED_CREDENTIALS_FILE", c, 1);
	setenv("AWS_CONFIG_FILE", g, 1);
	free(c);
	free(g);
}

/* ---- credentials ---- */

static void creds_from_environment(void **state)
{
	struct ms_aws_credentials c;

	setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	setenv("AWS_SESSION_TOKEN", "envtoken", 1);
	/* the environment wins over any profile */
	use_files();
	write_file("credentials",
		   "[default]\naws_access_key_id=AKIAFILE\n"
		   "aws_secret_access_key=filesecret\n",
		   0600);
	assert_int_equal(ms_aws_credentials_resolve(&c), 0);
	assert_string_equal(c.access_key_id, "AKIAENV");
	assert_string_equal(c.secret_access_key, "envsecret");
	assert_string_equal(c.session_token, "envtoken");
	assert_string_equal(c.source, "environment");
	ms_aws_credentials_release(&c);
	assert_null(c.access_key_id);
	assert_null(c.secret_access_key);

	unsetenv("AWS_SESSION_TOKEN");
	assert_int_equal(ms_aws_credentials_resolve(&c), 0);
	assert_null(c.session_token);
	ms_aws_credentials_release(&c);
}

static void creds_environment_incomplete(void **state)
{
	struct ms_aws_credentials c;

	setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
	assert_int_equal(ms_aws_credentials_resolve(&c), -1);
	assert_string_equal(ms_error_last(),
			    "AWS credentials in the environment are "
			    "incomplete: AWS_ACCESS_KEY_ID is set but "
			    "AWS_SECRET_ACCESS_KEY is not");
	assert_null(strstr(ms_error_last(), "AKIAENV"));
}

static void creds_shared_credentials_file(void **state)
{
	struct ms_aws_credentials c;
	char *want;

	use_files();
	write_file("credentials",
		   "# a comment\n"
		   "; another\n"
		   "[default]\n"
		   "aws_access_key_id = AKIADEFAULT\n"
		   "aws_secret_access_key = defaultsecret\n"
		   "\n"
		   "[dev]\n"
		   "AWS_ACCESS_KEY_ID=AKIADEV\r\n"
		   "aws_secret_access_key =  dev/secret+with=chars  \n"
		   "aws_session_token = devtoken\n"
		   "s3 =\n"
		   "  max_concurrent_requests = 4\n",
		   0600);
	write_file("config", "[profile dev]\nregion = eu-west-1\n", 0600);

	assert_int_equal(ms_aws_credentials_resolve(&c), 0);
	assert_string_equal(c.access_key_id, "AKIADEFAULT");
	assert_string_equal(c.secret_access_key, "defaultsecret");
	assert_null(c.session_token);
	ms_aws_credentials_release(&c);

	setenv("AWS_PROFILE", "dev", 1);
	assert_int_equal(ms_aws_credentials_resolve(&c), 0);
	assert_string_equal(c.access_key_id, "AKIADEV");
	assert_string_equal(c.secret_access_key, "dev/secret+with=chars");
	assert_string_equal(c.session_token, "devtoken");
	want = ms_asprintf("%s/credentials [dev]", tmpdir);
	assert_string_equal(c.source, want);
	free(want);
	ms_aws_credentials_release(&c);
}

static void creds_config_file(void **state)
{
	struct ms_aws_credentials c;
	char *want;

	use_files();
	/* [default] in the config file; [profile x] for the others; a
	 * "[x]" section there is not profile x */
	write_file("config",
		   "[default]\n"
		   "aws_access_key_id = AKIACFGDEFAULT\n"
		   "aws_secret_access_key = cfgdefault\n"
		   "[ci]\n"
		   "aws_access_key_id = AKIAWRONG\n"
		   "aws_secret_access_key = wrong\n"
		   "[profile  ci ]\n"
		   "aws_access_key_id = AKIACI\n"
		   "aws_secret_access_key = cisecret\n"
		   "aws_session_token = citoken\n",
		   0600);
	assert_int_equal(ms_aws_credentials_resolve(&c), 0);
	assert_string_equal(c.access_key_id, "AKIACFGDEFAULT");
	want = ms_asprintf("%s/config [default]", tmpdir);
	assert_string_equal(c.source, want);
	free(want);
	ms_aws_credentials_release(&c);

	setenv("AWS_PROFILE", "ci", 1);
	assert_int_equal(ms_aws_credentials_resolve(&c), 0);
	assert_string_equal(c.access_key_id, "AKIACI");
	assert_string_equal(c.secret_access_key, "cisecret");
	assert_string_equal(c.session_token, "citoken");
	want = ms_asprintf("%s/config [profile ci]", tmpdir);
	assert_string_equal(c.source, want);
	free(want);
	ms_aws_credentials_release(&c);
}

static void creds_default_files_under_home(void **state)
{
	struct ms_aws_credentials c;
	char *dir = path_in(".aws");

	assert_int_equal(mkdir(dir, 0700), 0);
	free(dir);
	write_file(".aws/credentials",
		   "[default]\naws_access_key_id=AKIAHOME\n"
		   "aws_secret_access_key=homesecret\n",
		   0600);
	assert_int_equal(ms_aws_credentials_resolve(&c), 0);
	assert_string_equal(c.access_key_id, "AKIAHOME");
	ms_aws_credentials_release(&c);
	/* "~/" in the variable is the home directory */
	setenv("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials", 1);
	assert_int_equal(ms_aws_credentials_resolve(&c), 0);
	assert_string_equal(c.access_key_id, "AKIAHOME");
	ms_aws_credentials_release(&c);
}

static void creds_credential_process(void **state)
{
	struct ms_aws_credentials c;
	char *script = path_in("proc.sh"), *cfg;

	use_files();
	write_file("proc.sh",
		   "#!/bin/sh\n"
		   "test \"$1\" = --flag || exit 7\n"
		   "printf '{\"Version\": 1, \"AccessKeyId\": \"AKIAPROC\", '\n"
		   "printf '\"SecretAccessKey\": \"procsecret\", '\n"
		   "printf '\"SessionToken\": \"proctoken\", '\n"
		   "printf '\"Expiration\": \"2030-01-01T00:00:00Z\"}'\n",
		   0700);
	cfg = ms_asprintf("[profile proc]\ncredential_process = %s --flag\n"
			  "[profile fails]\ncredential_process = %s\n"
			  "[profile badjson]\n"
			  "credential_process = echo '{\"Version\": 2}'\n"
			  "[profile notjson]\n"
			  "credential_process = echo secret-looking-text\n",
			  script, script);
	write_file("config", cfg, 0600);
	free(cfg);

	setenv("AWS_PROFILE", "proc", 1);
	assert_int_equal(ms_aws_credentials_resolve(&c), 0);
	assert_string_equal(c.access_key_id, "AKIAPROC");
	assert_string_equal(c.secret_access_key, "procsecret");
	assert_string_equal(c.session_token, "proctoken");
	assert_string_equal(c.source, "credential_process of profile 'proc'");
	ms_aws_credentials_release(&c);

	setenv("AWS_PROFILE", "fails", 1);
	assert_int_equal(ms_aws_credentials_resolve(&c), -1);
	assert_string_equal(ms_error_last(),
			    "AWS profile 'fails': credential_process failed "
			    "(exit status 7)");

	setenv("AWS_PROFILE", "badjson", 1);
	assert_int_equal(ms_aws_credentials_resolve(&c), -1);
	assert_non_null(strstr(ms_error_last(), "\"Version\": 1"));

	setenv("AWS_PROFILE", "notjson", 1);
	assert_int_equal(ms_aws_credentials_resolve(&c), -1);
	assert_non_null(strstr(ms_error_last(), "did not print a JSON"));
	assert_null(strstr(ms_error_last(), "secret-looking-text"));
	free(script);
}

static void creds_none_found(void **state)
{
	struct ms_aws_credentials c;
	char *want;

	assert_int_equal(ms_aws_credentials_resolve(&c), -1);
	want = ms_asprintf("no AWS credentials found (looked in: environment "
			   "AWS_ACCESS_KEY_ID, %s/.aws/credentials [default], "
			   "%s/.aws/config [default])",
			   tmpdir, tmpdir);
	assert_string_equal(ms_error_last(), want);
	free(want);

	/* a named profile that exists but has no keys */
	use_files();
	write_file("config", "[profile empty]\nregion = us-west-2\n", 0600);
	setenv("AWS_PROFILE", "empty", 1);
	assert_int_equal(ms_aws_credentials_resolve(&c), -1);
	want = ms_asprintf("no AWS credentials found (looked in: environment "
			   "AWS_ACCESS_KEY_ID, %s/credentials [empty], "
			   "%s/config [profile empty])",
			   tmpdir, tmpdir);
	assert_string_equal(ms_error_last(), want);
	free(want);

	/* a named profile that exists nowhere */
	setenv("AWS_PROFILE", "nope", 1);
	assert_int_equal(ms_aws_credentials_resolve(&c), -1);
	assert_non_null(strstr(ms_error_last(),
			       "AWS profile 'nope' not found (looked in: "));

	/* assume-role profiles are refused with a way out */
	write_file("config",
		   "[profile role]\nrole_arn = arn:aws:iam::1:role/r\n"
		   "source_profile = default\n",
		   0600);
	setenv("AWS_PROFILE", "role", 1);
	assert_int_equal(ms_aws_credentials_resolve(&c), -1);
	assert_non_null(strstr(ms_error_last(), "credential_process"));
}

static void creds_partial_profile(void **state)
{
	struct ms_aws_credentials c;

	use_files();
	write_file("credentials", "[default]\naws_access_key_id = AKIA1\n",
		   0600);
	assert_int_equal(ms_aws_credentials_resolve(&c), -1);
	assert_non_null(strstr(ms_error_last(), "must be set together"));
}

/* ---- region ---- */

static void region_order(void **state)
{
	char *r = NULL;

	use_files();
	write_file("config",
		   "[default]\nregion = ap-south-1\n"
		   "[profile dev]\nregion = eu-central-1\n",
		   0600);
	assert_int_equal(ms_aws_region_resolve(&r, NULL), 0);
	assert_string_equal(r, "ap-south-1");
	free(r);
	setenv("AWS_PROFILE", "dev", 1);
	assert_int_equal(ms_aws_region_resolve(&r, ""), 0);
	assert_string_equal(r, "eu-central-1");
	free(r);
	setenv("AWS_DEFAULT_REGION", "us-west-1", 1);
	assert_int_equal(ms_aws_region_resolve(&r, NULL), 0);
	assert_string_equal(r, "us-west-1");
	free(r);
	setenv("AWS_REGION", "us-west-2", 1);
	assert_int_equal(ms_aws_region_resolve(&r, NULL), 0);
	assert_string_equal(r, "us-west-2");
	free(r);
	assert_int_equal(ms_aws_region_resolve(&r, "eu-west-3"), 0);
	assert_string_equal(r, "eu-west-3");
	free(r);

	assert_int_equal(ms_aws_region_resolve(&r, "evil.com/x"), -1);
	assert_null(r);
	assert_non_null(strstr(ms_error_last(), "not a region name"));
}

static void region_none(void **state)
{
	char *r = (char *)"x";

	assert_int_equal(ms_aws_region_resolve(&r, NULL), 0);
	assert_null(r);
}

/* ---- endpoints ---- */

struct ep_case {
	const char *service, *region, *url, *host, *signing_region;
};

static void endpoint_defaults(void **state)
{
	static const struct ep_case t[] = {
		{ "s3", "eu-west-1", "https://s3.eu-west-1.amazonaws.com",
		  "s3.eu-west-1.amazonaws.com", "eu-west-1" },
		{ "s3", "us-east-1", "https://s3.us-east-1.amazonaws.com",
		  "s3.us-east-1.amazonaws.com", "us-east-1" },
		{ "iam", "eu-west-1", "https://iam.amazonaws.com",
		  "iam.amazonaws.com", "us-east-1" },
		{ "sts", "eu-west-1", "https://sts.eu-west-1.amazonaws.com",
		  "sts.eu-west-1.amazonaws.com", "eu-west-1" },
		{ "sagemaker", "us-west-2",
		  "https://api.sagemaker.us-west-2.amazonaws.com",
		  "api.sagemaker.us-west-2.amazonaws.com", "us-west-2" },
		{ "lambda", "us-east-2",
		  "https://lambda.us-east-2.amazonaws.com",
		  "lambda.us-east-2.amazonaws.com", "us-east-2" },
		{ "application-autoscaling", "eu-west-1",
		  "https://application-autoscaling.eu-west-1.amazonaws.com",
		  "application-autoscaling.eu-west-1.amazonaws.com",
		  "eu-west-1" },
		{ "ec2", "ap-southeast-2",
		  "https://ec2.ap-southeast-2.amazonaws.com",
		  "ec2.ap-southeast-2.amazonaws.com", "ap-southeast-2" },
		{ "s3", "cn-north-1", "https://s3.cn-north-1.amazonaws.com.cn",
		  "s3.cn-north-1.amazonaws.com.cn", "cn-north-1" },
		{ "iam", "cn-northwest-1",
		  "https://iam.cn-north-1.amazonaws.com.cn",
		  "iam.cn-north-1.amazonaws.com.cn", "cn-north-1" },
	};
	size_t i;

	for (i = 0; i < MS_ARRAY_SIZE(t); i++) {
		struct ms_aws_endpoint ep;

		assert_int_equal(ms_aws_endpoint_resolve(&ep, t[i].service,
							 t[i].region),
				 0);
		assert_string_equal(ep.url, t[i].url);
		assert_string_equal(ep.host, t[i].host);
		assert_string_equal(ep.base_path, "");
		assert_string_equal(ep.signing_region, t[i].signing_region);
		assert_false(ep.custom);
		ms_aws_endpoint_release(&ep);
	}
}

static void endpoint_overrides(void **state)
{
	struct ms_aws_endpoint ep;
	char name[96];

	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/", 1);
	setenv("AWS_ENDPOINT_URL_S3", "https://localhost:4443/s3base/", 1);
	setenv("AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING",
	       "https://aas.example:443", 1);

	/* the general one */
	assert_int_equal(ms_aws_endpoint_resolve(&ep, "sagemaker",
						 "eu-west-1"),
			 0);
	assert_string_equal(ep.url, "http://127.0.0.1:5000");
	assert_string_equal(ep.host, "127.0.0.1:5000");
	assert_string_equal(ep.base_path, "");
	assert_string_equal(ep.signing_region, "eu-west-1");
	assert_true(ep.custom);
	ms_aws_endpoint_release(&ep);

	/* IAM through an emulator is still signed for us-east-1 */
	assert_int_equal(ms_aws_endpoint_resolve(&ep, "iam", "eu-west-1"), 0);
	assert_string_equal(ep.url, "http://127.0.0.1:5000");
	assert_string_equal(ep.signing_region, "us-east-1");
	ms_aws_endpoint_release(&ep);

	/* the service's own wins; its path is kept, the default port not */
	assert_int_equal(ms_aws_endpoint_resolve(&ep, "s3", "eu-west-1"), 0);
	assert_string_equal(ep.url, "https://localhost:4443");
	assert_string_equal(ep.host, "localhost:4443");
	assert_string_equal(ep.base_path, "/s3base");
	ms_aws_endpoint_release(&ep);
	assert_int_equal(ms_aws_endpoint_resolve(&ep,
						 "application-autoscaling",
						 "eu-west-1"),
			 0);
	assert_string_equal(ep.url, "https://aas.example");
	assert_string_equal(ep.host, "aas.example");
	ms_aws_endpoint_release(&ep);

	/* switched off as the SDKs allow */
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	assert_int_equal(ms_aws_endpoint_resolve(&ep, "s3", "eu-west-1"), 0);
	assert_string_equal(ep.url, "https://s3.eu-west-1.amazonaws.com");
	ms_aws_endpoint_release(&ep);
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");

	/* bad URLs say which variable */
	setenv("AWS_ENDPOINT_URL_EC2", "ftp://x", 1);
	assert_int_equal(ms_aws_endpoint_resolve(&ep, "ec2", "eu-west-1"), -1);
	assert_non_null(strstr(ms_error_last(), "AWS_ENDPOINT_URL_EC2"));
	setenv("AWS_ENDPOINT_URL_EC2", "http://x/?a=b", 1);
	assert_int_equal(ms_aws_endpoint_resolve(&ep, "ec2", "eu-west-1"), -1);

	assert_string_equal(ms_aws_endpoint_env("application-autoscaling",
						name, sizeof(name)),
			    "AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING");
	assert_string_equal(ms_aws_endpoint_env("sagemaker", name,
						sizeof(name)),
			    "AWS_ENDPOINT_URL_SAGEMAKER");
	assert_string_equal(ms_aws_endpoint_env("some-service", name,
						sizeof(name)),
			    "AWS_ENDPOINT_URL_SOME_SERVICE");
	assert_int_equal(ms_aws_endpoint_resolve(&ep, "s3", NULL), -1);
}

/* ---- Query encoding ---- */

static void query_encoding(void **state)
{
	json_t *p = json_pack("{s:s, s:s, s:i, s:b, s:n, s:f}", "RoleName",
			      "r 1", "AssumeRolePolicyDocument",
			      "{\"Version\":\"2012-10-17\"}", "MaxSessionDuration",
			      3600, "Flag", 1, "Skipped", "Ratio", 0.1);
	struct ms_buf b = MS_BUF_INIT;

	assert_int_equal(ms_aws_query_encode(&b, "CreateRole", "2010-05-08",
					     p),
			 0);
	assert_string_equal(b.ptr,
			    "Action=CreateRole&Version=2010-05-08"
			    "&RoleName=r%201"
			    "&AssumeRolePolicyDocument=%7B%22Version%22%3A"
			    "%222012-10-17%22%7D"
			    "&MaxSessionDuration=3600&Flag=true&Ratio=0.1");
	ms_buf_reset(&b);
	json_object_set_new(p, "Tags", json_array());
	assert_int_equal(ms_aws_query_encode(&b, "CreateRole", "2010-05-08",
					     p),
			 -1);
	assert_non_null(strstr(ms_error_last(), "'Tags'"));
	ms_buf_release(&b);
	json_decref(p);
}

static void query_lists_and_tags(void **state)
{
	json_t *p = json_object();
	json_t *list = json_pack("[s, i]", "arn:a", 2);
	json_t *objs = json_pack("[{s:s, s:[s,s]}]", "Name", "n", "Values",
				 "a", "b");
	json_t *tags = json_pack("{s:s, s:s, s:i}", "team", "ml", "env",
				 "dev", "n", 3);
	json_t *want = json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		"Arns.member.1", "arn:a", "Arns.member.2", "2",
		"F.member.1.Name", "n", "F.member.1.Values.member.1", "a",
		"F.member.1.Values.member.2", "b", "Tags.member.1.Key", "env",
		"Tags.member.1.Value", "dev", "Tags.member.2.Key", "n",
		"Tags.member.2.Value", "3", "Tags.member.3.Key", "team",
		"Tags.member.3.Value", "ml", "Empty", "");
	json_t *empty = json_array();

	ms_aws_query_list(p, "Arns", list);
	ms_aws_query_list(p, "F", objs);
	ms_aws_query_tags(p, "Tags", tags);
	ms_aws_query_list(p, "Empty", empty);
	if (!json_equal(p, want)) {
		char *s = json_dumps(p, JSON_SORT_KEYS);

		print_error("got %s\n", s);
		free(s);
	}
	assert_true(json_equal(p, want));
	json_decref(p);
	json_decref(list);
	json_decref(objs);
	json_decref(tags);
	json_decref(want);
	json_decref(empty);
}

/* ---- error answers ---- */

struct err_case {
	const char *name;
	const char *protocol;
	long status;
	const char *headers;
	const char *body;
	const char *code, *message, *request_id;
};

static const struct err_case err_cases[] = {
	{ "query", "query", 404, "Content-Type: text/xml\r\n",
	  "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
	  "<Error><Type>Sender</Type><Code>NoSuchEntity</Code>"
	  "<Message>The role with name r cannot be found.</Message></Error>"
	  "<RequestId>4a6f-1</RequestId></ErrorResponse>",
	  "NoSuchEntity", "The role with name r cannot be found.", "4a6f-1" },
	{ "ec2", "ec2", 400, NULL,
	  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
	  "<Code>InvalidInstanceID.NotFound</Code><Message>The instance ID "
	  "'i-1' does not exist</Message></Error></Errors>"
	  "<RequestID>ec2-req</RequestID></Response>",
	  "InvalidInstanceID.NotFound", "The instance ID 'i-1' does not exist",
	  "ec2-req" },
	{ "s3", "rest-xml", 404, "x-amz-request-id: HDR1\r\n",
	  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>"
	  "<Code>NoSuchBucket</Code><Message>The specified bucket does not "
	  "exist</Message><BucketName>b</BucketName><RequestId>BODY1</RequestId>"
	  "<HostId>h</HostId></Error>",
	  "NoSuchBucket", "The specified bucket does not exist", "HDR1" },
	{ "s3 head 404", "rest-xml", 404, "x-amz-request-id: R404\r\n", "",
	  "NotFound", NULL, "R404" },
	{ "s3 head 403", "rest-xml", 403, NULL, NULL, "Forbidden", NULL, NULL },
	{ "s3 head 301", "rest-xml", 301, NULL, "", "PermanentRedirect", NULL,
	  NULL },
	{ "json 1.1", "json", 400, "x-amzn-RequestId: j-1\r\n",
	  "{\"__type\":\"com.amazon.coral.validate#ValidationException\","
	  "\"message\":\"Could not find endpoint \\\"e\\\".\"}",
	  "ValidationException", "Could not find endpoint \"e\".", "j-1" },
	{ "json 1.1 Message and ':'", "json", 400, NULL,
	  "{\"__type\":\"ResourceNotFound:http://internal.amazon.com/x\","
	  "\"Message\":\"gone\"}",
	  "ResourceNotFound", "gone", NULL },
	{ "json without __type", "json", 503, NULL, "{}",
	  "ServiceUnavailable", NULL, NULL },
	{ "rest-json header", "rest-json", 404,
	  "X-Amzn-ErrorType: ResourceNotFoundException:http://x/\r\n"
	  "x-amzn-RequestId: l-1\r\n",
	  "{\"Type\":\"User\",\"Message\":\"Function not found: f\"}",
	  "ResourceNotFoundException", "Function not found: f", "l-1" },
	{ "rest-json body code", "rest-json", 429, NULL,
	  "{\"code\":\"TooManyRequestsException\",\"message\":\"Rate\"}",
	  "TooManyRequestsException", "Rate", NULL },
	{ "xml answer to a json service", "json", 403, NULL,
	  "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ErrorResponse><Errors>"
	  "<Error><Code>SignatureDoesNotMatch</Code><Message>bad sig</Message>"
	  "<Type>Sender</Type></Error></Errors></ErrorResponse>",
	  "SignatureDoesNotMatch", "bad sig", NULL },
	{ "html 500 of an unimplemented call", "json", 500,
	  "Content-Type: text/html\r\n",
	  "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error"
	  "</title>\n<h1>Internal Server Error</h1>",
	  "InternalServerError",
	  "the endpoint answered with an HTML page (\"500 Internal Server "
	  "Error\"), not an AWS answer (is this operation implemented "
	  "there?)",
	  NULL },
	{ "html 404", "rest-json", 404, NULL,
	  "<HTML><HEAD></HEAD><BODY>nothing</BODY></HTML>", "NotFound",
	  "the endpoint answered with an HTML page, not an AWS answer (is "
	  "this operation implemented there?)",
	  NULL },
	{ "plain text", "query", 502, NULL, "Bad gateway\n\tupstream down",
	  "BadGateway", "Bad gateway upstream down", NULL },
	{ "odd status", "query", 418, NULL, "", "HTTP418", NULL, NULL },
	{ "unknown xml", "query", 400, NULL, "<Foo/>", "BadRequest",
	  "unexpected XML answer <Foo>", NULL },
};

static void error_parsing(void **state)
{
	size_t i;

	for (i = 0; i < MS_ARRAY_SIZE(err_cases); i++) {
		const struct err_case *t = &err_cases[i];
		char *code, *msg, *rid;

		print_message("error case: %s\n", t->name);
		assert_int_equal(ms_aws_parse_error(&code, &msg, &rid,
						    t->protocol, t->status,
						    t->headers, t->body,
						    t->body ? strlen(t->body) :
							      0),
				 0);
		assert_non_null(code);
		assert_string_equal(code, t->code);
		if (t->message) {
			assert_non_null(msg);
			assert_string_equal(msg, t->message);
		} else {
			assert_null(msg);
		}
		if (t->request_id) {
			assert_non_null(rid);
			assert_string_equal(rid, t->request_id);
		} else {
			assert_null(rid);
		}
		free(code);
		free(msg);
		free(rid);
	}
}

static void response_headers(void **state)
{
	struct ms_aws_response res;
	char *v = NULL;

	ms_aws_response_init(&res);
	ms_buf_adds(&res.headers, "HTTP/1.1 200 OK\r\n"
				  "ETag:  \"abc\"  \r\n"
				  "x-amz-version-id: v1\r\n\r\n");
	assert_int_equal(ms_aws_response_header(&res, "etag", &v), 0);
	assert_string_equal(v, "\"abc\"");
	free(v);
	assert_int_equal(ms_aws_response_header(&res, "X-Amz-Version-Id", &v),
			 0);
	assert_string_equal(v, "v1");
	free(v);
	assert_int_equal(ms_aws_response_header(&res, "x-amz", &v),
			 MS_ENOTFOUND);
	assert_null(v);
	ms_aws_response_release(&res);
}

/* A 2xx answer of the JSON protocols: an object, or nothing at all. */
static void json_answers(void **state)
{
	static const struct {
		const char *body;
		const char *want; /* the object as compact JSON, or NULL */
	} t[] = {
		{ "{\"EndpointName\": \"e\"}", "{\"EndpointName\": \"e\"}" },
		{ "", "{}" },
		{ " \r\n\t", "{}" },
		{ "[]", NULL },
		{ "\"x\"", NULL },
		{ "<html><title>404</title></html>", NULL },
		{ "{\"a\": ", NULL },
	};
	size_t i;

	for (i = 0; i < MS_ARRAY_SIZE(t); i++) {
		struct ms_aws_response res;
		json_t *got = (json_t *)&res, *want;

		print_message("json answer: '%s'\n", t[i].body);
		ms_aws_response_init(&res);
		res.status = 200;
		ms_buf_adds(&res.body, t[i].body);
		if (!t[i].want) {
			assert_int_equal(ms_aws_json_parse(&got, &res, "Op"),
					 -1);
			assert_null(got);
			assert_non_null(strstr(ms_error_last(), "Op: "));
		} else {
			want = json_loads(t[i].want, 0, NULL);
			assert_int_equal(ms_aws_json_parse(&got, &res, "Op"),
					 0);
			assert_true(json_equal(got, want));
			json_decref(want);
			json_decref(got);
		}
		ms_aws_response_release(&res);
	}
}

/* ---- retries ---- */

static void retry_classes(void **state)
{
	static const struct {
		long status;
		const char *code;
		int want;
	} t[] = {
		{ 200, NULL, MS_AWS_RETRY_NO },
		{ 400, "Throttling", MS_AWS_RETRY_THROTTLE },
		{ 400, "ThrottlingException", MS_AWS_RETRY_THROTTLE },
		{ 503, "SlowDown", MS_AWS_RETRY_THROTTLE },
		{ 429, "TooManyRequestsException", MS_AWS_RETRY_THROTTLE },
		{ 429, "TooManyRequests", MS_AWS_RETRY_THROTTLE },
		{ 503, "RequestLimitExceeded", MS_AWS_RETRY_THROTTLE },
		{ 400, "ProvisionedThroughputExceededException",
		  MS_AWS_RETRY_THROTTLE },
		{ 400, "RequestThrottledException", MS_AWS_RETRY_THROTTLE },
		{ 500, "InternalError", MS_AWS_RETRY_TRANSIENT },
		{ 502, "BadGateway", MS_AWS_RETRY_TRANSIENT },
		{ 503, "ServiceUnavailable", MS_AWS_RETRY_TRANSIENT },
		{ 504, NULL, MS_AWS_RETRY_TRANSIENT },
		{ 400, "RequestTimeout", MS_AWS_RETRY_TRANSIENT },
		{ 408, "RequestTimeoutException", MS_AWS_RETRY_TRANSIENT },
		{ 400, "ValidationException", MS_AWS_RETRY_NO },
		{ 404, "NoSuchEntity", MS_AWS_RETRY_NO },
		{ 409, "LimitExceeded", MS_AWS_RETRY_NO }, /* IAM quota */
		{ 403, "AccessDenied", MS_AWS_RETRY_NO },
		{ 501, "NotImplemented", MS_AWS_RETRY_NO },
		{ 404, "NotFound", MS_AWS_RETRY_NO },
	};
	size_t i;

	for (i = 0; i < MS_ARRAY_SIZE(t); i++) {
		print_message("%ld %s\n", t[i].status,
			      t[i].code ? t[i].code : "-");
		assert_int_equal(ms_aws_retry_class(t[i].status, t[i].code),
				 t[i].want);
	}
	assert_int_equal(ms_aws_retry_transport(CURLE_COULDNT_CONNECT),
			 MS_AWS_RETRY_TRANSIENT);
	assert_int_equal(ms_aws_retry_transport(CURLE_OPERATION_TIMEDOUT),
			 MS_AWS_RETRY_TRANSIENT);
	assert_int_equal(ms_aws_retry_transport(CURLE_RECV_ERROR),
			 MS_AWS_RETRY_TRANSIENT);
	assert_int_equal(ms_aws_retry_transport(CURLE_GOT_NOTHING),
			 MS_AWS_RETRY_TRANSIENT);
	assert_int_equal(ms_aws_retry_transport(CURLE_SEND_ERROR),
			 MS_AWS_RETRY_TRANSIENT);
	assert_int_equal(
		ms_aws_retry_transport(CURLE_PEER_FAILED_VERIFICATION),
		MS_AWS_RETRY_NO);
	assert_int_equal(ms_aws_retry_transport(CURLE_WRITE_ERROR),
			 MS_AWS_RETRY_NO);
	assert_int_equal(ms_aws_retry_transport(CURLE_URL_MALFORMAT),
			 MS_AWS_RETRY_NO);
}

static void backoff_bounds(void **state)
{
	int attempt;

	/* full jitter: 0 .. min(base * 2^(n-1), 20) */
	assert_true(ms_aws_backoff(1, 1.0, 0.0) == 0.0);
	assert_true(ms_aws_backoff(1, 1.0, 0.5) == 0.5);
	assert_true(ms_aws_backoff(2, 1.0, 0.5) == 1.0);
	assert_true(ms_aws_backoff(3, 1.0, 0.5) == 2.0);
	assert_true(ms_aws_backoff(5, 1.0, 0.999) < 16.0);
	assert_true(ms_aws_backoff(5, 1.0, 0.999) > 15.9);
	assert_true(ms_aws_backoff(6, 1.0, 0.999) <= MS_AWS_MAX_BACKOFF);
	assert_true(ms_aws_backoff(6, 1.0, 0.999) > 19.9);
	assert_true(ms_aws_backoff(60, 1.0, 0.999) <= MS_AWS_MAX_BACKOFF);
	/* the base scales it (tests use a small one) */
	assert_true(ms_aws_backoff(3, 0.01, 0.5) == 0.02);
	for (attempt = 1; attempt < 40; attempt++) {
		double hi = ms_aws_backoff(attempt, 1.0, 0.9999999);

		assert_true(ms_aws_backoff(attempt, 1.0, 0.0) == 0.0);
		assert_true(hi >= 0 && hi <= MS_AWS_MAX_BACKOFF);
		if (attempt > 1)
			assert_true(hi >=
				    ms_aws_backoff(attempt - 1, 1.0,
						   0.9999999));
	}
}

/* ---- the client's settings ---- */

static void client_settings(void **state)
{
	struct ms_aws *aws = NULL;
	struct ms_aws_config cfg = { "eu-west-1", 0 };

	setenv("AWS_ACCESS_KEY_ID", "AKIA", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
	assert_int_equal(ms_aws_new(&aws, &cfg), 0);
	assert_string_equal(ms_aws_region(aws), "eu-west-1");
	assert_int_equal(aws->max_attempts, MS_AWS_DEFAULT_MAX_ATTEMPTS);
	assert_true(aws->retry_base == 1.0);
	ms_aws_free(aws);

	setenv("AWS_MAX_ATTEMPTS", "2", 1);
	setenv("MLSTACK_RETRY_BASE", "0.01", 1);
	assert_int_equal(ms_aws_new(&aws, &cfg), 0);
	assert_int_equal(aws->max_attempts, 2);
	assert_true(aws->retry_base == 0.01);
	ms_aws_free(aws);
	cfg.max_attempts = 7;
	assert_int_equal(ms_aws_new(&aws, &cfg), 0);
	assert_int_equal(aws->max_attempts, 7);
	ms_aws_free(aws);
	cfg.max_attempts = 0;

	setenv("AWS_MAX_ATTEMPTS", "zero", 1);
	assert_int_equal(ms_aws_new(&aws, &cfg), -1);
	assert_null(aws);
	assert_non_null(strstr(ms_error_last(), "AWS_MAX_ATTEMPTS"));
	unsetenv("AWS_MAX_ATTEMPTS");
	setenv("MLSTACK_RETRY_BASE", "-1", 1);
	assert_int_equal(ms_aws_new(&aws, &cfg), -1);
	unsetenv("MLSTACK_RETRY_BASE");

	cfg.region = NULL;
	assert_int_equal(ms_aws_new(&aws, &cfg), -1);
	assert_non_null(strstr(ms_error_last(), "no AWS region set"));
	ms_aws_free(NULL);
}

/* ---- XML helpers ---- */

static void xml_paths(void **state)
{
	static const char body[] =
		"<?xml version=\"1.0\"?>\n"
		"<ListRolesResponse "
		"xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
		"<ListRolesResult><IsTruncated>false</IsTruncated><Roles>"
		"<member><RoleName>a</RoleName><Arn>arn:a</Arn>"
		"<Description/></member>\n"
		"<!-- c --><member><RoleName>b &amp; c</RoleName></member>"
		"<other/>"
		"<x:member xmlns:x=\"urn:x\"><RoleName>c</RoleName></x:member>"
		"</Roles></ListRolesResult>"
		"<ResponseMetadata><RequestId>rid</RequestId>"
		"</ResponseMetadata></ListRolesResponse>";
	xmlDoc *doc = ms_aws_xml_parse(body, sizeof(body) - 1);
	xmlNode *root, *m;
	char *s;
	const char *want[] = { "a", "b & c", "c" };
	size_t n = 0;

	assert_non_null(doc);
	root = xmlDocGetRootElement(doc);
	s = ms_xml_text(root, "ListRolesResult/IsTruncated");
	assert_string_equal(s, "false");
	free(s);
	s = ms_xml_text(root, "ResponseMetadata/RequestId");
	assert_string_equal(s, "rid");
	free(s);
	s = ms_xml_text(root, "ListRolesResult/Roles/member/Description");
	assert_string_equal(s, "");
	free(s);
	assert_null(ms_xml_text(root, "ListRolesResult/Roles/member/Nope"));
	assert_null(ms_xml_find(root, "Nope/Deeper"));
	assert_ptr_equal(ms_xml_find(root, ""), root);
	for (m = ms_xml_find(root, "ListRolesResult/Roles/member"); m;
	     m = ms_xml_next(m, "member")) {
		assert_true(n < MS_ARRAY_SIZE(want));
		s = ms_xml_text(m, "RoleName");
		assert_string_equal(s, want[n]);
		free(s);
		n++;
	}
	assert_int_equal(n, 3);
	m = ms_xml_find(root, "ListRolesResult/Roles/member");
	assert_string_equal((const char *)ms_xml_next(m, NULL)->name,
			    "member");
	assert_null(ms_xml_next(NULL, "member"));
	xmlFreeDoc(doc);

	/* not XML, and no external entity is ever fetched or expanded */
	assert_null(ms_aws_xml_parse("<<<", 3));
	assert_null(ms_aws_xml_parse("", 0));
	{
		static const char xxe[] =
			"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY e "
			"SYSTEM \"file:///etc/passwd\">]><r><v>&e;</v></r>";

		doc = ms_aws_xml_parse(xxe, sizeof(xxe) - 1);
		if (doc) {
			s = ms_xml_text(xmlDocGetRootElement(doc), "v");
			assert_non_null(s);
			assert_null(strstr(s, "root:"));
			free(s);
			xmlFreeDoc(doc);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(creds_from_environment, setup,
						teardown),
		cmocka_unit_test_setup_teardown(creds_environment_incomplete,
						setup, teardown),
		cmocka_unit_test_setup_teardown(creds_shared_credentials_file,
						setup, teardown),
		cmocka_unit_test_setup_teardown(creds_config_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(creds_default_files_under_home,
						setup, teardown),
		cmocka_unit_test_setup_teardown(creds_credential_process, setup,
						teardown),
		cmocka_unit_test_setup_teardown(creds_none_found, setup,
						teardown),
		cmocka_unit_test_setup_teardown(creds_partial_profile, setup,
						teardown),
		cmocka_unit_test_setup_teardown(region_order, setup, teardown),
		cmocka_unit_test_setup_teardown(region_none, setup, teardown),
		cmocka_unit_test_setup_teardown(endpoint_defaults, setup,
						teardown),
		cmocka_unit_test_setup_teardown(endpoint_overrides, setup,
						teardown),
		cmocka_unit_test(query_encoding),
		cmocka_unit_test(query_lists_and_tags),
		cmocka_unit_test(error_parsing),
		cmocka_unit_test(response_headers),
		cmocka_unit_test(json_answers),
		cmocka_unit_test(retry_classes),
		cmocka_unit_test(backoff_bounds),
		cmocka_unit_test_setup_teardown(client_settings, setup,
						teardown),
		cmocka_unit_test(xml_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
