/*
 * lint_internal.h - what the lint driver (lint.c) and the rule files of
 * each service group (lint_iam.c, lint_sagemaker.c, lint_s3.c,
 * lint_ec2.c) share; not for cmd/.
 */
#ifndef MS_LINT_INTERNAL_H
#define MS_LINT_INTERNAL_H

#include "engine/lint.h"
#include "engine/stack.h"

/* One resource as the rules see it. */
struct ms_lint_res {
	const struct ms_resource *r; /* name, type, properties as written */
	json_t *attrs; /* desired attributes, evaluated offline: unknowns */
};

struct ms_lint_texts; /* a rule's words, as JSON strings (lint.c) */

/* One run: the stack, every resource in it, the findings so far. */
struct ms_lint {
	const struct ms_stack *stack;
	struct ms_lint_res *res; /* in the stack's order */
	size_t n;
	json_t *findings;
	/* what every finding of a rule, or of the run, says alike */
	struct ms_lint_texts *texts;
	size_t n_texts;
	json_t *file;
	/* the SageMaker rules' index of configs and scaling targets */
	struct ms_lint_sm *sm;
	/* the IAM rules' ARNs of the stack's resources, by service */
	json_t *arns;
};

/*
 * A service group: its rules (ending with an entry without id, in id
 * order) and the function that checks one resource against them.
 */
struct ms_lint_group {
	const struct ms_lint_rule *rules;
	void (*check)(struct ms_lint *L, const struct ms_lint_res *r);
	/* frees what check kept in L for the run (NULL: nothing) */
	void (*release)(struct ms_lint *L);
};

extern const struct ms_lint_group ms_lint_iam;
extern const struct ms_lint_group ms_lint_sagemaker;
extern const struct ms_lint_group ms_lint_s3;
extern const struct ms_lint_group ms_lint_ec2;

/*
 * Report a finding of rule on r. at: the property path the finding is
 * about ("direct_internet_access", "ingress[0].cidr_blocks"), where the
 * stack file is pointed at when it writes it (else the resource); NULL
 * for the resource. fix: the line that fixes it (NULL: the rule's).
 * suggestion: what to write instead, a stack value (stolen; may be
 * NULL). A rule the resource ignores (lint.ignore) is reported
 * suppressed, with its reason.
 */
void ms_lint_report(struct ms_lint *L, const struct ms_lint_res *r,
		    const char *rule, const char *at, const char *fix,
		    json_t *suggestion, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* obj's value at key when it is there and known; else NULL. */
const json_t *ms_lint_get(const json_t *obj, const char *key);
/* A known string at key, or NULL. */
const char *ms_lint_str(const json_t *obj, const char *key);
/* A known bool at key: 1 or 0; -1 when absent or unknown. */
int ms_lint_bool(const json_t *obj, const char *key);
/* A known number at key, into *out; false when absent or unknown. */
bool ms_lint_number(const json_t *obj, const char *key, double *out);
/* Whether property attr is written in the stack (set, not defaulted). */
bool ms_lint_written(const struct ms_lint_res *r, const char *attr);

#endif
