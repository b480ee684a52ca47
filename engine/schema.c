/*
 * schema.c - the resource types' schemas as data (`mlstack schema -json`)
 * and as the Markdown tables of docs/resources/ (`mlstack schema TYPE`).
 *
 * The tables in the docs are this output, pasted between markers; a test
 * fails when a page and the code disagree, so the docs cannot drift.
 */
#include "util/common.h"
#include "engine/internal.h"
#include "engine/render.h"

static const char *type_word(const struct ms_attr *a)
{
	switch (a->type) {
	case MS_ATTR_STRING:
		return a->flags & MS_ATTR_ARN ? "ARN" : "string";
	case MS_ATTR_NUMBER:
		return "number";
	case MS_ATTR_BOOL:
		return "bool";
	case MS_ATTR_LIST:
		return a->nested              ? "list of objects" :
		       a->flags & MS_ATTR_ARN ? "list of ARNs" :
						"list of strings";
	case MS_ATTR_MAP:
		return "map of strings";
	case MS_ATTR_OBJECT:
		return "object";
	default:
		return a->flags & MS_ATTR_POLICY   ? "policy document" :
		       a->flags & MS_ATTR_POLICIES ? "map of policy documents" :
						     "any JSON";
	}
}

static json_t *attrs_json(const struct ms_attr *schema)
{
	json_t *list = json_array(), *o;
	const struct ms_attr *a;

	for (a = schema; a && a->name; a++) {
		if (a->flags & MS_ATTR_INTERNAL)
			continue; /* the type's own, not the user's */
		o = json_pack("{s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:s}",
			      "name", a->name, "type", type_word(a), "required",
			      !!(a->flags & MS_ATTR_REQUIRED), "computed",
			      !!(a->flags & MS_ATTR_COMPUTED),
			      "optional_computed",
			      !!(a->flags & MS_ATTR_OPTIONAL_COMPUTED),
			      "force_new", !!(a->flags & MS_ATTR_FORCE_NEW),
			      "sensitive", !!(a->flags & MS_ATTR_SENSITIVE),
			      "tags", !!(a->flags & MS_ATTR_TAGS), "doc",
			      a->doc ? a->doc : "");
		if (a->default_json)
			json_object_set_new(o, "default", ms_attr_default(a));
		if (a->wire)
			json_object_set_new(o, "wire", json_string(a->wire));
		if (a->nested)
			json_object_set_new(o, "attributes",
					    attrs_json(a->nested));
		json_array_append_new(list, o);
	}
	return list;
}

static json_t *type_json(const struct ms_resource_type *t)
{
	json_t *o = json_pack("{s:s, s:s, s:b, s:o}", "type", t->name, "id",
			      t->id_attr ? t->id_attr : "",
			      "create_before_destroy", t->create_before_destroy,
			      "attributes", attrs_json(t->schema));

	if (t->auto_name)
		json_object_set_new(o, "auto_name", json_string(t->auto_name));
	if (t->name_max)
		json_object_set_new(o, "names",
				    json_pack("{s:i, s:i, s:s?}", "min",
					      (int)t->name_min, "max",
					      (int)t->name_max, "chars",
					      t->name_chars));
	return o;
}

int ms_engine_schema(json_t **out, const char *type)
{
	const struct ms_resource_type *const *all = ms_provider_all();
	const struct ms_resource_type *t;
	size_t i;

	*out = NULL;
	if (type) {
		t = ms_provider_find(type);
		if (!t)
			return ms_error_code(MS_ENOTFOUND,
					     "no resource type \"%s\"", type);
		*out = type_json(t);
		return 0;
	}
	*out = json_array();
	for (i = 0; all[i]; i++)
		json_array_append_new(*out, type_json(all[i]));
	return 0;
}

/* ---- Markdown ---------------------------------------------------------- */

/* top: a key of the resource itself (only those take the auto name) */
static void default_text(struct ms_buf *b, const json_t *a, const json_t *type,
			 bool top)
{
	const json_t *d = json_object_get(a, "default");
	char *text;

	if (top && json_equal(json_object_get(type, "auto_name"),
			      json_object_get(a, "name"))) {
		ms_buf_adds(b, "`<stack>-<resource>-<hash>`");
	} else if (d) {
		text = json_dumps(d, JSON_ENCODE_ANY | JSON_COMPACT);
		ms_buf_addf(b, "`%s`", text);
		free(text);
	} else if (json_is_true(json_object_get(a, "optional_computed"))) {
		ms_buf_adds(b, "set by AWS");
	} else {
		ms_buf_adds(b, "—");
	}
}

static void table(FILE *f, const json_t *attrs, const json_t *type, bool top)
{
	struct ms_buf d = MS_BUF_INIT;
	const json_t *a;
	size_t i;

	if (top)
		fprintf(f, "| Attribute | Type | Required | Default | "
			   "On change | Description |\n"
			   "|---|---|---|---|---|---|\n");
	else
		fprintf(f, "| Key | Type | Required | Default | Description "
			   "|\n|---|---|---|---|---|\n");
	json_array_foreach(attrs, i, a) {
		if (json_is_true(json_object_get(a, "computed")))
			continue;
		ms_buf_reset(&d);
		default_text(&d, a, type, top);
		fprintf(f, "| `%s` | %s%s | %s | %s |",
			json_string_value(json_object_get(a, "name")),
			json_string_value(json_object_get(a, "type")),
			json_object_get(a, "attributes") ? " (below)" : "",
			json_is_true(json_object_get(a, "required")) ? "yes" :
								       "no",
			d.ptr);
		if (top)
			fprintf(f, " %s |",
				json_is_true(json_object_get(a, "force_new")) ?
					"**replaces** it" :
					"in place");
		fprintf(f, " %s |\n",
			json_string_value(json_object_get(a, "doc")));
	}
	json_array_foreach(attrs, i, a) {
		if (!json_object_get(a, "attributes"))
			continue;
		fprintf(f, "\n`%s`%s:\n\n",
			json_string_value(json_object_get(a, "name")),
			json_is_array(json_object_get(a, "attributes")) &&
					!strcmp(json_string_value(
							json_object_get(
								a, "type")),
						"list of objects") ?
				", each" :
				"");
		table(f, json_object_get(a, "attributes"), type, false);
	}
	ms_buf_release(&d);
}

void ms_render_schema(FILE *f, const json_t *type)
{
	const json_t *attrs = json_object_get(type, "attributes"), *a;
	size_t i;

	table(f, attrs, type, true);
	fprintf(f, "\n| Output | Description |\n|---|---|\n");
	json_array_foreach(attrs, i, a)
		if (json_is_true(json_object_get(a, "computed")) ||
		    json_is_true(json_object_get(a, "optional_computed")))
			fprintf(f, "| `%s` | %s |\n",
				json_string_value(json_object_get(a, "name")),
				json_string_value(json_object_get(a, "doc")));
}
