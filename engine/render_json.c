/*
 * render_json.c - Terraform's JSON plan representation of a plan
 * (format_version 1.2, as `terraform show -json PLANFILE` prints it), for
 * the tools that read Terraform plans: policy checkers, cost estimators,
 * PR bots.
 *
 * Resources read as the Terraform AWS provider's: each type's table
 * (struct ms_tf_type, filled in the type's own file) renames attributes,
 * converts values (a bool to "Enabled", a policy document to its JSON
 * text), writes objects as blocks (lists of objects) and splits off the
 * resources Terraform keeps apart (a bucket's public access block). The
 * values are converted after their secrets are hidden, so the markers
 * move with the values they hide and the *_sensitive masks are read off
 * where they land: a secret is never in the document, and the masks
 * follow the renamed and reshaped attributes.
 */
#include "util/common.h"
#include "engine/engine.h"
#include "engine/render.h"
#include "engine/expr.h"
#include "engine/sensitive.h"
#include "providers/provider.h"
#include "util/json.h"
#include "util/sha256.h"

#include <time.h>

/* The Terraform release whose JSON plan format this one follows. */
#define TF_VERSION      "1.9.0"
#define TF_FORMAT       "1.2"
#define MLSTACK_VERSION "0.1.0"
#define AWS_PROVIDER    "registry.terraform.io/hashicorp/aws"
#define OWN_PROVIDER    "registry.terraform.io/mlstack/mlstack"

/* What one rendering knows beyond the value at hand. */
struct doc {
	const json_t *plan;
	json_t *types;   /* resource name -> its Terraform type */
	json_t *lookups; /* lookup name -> its Terraform type */
	/*
	 * change name -> the first change of that name, and the type of the
	 * last one: found by name, not by a pass over the changes for each
	 * reference (which made plan -json quadratic)
	 */
	json_t *first;
	json_t *last_type;
};

/* One conversion: values (planned, prior) or configuration expressions. */
struct conv {
	struct doc *doc;
	bool expr; /* leaves become {"constant_value"} / {"references"} */
};

static const struct ms_tf_type *tf_of(const struct ms_resource_type *t)
{
	return t ? t->terraform : NULL;
}

static const char *tf_type_name(const struct ms_resource_type *t,
				const char *type)
{
	const struct ms_tf_type *tf = tf_of(t);

	return tf && tf->type ? tf->type : type;
}

static const char *provider_key(const struct ms_resource_type *t)
{
	const struct ms_tf_type *tf = tf_of(t);

	return tf && tf->provider ? tf->provider : "aws";
}

static const char *provider_name(const struct ms_resource_type *t)
{
	return strcmp(provider_key(t), "aws") ? OWN_PROVIDER : AWS_PROVIDER;
}

static const struct ms_attr *schema_attr(const struct ms_attr *schema,
					 const char *name)
{
	for (; schema && schema->name; schema++)
		if (!strcmp(schema->name, name))
			return schema;
	return NULL;
}

static const struct ms_tf_attr *map_entry(const struct ms_tf_attr *map,
					  const char *name)
{
	for (; map && map->name; map++)
		if (map->conv != MS_TF_VALUE && !strcmp(map->name, name))
			return map;
	return NULL;
}

/* Terraform's name of a type's top-level attribute. */
static const char *tf_attr_name(const struct ms_resource_type *t,
				const char *name)
{
	const struct ms_tf_type *tf = tf_of(t);
	const struct ms_tf_attr *e = map_entry(tf ? tf->attrs : NULL, name);

	return e && e->tf ? e->tf : name;
}

/* ---- references ("aws_s3_bucket.store.arn") ---- */

static void add_ref(json_t *list, const char *text)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
		if (!strcmp(json_string_value(v), text))
			return;
	json_array_append_new(list, json_string(text));
}

/* Terraform's references of raw, a stack value; a new array. */
static json_t *references(struct doc *d, const json_t *raw)
{
	json_t *refs = NULL, *out = json_array(), *ref;
	size_t i;

	if (ms_expr_refs(raw, &refs) < 0) {
		ms_error_clear();
		json_decref(refs); /* what it had found before the error */
		return out;
	}
	json_array_foreach(refs, i, ref) {
		const char *root =
			json_string_value(json_object_get(ref, "root"));
		json_t *path = json_object_get(ref, "path");
		const char *first = json_string_value(json_array_get(path, 0));
		const char *second = json_string_value(json_array_get(path, 1));
		const char *type;
		char *text;

		if (!root)
			continue;
		if (!strcmp(root, "var")) {
			if (first) {
				text = ms_asprintf("var.%s", first);
				add_ref(out, text);
				free(text);
			}
			continue;
		}
		if (!strcmp(root, "data")) {
			type = json_string_value(json_object_get(
				d->lookups, first ? first : ""));
			if (!type)
				continue;
			if (second) {
				text = ms_asprintf("data.%s.%s.%s", type, first,
						   second);
				add_ref(out, text);
				free(text);
			}
			text = ms_asprintf("data.%s.%s", type, first);
			add_ref(out, text);
			free(text);
			continue;
		}
		type = json_string_value(json_object_get(d->types, root));
		if (!type)
			continue; /* aws.*, stack.name: nothing of Terraform's */
		if (first) {
			const struct ms_resource_type *t = NULL;
			json_t *kind = json_object_get(d->last_type, root);

			if (kind)
				t = ms_provider_find(json_string_value(kind));
			text = ms_asprintf("%s.%s.%s", type, root,
					   tf_attr_name(t, first));
			add_ref(out, text);
			free(text);
		}
		text = ms_asprintf("%s.%s", type, root);
		add_ref(out, text);
		free(text);
	}
	json_decref(refs);
	return out;
}

/*
 * A leaf of a conversion: the converted value, or in configuration the
 * expression of raw (the stack's text it came from).
 */
static json_t *leaf(struct conv *cv, json_t *value, const json_t *raw)
{
	json_t *refs, *out;

	if (!cv->expr)
		return value;
	refs = references(cv->doc, raw);
	if (json_array_size(refs)) {
		json_decref(value);
		return json_pack("{so}", "references", refs);
	}
	json_decref(refs);
	out = json_pack("{so}", "constant_value", value);
	return out;
}

/* ---- values: mlstack's attributes as Terraform's ---- */

static json_t *convert_object(struct conv *cv, const struct ms_attr *schema,
			      const struct ms_tf_attr *map, const json_t *v);

/* Whether v is a value to walk into (not unknown, not hidden). */
static bool plain(const json_t *v)
{
	return v && !ms_is_unknown(v) && !ms_is_sensitive_marker(v);
}

/* An object or list of objects as blocks. */
static json_t *blocks(struct conv *cv, const struct ms_attr *nested,
		      const struct ms_tf_attr *map, const json_t *v)
{
	json_t *out = json_array(), *x;
	size_t i;

	if (json_is_object(v)) {
		json_array_append_new(out, convert_object(cv, nested, map, v));
		return out;
	}
	json_array_foreach(v, i, x)
		json_array_append_new(
			out, json_is_object(x) && plain(x) ?
				     convert_object(cv, nested, map, x) :
				     leaf(cv, ms_json_copy(x), x));
	return out;
}

static bool has_marker(const json_t *v)
{
	const char *key;
	json_t *x;
	size_t i;

	if (ms_is_sensitive_marker(v))
		return true;
	json_object_foreach((json_t *)v, key, x)
		if (has_marker(x))
			return true;
	json_array_foreach(v, i, x)
		if (has_marker(x))
			return true;
	return false;
}

/* A document as its compact JSON text (unknown or hidden as a whole). */
static json_t *json_text(const json_t *v)
{
	char *text;
	json_t *out;

	if (ms_has_unknown(v))
		return ms_unknown_new();
	if (has_marker(v))
		return ms_sensitive_marker();
	if (!json_is_object(v) && !json_is_array(v))
		return ms_json_copy(v);
	text = ms_json_compact(v);
	out = json_string(text);
	free(text);
	return out;
}

/* The hex SHA-1 of a string's text, as Terraform keeps user_data. */
static json_t *sha1_text(const json_t *v)
{
	char hex[41];

	if (!json_is_string(v) ||
	    ms_sha1_hex(hex, json_string_value(v), json_string_length(v))) {
		ms_error_clear();
		return ms_json_copy(v);
	}
	return json_string(hex);
}

static int by_string(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static json_t *convert_value(struct conv *cv, const struct ms_attr *a,
			     const struct ms_tf_attr *e, const json_t *x)
{
	const struct ms_attr *nested = a ? a->nested : NULL;
	const struct ms_tf_attr *map = e ? e->nested : NULL;
	json_t *out, *block, *doc, *name;
	const char *key, **keys;
	size_t i, n;

	switch (e ? e->conv : MS_TF_SAME) {
	case MS_TF_ENABLED:
		if (json_is_boolean(x))
			return leaf(cv,
				    json_string(json_is_true(x) ? "Enabled" :
								  "Disabled"),
				    x);
		break;
	case MS_TF_JSON:
		return leaf(cv, json_text(x), x);
	case MS_TF_SHA1:
		return leaf(cv, cv->expr ? ms_json_copy(x) : sha1_text(x), x);
	case MS_TF_WRAP:
		if (json_is_null(x) ||
		    (json_is_object(x) && !json_object_size(x) && plain(x)))
			return cv->expr ? NULL : json_array();
		block = json_object();
		json_object_set_new(block, e->arg,
				    leaf(cv, ms_json_copy(x), x));
		return json_pack("[o]", block);
	case MS_TF_NAMED:
		if (!json_is_object(x) || !plain(x))
			break;
		out = json_array();
		/* sorted by name, as Terraform keeps a set of blocks */
		keys = ms_calloc(json_object_size(x) + 1, sizeof(*keys));
		n = 0;
		json_object_foreach((json_t *)x, key, doc)
			keys[n++] = key;
		qsort(keys, n, sizeof(*keys), by_string);
		for (i = 0; i < n; i++) {
			key = keys[i];
			doc = json_object_get(x, key);
			block = json_object();
			name = json_string(key);
			json_object_set_new(block, "name",
					    leaf(cv, json_incref(name), name));
			json_decref(name);
			json_object_set_new(block, e->arg,
					    leaf(cv, json_text(doc), doc));
			json_array_append_new(out, block);
		}
		free(keys);
		return out;
	case MS_TF_SAME:
		if (nested && plain(x) &&
		    (json_is_object(x) || json_is_array(x)))
			return blocks(cv, nested, map, x);
		break;
	case MS_TF_OMIT:
	case MS_TF_VALUE:
		return NULL;
	}
	return leaf(cv, ms_json_copy(x), x);
}

static json_t *convert_object(struct conv *cv, const struct ms_attr *schema,
			      const struct ms_tf_attr *map, const json_t *v)
{
	json_t *out = json_object(), *x, *val;
	const struct ms_tf_attr *e;
	const char *key;

	json_object_foreach((json_t *)v, key, x) {
		const struct ms_attr *a = schema_attr(schema, key);

		if (a && (a->flags & MS_ATTR_INTERNAL))
			continue;
		e = map_entry(map, key);
		val = convert_value(cv, a, e, x);
		if (val)
			json_object_set_new(out, e && e->tf ? e->tf : key, val);
	}
	for (e = map; !cv->expr && e && e->name; e++) {
		if (e->conv != MS_TF_VALUE || json_object_get(out, e->name))
			continue;
		val = json_loads(e->arg, JSON_DECODE_ANY, NULL);
		json_object_set_new(out, e->name, val ? val : json_null());
	}
	return out;
}

/*
 * Terraform's tags (the resource's own: the keys its configuration sets)
 * and tags_all (what the object carries: the stack's default tags and
 * the owner mark too).
 */
static void split_tags(struct conv *cv, const json_t *merged,
		       const json_t *config, json_t *out)
{
	const json_t *own = json_object_get(config, "tags");
	json_t *tags, *x;
	const char *key;

	if (cv->expr) {
		if (own)
			json_object_set_new(out, "tags",
					    leaf(cv, ms_json_copy(own), own));
		return;
	}
	json_object_set_new(out, "tags_all", ms_json_copy(merged));
	if (!json_is_object(merged) || !plain(merged) || !own) {
		json_object_set_new(out, "tags",
				    own ? ms_json_copy(merged) : json_null());
		return;
	}
	tags = json_object();
	json_object_foreach((json_t *)merged, key, x) {
		if (json_is_object(own) && plain(own) ?
			    json_object_get(own, key) != NULL :
			    !json_object_get(json_object_get(cv->doc->plan,
							     "tags"),
					     key) &&
				    strcmp(key, MS_OWNER_STACK_TAG) &&
				    strcmp(key, MS_OWNER_RESOURCE_TAG))
			json_object_set(tags, key, x);
	}
	json_object_set_new(out, "tags", tags);
}

/*
 * A resource's attributes (hidden as shown) as Terraform's; config its
 * stack properties (for tags); a new object, or null for null.
 */
static json_t *tf_values(struct conv *cv, const struct ms_resource_type *t,
			 const json_t *attrs, const json_t *config)
{
	const struct ms_tf_type *tf = tf_of(t);
	const struct ms_attr *a;
	json_t *rest, *out;

	if (!json_is_object(attrs))
		return json_null();
	if (!t)
		return ms_json_copy(attrs);
	rest = json_copy((json_t *)attrs);
	for (a = t->schema; a->name; a++)
		if (a->flags & MS_ATTR_TAGS)
			json_object_del(rest, a->name);
	out = convert_object(cv, t->schema, tf ? tf->attrs : NULL, rest);
	json_decref(rest);
	for (a = t->schema; a->name; a++)
		if ((a->flags & MS_ATTR_TAGS) &&
		    (json_object_get(attrs, a->name) || cv->expr))
			split_tags(cv, json_object_get(attrs, a->name), config,
				   out);
	return out;
}

/* ---- unknown and sensitive, as Terraform marks them ---- */

/* v without unknowns: left out of objects, null in lists. */
static json_t *omit_unknowns(const json_t *v)
{
	json_t *out, *x, *y;
	const char *key;
	size_t i;

	if (ms_is_unknown(v))
		return NULL;
	if (json_is_object(v) && !ms_is_sensitive_marker(v)) {
		out = json_object();
		json_object_foreach((json_t *)v, key, x)
			if ((y = omit_unknowns(x)))
				json_object_set_new(out, key, y);
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, x) {
			y = omit_unknowns(x);
			json_array_append_new(out, y ? y : json_null());
		}
		return out;
	}
	return ms_json_copy(v);
}

/*
 * true where is(v) (an unknown, a hidden value), known leaves left out of
 * objects and false in lists: Terraform's after_unknown and *_sensitive.
 * A value that is the other marker is a leaf.
 */
static json_t *marks_as_bool(const json_t *v, bool (*is)(const json_t *),
			     bool (*other)(const json_t *))
{
	json_t *out, *x, *y;
	const char *key;
	size_t i;

	if (is(v))
		return json_true();
	if (json_is_object(v) && !other(v)) {
		out = json_object();
		json_object_foreach((json_t *)v, key, x) {
			y = marks_as_bool(x, is, other);
			if (json_is_false(y))
				json_decref(y);
			else
				json_object_set_new(out, key, y);
		}
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, x)
			json_array_append_new(out, marks_as_bool(x, is, other));
		return out;
	}
	return json_false();
}

static json_t *unknown_as_bool(const json_t *v)
{
	return marks_as_bool(v, ms_is_unknown, ms_is_sensitive_marker);
}

static json_t *sensitive_as_bool(const json_t *v)
{
	return marks_as_bool(v, ms_is_sensitive_marker, ms_is_unknown);
}

/* A change's after_unknown: {} when all of after is known. */
static json_t *after_unknown(const json_t *v)
{
	if (!ms_has_unknown(v))
		return json_object();
	return unknown_as_bool(v);
}

/* ---- resources ---- */

/*
 * c's before or after (which), without the type's internal attributes,
 * its secrets hidden; a new value.
 */
static json_t *shown(const json_t *c, const char *which)
{
	const char *type = json_string_value(json_object_get(c, "type"));
	json_t *v = json_object_get(c, which);

	if (!json_is_object(v))
		return json_null();
	return ms_sensitive_hidden(type, v, json_object_get(c, "sensitive"));
}

/* Terraform's address parts of a change (or drift entry). */
struct addr {
	const struct ms_resource_type *t;
	const char *type; /* Terraform's */
	char name[256];   /* the stack's name */
	const char *deposed;
};

static void addr_of(struct addr *a, const json_t *c)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const char *of = json_string_value(json_object_get(c, "deposed_of"));
	const char *mark = name ? strstr(name, "~deposed-") : NULL;
	const char *type = json_string_value(json_object_get(c, "type"));

	a->t = ms_provider_find(type ? type : "");
	a->type = tf_type_name(a->t, type ? type : "");
	a->deposed = NULL;
	snprintf(a->name, sizeof(a->name), "%s", of ? of : name ? name : "");
	if (mark && of)
		a->deposed = mark + strlen("~deposed-");
	else if (mark && (size_t)(mark - name) < sizeof(a->name))
		a->name[mark - name] = '\0';
}

static json_t *resource_head(const char *type, const char *name,
			     const char *mode, const char *provider)
{
	json_t *r = json_object();
	char *address = strcmp(mode, "data") ?
				ms_asprintf("%s.%s", type, name) :
				ms_asprintf("data.%s.%s", type, name);

	json_object_set_new(r, "address", json_string(address));
	json_object_set_new(r, "mode", json_string(mode));
	json_object_set_new(r, "type", json_string(type));
	json_object_set_new(r, "name", json_string(name));
	json_object_set_new(r, "provider_name", json_string(provider));
	free(address);
	return r;
}

static json_t *actions_of(const json_t *c)
{
	enum ms_action action = ms_render_action(c);
	bool cbd = json_is_true(json_object_get(c, "create_before_destroy"));

	switch (action) {
	case MS_ACTION_REPLACE:
		return cbd ? json_pack("[ss]", "create", "delete") :
			     json_pack("[ss]", "delete", "create");
	case MS_ACTION_NOOP:
		return json_pack("[s]", "no-op");
	default:
		return json_pack("[s]", ms_action_name(action));
	}
}

static bool has_force(const json_t *c, const char *what)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(c, "forces"), i, v)
		if (!strcmp(json_string_value(v), what))
			return true;
	return false;
}

/* The change object: actions, before, after and their masks. */
static json_t *change_body(json_t *actions, const json_t *before,
			   const json_t *after)
{
	json_t *ch = json_object();

	json_object_set_new(ch, "actions", actions);
	json_object_set_new(ch, "before",
			    json_is_object(before) ? omit_unknowns(before) :
						     json_null());
	json_object_set_new(ch, "after",
			    json_is_object(after) ? omit_unknowns(after) :
						    json_null());
	json_object_set_new(ch, "after_unknown", after_unknown(after));
	json_object_set_new(ch, "before_sensitive", sensitive_as_bool(before));
	json_object_set_new(ch, "after_sensitive", sensitive_as_bool(after));
	return ch;
}

/* A state entry (planned_values, prior_state) of values v. */
static json_t *state_entry(json_t *head, int schema_version, const json_t *v,
			   const char *deposed)
{
	json_t *values = omit_unknowns(v);

	if (deposed)
		json_object_set_new(head, "deposed_key", json_string(deposed));
	json_object_set_new(head, "schema_version",
			    json_integer(schema_version));
	json_object_set_new(head, "values", values);
	json_object_set_new(head, "sensitive_values", sensitive_as_bool(v));
	return head;
}

static int schema_version(const struct ms_resource_type *t)
{
	const struct ms_tf_type *tf = tf_of(t);

	return tf ? tf->schema_version : 0;
}

/* The actions of a part, from its values before and after. */
static json_t *part_actions(const json_t *parent_actions, const json_t *before,
			    const json_t *after)
{
	if (!before && !after)
		return NULL;
	if (!before)
		return json_pack("[s]", "create");
	if (!after)
		return json_pack("[s]", "delete");
	if (json_array_size(parent_actions) == 2)
		return ms_json_copy(parent_actions);
	return json_pack("[s]", json_equal(before, after) ? "no-op" : "update");
}

/* The part's configuration: constants, and link referring to the parent. */
static json_t *part_expressions(const struct ms_tf_part *p,
				const struct addr *a, const json_t *values)
{
	json_t *exprs = json_object(), *x;
	const char *key;
	char *ref, *ref_id;

	json_object_foreach((json_t *)values, key, x) {
		if (p->link && !strcmp(key, p->link)) {
			ref_id = ms_asprintf("%s.%s.id", a->type, a->name);
			ref = ms_asprintf("%s.%s", a->type, a->name);
			json_object_set_new(exprs, key,
					    json_pack("{s[ss]}", "references",
						      ref_id, ref));
			free(ref);
			free(ref_id);
		} else if (json_is_array(x) &&
			   json_is_object(json_array_get(x, 0))) {
			json_t *list = json_array(), *b, *y;
			const char *k2;
			size_t i;

			json_array_foreach(x, i, b) {
				json_t *e = json_object();

				json_object_foreach(b, k2, y)
					json_object_set_new(
						e, k2,
						json_pack("{sO}",
							  "constant_value", y));
				json_array_append_new(list, e);
			}
			json_object_set_new(exprs, key, list);
		} else if (!ms_has_unknown(x)) {
			json_object_set_new(exprs, key,
					    json_pack("{sO}", "constant_value",
						      x));
		}
	}
	return exprs;
}

struct out {
	json_t *changes; /* resource_changes */
	json_t *planned; /* planned_values.root_module.resources */
	json_t *prior;   /* prior_state.values.root_module.resources */
	json_t *config;  /* configuration.root_module.resources */
};

/* The parts of one change (a bucket's public access block ...). */
static void add_parts(struct out *o, const struct addr *a, const json_t *c,
		      const json_t *actions, const json_t *before,
		      const json_t *after)
{
	const struct ms_tf_type *tf = tf_of(a->t);
	const struct ms_tf_part *p;

	for (p = tf ? tf->parts : NULL; p && p->type; p++) {
		json_t *b = json_is_object(before) ? p->values(before) : NULL;
		json_t *f = json_is_object(after) ? p->values(after) : NULL;
		json_t *acts = part_actions(actions, b, f), *r;

		if (!acts)
			continue;
		r = resource_head(p->type, a->name, "managed", AWS_PROVIDER);
		if (a->deposed)
			json_object_set_new(r, "deposed",
					    json_string(a->deposed));
		json_object_set_new(r, "change",
				    change_body(acts, b ? b : json_null(),
						f ? f : json_null()));
		json_array_append_new(o->changes, r);
		if (f && !a->deposed)
			json_array_append_new(
				o->planned,
				state_entry(resource_head(p->type, a->name,
							  "managed",
							  AWS_PROVIDER),
					    0, f, NULL));
		if (b)
			json_array_append_new(
				o->prior,
				state_entry(resource_head(p->type, a->name,
							  "managed",
							  AWS_PROVIDER),
					    0, b, a->deposed));
		if (f && !a->deposed && json_object_get(c, "config")) {
			r = resource_head(p->type, a->name, "managed",
					  AWS_PROVIDER);
			json_object_del(r, "provider_name");
			json_object_set_new(r, "provider_config_key",
					    json_string("aws"));
			json_object_set_new(r, "expressions",
					    part_expressions(p, a, f));
			json_object_set_new(r, "schema_version",
					    json_integer(0));
			json_array_append_new(o->config, r);
		}
		json_decref(b);
		json_decref(f);
	}
}

static void add_change(struct doc *d, struct out *o, const json_t *c)
{
	struct conv cv = { d, false }, ce = { d, true };
	enum ms_action action = ms_render_action(c);
	json_t *hb = shown(c, "before"), *ha = shown(c, "after");
	json_t *config = shown(c, "config");
	json_t *before, *after, *r, *actions, *paths, *v;
	const char *reason = NULL;
	struct addr a;
	size_t i;

	addr_of(&a, c);
	before = tf_values(&cv, a.t, hb, config);
	after = tf_values(&cv, a.t, ha, config);
	actions = actions_of(c);

	r = resource_head(a.type, a.name, "managed", provider_name(a.t));
	if (a.deposed)
		json_object_set_new(r, "deposed", json_string(a.deposed));
	json_object_set_new(r, "change",
			    change_body(ms_json_copy(actions), before, after));
	if (action == MS_ACTION_REPLACE) {
		paths = json_array();
		json_array_foreach(json_object_get(c, "forces"), i, v) {
			const char *f = json_string_value(v);

			if (strcmp(f, "(tainted)") && strcmp(f, "type"))
				json_array_append_new(
					paths,
					json_pack("[s]", tf_attr_name(a.t, f)));
		}
		if (json_array_size(paths))
			json_object_set(json_object_get(r, "change"),
					"replace_paths", paths);
		json_decref(paths);
		reason = has_force(c, "(tainted)") ?
				 "replace_because_tainted" :
				 "replace_because_cannot_update";
	} else if (action == MS_ACTION_DELETE && !a.deposed &&
		   !json_is_true(json_object_get(d->plan, "destroy"))) {
		reason = "delete_because_no_resource_config";
	}
	if (reason)
		json_object_set_new(r, "action_reason", json_string(reason));
	json_array_append_new(o->changes, r);

	if (json_is_object(after) && !a.deposed)
		json_array_append_new(
			o->planned,
			state_entry(resource_head(a.type, a.name, "managed",
						  provider_name(a.t)),
				    schema_version(a.t), after, NULL));
	if (json_is_object(before))
		json_array_append_new(
			o->prior,
			state_entry(resource_head(a.type, a.name, "managed",
						  provider_name(a.t)),
				    schema_version(a.t), before, a.deposed));
	if (json_is_object(config) && !a.deposed &&
	    action != MS_ACTION_DELETE) {
		r = resource_head(a.type, a.name, "managed", "");
		json_object_del(r, "provider_name");
		json_object_set_new(r, "provider_config_key",
				    json_string(provider_key(a.t)));
		json_object_set_new(r, "expressions",
				    tf_values(&ce, a.t, config, config));
		json_object_set_new(r, "schema_version",
				    json_integer(schema_version(a.t)));
		json_array_append_new(o->config, r);
	}
	add_parts(o, &a, c, actions, hb, ha);
	json_decref(actions);
	json_decref(before);
	json_decref(after);
	json_decref(hb);
	json_decref(ha);
	json_decref(config);
}

/* The lookups (data:) as data resources, read at plan time. */
static void add_lookups(struct doc *d, struct out *o)
{
	struct conv cv = { d, false };
	const char *name;
	json_t *v;

	json_object_foreach(json_object_get(d->plan, "lookups"), name, v) {
		const char *type = json_string_value(json_object_get(
			json_object_get(d->plan, "lookup_types"), name));
		const struct ms_resource_type *t =
			ms_lookup_find(type ? type : "");
		json_t *values, *r, *exprs, *x;
		const struct ms_attr *a;

		if (!t)
			continue;
		values = tf_values(&cv, t, v, NULL);
		json_array_append_new(
			o->planned,
			state_entry(resource_head(tf_type_name(t, type), name,
						  "data", AWS_PROVIDER),
				    0, values, NULL));
		json_array_append_new(
			o->prior,
			state_entry(resource_head(tf_type_name(t, type), name,
						  "data", AWS_PROVIDER),
				    0, values, NULL));
		/* its settings as constants: the stack's text is not kept */
		exprs = json_object();
		for (a = t->schema; a->name; a++) {
			if (a->flags & MS_ATTR_COMPUTED ||
			    !(x = json_object_get(v, a->name)))
				continue;
			json_object_set_new(exprs, a->name, ms_json_copy(x));
		}
		{
			struct conv ce = { d, true };
			json_t *tfx = tf_values(&ce, t, exprs, NULL);

			json_decref(exprs);
			exprs = tfx;
		}
		r = resource_head(tf_type_name(t, type), name, "data", "");
		json_object_del(r, "provider_name");
		json_object_set_new(r, "provider_config_key",
				    json_string("aws"));
		json_object_set_new(r, "expressions", exprs);
		json_object_set_new(r, "schema_version", json_integer(0));
		json_array_append_new(o->config, r);
		json_decref(values);
	}
}

static int by_address(const void *x, const void *y)
{
	const json_t *a = *(const json_t *const *)x;
	const json_t *b = *(const json_t *const *)y;
	int n = strcmp(json_string_value(json_object_get(a, "address")),
		       json_string_value(json_object_get(b, "address")));
	const char *p = json_string_value(json_object_get(a, "deposed_key"));
	const char *q = json_string_value(json_object_get(b, "deposed_key"));

	if (n || (!p && !q))
		return n;
	return !p ? -1 : !q ? 1 : strcmp(p, q);
}

/* list sorted by address, as Terraform writes its modules' resources */
static json_t *sorted(json_t *list)
{
	size_t n = json_array_size(list), i;
	json_t **items = ms_calloc(n + 1, sizeof(*items)), *out = json_array();

	for (i = 0; i < n; i++)
		items[i] = json_array_get(list, i);
	qsort(items, n, sizeof(*items), by_address);
	for (i = 0; i < n; i++)
		json_array_append(out, items[i]);
	free(items);
	json_decref(list);
	return out;
}

static json_t *module(json_t *resources)
{
	json_t *m = json_object();

	if (json_array_size(resources))
		json_object_set_new(m, "resources", sorted(resources));
	else
		json_decref(resources);
	return m;
}

/* ---- outputs ---- */

struct eval {
	struct doc *doc;
	const char *which; /* "before" or "after" */
};

/* A change's hidden value of which, by resource name; NULL when none. */
static json_t *value_of(struct doc *d, const char *name, const char *which)
{
	json_t *c = json_object_get(d->first, name);

	if (!c)
		return NULL;
	return json_is_object(json_object_get(c, which)) ? shown(c, which) :
							   NULL;
}

static int resolve(const char *root, const char *first, json_t **out,
		   void *payload)
{
	struct eval *ev = payload;
	const json_t *plan = ev->doc->plan;
	json_t *v, *n;
	size_t i;

	if (!first)
		return ms_error("no attribute");
	if (!strcmp(root, "var")) {
		json_array_foreach(json_object_get(plan, "sensitive_variables"),
				   i, n)
			if (!strcmp(json_string_value(n), first)) {
				*out = ms_sensitive_marker();
				return 0;
			}
		v = json_object_get(json_object_get(plan, "variables"), first);
		*out = v ? json_incref(v) : ms_unknown_new();
		return 0;
	}
	if (!strcmp(root, "data")) {
		v = json_object_get(json_object_get(plan, "lookups"), first);
		*out = v ? json_incref(v) : ms_unknown_new();
		return 0;
	}
	if (!strcmp(root, "stack") && !strcmp(first, "name")) {
		*out = json_incref(json_object_get(plan, "stack"));
		return 0;
	}
	if (!strcmp(root, "aws") && !strcmp(first, "region") &&
	    json_object_get(plan, "region")) {
		*out = json_incref(json_object_get(plan, "region"));
		return 0;
	}
	if (!strcmp(root, "aws")) {
		*out = ms_unknown_new();
		return 0;
	}
	v = value_of(ev->doc, root, ev->which);
	if (!v)
		return ms_error("no %s value", ev->which);
	n = json_object_get(v, first);
	*out = n ? json_incref(n) : ms_unknown_new();
	json_decref(v);
	return 0;
}

/* An output's value before or after the plan; NULL when it has none. */
static json_t *output_value(struct doc *d, const json_t *raw, const char *which)
{
	struct eval ev = { d, which };
	json_t *v = NULL;

	if (!strcmp(which, "after") &&
	    json_is_true(json_object_get(d->plan, "destroy")))
		return NULL;
	if (ms_expr_eval(&v, raw, resolve, &ev)) {
		ms_error_clear();
		return NULL;
	}
	if (has_marker(v)) {
		json_decref(v);
		return ms_sensitive_marker();
	}
	return v;
}

static void add_outputs(struct doc *d, json_t *doc, json_t *planned,
			json_t *prior, json_t *config)
{
	json_t *changes = json_object(), *raw;
	const char *name;

	json_object_foreach(json_object_get(d->plan, "outputs"), name, raw) {
		json_t *b = output_value(d, raw, "before");
		json_t *a = output_value(d, raw, "after");
		bool secret = ms_is_sensitive_marker(b) ||
			      ms_is_sensitive_marker(a);
		json_t *ch = json_object(), *refs, *expr, *po;
		const char *action = !b && !a         ? NULL :
				     !b               ? "create" :
				     !a               ? "delete" :
				     json_equal(a, b) ? "no-op" :
							"update";

		refs = references(d, raw);
		if (json_array_size(refs))
			expr = json_pack("{sO}", "references", refs);
		else
			expr = json_pack("{sO}", "constant_value", raw);
		json_decref(refs);
		json_object_set_new(json_object_get(config, "outputs"), name,
				    json_pack("{so}", "expression", expr));
		if (secret)
			json_object_set_new(
				json_object_get(json_object_get(config,
								"outputs"),
						name),
				"sensitive", json_true());
		if (!action) {
			json_decref(ch);
			continue;
		}
		json_object_set_new(ch, "actions", json_pack("[s]", action));
		json_object_set_new(ch, "before",
				    b ? omit_unknowns(b) : json_null());
		json_object_set_new(ch, "after",
				    a && !ms_is_unknown(a) ? omit_unknowns(a) :
							     json_null());
		json_object_set_new(ch, "after_unknown",
				    a && ms_has_unknown(a) ?
					    unknown_as_bool(a) :
					    json_false());
		json_object_set_new(ch, "before_sensitive",
				    json_boolean(b && secret));
		json_object_set_new(ch, "after_sensitive",
				    json_boolean(a && secret));
		json_object_set_new(changes, name, ch);
		if (a) {
			po = json_pack("{sb}", "sensitive", secret);
			if (!ms_is_unknown(a))
				json_object_set_new(po, "value",
						    omit_unknowns(a));
			json_object_set_new(planned, name, po);
		}
		if (b) {
			po = json_pack("{sbso}", "sensitive", secret, "value",
				       omit_unknowns(b));
			json_object_set_new(prior, name, po);
		}
		json_decref(a);
		json_decref(b);
	}
	json_object_set_new(doc, "output_changes", changes);
}

/* ---- drift ---- */

static void add_drift(struct doc *d, json_t *drift, json_t *relevant,
		      const json_t *e)
{
	struct conv cv = { d, false };
	json_t *hb = shown(e, "before"), *ha = shown(e, "after");
	bool deleted = json_is_true(json_object_get(e, "deleted"));
	json_t *before, *after, *r, *v;
	struct addr a;
	size_t i;

	addr_of(&a, e);
	before = tf_values(&cv, a.t, hb, NULL);
	after = tf_values(&cv, a.t, ha, NULL);
	r = resource_head(a.type, a.name, "managed", provider_name(a.t));
	json_object_set_new(
		r, "change",
		change_body(json_pack("[s]", deleted ? "delete" : "update"),
			    before, after));
	json_array_append_new(drift, r);
	json_array_foreach(json_object_get(e, "changed"), i, v) {
		char *address = ms_asprintf("%s.%s", a.type, a.name);

		json_array_append_new(
			relevant,
			json_pack("{ss s[s]}", "resource", address, "attribute",
				  tf_attr_name(a.t, json_string_value(v))));
		free(address);
	}
	json_decref(before);
	json_decref(after);
	json_decref(hb);
	json_decref(ha);
}

/* ---- the document ---- */

static json_t *provider_config(const json_t *plan, bool own)
{
	json_t *pc = json_object(), *aws = json_object(),
	       *exprs = json_object();
	const json_t *tags = json_object_get(plan, "tags");

	if (json_object_get(plan, "region"))
		json_object_set_new(exprs, "region",
				    json_pack("{sO}", "constant_value",
					      json_object_get(plan, "region")));
	if (json_object_size(tags))
		json_object_set_new(exprs, "default_tags",
				    json_pack("[{s{sO}}]", "tags",
					      "constant_value", tags));
	json_object_set_new(aws, "name", json_string("aws"));
	json_object_set_new(aws, "full_name", json_string(AWS_PROVIDER));
	json_object_set_new(aws, "expressions", exprs);
	json_object_set_new(pc, "aws", aws);
	if (own)
		json_object_set_new(pc, "mlstack",
				    json_pack("{ssss}", "name", "mlstack",
					      "full_name", OWN_PROVIDER));
	return pc;
}

static json_t *variables(const json_t *plan, json_t **declared)
{
	json_t *out = json_object(), *v, *n;
	const char *name;
	size_t i;

	*declared = json_object();
	json_object_foreach(json_object_get(plan, "variables"), name, v) {
		json_object_set_new(out, name, json_pack("{sO}", "value", v));
		json_object_set_new(*declared, name, json_object());
	}
	json_array_foreach(json_object_get(plan, "sensitive_variables"), i, n) {
		name = json_string_value(n);
		json_object_set_new(out, name,
				    json_pack("{so}", "value",
					      ms_sensitive_marker()));
		json_object_set_new(*declared, name,
				    json_pack("{sb}", "sensitive", 1));
	}
	return out;
}

static const char *plan_time(const json_t *plan, char *buf, size_t size)
{
	const char *stamp =
		json_string_value(json_object_get(plan, "timestamp"));
	time_t now = time(NULL);
	struct tm tm;

	if (stamp)
		return stamp;
	if (!gmtime_r(&now, &tm) ||
	    !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return "1970-01-01T00:00:00Z";
	return buf;
}

json_t *ms_render_plan_json(const json_t *plan)
{
	struct doc d = { plan, json_object(), json_object(), json_object(),
			 json_object() };
	struct out o = { json_array(), json_array(), json_array(),
			 json_array() };
	json_t *out = json_object(), *drift = json_array();
	json_t *relevant = json_array(), *c, *declared, *prior, *planned;
	json_t *config, *root, *pout = json_object(), *prout = json_object();
	json_t *cost;
	const char *name;
	bool own = false;
	char stamp[32];
	size_t i;

	json_array_foreach(json_object_get(plan, "changes"), i, c) {
		struct addr a;

		addr_of(&a, c);
		json_object_set_new(d.types, a.name, json_string(a.type));
		name = json_string_value(json_object_get(c, "name"));
		if (name) {
			if (!json_object_get(d.first, name))
				json_object_set(d.first, name, c);
			json_object_set(d.last_type, name,
					json_object_get(c, "type"));
		}
		own |= strcmp(provider_key(a.t), "aws") != 0;
	}
	json_object_foreach(json_object_get(plan, "lookup_types"), name, c) {
		const char *type = json_string_value(c);
		const struct ms_resource_type *t =
			ms_lookup_find(type ? type : "");

		if (t)
			json_object_set_new(d.lookups, name,
					    json_string(tf_type_name(t, type)));
	}

	json_object_set_new(out, "format_version", json_string(TF_FORMAT));
	json_object_set_new(out, "terraform_version", json_string(TF_VERSION));
	json_object_set_new(out, "mlstack_version",
			    json_string(MLSTACK_VERSION));
	json_object_set_new(out, "variables", variables(plan, &declared));

	json_array_foreach(json_object_get(plan, "changes"), i, c)
		add_change(&d, &o, c);
	add_lookups(&d, &o);
	json_array_foreach(json_object_get(plan, "drift"), i, c)
		add_drift(&d, drift, relevant, c);

	config = json_object();
	json_object_set_new(config, "provider_config",
			    provider_config(plan, own));
	root = module(o.config);
	json_object_set_new(root, "outputs", json_object());
	json_object_set_new(root, "variables", declared);
	json_object_set_new(config, "root_module", root);
	add_outputs(&d, out, pout, prout, root);

	planned = module(o.planned);
	json_object_set_new(planned, "outputs", pout);
	json_object_set_new(out, "planned_values",
			    json_pack("{so}", "root_module", planned));
	json_object_set_new(out, "resource_drift", drift);
	json_object_set_new(out, "resource_changes", o.changes);
	json_object_set_new(out, "relevant_attributes", relevant);
	prior = json_object();
	json_object_set_new(prior, "format_version", json_string("1.0"));
	json_object_set_new(prior, "terraform_version",
			    json_string(TF_VERSION));
	json_object_set_new(prior, "values",
			    json_pack("{soso}", "outputs", prout, "root_module",
				      module(o.prior)));
	json_object_set_new(out, "prior_state", prior);
	json_object_set_new(out, "configuration", config);
	json_object_set_new(out, "timestamp",
			    json_string(plan_time(plan, stamp, sizeof(stamp))));
	json_object_set_new(out, "errored", json_false());
	json_object_set_new(out, "applyable",
			    json_boolean(ms_plan_needs_apply(plan)));
	json_object_set_new(out, "complete", json_true());
	json_object_set(out, "stack", json_object_get(plan, "stack"));
	json_object_set(out, "state_commit",
			json_object_get(plan, "state_commit"));
	/* mlstack's own key: what the plan costs (docs/cost.md) */
	if ((cost = ms_render_plan_cost_json(plan))) {
		json_array_foreach(json_object_get(cost, "resources"), i, c) {
			struct addr a;
			char *address;

			addr_of(&a, c);
			address = ms_asprintf("%s.%s", a.type, a.name);
			json_object_set_new(c, "address", json_string(address));
			if (a.deposed)
				json_object_set_new(c, "deposed",
						    json_string(a.deposed));
			free(address);
		}
		json_object_set_new(out, "mlstack_cost", cost);
	}
	/* mlstack's own: the plan's lint warnings (docs/lint.md) */
	if (json_object_get(plan, "lint"))
		json_object_set(out, "lint", json_object_get(plan, "lint"));
	json_decref(d.types);
	json_decref(d.lookups);
	json_decref(d.first);
	json_decref(d.last_type);
	return out;
}
