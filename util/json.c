/*
 * json.c - small jansson helpers.
 */
#include "util/common.h"
#include "util/json.h"
#include "util/file.h"

#include <ctype.h>
#include <pthread.h>
#include <unistd.h>

/* the threads of ms_json_release_later still to join */
#define LATER_MAX 8

static struct {
	pthread_mutex_t lock;
	pthread_t threads[LATER_MAX];
	size_t n;
	pid_t pid; /* whose threads they are (a forked child has none) */
	bool at_exit;
} later = { PTHREAD_MUTEX_INITIALIZER, { 0 }, 0, 0, false };

/*
 * At the exit, a tree still being freed is left to the exit: the process
 * ends either way, and the wait would only add the rest of the free to the
 * command's time. The sanitizers' builds wait, so that the leak check
 * sees everything freed and no thread is left running.
 */
static void at_exit(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	ms_json_release_wait();
#endif
}

static void *release_main(void *v)
{
	json_decref(v);
	return NULL;
}

void ms_json_release_later(json_t *v)
{
	pthread_t t;

	if (!v)
		return;
	pthread_mutex_lock(&later.lock);
	if (!later.at_exit)
		later.at_exit = !atexit(at_exit);
	if (later.n && later.pid != getpid())
		later.n = 0;
	if (later.n < LATER_MAX && later.at_exit &&
	    !pthread_create(&t, NULL, release_main, v)) {
		later.threads[later.n++] = t;
		later.pid = getpid();
		v = NULL;
	}
	pthread_mutex_unlock(&later.lock);
	json_decref(v); /* no thread: here */
}

void ms_json_release_wait(void)
{
	pthread_mutex_lock(&later.lock);
	if (later.pid != getpid())
		later.n = 0;
	while (later.n)
		pthread_join(later.threads[--later.n], NULL);
	pthread_mutex_unlock(&later.lock);
}

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
			json_array_append_new(out, json_string_nocheck(s[i]));
	free(s);
	json_decref(list);
	return out;
}

const char **ms_json_keys(const json_t *a, const json_t *b, bool skip_null,
			  size_t *n)
{
	const json_t *both[2] = { a, b };
	const char **s = ms_calloc(
		json_object_size(a) + json_object_size(b) + 1, sizeof(*s));
	const char *key;
	json_t *v;
	size_t i, m = 0, u = 0;

	for (i = 0; i < 2; i++)
		json_object_foreach((json_t *)both[i], key, v)
			if (!skip_null || !json_is_null(v))
				s[m++] = key;
	qsort(s, m, sizeof(*s), cmp_str);
	for (i = 0; i < m; i++)
		if (!u || strcmp(s[i], s[u - 1]))
			s[u++] = s[i];
	s[u] = NULL;
	*n = u;
	return s;
}

json_t *ms_json_copy(const json_t *v)
{
	json_t *out, *x;
	void *it;
	size_t i;

	if (!v)
		return NULL;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		out = json_object();
		for (it = json_object_iter((json_t *)v); it;
		     it = json_object_iter_next((json_t *)v, it))
			json_object_setn_new_nocheck(
				out, json_object_iter_key(it),
				json_object_iter_key_len(it),
				ms_json_copy(json_object_iter_value(it)));
		return out;
	case JSON_ARRAY:
		out = json_array();
		json_array_foreach(v, i, x)
			json_array_append_new(out, ms_json_copy(x));
		return out;
	default:
		/* scalars are never changed in place (util/json.h) */
		return json_incref((json_t *)v);
	}
}

static void add_real(struct ms_buf *b, double d)
{
	char tmp[64];
	int prec;

	/* the shortest text that reads back as the same double */
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	ms_buf_adds(b, tmp);
}

int ms_json_scalar_text(struct ms_buf *out, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		ms_buf_add(out, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER:
		ms_buf_addf(out, "%" JSON_INTEGER_FORMAT,
			    json_integer_value(v));
		return 0;
	case JSON_REAL:
		add_real(out, json_real_value(v));
		return 0;
	case JSON_TRUE:
		ms_buf_adds(out, "true");
		return 0;
	case JSON_FALSE:
		ms_buf_adds(out, "false");
		return 0;
	case JSON_NULL:
		return 1;
	default:
		return -1;
	}
}

char *ms_json_compact(const json_t *v)
{
	char *s =
		json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (!s)
		ms_die_oom();
	return s;
}

void ms_json_init(void)
{
	json_set_alloc_funcs(ms_malloc, free);
}

void ms_json_error_mark(const json_error_t *e, int *line, int *col)
{
	*line = e->line > 0 ? e->line : 1;
	*col = e->column > 0 ? e->column : 1;
}

int ms_json_load_file(json_t **out, const char *path, size_t flags)
{
	struct ms_buf text = MS_BUF_INIT;
	json_error_t jerr;
	size_t i;
	int err, line, col;

	*out = NULL;
	if ((err = ms_file_read(&text, path, 0)))
		goto done;
	for (i = 0; i < text.len && isspace((unsigned char)text.ptr[i]); i++)
		;
	if (i == text.len) {
		err = ms_error("\"%s\": the file is empty", path);
		goto done;
	}
	*out = json_loadb(text.ptr, text.len, flags, &jerr);
	if (!*out) {
		ms_json_error_mark(&jerr, &line, &col);
		err = ms_error("\"%s\": not JSON at line %d, column %d: %s",
			       path, line, col, jerr.text);
	}
done:
	ms_buf_release(&text);
	return err;
}
