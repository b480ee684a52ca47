/*
 * test_providers.c - the pure helpers of the S3 and IAM providers: request
 * bodies, Content-MD5, policy canonical form, normalize. Nothing here talks
 * to AWS; the end-to-end behaviour is tested against moto.
 */
#include "util/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include <libxml/parser.h>

#include "providers/provider.h"
#include "providers/aws/aws.h"
#include "providers/iam/iam.h"
#include "providers/s3/s3.h"

#define XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define NS       " xmlns=\"" MS_S3_XMLNS "\""

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

	if (!v)
		fail_msg("bad test JSON: %s: %s", text, jerr.text);
	return v;
}

static void assert_json(const json_t *got, const char *want_text)
{
	json_t *want = parse(want_text);
	char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);

	if (!json_equal(got, want))
		fail_msg("got %s, want %s", g, want_text);
	free(g);
	json_decref(want);
}

/* Compact text with keys in object order (not sorted). */
static void assert_text_order(const json_t *got, const char *want)
{
	char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);

	assert_string_equal(g, want);
	free(g);
}

static void test_content_md5(void **state)
{
	static const struct {
		const char *name, *data, *md5;
	} cases[] = {
		{ "empty", "", "1B2M2Y8AsgTpgAmY7PhCfg==" },
		{ "rfc1321 abc", "abc", "kAFQmDzST7DWlj99KOF/cg==" },
		{ "rfc1321 digits",
		  "12345678901234567890123456789012345678901234567890123456"
		  "789012345678901234567890",
		  "V+30oivjyVWsSdouIQe2eg==" },
	};
	char md5[MS_S3_MD5_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < MS_ARRAY_SIZE(cases); i++) {
		assert_int_equal(ms_s3_content_md5(md5, cases[i].data,
						   strlen(cases[i].data)),
				 0);
		if (strcmp(md5, cases[i].md5))
			fail_msg("%s: got %s, want %s", cases[i].name, md5,
				 cases[i].md5);
	}
}

static void test_s3_bodies(void **state)
{
	struct ms_buf b = MS_BUF_INIT;
	json_t *tags, *objects;

	(void)state;
	assert_int_equal(ms_s3_versioning_xml(&b, true), 0);
	assert_string_equal(b.ptr, XML_DECL "<VersioningConfiguration" NS
					    "><Status>Enabled</Status>"
					    "</VersioningConfiguration>\n");
	ms_buf_reset(&b);
	assert_int_equal(ms_s3_versioning_xml(&b, false), 0);
	assert_non_null(strstr(b.ptr, "<Status>Suspended</Status>"));

	ms_buf_reset(&b);
	assert_int_equal(ms_s3_location_xml(&b, "eu-west-1"), 0);
	assert_string_equal(b.ptr, XML_DECL "<CreateBucketConfiguration" NS
					    "><LocationConstraint>eu-west-1"
					    "</LocationConstraint>"
					    "</CreateBucketConfiguration>\n");

	ms_buf_reset(&b);
	assert_int_equal(ms_s3_public_access_block_xml(&b, true), 0);
	assert_string_equal(b.ptr, XML_DECL
			    "<PublicAccessBlockConfiguration" NS ">"
			    "<BlockPublicAcls>true</BlockPublicAcls>"
			    "<IgnorePublicAcls>true</IgnorePublicAcls>"
			    "<BlockPublicPolicy>true</BlockPublicPolicy>"
			    "<RestrictPublicBuckets>true"
			    "</RestrictPublicBuckets>"
			    "</PublicAccessBlockConfiguration>\n");

	/* keys sorted, user text escaped */
	tags = parse("{\"team\": \"a&b\", \"env\": \"<dev>\"}");
	ms_buf_reset(&b);
	assert_int_equal(ms_s3_tagging_xml(&b, tags), 0);
	assert_string_equal(b.ptr, XML_DECL
			    "<Tagging" NS "><TagSet>"
			    "<Tag><Key>env</Key><Value>&lt;dev&gt;"
			    "</Value></Tag>"
			    "<Tag><Key>team</Key><Value>a&amp;b</Value>"
			    "</Tag></TagSet></Tagging>\n");
	json_decref(tags);

	tags = parse("{\"n\": 1}");
	ms_buf_reset(&b);
	assert_int_equal(ms_s3_tagging_xml(&b, tags), -1);
	assert_string_equal(ms_error_last(),
			    "tags: the value of 'n' is not a string");
	json_decref(tags);

	objects = parse("[{\"Key\": \"a b/c.txt\", \"VersionId\": \"null\"},"
			" {\"Key\": \"x&y\"}]");
	ms_buf_reset(&b);
	assert_int_equal(ms_s3_delete_xml(&b, objects), 0);
	assert_string_equal(b.ptr,
			    XML_DECL "<Delete" NS "><Quiet>true</Quiet>"
				     "<Object><Key>a b/c.txt</Key>"
				     "<VersionId>null</VersionId></Object>"
				     "<Object><Key>x&amp;y</Key></Object>"
				     "</Delete>\n");
	json_decref(objects);
	ms_buf_release(&b);
}

static void test_s3_tagging_parse(void **state)
{
	static const char answer[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<Tagging" NS "><TagSet>"
		"<Tag><Key>env</Key><Value>a&amp;b</Value></Tag>"
		"<Tag><Key>empty</Key><Value></Value></Tag>"
		"</TagSet></Tagging>";
	xmlDoc *doc = xmlReadMemory(answer, (int)strlen(answer), NULL, NULL,
				    XML_PARSE_NONET);
	json_t *tags = NULL;

	(void)state;
	assert_non_null(doc);
	assert_int_equal(ms_s3_tagging_parse(&tags, doc), 0);
	assert_json(tags, "{\"env\": \"a&b\", \"empty\": \"\"}");
	json_decref(tags);
	xmlFreeDoc(doc);
}

static void test_policy_canonical(void **state)
{
	static const struct {
		const char *name, *in, *out; /* out NULL: an error */
	} cases[] = {
		{ "object sorted at every depth",
		  "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": "
		  "\"Allow\", \"Action\": \"sts:AssumeRole\", \"Principal\": "
		  "{\"Service\": \"s.amazonaws.com\"}}]}",
		  "{\"Statement\":[{\"Action\":\"sts:AssumeRole\",\"Effect\":"
		  "\"Allow\",\"Principal\":{\"Service\":\"s.amazonaws.com\"}}],"
		  "\"Version\":\"2012-10-17\"}" },
		{ "JSON string parsed",
		  "\"{\\n  \\\"b\\\": 1,\\n  \\\"a\\\": [\\\"x\\\"]\\n}\"",
		  "{\"a\":[\"x\"],\"b\":1}" },
		{ "one-element list kept as a list", "{\"Action\": [\"s3:*\"]}",
		  "{\"Action\":[\"s3:*\"]}" },
		{ "unknown passes through", "{\"__mlstack_unknown__\": true}",
		  "{\"__mlstack_unknown__\":true}" },
		{ "string that is not JSON", "\"{nope\"", NULL },
		{ "string that is not an object", "\"[1, 2]\"", NULL },
	};
	json_t *in, *out;
	size_t i;
	int err;

	(void)state;
	for (i = 0; i < MS_ARRAY_SIZE(cases); i++) {
		in = parse(cases[i].in);
		out = NULL;
		err = ms_iam_policy_canonical(&out, in, "p");
		if (!cases[i].out) {
			if (!err)
				fail_msg("%s: no error", cases[i].name);
			assert_null(out);
			assert_true(!strncmp(ms_error_last(), "p: ", 3));
		} else {
			if (err)
				fail_msg("%s: %s", cases[i].name,
					 ms_error_last());
			assert_text_order(out, cases[i].out);
		}
		json_decref(in);
		json_decref(out);
	}
}

static void test_policy_text(void **state)
{
	json_t *doc = parse("{\"b\": {\"y\": 1, \"x\": 2}, \"a\": \"/\"}");
	char *text = NULL;

	(void)state;
	assert_int_equal(ms_iam_policy_text(&text, doc, "p"), 0);
	assert_string_equal(text, "{\"a\":\"/\",\"b\":{\"x\":2,\"y\":1}}");
	free(text);
	json_decref(doc);
}

static void test_policy_decode(void **state)
{
	json_t *out = NULL;

	(void)state;
	/* as IAM returns it: RFC 3986 encoded, with its own spacing */
	assert_int_equal(ms_iam_policy_decode(
				 &out,
				 "%7B%22Version%22%3A%20%222012-10-17%22%2C%20"
				 "%22Statement%22%3A%20%5B%5D%7D",
				 "p"),
			 0);
	assert_json(out, "{\"Statement\": [], \"Version\": \"2012-10-17\"}");
	json_decref(out);
}

static void test_strings_normalize(void **state)
{
	json_t *list = parse("[\"b\", \"a\", \"b\", {\"__mlstack_unknown__\": "
			     "true}, \"c\"]");

	(void)state;
	ms_kit_sorted_set(list);
	assert_text_order(list, "[\"a\",\"b\",\"c\",{\"__mlstack_unknown__\":"
				"true}]");
	json_decref(list);
}

/* Query answers as JSON: what the kit maps for IAM (and EC2) types. */
static void test_xml_json(void **state)
{
	static const char answer[] =
		"<GetRoleResponse xmlns=\"https://iam.amazonaws.com/doc/"
		"2010-05-08/\"><GetRoleResult><Role>"
		"<Path>/</Path><RoleName>r</RoleName>"
		"<MaxSessionDuration>3600</MaxSessionDuration>"
		"<Tags><member><Key>a</Key><Value>1</Value></member>"
		"<member><Key>b</Key><Value></Value></member></Tags>"
		"<RoleLastUsed/>"
		"</Role></GetRoleResult></GetRoleResponse>";
	static const char ec2[] =
		"<DescribeX><groupSet><item><groupId>sg-1</groupId></item>"
		"</groupSet><rule><port>22</port></rule>"
		"<rule><port>80</port></rule></DescribeX>";
	xmlDoc *doc = xmlReadMemory(answer, sizeof(answer) - 1, NULL, NULL, 0);
	json_t *v;

	(void)state;
	v = ms_xml_json(
		ms_xml_find(xmlDocGetRootElement(doc), "GetRoleResult"));
	assert_json(v,
		    "{\"Role\": {\"Path\": \"/\", \"RoleName\": \"r\","
		    " \"MaxSessionDuration\": \"3600\", \"RoleLastUsed\": \"\","
		    " \"Tags\": [{\"Key\": \"a\", \"Value\": \"1\"},"
		    " {\"Key\": \"b\", \"Value\": \"\"}]}}");
	json_decref(v);
	xmlFreeDoc(doc);
	/* EC2's <item> lists, and a name repeated: a flattened list */
	doc = xmlReadMemory(ec2, sizeof(ec2) - 1, NULL, NULL, 0);
	v = ms_xml_json(xmlDocGetRootElement(doc));
	assert_json(v, "{\"groupSet\": [{\"groupId\": \"sg-1\"}],"
		       " \"rule\": [{\"port\": \"22\"}, {\"port\": \"80\"}]}");
	json_decref(v);
	xmlFreeDoc(doc);
}

static void test_role_normalize(void **state)
{
	const struct ms_resource_type *t = ms_provider_find("aws_iam_role");
	json_t *attrs = parse(
		"{\"name\": \"r\","
		" \"assume_role_policy\": \"{\\\"Version\\\": \\\"2012-10-17\\\","
		" \\\"Statement\\\": []}\","
		" \"inline_policies\": {\"s3\": \"{\\\"b\\\": 1, \\\"a\\\": 2}\","
		" \"logs\": {\"z\": 1, \"y\": 2}},"
		" \"managed_policy_arns\": [\"arn:b\", \"arn:a\", \"arn:b\"],"
		" \"tags\": {\"n\": 1, \"t\": true, \"s\": \"x\"}}");

	(void)state;
	assert_non_null(t);
	assert_non_null(t->normalize);
	assert_int_equal(t->normalize(attrs), 0);
	assert_text_order(json_object_get(attrs, "assume_role_policy"),
			  "{\"Statement\":[],\"Version\":\"2012-10-17\"}");
	assert_text_order(
		json_object_get(attrs, "inline_policies"),
		"{\"s3\":{\"a\":2,\"b\":1},\"logs\":{\"y\":2,\"z\":1}}");
	assert_text_order(json_object_get(attrs, "managed_policy_arns"),
			  "[\"arn:a\",\"arn:b\"]");
	assert_json(json_object_get(attrs, "tags"),
		    "{\"n\": \"1\", \"t\": \"true\", \"s\": \"x\"}");
	json_decref(attrs);

	attrs = parse("{\"name\": \"r\", \"assume_role_policy\": \"{oops\"}");
	assert_int_equal(t->normalize(attrs), -1);
	assert_non_null(strstr(ms_error_last(),
			       "role 'r': assume_role_policy: not valid JSON"));
	json_decref(attrs);
}

static void test_bucket_normalize(void **state)
{
	const struct ms_resource_type *t = ms_provider_find("aws_s3_bucket");
	json_t *attrs = parse("{\"bucket\": \"b\", \"tags\": {\"v\": 2}}");

	(void)state;
	assert_non_null(t);
	assert_int_equal(t->normalize(attrs), 0);
	assert_json(attrs, "{\"bucket\": \"b\", \"tags\": {\"v\": \"2\"}}");
	json_decref(attrs);
}

/* Ports out of range are refused before they become integers. */
static void test_security_group_ports(void **state)
{
	const struct ms_resource_type *t =
		ms_provider_find("aws_security_group");
	json_t *attrs = parse("{\"name\": \"g\", \"ingress\": [{\"protocol\": "
			      "\"6\", \"from_port\": 22.0, \"to_port\": 22,"
			      " \"cidr_blocks\": [\"10.0.0.0/8\"]}]}");

	(void)state;
	assert_non_null(t);
	assert_int_equal(t->normalize(attrs), 0);
	assert_json(json_object_get(attrs, "ingress"),
		    "[{\"protocol\": \"tcp\", \"from_port\": 22, "
		    "\"to_port\": 22, \"cidr_blocks\": [\"10.0.0.0/8\"]}]");
	json_decref(attrs);

	/* 1e300 was converted to an integer, which is undefined */
	attrs = parse("{\"name\": \"g\", \"egress\": [{\"protocol\": "
		      "\"tcp\", \"from_port\": 0, \"to_port\": 1e300}]}");
	assert_int_equal(t->normalize(attrs), -1);
	assert_string_equal(ms_error_last(),
			    "egress[0].to_port: expected a whole number from "
			    "-1 to 65535");
	json_decref(attrs);
	attrs = parse("{\"name\": \"g\", \"ingress\": [{\"from_port\": "
		      "0.5, \"to_port\": 1}]}");
	assert_int_equal(t->normalize(attrs), -1);
	json_decref(attrs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_content_md5),
		cmocka_unit_test(test_s3_bodies),
		cmocka_unit_test(test_s3_tagging_parse),
		cmocka_unit_test(test_policy_canonical),
		cmocka_unit_test(test_policy_text),
		cmocka_unit_test(test_policy_decode),
		cmocka_unit_test(test_strings_normalize),
		cmocka_unit_test(test_xml_json),
		cmocka_unit_test(test_role_normalize),
		cmocka_unit_test(test_bucket_normalize),
		cmocka_unit_test(test_security_group_ports),
	};

	return cmocka_run_group_tests_name("providers", tests, NULL, NULL);
}
