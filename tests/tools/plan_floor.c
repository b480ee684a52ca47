/*
 * plan_floor - the least an offline plan built on libyaml and jansson can
 * do, for the bench to time beside `mlstack plan -refresh=false`
 * (docs/benchmarks.md): what any engine on these two libraries pays
 * before its own semantics.
 *
 *   plan_floor STACK_FILE [RESOURCES_DIR]
 *
 * The stack file's events become a jansson tree (every scalar a string:
 * no types, no positions, no checks); each resource's properties are
 * copied once as its desired values, with the stack's tags and two of
 * its own; each becomes a change object beside its stored record; each
 * change's values become a line of text per value, written to stdout.
 * With RESOURCES_DIR (a state's resources/ directory), every *.json in
 * it is read and parsed, on two threads while the stack file is: the
 * records a plan diffs against. No reference is resolved, nothing is
 * checked, linted or costed, and nothing is freed: a lower bound, not a
 * plan.
 *
 * Exit status: 0, or 1 when a file cannot be read or parsed.
 */
#include "util/common.h"
#include "util/file.h"
#include "util/json.h"

#include <dirent.h>
#include <pthread.h>
#include <yaml.h>

/* a state's records, read by two threads: files part, part + 2, ... */
struct records {
	const char *dir;
	int part;
	json_t *out; /* file name -> record */
	int err;
	char *msg; /* the thread's error message */
};

static int node(json_t **out, yaml_parser_t *p, yaml_event_t *e);

static int next(json_t **out, yaml_parser_t *p, bool *end)
{
	yaml_event_t e;
	int err;

	*out = NULL;
	if (!yaml_parser_parse(p, &e))
		return ms_error("%s", p->problem ? p->problem : "YAML error");
	*end = e.type == YAML_MAPPING_END_EVENT ||
	       e.type == YAML_SEQUENCE_END_EVENT;
	err = *end ? 0 : node(out, p, &e);
	yaml_event_delete(&e);
	return err;
}

static int node(json_t **out, yaml_parser_t *p, yaml_event_t *e)
{
	json_t *v = NULL, *key = NULL;
	bool end = false;

	switch (e->type) {
	case YAML_SCALAR_EVENT:
		*out = json_stringn((const char *)e->data.scalar.value,
				    e->data.scalar.length);
		return 0;
	case YAML_SEQUENCE_START_EVENT:
		*out = json_array();
		while (!next(&v, p, &end) && !end)
			json_array_append_new(*out, v);
		return end ? 0 : -1;
	case YAML_MAPPING_START_EVENT:
		*out = json_object();
		while (!next(&key, p, &end) && !end) {
			if (next(&v, p, &end) || end || !json_is_string(key))
				return ms_error("a mapping's key is no scalar");
			json_object_set_new(*out, json_string_value(key), v);
			json_decref(key);
		}
		return end ? 0 : -1;
	default:
		*out = json_null();
		return 0;
	}
}

static int load_stack(json_t **out, const char *path)
{
	struct ms_buf text = MS_BUF_INIT;
	yaml_parser_t p;
	yaml_event_t e;
	bool end = false;
	int err = -1, i;

	*out = NULL;
	if (ms_file_read(&text, path, 0))
		return -1;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text.ptr,
				     text.len);
	/* the stream's and the document's starts, then the document */
	for (i = 0; i < 2; i++) {
		if (!yaml_parser_parse(&p, &e))
			goto done;
		yaml_event_delete(&e);
	}
	err = next(out, &p, &end);
	if (!err && (end || !json_is_object(*out)))
		err = ms_error("%s: not a mapping", path);
done:
	yaml_parser_delete(&p);
	ms_buf_release(&text);
	return err;
}

static void *read_records(void *payload)
{
	struct records *r = payload;
	struct ms_buf text = MS_BUF_INIT;
	DIR *d = opendir(r->dir);
	struct dirent *f;
	int k = 0;

	r->out = json_object();
	r->err = d ? 0 : ms_file_error(r->dir, errno);
	while (!r->err && d && (f = readdir(d))) {
		size_t n = strlen(f->d_name);
		char *path;
		json_t *v;

		if (n < 6 || strcmp(f->d_name + n - 5, ".json") ||
		    k++ % 2 != r->part)
			continue;
		path = ms_asprintf("%s/%s", r->dir, f->d_name);
		ms_buf_reset(&text);
		r->err = ms_file_read(&text, path, 0);
		v = r->err ? NULL : json_loadb(text.ptr, text.len, 0, NULL);
		if (!r->err && !v)
			r->err = ms_error("%s: not JSON", path);
		free(path);
		if (v)
			json_object_setn_new_nocheck(r->out, f->d_name, n - 5,
						     v);
	}
	if (d)
		closedir(d);
	if (r->err)
		r->msg = ms_strdup(ms_error_last());
	ms_buf_release(&text);
	return NULL;
}

static void pad(struct ms_buf *out, int n)
{
	static const char spaces[] = "                                "
				     "                                ";

	ms_buf_add(out, spaces,
		   n < (int)sizeof(spaces) ? (size_t)n : sizeof(spaces) - 1);
}

static void text_of(struct ms_buf *out, const json_t *v, int depth)
{
	const char *key;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		ms_buf_adds(out, "{\n");
		json_object_foreach((json_t *)v, key, x) {
			pad(out, depth * 4 + 8);
			ms_buf_addf(out, "+ \"%s\" = ", key);
			text_of(out, x, depth + 1);
		}
		pad(out, depth * 4 + 4);
		ms_buf_adds(out, "}\n");
	} else if (json_is_array(v)) {
		ms_buf_adds(out, "[\n");
		json_array_foreach(v, i, x) {
			pad(out, depth * 4 + 8);
			ms_buf_adds(out, "+ ");
			text_of(out, x, depth + 1);
		}
		pad(out, depth * 4 + 4);
		ms_buf_adds(out, "]\n");
	} else {
		ms_buf_addf(out, "\"%s\"\n",
			    json_is_string(v) ? json_string_value(v) : "");
	}
}

int main(int argc, char **argv)
{
	struct records rec[2] = { { argc > 2 ? argv[2] : NULL, 0 },
				  { argc > 2 ? argv[2] : NULL, 1 } };
	struct ms_buf out = MS_BUF_INIT;
	json_t *doc = NULL, *changes = json_array(), *stored = NULL, *r;
	const char *name;
	pthread_t t[2];
	bool threaded[2] = { false, false };
	size_t i;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: plan_floor STACK_FILE "
				"[RESOURCES_DIR]\n");
		return 1;
	}
	for (i = 0; i < 2; i++)
		if (rec[i].dir)
			threaded[i] = !pthread_create(&t[i], NULL, read_records,
						      &rec[i]);
	if (load_stack(&doc, argv[1])) {
		fprintf(stderr, "plan_floor: %s\n", ms_error_last());
		return 1;
	}
	for (i = 0; i < 2; i++) {
		if (!threaded[i] && rec[i].dir)
			read_records(&rec[i]);
		else if (threaded[i])
			pthread_join(t[i], NULL);
		if (rec[i].err) {
			fprintf(stderr, "plan_floor: %s\n", rec[i].msg);
			return 1;
		}
		if (!stored)
			stored = rec[i].out;
		else if (rec[i].out)
			json_object_update(stored, rec[i].out);
	}
	json_object_foreach(json_object_get(doc, "resources"), name, r) {
		json_t *after =
			json_deep_copy(json_object_get(r, "properties"));
		json_t *tags = json_deep_copy(json_object_get(doc, "tags"));
		json_t *before = json_object_get(json_object_get(stored, name),
						 "attributes");

		if (!json_is_object(after))
			after = json_object();
		if (!json_is_object(tags))
			tags = json_object();
		if (json_is_object(json_object_get(after, "tags")))
			json_object_update(tags,
					   json_object_get(after, "tags"));
		json_object_set_new(tags, "mlstack:resource",
				    json_string(name));
		json_object_set_new(tags, "mlstack:stack",
				    json_string("stack"));
		json_object_set_new(after, "tags", tags);
		json_array_append_new(
			changes,
			json_pack("{s:s, s:O, s:s, s:O?, s:o}", "name", name,
				  "type", json_object_get(r, "type"), "action",
				  json_equal(after, before) ? "no-op" :
							      "create",
				  "before", before, "after", after));
	}
	json_array_foreach(changes, i, r) {
		ms_buf_addf(&out, "  # %s\n  + resource \"%s\" ",
			    json_string_value(json_object_get(r, "name")),
			    json_string_value(json_object_get(r, "type")));
		text_of(&out, json_object_get(r, "after"), 0);
	}
	fwrite(out.ptr, 1, out.len, stdout);
	return 0;
}
