/*
 * json.c - small jansson helpers.
 */
#include "util/common.h"
#include "util/json.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *ms_json_sorted_set(json_t *list)
{
	size_t n = json_array_size(list), i, m = 0;
	const char **s = ms_calloc(n + 1, sizeof(*s));
	json_t *out = json_array();

	for (i = 0; i < n; i++)
		if (json_is_string(json_array_get(list, i)))
			s[m++] = json_string_value(json_array_get(list, i));
	qsort(s, m, sizeof(*s), cmp_str);
	for (i = 0; i < m; i++)
		if (!i || strcmp(s[i], s[i - 1]))
			json_array_append_new(out, json_string(s[i]));
	free(s);
	json_decref(list);
	return out;
}

char *ms_json_compact(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS |
				     JSON_ENCODE_ANY);

	if (!s)
		ms_die_oom();
	return s;
}
