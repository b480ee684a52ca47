/*
 * render_cost.c - costs as a user reads them (docs/cost.md): the
 * "# cost:" line of a change, the cost section and total of a plan in
 * text and Markdown, the mlstack_cost key of the JSON plan, and
 * `mlstack cost`.
 *
 * Amounts are US dollars per hour with the month beside them ("+$0.115/h
 * (+$83.95/month)"), a range where auto scaling makes one
 * ("+$0.115..$0.46/h"), a job by its run ("up to $2.97 per run"). A part
 * without a price is never shown as $0: the figure reads "at least", and
 * the reason is said. The documents are read defensively (a saved plan
 * is a file a user may edit): a missing number is 0, a missing list
 * empty.
 */
#include "util/common.h"
#include "engine/render.h"
#include "engine/render_diff.h"
#include "util/json.h"

#define BOLD  "\033[1m"
#define RESET "\033[0m"

static double num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static const char *str(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

/*
 * "$0.115", "-$1,234.56", "+$0.05" with sign; under a hundredth of a
 * cent "<$0.0001", which is not zero (JSON has the figure).
 */
static void money(struct ms_buf *out, double x, bool sign)
{
	double a = x < 0 ? -x : x;
	char digits[64];
	size_t n, i, lead;

	if (!(a < 1e15))
		a = 0; /* not a number a user should see */
	if (sign && x > 0 && a > 0)
		ms_buf_addch(out, '+');
	else if (x < 0 && a > 0)
		ms_buf_addch(out, '-');
	if (a > 0 && a < 0.0001) {
		ms_buf_adds(out, "<$0.0001");
		return;
	}
	ms_buf_addch(out, '$');
	if (a == 0) {
		ms_buf_addch(out, '0');
		return;
	}
	if (a >= 1) {
		/* cents, and thousands grouped */
		snprintf(digits, sizeof(digits), "%.2f", a);
		n = strlen(digits) - 3;
		lead = n % 3 ? n % 3 : 3;
		for (i = 0; i < n; i++) {
			if (i && i >= lead && (i - lead) % 3 == 0)
				ms_buf_addch(out, ',');
			ms_buf_addch(out, digits[i]);
		}
		ms_buf_adds(out, digits + n);
		return;
	}
	/* under a dollar: four decimals at most, two at least */
	snprintf(digits, sizeof(digits), "%.4f", a);
	n = strlen(digits);
	while (n > 4 && digits[n - 1] == '0')
		n--;
	ms_buf_add(out, digits, n);
}

/* A unit price as the table has it: "$1.006", "$0.0000041667". */
static void unit_price(struct ms_buf *out, double usd)
{
	char digits[64];
	size_t n;

	if (!(usd > 0 && usd < 1e9)) {
		money(out, usd, false);
		return;
	}
	snprintf(digits, sizeof(digits), "%.10f", usd);
	n = strlen(digits);
	while (digits[n - 1] == '0' && digits[n - 3] != '.')
		n--;
	ms_buf_addch(out, '$');
	ms_buf_add(out, digits, n);
}

/* A quantity: a count, or GB (shown in MB or KB when small). */
static void quantity(struct ms_buf *out, double q, bool gb)
{
	if (!gb || q >= 0.01 || q == 0)
		ms_buf_addf(out, "%.6g%s", q, gb ? " GB" : "");
	else if (q * 1024 >= 1)
		ms_buf_addf(out, "%.3g MB", q * 1024);
	else
		ms_buf_addf(out, "%.3g KB", q * 1024 * 1024);
}

/*
 * "$0.115", or a range "$0.115..$0.46": its second end signed only when
 * it goes the other way (or the first is zero).
 */
static void amount(struct ms_buf *out, double lo, double hi, bool sign)
{
	bool turns = !lo || (lo < 0) != (hi < 0);

	money(out, lo, sign);
	if (lo != hi) {
		ms_buf_adds(out, "..");
		/* "-$0.115..$0.46": the sign of both ends said once */
		money(out, turns || hi > 0 ? hi : -hi, sign && turns);
	}
}

/* "+$0.115/h (+$83.95/month)", or a range "+$0.115..$0.46/h (...)". */
static void rate(struct ms_buf *out, const json_t *cost, bool sign)
{
	amount(out, num(cost, "hourly"), num(cost, "hourly_max"), sign);
	ms_buf_adds(out, "/h (");
	amount(out, num(cost, "monthly"), num(cost, "monthly_max"), sign);
	ms_buf_adds(out, "/month)");
}

static bool hourly(const json_t *cost)
{
	return num(cost, "hourly") || num(cost, "hourly_max");
}

static void reasons(struct ms_buf *out, const json_t *unknown)
{
	json_t *v;
	size_t i;

	json_array_foreach(unknown, i, v) {
		if (i)
			ms_buf_adds(out, "; ");
		ms_buf_adds(out,
			    json_string_value(v) ? json_string_value(v) : "?");
	}
}

/*
 * A cost in one line. sign: a change's (+/-), else an object's own.
 * A job's run, the hours, and what has no price.
 */
static void summary(struct ms_buf *out, const json_t *cost, bool sign)
{
	const json_t *unknown = json_object_get(cost, "unknown");
	const json_t *run = json_object_get(cost, "run");
	bool has_run = json_is_number(run), any = false;

	if (has_run) {
		if (json_is_true(json_object_get(cost, "billed"))) {
			money(out, num(cost, "run"), false);
			ms_buf_adds(out, " billed for its run");
		} else {
			ms_buf_adds(out, "up to ");
			money(out, num(cost, "run"), false);
			ms_buf_adds(out, " per run");
		}
		any = true;
	}
	if (hourly(cost) || (!has_run && !json_array_size(unknown))) {
		if (any)
			ms_buf_adds(out, "; ");
		rate(out, cost, sign);
		any = true;
	}
	if (!json_array_size(unknown))
		return;
	if (!any) {
		ms_buf_adds(out, "unknown (");
		reasons(out, unknown);
		ms_buf_addch(out, ')');
		return;
	}
	ms_buf_adds(out, "; not priced: ");
	reasons(out, unknown);
}

/* A figure that leaves out what has no price is a floor. */
static const char *at_least(const json_t *cost)
{
	return json_array_size(json_object_get(cost, "unknown")) &&
			       (hourly(cost) ||
				json_is_number(json_object_get(cost, "run"))) ?
		       "at least " :
		       "";
}

void ms_render_change_cost(struct ms_buf *out, const json_t *change,
			   unsigned flags)
{
	const json_t *cost = json_object_get(change, "cost");
	const json_t *before = json_object_get(cost, "before");
	const json_t *after = json_object_get(cost, "after");
	struct ms_buf line = MS_BUF_INIT;

	if (!json_is_object(cost))
		return;
	ms_buf_adds(&line, at_least(cost));
	summary(&line, cost, true);
	/* a change of a standing cost: from what to what */
	if (hourly(before) && hourly(after) &&
	    !json_is_true(json_object_get(after, "job"))) {
		ms_buf_adds(&line, ", ");
		amount(&line, num(before, "hourly"), num(before, "hourly_max"),
		       false);
		ms_buf_adds(&line, "/h -> ");
		amount(&line, num(after, "hourly"), num(after, "hourly_max"),
		       false);
		ms_buf_adds(&line, "/h");
	}
	ms_diff_line(out, 0, " ", flags, "# cost: %s", line.ptr);
	ms_buf_release(&line);
}

/* The sign of a change in the cost table. */
static const char *sign_of(const json_t *c)
{
	switch (ms_render_action(c)) {
	case MS_ACTION_CREATE:
		return "+";
	case MS_ACTION_UPDATE:
		return "~";
	case MS_ACTION_REPLACE:
		return "-/+";
	case MS_ACTION_DELETE:
		return "-";
	default:
		return " ";
	}
}

/* "us-east-1 on-demand prices of 2024-07-01" (and where they came from). */
static void prices_line(struct ms_buf *out, const json_t *cost)
{
	const json_t *prices = json_object_get(cost, "prices");
	const char *origin = str(prices, "origin", "built in");

	ms_buf_addf(out, "%s on-demand prices of %s", str(cost, "region", "?"),
		    str(prices, "date", "?"));
	if (strcmp(origin, "built in"))
		ms_buf_addf(out, " from %s", origin);
	if (!strcmp(str(cost, "region_from", ""), "assumed"))
		ms_buf_adds(out, " (no region set: us-east-1 assumed)");
}

/* The plan's total: "+$1.17/h (+$854.10/month); training ...". */
static void total_line(struct ms_buf *out, const json_t *cost)
{
	const json_t *before = json_object_get(cost, "before");
	const json_t *after = json_object_get(cost, "after");
	long unknown =
		(long)json_integer_value(json_object_get(cost, "unknown"));
	bool runs = num(cost, "runs") > 0;

	if (!hourly(cost) && !runs && !unknown) {
		ms_buf_adds(out, "no change");
		if (hourly(after)) {
			ms_buf_adds(out, " (the stack: ");
			rate(out, after, false);
			ms_buf_addch(out, ')');
		}
		return;
	}
	if (unknown)
		ms_buf_adds(out, "at least ");
	rate(out, cost, true);
	if (runs) {
		ms_buf_adds(out, "; training and tuning: up to ");
		money(out, num(cost, "runs"), false);
		ms_buf_adds(out, " per run");
	}
	if (unknown)
		ms_buf_addf(out, "; %ld %s without a price", unknown,
			    unknown == 1 ? "resource" : "resources");
	if (hourly(before) && hourly(after)) {
		ms_buf_adds(out, "; the stack then: ");
		rate(out, after, false);
	}
}

void ms_render_plan_cost(FILE *f, const json_t *plan, unsigned flags)
{
	const json_t *cost = json_object_get(plan, "cost"), *c;
	struct ms_buf out = MS_BUF_INIT, line = MS_BUF_INIT;
	bool color = flags & MS_DIFF_COLOR;
	size_t i, w = 0, rows = 0;

	if (!json_is_object(cost))
		return;
	json_array_foreach(json_object_get(plan, "changes"), i, c)
		if (json_is_object(json_object_get(c, "cost")) &&
		    strlen(str(c, "name", "")) > w)
			w = strlen(str(c, "name", ""));
	json_array_foreach(json_object_get(plan, "changes"), i, c) {
		const json_t *cc = json_object_get(c, "cost");

		if (!json_is_object(cc))
			continue;
		if (!rows++) {
			ms_buf_adds(&out, "Cost, ");
			prices_line(&out, cost);
			ms_buf_adds(&out, ":\n");
		}
		ms_buf_reset(&line);
		ms_buf_adds(&line, at_least(cc));
		summary(&line, cc, true);
		ms_buf_addf(&out, "  %-*s  %s%s\n", (int)w, str(c, "name", ""),
			    line.ptr,
			    ms_render_action(c) == MS_ACTION_NOOP ?
				    " (with what it depends on)" :
				    "");
	}
	ms_buf_reset(&line);
	total_line(&line, cost);
	fprintf(f, "%s%s%sCost:%s %s\n", out.ptr, rows ? "\n" : "",
		color ? BOLD : "", color ? RESET : "", line.ptr);
	ms_buf_release(&out);
	ms_buf_release(&line);
}

/* A Markdown table cell: | and newlines would break the table. */
static void cell(struct ms_buf *out, const char *text)
{
	for (; *text; text++) {
		if (*text == '|')
			ms_buf_adds(out, "\\|");
		else if (*text == '\n')
			ms_buf_addch(out, ' ');
		else
			ms_buf_addch(out, *text);
	}
}

void ms_render_plan_cost_markdown(struct ms_buf *out, const json_t *plan)
{
	const json_t *cost = json_object_get(plan, "cost"), *c;
	struct ms_buf line = MS_BUF_INIT;
	size_t i, rows = 0;

	if (!json_is_object(cost))
		return;
	ms_buf_adds(out, "**Cost:** ");
	total_line(&line, cost);
	cell(out, line.ptr);
	ms_buf_adds(out, " (");
	ms_buf_reset(&line);
	prices_line(&line, cost);
	cell(out, line.ptr);
	ms_buf_adds(out, ")\n\n");
	json_array_foreach(json_object_get(plan, "changes"), i, c) {
		const json_t *cc = json_object_get(c, "cost");
		bool run = json_is_number(json_object_get(cc, "run"));

		if (!json_is_object(cc))
			continue;
		if (!rows++)
			ms_buf_adds(out, "| Resource | Per hour | Per month "
					 "| Per run | Not priced |\n"
					 "|---|---:|---:|---:|---|\n");
		ms_buf_addf(out, "| `%s %s` | ", sign_of(c),
			    str(c, "name", ""));
		if (hourly(cc) || !run) {
			amount(out, num(cc, "hourly"), num(cc, "hourly_max"),
			       true);
			ms_buf_adds(out, " | ");
			amount(out, num(cc, "monthly"), num(cc, "monthly_max"),
			       true);
			ms_buf_adds(out, " | ");
		} else {
			ms_buf_adds(out, " |  | ");
		}
		if (run) {
			ms_buf_reset(&line);
			ms_buf_adds(&line, "up to ");
			money(&line, num(cc, "run"), false);
			ms_buf_adds(out, line.ptr);
		}
		ms_buf_adds(out, " | ");
		ms_buf_reset(&line);
		reasons(&line, json_object_get(cc, "unknown"));
		cell(out, line.ptr);
		ms_buf_adds(out, " |\n");
	}
	if (rows)
		ms_buf_addch(out, '\n');
	ms_buf_release(&line);
}

json_t *ms_render_plan_cost_json(const json_t *plan)
{
	const json_t *cost = json_object_get(plan, "cost"), *c;
	json_t *out, *list = json_array();
	size_t i;

	if (!json_is_object(cost)) {
		json_decref(list);
		return NULL;
	}
	out = json_deep_copy(cost);
	json_array_foreach(json_object_get(plan, "changes"), i, c) {
		json_t *entry;

		if (!json_is_object(json_object_get(c, "cost")))
			continue;
		entry = json_deep_copy(json_object_get(c, "cost"));
		json_object_set(entry, "name", json_object_get(c, "name"));
		json_object_set(entry, "type", json_object_get(c, "type"));
		json_object_set(entry, "action", json_object_get(c, "action"));
		if (json_object_get(c, "deposed_of"))
			json_object_set(entry, "deposed_of",
					json_object_get(c, "deposed_of"));
		json_array_append_new(list, entry);
	}
	json_object_set_new(out, "resources", list);
	return out;
}

/* One priced part: "notebook instance ml.t3.medium: 1 x $0.05/h". */
static void item_line(struct ms_buf *out, const json_t *item)
{
	const char *unit = str(item, "unit", "");
	const json_t *max = json_object_get(item, "count_max");
	bool gb = !strcmp(unit, "GB-month") || !strcmp(unit, "GB-second");

	ms_buf_addf(out, "%s: ", str(item, "what", ""));
	quantity(out, num(item, "count"), gb && !json_is_number(max));
	if (json_is_number(max)) {
		ms_buf_adds(out, "..");
		quantity(out, json_number_value(max), gb);
	}
	ms_buf_adds(out, " x ");
	unit_price(out, num(item, "usd"));
	ms_buf_addf(out, "/%s", !strcmp(unit, "hour") ? "h" : unit);
	if (json_object_get(item, "seconds"))
		ms_buf_addf(out, " for %s",
			    ms_render_duration(num(item, "seconds")));
	if (json_is_true(json_object_get(item, "estimate")))
		ms_buf_adds(out, " (an estimate)");
}

void ms_render_cost(FILE *f, const json_t *doc)
{
	const json_t *list = json_object_get(doc, "resources"), *r, *item;
	const json_t *total = json_object_get(doc, "total");
	struct ms_buf line = MS_BUF_INIT, head = MS_BUF_INIT;
	size_t i, j, w = 0;

	if (!json_array_size(list)) {
		fprintf(f,
			"Nothing applied yet: the state of stack \"%s\" holds "
			"no resources, so it costs nothing.\n",
			str(doc, "stack", ""));
		return;
	}
	prices_line(&head, doc);
	fprintf(f, "Cost of stack \"%s\", %s:\n\n", str(doc, "stack", ""),
		head.ptr);
	json_array_foreach(list, i, r)
		if (strlen(str(r, "name", "")) > w)
			w = strlen(str(r, "name", ""));
	json_array_foreach(list, i, r) {
		ms_buf_reset(&line);
		ms_buf_adds(&line, at_least(r));
		summary(&line, r, false);
		fprintf(f, "  %-*s  %s\n", (int)w, str(r, "name", ""),
			line.ptr);
		json_array_foreach(json_object_get(r, "items"), j, item) {
			ms_buf_reset(&line);
			item_line(&line, item);
			fprintf(f, "  %-*s    %s\n", (int)w, "", line.ptr);
		}
	}
	ms_buf_reset(&line);
	if (json_integer_value(json_object_get(total, "unknown")))
		ms_buf_adds(&line, "at least ");
	rate(&line, total, false);
	fprintf(f, "\nTotal: %s", line.ptr);
	if (json_integer_value(json_object_get(total, "unknown")))
		fprintf(f, "; %lld without a price",
			(long long)json_integer_value(
				json_object_get(total, "unknown")));
	fputc('\n', f);
	if (num(total, "runs") > 0) {
		ms_buf_reset(&line);
		money(&line, num(total, "runs"), false);
		fprintf(f,
			"Training and tuning: %s%s for the runs in the state "
			"(a job costs by the run, not by the hour)\n",
			json_is_true(json_object_get(total, "runs_bound")) ?
				"up to " :
				"",
			line.ptr);
	}
	ms_buf_reset(&line);
	rate(&line, json_object_get(doc, "destroy_saves"), false);
	fprintf(f, "mlstack destroy would save %s%s.\n",
		json_integer_value(json_object_get(total, "unknown")) ?
			"at least " :
			"",
		line.ptr);
	ms_buf_release(&line);
	ms_buf_release(&head);
}
