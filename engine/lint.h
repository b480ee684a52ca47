/*
 * lint.h - security checks of a stack as written (mlstack lint, and the
 * warnings of plan): the rules, and what a finding holds.
 *
 * Rules read the desired configuration evaluated offline: what a value
 * refers to that only AWS knows (an ARN, a lookup, the account id) is
 * unknown, and a rule never fires on an unknown value. docs/lint.md
 * describes every rule; its id is stable.
 */
#ifndef MS_LINT_H
#define MS_LINT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Severities, lowest first; SARIF levels: note, warning, error, error. */
enum ms_lint_severity {
	MS_LINT_LOW,
	MS_LINT_MEDIUM,
	MS_LINT_HIGH,
	MS_LINT_CRITICAL,
};

struct ms_lint_rule {
	const char *id;    /* "MLS-SM-001", stable */
	const char *types; /* the resource types it reads, space-separated */
	enum ms_lint_severity severity;
	const char *title;   /* what it finds, one line */
	const char *why;     /* why it matters */
	const char *fix;     /* what to write instead, in general */
	const char *checkov; /* Checkov's id of the same check, or NULL */
};

/* The i-th rule (in id order), or NULL past the last. */
const struct ms_lint_rule *ms_lint_rule_at(size_t i);
/* The rule of id, or NULL. */
const struct ms_lint_rule *ms_lint_rule_find(const char *id);
/* Whether rule reads resources of type. */
bool ms_lint_rule_applies(const struct ms_lint_rule *rule, const char *type);

/* "low", "medium", "high", "critical". */
const char *ms_lint_severity_name(enum ms_lint_severity s);
/* The severity a word names, or -1. */
int ms_lint_severity_parse(const char *word);

#endif
