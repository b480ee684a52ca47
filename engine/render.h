/*
 * render.h - plans, state and progress as a user reads them: Terraform-like
 * text, and Terraform's JSON plan representation.
 *
 * Only the calling thread renders; workers report events to it.
 */
#ifndef MS_RENDER_H
#define MS_RENDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "engine/engine.h"
#include "util/buf.h"

/* Colours on or off; returns whether they were on. */
bool ms_render_color(bool on);

/* For the renderers: attribute attr's MS_ATTR_* flags (0 when unknown). */
unsigned ms_render_flags(const char *type, const char *attr);
/* A change's action; a word the plan does not know reads as no-op. */
enum ms_action ms_render_action(const json_t *c);

/* A plan as text, ending with the summary line (or "No changes."). */
void ms_render_plan(FILE *f, const json_t *plan);
/*
 * One change of a plan (an element of its "changes") as its block of
 * text, appended to out: the comment lines ("# NAME will be updated in
 * place"), the resource line, the attributes that change (diffed by
 * render_diff.h, the others folded) and the closing brace; no blank line
 * after it. A no-op appends nothing. flags: MS_DIFF_COLOR,
 * MS_DIFF_SIGN_FIRST (render_diff.h).
 */
void ms_render_change(struct ms_buf *out, const json_t *change, unsigned flags);
/*
 * One drift entry of a plan (an element of its "drift"): "# NAME has
 * changed outside of mlstack" and the attributes that did, as
 * ms_render_change prints them, or "has been deleted".
 */
void ms_render_drift(struct ms_buf *out, const json_t *drift, unsigned flags);
/*
 * A plan as a pull-request comment (GitHub Markdown): a summary table,
 * warnings of what will be deleted, each resource's diff in a collapsible
 * block; within the size of a comment.
 */
void ms_render_plan_markdown(FILE *f, const json_t *plan);
/*
 * Terraform's JSON plan representation (format_version, resource_changes
 * with address/type/name/change.actions/before/after/after_unknown); new.
 */
json_t *ms_render_plan_json(const json_t *plan);

/*
 * Costs (render_cost.c, docs/cost.md). ms_render_change_cost: the
 * "# cost: ..." line of a change that has a cost, appended to out (flags
 * as ms_render_change's). ms_render_plan_cost: the cost section of a text
 * plan, each change that has a cost on a line, and the "Cost: ..." total
 * line. ms_render_plan_cost_markdown: the same as a total line and a
 * table. ms_render_plan_cost_json: the plan's "cost" with its changes'
 * costs under "resources", for the JSON plan's mlstack_cost; new, or NULL
 * when the plan holds none. ms_render_cost: `mlstack cost`, a document of
 * ms_engine_cost.
 */
void ms_render_change_cost(struct ms_buf *out, const json_t *change,
			   unsigned flags);
void ms_render_plan_cost(FILE *f, const json_t *plan, unsigned flags);
void ms_render_plan_cost_markdown(struct ms_buf *out, const json_t *plan);
json_t *ms_render_plan_cost_json(const json_t *plan);
void ms_render_cost(FILE *f, const json_t *doc);
/*
 * A lint finding (an element of ms_engine_lint's array) as one line,
 * appended to out without a newline: 'FILE:LINE:COL: SEVERITY RULE
 * KIND "NAME": MESSAGE (CHECKOV) — fix: FIX'.
 */
void ms_render_finding(struct ms_buf *out, const json_t *finding);
/*
 * "3 findings: 1 high, 2 medium (1 suppressed by lint.ignore)." or "No
 * findings.", appended to out.
 */
void ms_render_lint_summary(struct ms_buf *out, const json_t *findings);
/* lint's text: each finding not suppressed, one a line, and the summary. */
void ms_render_lint(FILE *f, const json_t *findings);
/*
 * The findings as a SARIF 2.1.0 log (one run, every rule in
 * tool.driver.rules, suppressed findings with their justification);
 * version is mlstack's. New.
 */
json_t *ms_render_lint_sarif(const json_t *findings, const char *version);

/* "NAME: text" progress lines. */
void ms_render_event(FILE *f, const char *name, const char *text);
/* "Error: NAME: message". */
void ms_render_failure(FILE *f, const char *name, const char *error);
void ms_render_summary(FILE *f, bool destroy, int added, int changed,
		       int destroyed);
/* "2m10s"; a static buffer, calling thread only. */
const char *ms_render_duration(double seconds);

/* One stored resource, attribute by attribute. */
void ms_render_resource(FILE *f, const char *name, const json_t *stored);
/*
 * A type's schema (one element of ms_engine_schema) as the Markdown
 * tables of its docs page: settable attributes, nested blocks, outputs.
 */
void ms_render_schema(FILE *f, const json_t *type);

#endif
