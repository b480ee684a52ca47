/*
 * aws_call - one call through mlstack's AWS client, for tests that hold a
 * protocol against an emulator and botocore's checks:
 *
 *   aws_call json SERVICE TARGET OPERATION [BODY]
 *   aws_call query SERVICE VERSION ACTION [PARAMS]
 *   aws_call rest-json SERVICE OPERATION METHOD PATH [QUERY [BODY]]
 *
 * BODY and PARAMS are JSON objects (PARAMS may nest: the Query flattener
 * spells them). Prints one JSON object on stdout: {"answer": ...} (a
 * Query answer read with ms_xml_json), or {"error": {"status", "code",
 * "message"}} when AWS refused. Exit status: 0 when the call was made, 1
 * on bad arguments or when no client could be set up.
 */
#include "util/common.h"
#include "providers/aws/aws.h"

static json_t *arg_json(const char *text)
{
	return text ? json_loads(text, 0, NULL) : json_object();
}

int main(int argc, char **argv)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	struct ms_aws *aws = NULL;
	struct ms_aws_rest rest = { 0 };
	json_t *body = NULL, *answer = NULL, *out;
	xmlDoc *doc = NULL;
	char path[128];
	int err;

	if (argc < 5 || ms_aws_new(&aws, NULL)) {
		fprintf(stderr,
			"usage: aws_call json|query|rest-json ... "
			"(see the source) %s\n",
			ms_error_last());
		return 1;
	}
	if (!strcmp(argv[1], "json")) {
		body = arg_json(argc > 5 ? argv[5] : NULL);
		err = ms_aws_json_call(&answer, &error, aws, argv[2], argv[3],
				       argv[4], body);
	} else if (!strcmp(argv[1], "query")) {
		body = arg_json(argc > 5 ? argv[5] : NULL);
		err = ms_aws_query_call(&doc, &error, aws, argv[2], argv[3],
					argv[4], body);
		snprintf(path, sizeof(path), "%sResult", argv[4]);
		if (!err)
			answer = ms_xml_find(xmlDocGetRootElement(doc), path) ?
					 ms_xml_json(ms_xml_find(
						 xmlDocGetRootElement(doc),
						 path)) :
					 json_object();
	} else if (!strcmp(argv[1], "rest-json") && argc >= 6) {
		rest.service = argv[2];
		rest.operation = argv[3];
		rest.method = argv[4];
		rest.path = argv[5];
		rest.query = argc > 6 && *argv[6] ? argv[6] : NULL;
		body = argc > 7 ? arg_json(argv[7]) : NULL;
		err = ms_aws_rest_json_call(&answer, &error, aws, &rest, body);
	} else {
		fprintf(stderr, "aws_call: unknown protocol %s\n", argv[1]);
		ms_aws_free(aws);
		return 1;
	}
	if (err && !error.status && !error.code) {
		fprintf(stderr, "aws_call: %s\n", ms_error_last());
		out = json_pack("{s:{s:i, s:n, s:s}}", "error", "status", 0,
				"code", "message", ms_error_last());
	} else if (err) {
		out = json_pack("{s:{s:i, s:s?, s:s?}}", "error", "status",
				(int)error.status, "code", error.code,
				"message", error.message);
	} else {
		out = json_pack("{s:O}", "answer", answer);
	}
	json_dumpf(out, stdout, JSON_SORT_KEYS | JSON_COMPACT);
	putchar('\n');
	json_decref(out);
	json_decref(answer);
	json_decref(body);
	if (doc)
		xmlFreeDoc(doc);
	ms_aws_error_release(&error);
	ms_aws_free(aws);
	return 0;
}
