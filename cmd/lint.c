/*
 * lint.c - `mlstack lint`: the security rules on the stack as written,
 * offline; text, -json or -sarif; exit 3 when a finding is at least as
 * severe as -fail-on (docs/lint.md).
 *
 * No AWS call and no state: lint runs where validate does, before any
 * credentials exist (a pull request's check).
 */
#include "util/common.h"
#include "cmd/cmd.h"
#include "engine/lint.h"
#include "engine/render.h"

/* The exit code of findings at or above -fail-on. */
#define EXIT_FINDINGS 3

static void print_rules(bool json)
{
	const struct ms_lint_rule *r;
	json_t *all = json_array();
	size_t i;

	for (i = 0; (r = ms_lint_rule_at(i)); i++) {
		if (!json) {
			printf("%-12s %-8s %-12s %s\n", r->id,
			       ms_lint_severity_name(r->severity),
			       r->checkov ? r->checkov : "-", r->title);
			continue;
		}
		json_array_append_new(
			all,
			json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?}", "id",
				  r->id, "severity",
				  ms_lint_severity_name(r->severity), "title",
				  r->title, "why", r->why, "fix", r->fix,
				  "types", r->types, "checkov", r->checkov));
	}
	if (json)
		cmd_print_json(all);
	json_decref(all);
}

/* -json: the findings, suppressed ones too, and their count. */
static json_t *report(const json_t *findings, const char *stack,
		      const char *fail_on)
{
	json_t *summary = json_pack("{s:i, s:i, s:i, s:i, s:i}", "critical", 0,
				    "high", 0, "medium", 0, "low", 0,
				    "suppressed", 0);
	const json_t *f;
	const char *key;
	size_t i;

	json_array_foreach(findings, i, f) {
		key = json_object_get(f, "suppressed") ?
			      "suppressed" :
			      json_string_value(json_object_get(f, "severity"));
		json_object_set_new(
			summary, key,
			json_integer(json_integer_value(
					     json_object_get(summary, key)) +
				     1));
	}
	return json_pack("{s:s, s:s, s:s, s:O, s:o}", "format_version", "1",
			 "stack", stack, "fail_on", fail_on, "findings",
			 findings, "summary", summary);
}

int cmd_lint(struct cmd_opts *o)
{
	const char *fail_on = cmd_opt(o, "fail-on");
	struct ms_engine *e = NULL;
	json_t *findings = NULL, *out;
	const json_t *f;
	int threshold = MS_LINT_LOW, rc = 1;
	bool sarif = cmd_flag(o, "sarif"), failed = false;
	size_t i;

	if (o->n_args)
		return cmd_fail("lint takes no arguments (the stack is -f "
				"FILE)");
	if (o->json && sarif)
		return cmd_fail("-json and -sarif are two renderings: choose "
				"one");
	if (fail_on && !strcmp(fail_on, "none"))
		threshold = MS_LINT_CRITICAL + 1;
	else if (fail_on && (threshold = ms_lint_severity_parse(fail_on)) < 0)
		return cmd_fail("-fail-on \"%s\": expected low, medium, high, "
				"critical or none",
				fail_on);
	if (cmd_flag(o, "rules")) {
		print_rules(o->json);
		return 0;
	}
	o->skip_state = true;
	o->offline = true;
	if (cmd_open(&e, o))
		return 1;
	if (ms_engine_lint(e, &findings)) {
		cmd_fail("%s", ms_error_last());
		goto done;
	}
	json_array_foreach(findings, i, f)
		if (!json_object_get(f, "suppressed") &&
		    ms_lint_severity_parse(json_string_value(
			    json_object_get(f, "severity"))) >= threshold)
			failed = true;
	if (o->json || sarif) {
		out = o->json ? report(findings, ms_engine_stack_name(e),
				       fail_on ? fail_on : "low") :
				ms_render_lint_sarif(findings, MS_VERSION);
		cmd_print_json(out);
		json_decref(out);
	} else {
		ms_render_lint(stdout, findings);
	}
	rc = failed ? EXIT_FINDINGS : 0;
done:
	json_decref(findings);
	ms_engine_end(e);
	return rc;
}
