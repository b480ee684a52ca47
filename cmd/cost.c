/*
 * cost.c - `mlstack cost`: what the applied stack costs now, resource by
 * resource, and what destroy would save (docs/cost.md). Offline: the
 * state's attributes as the last apply or refresh recorded them, priced
 * by the price table; no AWS call is made.
 */
#include "util/common.h"
#include "cmd/cmd.h"
#include "engine/render.h"

int cmd_cost(struct cmd_opts *o)
{
	struct ms_engine *e = NULL;
	json_t *doc = NULL;
	int rc = 1;

	if (cmd_open(&e, o))
		return 1;
	if (ms_engine_cost(e, &doc)) {
		cmd_fail("%s", ms_error_last());
		goto done;
	}
	if (o->json)
		cmd_print_json(doc);
	else
		ms_render_cost(stdout, doc);
	rc = 0;
done:
	json_decref(doc);
	ms_engine_end(e);
	return rc;
}
