/*
 * render_lint.c - lint findings as a user or a tool reads them: one line
 * each, as a compiler's diagnostics (lint, plan's warnings), and SARIF
 * 2.1.0 for code scanning (GitHub's, and any SARIF viewer).
 *
 * SARIF results keep suppressed findings, marked with the reason the
 * stack gives (a suppression "inSource"), so that a scanner shows them
 * as dismissed rather than forgetting them; the levels follow the
 * severities (docs/lint.md), and security-severity gives GitHub's scale.
 */
#include "util/common.h"
#include "engine/lint.h"
#include "engine/render.h"
#include "util/sha256.h"

#include <ctype.h>

/* How a finding names its resource's kind ("notebook \"nb\""). */
static const struct {
	const char *type, *noun;
} nouns[] = {
	{ "aws_iam_policy", "policy" },
	{ "aws_iam_role", "role" },
	{ "aws_instance", "instance" },
	{ "aws_s3_bucket", "bucket" },
	{ "aws_security_group", "security group" },
	{ "aws_sagemaker_endpoint", "endpoint" },
	{ "aws_sagemaker_endpoint_configuration", "endpoint config" },
	{ "aws_sagemaker_hyper_parameter_tuning_job", "tuning job" },
	{ "aws_sagemaker_notebook_instance", "notebook" },
	{ "aws_sagemaker_training_job", "training job" },
};

static const char *noun(const char *type)
{
	size_t i;

	for (i = 0; type && i < MS_ARRAY_SIZE(nouns); i++)
		if (!strcmp(nouns[i].type, type))
			return nouns[i].noun;
	return "resource";
}

static const char *str(const json_t *f, const char *key)
{
	const char *s = json_string_value(json_object_get(f, key));

	return s ? s : "";
}

void ms_render_finding(struct ms_buf *out, const json_t *f)
{
	const char *checkov = json_string_value(json_object_get(f, "checkov"));

	ms_buf_addf(out, "%s:%d:%d: %s %s %s \"%s\": %s", str(f, "file"),
		    (int)json_integer_value(json_object_get(f, "line")),
		    (int)json_integer_value(json_object_get(f, "column")),
		    str(f, "severity"), str(f, "rule"), noun(str(f, "type")),
		    str(f, "resource"), str(f, "message"));
	if (checkov)
		ms_buf_addf(out, " (%s)", checkov);
	ms_buf_addf(out, " \u2014 fix: %s", str(f, "fix"));
}

void ms_render_lint_summary(struct ms_buf *out, const json_t *findings)
{
	int count[MS_LINT_CRITICAL + 1] = { 0 }, total = 0, suppressed = 0;
	const json_t *f;
	bool first = true;
	size_t i;
	int s;

	json_array_foreach(findings, i, f) {
		if (json_object_get(f, "suppressed")) {
			suppressed++;
			continue;
		}
		s = ms_lint_severity_parse(str(f, "severity"));
		if (s >= 0)
			count[s]++;
		total++;
	}
	if (!total) {
		ms_buf_adds(out, "No findings");
	} else {
		ms_buf_addf(out, "%d finding%s: ", total,
			    total == 1 ? "" : "s");
		for (s = MS_LINT_CRITICAL; s >= MS_LINT_LOW; s--) {
			if (!count[s])
				continue;
			ms_buf_addf(out, "%s%d %s", first ? "" : ", ", count[s],
				    ms_lint_severity_name(s));
			first = false;
		}
	}
	if (suppressed)
		ms_buf_addf(out, " (%d suppressed by lint.ignore)", suppressed);
	ms_buf_addch(out, '.');
}

void ms_render_lint(FILE *f, const json_t *findings)
{
	struct ms_buf b = MS_BUF_INIT;
	const json_t *x;
	bool any = false;
	size_t i;

	json_array_foreach(findings, i, x) {
		if (json_object_get(x, "suppressed"))
			continue;
		ms_buf_reset(&b);
		ms_render_finding(&b, x);
		fprintf(f, "%s\n", b.ptr);
		any = true;
	}
	ms_buf_reset(&b);
	ms_render_lint_summary(&b, findings);
	fprintf(f, "%s%s\n", any ? "\n" : "", b.ptr);
	ms_buf_release(&b);
}

/* SARIF */

static const char *level(enum ms_lint_severity s)
{
	return s >= MS_LINT_HIGH   ? "error" :
	       s == MS_LINT_MEDIUM ? "warning" :
				     "note";
}

/* GitHub's scale: 9.0+ critical, 7.0+ high, 4.0+ medium, low below. */
static const char *security_severity(enum ms_lint_severity s)
{
	static const char *const scores[] = { "3.0", "5.5", "8.0", "9.5" };

	return scores[s];
}

/* A file path as a URI reference: relative stays relative, else file://. */
static json_t *uri_of(const char *path)
{
	struct ms_buf b = MS_BUF_INIT;
	const unsigned char *p;
	json_t *out;

	if (path[0] == '/')
		ms_buf_adds(&b, "file://");
	for (p = (const unsigned char *)path; *p; p++)
		if (isalnum(*p) || strchr("-._~/", *p))
			ms_buf_addch(&b, (char)*p);
		else
			ms_buf_addf(&b, "%%%02X", *p);
	out = json_stringn(b.ptr, b.len);
	ms_buf_release(&b);
	return out;
}

static json_t *sarif_rule(const struct ms_lint_rule *r)
{
	json_t *props, *tags, *out;
	char *help, *md;

	tags = json_pack("[s]", "security");
	if (r->checkov)
		json_array_append_new(tags,
				      json_sprintf("checkov:%s", r->checkov));
	props = json_pack("{s:s, s:s, s:o}", "security-severity",
			  security_severity(r->severity), "severity",
			  ms_lint_severity_name(r->severity), "tags", tags);
	if (r->checkov)
		json_object_set_new(props, "checkov", json_string(r->checkov));
	help = ms_asprintf("%s. Fix: %s.%s%s%s", r->why, r->fix,
			   r->checkov ? " Checkov: " : "",
			   r->checkov ? r->checkov : "", r->checkov ? "." : "");
	md = ms_asprintf("%s.\n\n**Fix:** %s.%s%s%s\n\nSuppress it on a "
			 "resource with `lint: {ignore: {%s: \"why\"}}` "
			 "(docs/lint.md).",
			 r->why, r->fix, r->checkov ? "\n\nCheckov: `" : "",
			 r->checkov ? r->checkov : "", r->checkov ? "`" : "",
			 r->id);
	out = json_pack("{s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s, s:s}, "
			"s:{s:s}, s:o}",
			"id", r->id, "name", r->id, "shortDescription", "text",
			r->title, "fullDescription", "text", r->why, "help",
			"text", help, "markdown", md, "defaultConfiguration",
			"level", level(r->severity), "properties", props);
	free(help);
	free(md);
	return out;
}

/* A stable identity of a finding across runs: rule, resource, attribute. */
static json_t *fingerprint(const json_t *f)
{
	char hex[65], *text;

	text = ms_asprintf("%s\n%s\n%s", str(f, "rule"), str(f, "resource"),
			   str(f, "attribute"));
	if (ms_sha256_hex(hex, text, strlen(text)))
		hex[0] = '\0';
	free(text);
	return json_pack("{s:s}", "mlstackFinding/v1", hex);
}

static json_t *sarif_result(const json_t *f, size_t rule_index)
{
	const struct ms_lint_rule *r = ms_lint_rule_find(str(f, "rule"));
	const json_t *why = json_object_get(f, "suppressed");
	struct ms_buf msg = MS_BUF_INIT;
	json_t *res, *loc, *props;
	char *fqn;

	ms_buf_addf(&msg, "%s \"%s\": %s", noun(str(f, "type")),
		    str(f, "resource"), str(f, "message"));
	if (json_object_get(f, "checkov"))
		ms_buf_addf(&msg, " (%s)", str(f, "checkov"));
	ms_buf_addf(&msg, ". Fix: %s", str(f, "fix"));
	fqn = ms_asprintf("%s.%s", str(f, "type"), str(f, "resource"));
	loc = json_pack(
		"{s:{s:{s:o}, s:{s:I, s:I}}, s:[{s:s, s:s, s:s}]}",
		"physicalLocation", "artifactLocation", "uri",
		uri_of(str(f, "file")), "region", "startLine",
		(json_int_t)json_integer_value(json_object_get(f, "line")),
		"startColumn",
		(json_int_t)json_integer_value(json_object_get(f, "column")),
		"logicalLocations", "name", str(f, "resource"),
		"fullyQualifiedName", fqn, "kind", "resource");
	free(fqn);
	props = json_pack("{s:s, s:s}", "severity", str(f, "severity"), "fix",
			  str(f, "fix"));
	if (json_object_get(f, "suggestion"))
		json_object_set(props, "suggestion",
				json_object_get(f, "suggestion"));
	res = json_pack("{s:s, s:I, s:s, s:{s:s%}, s:[o], s:o, s:o}", "ruleId",
			str(f, "rule"), "ruleIndex", (json_int_t)rule_index,
			"level", level(r ? r->severity : MS_LINT_LOW),
			"message", "text", msg.ptr, msg.len, "locations", loc,
			"partialFingerprints", fingerprint(f), "properties",
			props);
	if (json_is_string(why))
		json_object_set_new(res, "suppressions",
				    json_pack("[{s:s, s:s}]", "kind",
					      "inSource", "justification",
					      json_string_value(why)));
	ms_buf_release(&msg);
	return res;
}

json_t *ms_render_lint_sarif(const json_t *findings, const char *version)
{
	json_t *rules = json_array(), *results = json_array(), *f;
	const struct ms_lint_rule *r;
	size_t i, k;

	for (i = 0; (r = ms_lint_rule_at(i)); i++)
		json_array_append_new(rules, sarif_rule(r));
	json_array_foreach(findings, i, f) {
		for (k = 0; (r = ms_lint_rule_at(k)); k++)
			if (!strcmp(r->id, str(f, "rule")))
				break;
		if (r)
			json_array_append_new(results, sarif_result(f, k));
	}
	return json_pack(
		"{s:s, s:s, s:[{s:{s:{s:s, s:s, s:s, s:o}}, s:s, s:o}]}",
		"$schema", "https://json.schemastore.org/sarif-2.1.0.json",
		"version", "2.1.0", "runs", "tool", "driver", "name", "mlstack",
		"version", version, "semanticVersion", version, "rules", rules,
		"columnKind", "unicodeCodePoints", "results", results);
}
