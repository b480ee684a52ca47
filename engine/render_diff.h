/*
 * render_diff.h - one attribute's change as a plan prints it, Terraform's
 * way: a scalar as `old -> new`; a nested value (a map, a list, an
 * object, a policy document, JSON held in a string) as an indented block
 * in which only what changed is marked (+ added, - removed, ~ changed)
 * and the rest folded into "# (2 unchanged elements hidden)"; a
 * multi-line string as a heredoc of its lines. Sensitive parts print as
 * (sensitive), unknown ones as (known after apply).
 *
 * The text plan (render.c) and any other rendering of plans share it;
 * the flags pick colours (a terminal) and where the sign of a line goes.
 *
 * Every function appends whole lines ("...\n") to a buffer. A line's
 * layout is: indent spaces, a sign ("+", "-", "~", "-/+", "+/-", or " "
 * for none), one space, the text; the nested lines of a block sit 4
 * columns further in, its closing brace 2 columns in (under the key).
 */
#ifndef MS_RENDER_DIFF_H
#define MS_RENDER_DIFF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"
#include "util/buf.h"

/* ANSI colours on the signs: + green, - red, ~ yellow. */
#define MS_DIFF_COLOR 0x01
/*
 * The sign first, in column 0, and the line's layout after it
 * ("~       instance_type = ..."), for a Markdown ```diff fence, which
 * colours the lines that start with + and -. Lines keep their length
 * and their nesting; only the sign moves.
 */
#define MS_DIFF_SIGN_FIRST 0x02

/* One attribute of a resource, on both sides of a change. */
struct ms_diff_attr {
	const char *type; /* the resource type, for its schema (may be NULL) */
	const char *name; /* the attribute */
	/* its schema, when the caller has it at hand (else found by type) */
	const struct ms_attr *schema;
	/* the values; NULL (or JSON null): absent on that side */
	const json_t *before, *after;
	/*
	 * The sensitive parts of each value: the attribute's entry of
	 * ms_sensitive_mask (true, or a nested mask), or NULL. Values that
	 * are hidden markers already print as (sensitive) anyway.
	 */
	const json_t *before_mask, *after_mask;
	/* its change forces replacement: "# forces replacement" on its line */
	bool forces;
	/*
	 * The plan says it changed. When before and after compare equal
	 * all the same (a saved plan holds markers where the secrets were),
	 * its hidden parts are shown as what changed.
	 */
	bool changed;
};

/*
 * Append the lines of one attribute to out: "SIGN name = value" with the
 * sign at column indent and the name padded to width (0: its own
 * length), a block's nested lines below it. action MS_ACTION_CREATE
 * shows after, every part marked +; MS_ACTION_DELETE shows before,
 * marked -, and "-> null"; any other shows the difference: + when
 * before is absent, - and "-> null" when after is, else ~ with only the
 * changed parts marked (an attribute that did not change prints whole,
 * unmarked).
 */
void ms_diff_attr_lines(struct ms_buf *out, const struct ms_diff_attr *a,
			enum ms_action action, int indent, int width,
			unsigned flags);

/*
 * Append "# (N unchanged attributes hidden)" ("elements" when elements
 * is set, "attribute" for one) as a line at indent; nothing when n is 0.
 */
void ms_diff_hidden_line(struct ms_buf *out, size_t n, bool elements,
			 int indent, unsigned flags);

/*
 * Append one line: sign ("+", "-", "~", "-/+", "+/-" or " ") at indent
 * (or first, with MS_DIFF_SIGN_FIRST), a space, the formatted text and
 * "\n".
 */
void ms_diff_line(struct ms_buf *out, int indent, const char *sign,
		  unsigned flags, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * Append a value of attribute attr of type on one line: compact JSON,
 * hidden parts as (sensitive), (known after apply) when anything in it
 * is unknown, a folder manifest as its counts and size.
 */
void ms_diff_value_text(struct ms_buf *out, const char *type, const char *attr,
			const json_t *v);

#endif
