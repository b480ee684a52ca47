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
 * What ms_ec2_describe_many asks: action (DescribeInstances...) with
 * params (may be NULL) and filter (a name: "instance-id") set to ids (an
 * array of strings), its answers' items under set ("reservationSet").
 * paged: the call takes MaxResults and NextToken.
 */
struct ms_ec2_many {
	const char *action;
	const json_t *params;
	const char *filter;
	const json_t *ids;
	const char *set;
	bool paged;
};

/*
 * Many objects in few calls, for a refresh (read_many): 200 ids a call
 * (EC2's most values in one filter), every page of each; *out (new) is
 * every item of set in every answer. An id the filter matches nothing for
 * is no error: its object is simply not among the items.
 */
int ms_ec2_describe_many(json_t **out, struct ms_aws *aws,
			 const struct ms_ec2_many *m);

#endif
