/*
 * ec2.h - the EC2 service layer: its dialect of the Query protocol
 * (lists as Name.N, answers under <item>), tags, and the names of
 * request parameters built here rather than flattened.
 */
#ifndef MS_EC2_H
#define MS_EC2_H

#include <jansson.h>

#include "providers/aws/aws.h"
#include "providers/kit.h"

#define MS_EC2_VERSION "2016-11-15"

/*
 * One EC2 call. params is a flat object of EC2's parameter names
 * ("KeyName.1", "TagSpecification.1.Tag.1.Key"): build lists with
 * ms_ec2_list. *out (when out is not NULL) is the answer's root element
 * as JSON. error (may be NULL) says which AWS error a failure was.
 */
int ms_ec2_call(json_t **out, struct ms_aws_error *error, struct ms_aws *aws,
		const char *action, const json_t *params);

/* name.1, name.2 ... = the strings of list. */
void ms_ec2_list(json_t *params, const char *name, const json_t *list);
/*
 * TagSpecification.n: the resource type and tags (a map, keys sorted),
 * as a create takes them.
 */
void ms_ec2_tag_spec(json_t *params, int n, const char *type,
		     const json_t *tags);
/* A tagSet answer (a list of {key, value}) as a map; a new value. */
json_t *ms_ec2_tags(const json_t *tag_set);
/* Bring the tags of resource id from have to want (CreateTags, DeleteTags). */
int ms_ec2_tags_update(struct ms_aws *aws, const char *id, const json_t *have,
		       const json_t *want);
/* The value of a list answer that holds one item or several: its items. */
json_t *ms_ec2_items(const json_t *v);
/*
 * The string fields of an answer's item as attributes: fields pairs an
 * attribute's name with its field ("id", "instanceId"), ending with
 * { NULL }; a field absent is "".
 */
void ms_ec2_strings(json_t *attrs, const json_t *item,
		    const char *const fields[][2]);

/*
 * How a type's objects are read many at once (ms_ec2_read_many): action
 * (DescribeInstances...) with params (may be NULL) and filter (a name:
 * "instance-id") set to the ids the state recorded, its answers' items
 * under set ("reservationSet"; each item's own items under nested, as
 * a reservation's "instancesSet", when it is not NULL). paged: the call
 * takes MaxResults and NextToken. An object's id is its recorded
 * id_attr ("id"; NULL: the type's name, ms_kit_name), when it starts
 * with prefix ("i-"; NULL: any); an item's is its item_key
 * ("instanceId"). attrs(call, item, prior) is what read answers for
 * the object item shows (new; json_null() when the item shows it gone).
 */
struct ms_ec2_many {
	const char *action;
	const json_t *params;
	const char *filter;
	const char *set;
	const char *nested;
	bool paged;
	const char *id_attr;
	const char *prefix;
	const char *item_key;
	json_t *(*attrs)(struct ms_call *call, const json_t *item,
			 const json_t *prior);
};

/*
 * A type's read_many: its Describe call filtered by the recorded ids,
 * 200 a call (EC2's most values in one filter), every page of each. An
 * id the filter matches nothing for is no error: its object is left out,
 * to be read alone (docs/refresh.md).
 */
int ms_ec2_read_many(struct ms_call *call, const json_t *priors,
		     const struct ms_ec2_many *m, json_t **out);

#endif
