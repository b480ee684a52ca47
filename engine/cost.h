/*
 * cost.h - what a plan changes in the stack's bill, and what the applied
 * stack costs, from the types' cost hooks and the price table
 * (docs/cost.md, docs/plan-format.md).
 */
#ifndef MS_COST_H
#define MS_COST_H

#include <jansson.h>
#include <stdbool.h>

#include "providers/provider.h"

/* Where the region priced came from: the stack, the environment ... */
struct ms_cost_region {
	const char *region;
	const char *from; /* "the stack", "the environment", "assumed" */
};

/*
 * Price a plan document: each change that costs something, or whose
 * cost changes, gets a "cost" key (its before's and after's costs and
 * the difference), and the plan a top-level "cost" (the totals, the
 * region, the table's date and sources). Costs a plan already holds are
 * replaced. Changes the plan does not make (noop) are priced too, since
 * an object's cost may depend on others (an endpoint on its auto scaling
 * target).
 */
void ms_cost_plan(json_t *plan, const struct ms_prices *prices,
		  const struct ms_cost_region *region);

/*
 * What the resources of a state cost now (stored: name -> stored value,
 * as ms_state_resources gives): *out is {"currency", "region",
 * "region_from", "prices", "hours_per_month", "resources": [{"name",
 * "type", cost...}], "total", "destroy_saves"}, new.
 */
json_t *ms_cost_state(const json_t *stored, const struct ms_prices *prices,
		      const struct ms_cost_region *region);

#endif
