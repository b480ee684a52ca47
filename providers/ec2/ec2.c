/*
 * ec2.c - the EC2 service layer.
 */
#include "util/common.h"
#include "providers/ec2/ec2.h"
#include "util/json.h"

int ms_ec2_call(json_t **out, struct ms_aws_error *error, struct ms_aws *aws,
		const char *action, const json_t *params)
{
	xmlDoc *doc = NULL;
	int err = ms_aws_query_call(&doc, error, aws, "ec2", MS_EC2_VERSION,
				    action, params);

	if (out)
		*out = err ? NULL : ms_xml_json(xmlDocGetRootElement(doc));
	if (out && !err && !json_is_object(*out)) {
		json_decref(*out);
		*out = json_object();
	}
	if (doc)
		xmlFreeDoc(doc);
	return err;
}

void ms_ec2_list(json_t *params, const char *name, const json_t *list)
{
	json_t *v;
	size_t i;
	char *key;

	json_array_foreach(list, i, v) {
		key = ms_asprintf("%s.%zu", name, i + 1);
		json_object_set(params, key, v);
		free(key);
	}
}

void ms_ec2_tag_spec(json_t *params, int n, const char *type,
		     const json_t *tags)
{
	json_t *keys = json_array(), *k;
	const char *key;
	json_t *v;
	char *name;
	size_t i;

	if (!json_object_size(tags)) {
		json_decref(keys);
		return;
	}
	name = ms_asprintf("TagSpecification.%d.ResourceType", n);
	json_object_set_new(params, name, json_string(type));
	free(name);
	json_object_foreach((json_t *)tags, key, v)
		json_array_append_new(keys, json_string(key));
	keys = ms_json_sorted_set(keys);
	json_array_foreach(keys, i, k) {
		name = ms_asprintf("TagSpecification.%d.Tag.%zu.Key", n, i + 1);
		json_object_set(params, name, k);
		free(name);
		name = ms_asprintf("TagSpecification.%d.Tag.%zu.Value", n,
				   i + 1);
		json_object_set(params, name,
				json_object_get(tags, json_string_value(k)));
		free(name);
	}
	json_decref(keys);
}

json_t *ms_ec2_items(const json_t *v)
{
	json_t *list;

	if (json_is_array(v))
		return json_incref((json_t *)v);
	list = json_array();
	if (json_is_object(v) && json_object_get(v, "item")) {
		json_t *items = json_object_get(v, "item");

		if (json_is_array(items))
			json_array_extend(list, items);
		else
			json_array_append(list, items);
	} else if (json_is_object(v) && json_object_size(v)) {
		json_array_append(list, (json_t *)v);
	}
	return list;
}

void ms_ec2_strings(json_t *attrs, const json_t *item,
		    const char *const fields[][2])
{
	size_t i;

	for (i = 0; fields[i][0]; i++)
		json_object_set_new(
			attrs, fields[i][0],
			json_string(ms_kit_str(item, fields[i][1], "")));
}

json_t *ms_ec2_tags(const json_t *tag_set)
{
	json_t *map = json_object(), *items = ms_ec2_items(tag_set), *t;
	size_t i;

	json_array_foreach(items, i, t)
		if (ms_kit_str(t, "key", NULL))
			json_object_set_new(
				map, ms_kit_str(t, "key", ""),
				json_string(ms_kit_str(t, "value", "")));
	json_decref(items);
	return map;
}

int ms_ec2_tags_update(struct ms_aws *aws, const char *id, const json_t *have,
		       const json_t *want)
{
	json_t *p, *v;
	const char *key;
	int n = 0, err = 0;
	char *name;

	p = json_pack("{s:s}", "ResourceId.1", id);
	json_object_foreach((json_t *)have, key, v)
		if (!json_object_get(want, key)) {
			name = ms_asprintf("Tag.%d.Key", ++n);
			json_object_set_new(p, name, json_string(key));
			free(name);
		}
	if (n)
		err = ms_ec2_call(NULL, NULL, aws, "DeleteTags", p);
	json_decref(p);
	n = 0;
	p = json_pack("{s:s}", "ResourceId.1", id);
	json_object_foreach((json_t *)want, key, v)
		if (!json_equal(json_object_get(have, key), v)) {
			name = ms_asprintf("Tag.%d.Key", ++n);
			json_object_set_new(p, name, json_string(key));
			free(name);
			name = ms_asprintf("Tag.%d.Value", n);
			json_object_set(p, name, v);
			free(name);
		}
	if (!err && n)
		err = ms_ec2_call(NULL, NULL, aws, "CreateTags", p);
	json_decref(p);
	return err;
}

/* EC2 takes at most 200 values in one filter. */
#define FILTER_VALUES 200
/* MaxResults of the Describe* calls that page: 5 to 1,000 */
#define PAGE_MIN 5
#define PAGE_MAX 1000

/* One call of a read of many: ids[lo, hi) in the filter, every page. */
static int describe_chunk(json_t *items, struct ms_aws *aws,
			  const struct ms_ec2_many *m, const json_t *ids,
			  size_t lo, size_t hi)
{
	json_t *p = m->params ? json_deep_copy(m->params) : json_object();
	json_t *answer = NULL, *page;
	char *next = NULL, *key;
	const char *token;
	size_t i;
	int err;

	json_object_set_new(p, "Filter.1.Name", json_string(m->filter));
	for (i = lo; i < hi; i++) {
		key = ms_asprintf("Filter.1.Value.%zu", i - lo + 1);
		json_object_set(p, key, json_array_get(ids, i));
		free(key);
	}
	if (m->paged) {
		int size = ms_kit_page_size(PAGE_MAX);

		json_object_set_new(p, "MaxResults",
				    json_integer(size < PAGE_MIN ? PAGE_MIN :
								   size));
	}
	for (;;) {
		if (next)
			json_object_set_new(p, "NextToken", json_string(next));
		json_decref(answer);
		answer = NULL;
		err = ms_ec2_call(&answer, NULL, aws, m->action, p);
		if (err)
			break;
		page = ms_ec2_items(json_object_get(answer, m->set));
		json_array_extend(items, page);
		json_decref(page);
		token = ms_kit_str(answer, "nextToken", NULL);
		if (!m->paged || !token || !*token)
			break;
		if (next && !strcmp(token, next)) {
			err = ms_error("%s: the same nextToken twice",
				       m->action);
			break;
		}
		free(next);
		next = ms_strdup(token);
	}
	free(next);
	json_decref(answer);
	json_decref(p);
	return err;
}

/* The recorded id of prior, or NULL when it has none m can ask for. */
static const char *id_of(struct ms_call *call, const struct ms_ec2_many *m,
			 const json_t *prior)
{
	const char *id = m->id_attr ? ms_kit_str(prior, m->id_attr, NULL) :
				      ms_kit_name(call, prior);

	if (id && m->prefix && strncmp(id, m->prefix, strlen(m->prefix)))
		return NULL;
	return id;
}

/* Each item of answer items (or of their nested lists) by its id. */
static json_t *by_id(const struct ms_ec2_many *m, const json_t *items)
{
	json_t *found = json_object(), *list, *item, *inner;
	size_t i, k;

	json_array_foreach(items, i, item) {
		list = m->nested ?
			       ms_ec2_items(json_object_get(item, m->nested)) :
			       json_pack("[O]", item);
		json_array_foreach(list, k, inner)
			json_object_set(found,
					ms_kit_str(inner, m->item_key, ""),
					inner);
		json_decref(list);
	}
	return found;
}

int ms_ec2_read_many(struct ms_call *call, const json_t *priors,
		     const struct ms_ec2_many *m, json_t **out)
{
	json_t *ids = json_array(), *items = json_array(), *found, *prior;
	const json_t *item;
	const char *name, *id;
	size_t n, lo;
	int err = 0;

	*out = NULL;
	json_object_foreach((json_t *)priors, name, prior)
		if ((id = id_of(call, m, prior)))
			json_array_append_new(ids, json_string(id));
	n = json_array_size(ids);
	for (lo = 0; !err && lo < n; lo += FILTER_VALUES)
		err = describe_chunk(
			items, call->aws, m, ids, lo,
			lo + FILTER_VALUES < n ? lo + FILTER_VALUES : n);
	found = by_id(m, items);
	if (!err) {
		*out = json_object();
		json_object_foreach((json_t *)priors, name, prior) {
			id = id_of(call, m, prior);
			if ((item = json_object_get(found, id ? id : "")))
				json_object_set_new(*out, name,
						    m->attrs(call, item,
							     prior));
		}
	}
	json_decref(found);
	json_decref(items);
	json_decref(ids);
	return err;
}
