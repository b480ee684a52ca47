/*
 * kit.h - what every resource type is built from, whatever its service:
 * the wire mapping of its schema (struct ms_attr's wire), in both
 * directions, and the values diffs compare.
 *
 * The mapping is for the JSON protocols; the Query flattener
 * (providers/aws/aws.h) turns a request built here into Query
 * parameters. A type writes code only for the fields that do not map one
 * to one.
 */
#ifndef MS_KIT_H
#define MS_KIT_H

#include <jansson.h>
#include <math.h>
#include <stdbool.h>

#include "providers/provider.h"

/* How a service writes a tags map in a request ([{Key, Value}] ...). */
typedef json_t *(*ms_kit_tags_fn)(const json_t *map);

/*
 * The request body of attrs per schema: every attribute with a request
 * field, converted by its type (numbers canonical, booleans as their
 * words, maps of strings, nested objects and lists field by field); an
 * empty string, map or list is left out, as AWS takes "not set". The
 * attribute flagged MS_ATTR_TAGS goes through tags (left out when empty
 * or when tags is NULL). A required attribute missing is an error naming
 * it ("primary_container.image"). *out is new.
 */
int ms_kit_request(json_t **out, const struct ms_attr *schema,
		   const json_t *attrs, ms_kit_tags_fn tags);

/*
 * The attributes of an answer (a Describe) per schema, the inverse of
 * ms_kit_request: every attribute whose answer field is there (numbers
 * and booleans given as text, as the Query protocols do, are read as
 * such); one absent or empty takes its default (AWS leaves defaults out),
 * else is "not set". tags
 * (a map, may be NULL: {}) becomes the tags attribute, "id" the value of
 * id_attr, which the answer must hold. t->normalize then gives the
 * canonical form (a value it would refuse is kept as AWS holds it).
 */
int ms_kit_attrs(json_t **out, const struct ms_resource_type *t,
		 const json_t *answer, const json_t *tags);

/*
 * The attributes of an object as a create or update asked AWS to hold
 * them (read back right away, an eventually consistent service may show
 * the old values): base's schema attributes, tags {} when absent, "id"
 * from id_attr, canonical. New.
 */
json_t *ms_kit_attrs_from(const struct ms_resource_type *t, const json_t *base);

/*
 * The fields of an in-place update: the attributes desired sets to
 * something prior does not hold, that have a request field and neither
 * force a new object nor are tags. *changed: their names (empty: nothing
 * to update). Both new.
 */
int ms_kit_update_request(json_t **out, json_t **changed,
			  const struct ms_resource_type *t, const json_t *prior,
			  const json_t *desired);

/*
 * Canonical values. A map's numbers and booleans become strings (YAML
 * gives 1 for "1"); a whole real becomes an integer (AWS answers 1.0).
 * ms_kit_number returns a new reference.
 */
void ms_kit_strings(json_t *map);
json_t *ms_kit_number(const json_t *v);

/*
 * A number attribute of obj made canonical and checked: absent (or
 * unknown) is left alone; otherwise it must be within [min, max] and,
 * when whole, an integer (max INFINITY: no upper bound). where names it
 * in the message.
 */
int ms_kit_check_number(json_t *obj, const char *key, const char *where,
			double min, double max, bool whole);

/*
 * The field attribute attr of t maps to, in answers (answer) or requests,
 * copied to out; NULL when it has none.
 */
const char *ms_kit_field(char out[64], const struct ms_resource_type *t,
			 const char *attr, bool answer);

/*
 * Tags. A map of key -> string as the [{Key, Value}] list most services
 * take (keys sorted), and back (a repeated key: the last one wins).
 */
json_t *ms_kit_tags_list(const json_t *tags);
json_t *ms_kit_tags_map(const json_t *list);

/*
 * Sort the strings of list in place and drop duplicates (a set written
 * as a list: policy ARNs, security groups); other values (unknowns) keep
 * their order after the strings.
 */
void ms_kit_sorted_set(json_t *list);

/* The string at key, or dflt. */
const char *ms_kit_str(const json_t *obj, const char *key, const char *dflt);
/* The object's name: its "id", else its id_attr (call->type), or NULL. */
const char *ms_kit_name(const struct ms_call *call, const json_t *attrs);

/*
 * The page size a bulk read asks a list call for: dflt (the largest the
 * call takes), or MLSTACK_LIST_PAGE_SIZE when it is a smaller positive
 * number, so that tests can page through a few objects.
 */
int ms_kit_page_size(int dflt);

/*
 * Every page of a JSON-protocol list: the items under key of each answer
 * to op (service and target as ms_aws_json_call takes them), paged by
 * token_key in the request and the answer, into *out (new). body is the
 * first request (the token is set in it for the next). A token answered
 * twice is an error, not an endless loop.
 */
int ms_kit_json_pages(json_t **out, struct ms_aws *aws, const char *service,
		      const char *target, const char *op, json_t *body,
		      const char *key, const char *token_key);
/*
 * The same, stopping after max_pages pages (0: every page): *cut (may be
 * NULL) says whether a page was left unread, so that what the list did
 * not reach is not taken for absent (struct ms_call's list_pages).
 */
int ms_kit_json_pages_upto(json_t **out, struct ms_aws *aws,
			   const char *service, const char *target,
			   const char *op, json_t *body, const char *key,
			   const char *token_key, size_t max_pages, bool *cut);

/*
 * The tags of every resource of a type (a ResourceTypeFilters entry of the
 * Resource Groups Tagging API: "sagemaker:model", "s3") that GetResources
 * shows, 100 a page, as an object ARN -> {key: value} (new). The API
 * leaves out a resource never tagged, and lags behind a tag change
 * (docs/refresh.md says what a bulk read makes of that). At most
 * max_pages pages (0: all), *cut as for ms_kit_json_pages_upto: a
 * resource on a page not read is not shown either.
 */
int ms_kit_tagged(json_t **out, struct ms_aws *aws, const char *type,
		  size_t max_pages, bool *cut);

/*
 * job(i, payload) for each i below n, threads at a time (this thread is
 * one of them). The first failure is returned, with its message and
 * code, and the jobs not begun by then are not run.
 */
int ms_kit_parallel(size_t n, int threads, int (*job)(size_t i, void *payload),
		    void *payload);

#endif
