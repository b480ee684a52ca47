/*
 * fuzz.c - the helpers of fuzz.h.
 *
 * Setup happens once, from LLVMFuzzerInitialize, so that nothing it
 * allocates (libgit2's and libxml2's global state) is counted against
 * the first input by the leak check. The JSON mutator draws from its own
 * generator seeded by libFuzzer, so that a run can be repeated with
 * -seed.
 */
#include "util/common.h"
#include "engine/yaml.h"
#include "tests/fuzz/fuzz.h"

#include <jansson.h>

#include <fcntl.h>
#include <ftw.h>
#include <unistd.h>

static char scratch[4096];

static void remove_scratch(void)
{
	if (scratch[0])
		fuzz_remove(scratch);
}

const char *fuzz_setup(void)
{
	static const char *const unset[] = {
		"AWS_ACCESS_KEY_ID",   "AWS_SECRET_ACCESS_KEY",
		"AWS_SESSION_TOKEN",   "AWS_PROFILE",
		"AWS_DEFAULT_PROFILE", "AWS_REGION",
		"AWS_DEFAULT_REGION",  "AWS_ENDPOINT_URL",
		"AWS_CA_BUNDLE",       "MLSTACK_TRACE",
	};
	const char *tmp = getenv("TMPDIR");
	char *p;
	size_t i;

	if (scratch[0])
		return scratch;
	/* memory, where there is some: the state fsyncs what it writes */
	if (!tmp || !*tmp)
		tmp = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";
	snprintf(scratch, sizeof(scratch), "%s/mlstack-fuzz-XXXXXX", tmp);
	if (!mkdtemp(scratch)) {
		perror(scratch);
		abort();
	}
	atexit(remove_scratch);
	for (i = 0; i < MS_ARRAY_SIZE(unset); i++)
		unsetenv(unset[i]);
	/* files that are not there: no profile, no credential_process */
	p = fuzz_path("no-aws-credentials");
	setenv("AWS_SHARED_CREDENTIALS_FILE", p, 1);
	free(p);
	p = fuzz_path("no-aws-config");
	setenv("AWS_CONFIG_FILE", p, 1);
	free(p);
	setenv("HOME", scratch, 1);
	setenv("XDG_CONFIG_HOME", scratch, 1);
	ms_log_level = MS_LOG_ERROR - 1; /* silent */
	return scratch;
}

char *fuzz_path(const char *name)
{
	return ms_asprintf("%s/%s", fuzz_setup(), name);
}

void fuzz_write(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const char *p = data;

	if (fd < 0) {
		perror(path);
		abort();
	}
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror(path);
			abort();
		}
		p += n;
		len -= (size_t)n;
	}
	close(fd);
}

static int remove_one(const char *path, const struct stat *sb, int flag,
		      struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void fuzz_remove(const char *path)
{
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

FILE *fuzz_devnull(void)
{
	static FILE *f;

	if (!f)
		f = fopen("/dev/null", "w");
	if (!f)
		abort();
	return f;
}

/* ---- the JSON mutator ------------------------------------------------ */

static unsigned int next(unsigned int *r)
{
	/* xorshift32 */
	*r ^= *r << 13;
	*r ^= *r >> 17;
	*r ^= *r << 5;
	return *r;
}

static size_t count_values(const json_t *v)
{
	const char *key;
	json_t *x;
	size_t i, n = 1;

	if (json_is_object(v))
		json_object_foreach((json_t *)v, key, x)
			n += count_values(x);
	else if (json_is_array(v))
		json_array_foreach(v, i, x)
			n += count_values(x);
	return n;
}

/* The n-th value of v, depth first (0: v itself). */
static json_t *nth_value(json_t *v, size_t *n)
{
	const char *key;
	json_t *x, *found;
	size_t i;

	if (!(*n)--)
		return v;
	if (json_is_object(v)) {
		json_object_foreach(v, key, x)
			if ((found = nth_value(x, n)))
				return found;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			if ((found = nth_value(x, n)))
				return found;
	}
	return NULL;
}

/* A new value of any type; NULL: remove the one it replaces. */
static json_t *any_value(unsigned int *r, json_t *root,
			 const char *const *words)
{
	static const json_int_t ints[] = {
		0,
		1,
		-1,
		2,
		255,
		65536,
		2147483647,
		-2147483648LL,
		9007199254740993LL,
		INT64_MAX,
		INT64_MIN,
	};
	static const double reals[] = { 0.5, -0.0, 1e308, -1e-308, 3.0 };
	size_t n = 0, i;

	while (words && words[n])
		n++;
	switch (next(r) % 11) {
	case 0:
		return json_null();
	case 1:
		return json_boolean(next(r) & 1);
	case 2:
		return json_integer(ints[next(r) % MS_ARRAY_SIZE(ints)]);
	case 3:
		return json_real(reals[next(r) % MS_ARRAY_SIZE(reals)]);
	case 4:
	case 5:
		return json_string(n ? words[next(r) % n] : "");
	case 6:
		return json_object();
	case 7:
		return json_array();
	case 8:
		return json_pack("{s:b}", "__mlstack_unknown__", 1);
	case 9:
		i = next(r) % count_values(root);
		return json_deep_copy(nth_value(root, &i));
	default:
		return NULL;
	}
}

/* Replace (or remove) the n-th value below parent; n counts from 1. */
static bool replace_nth(json_t *parent, size_t *n, unsigned int *r,
			json_t *root, const char *const *words)
{
	const char *key;
	json_t *x, *v;
	size_t i;

	if (json_is_object(parent)) {
		json_object_foreach(parent, key, x) {
			if (--*n == 0) {
				v = any_value(r, root, words);
				if (v)
					json_object_set_new(parent, key, v);
				else
					json_object_del(parent, key);
				return true;
			}
			if (replace_nth(x, n, r, root, words))
				return true;
		}
	} else if (json_is_array(parent)) {
		json_array_foreach(parent, i, x) {
			if (--*n == 0) {
				v = any_value(r, root, words);
				if (v)
					json_array_set_new(parent, i, v);
				else
					json_array_remove(parent, i);
				return true;
			}
			if (replace_nth(x, n, r, root, words))
				return true;
		}
	}
	return false;
}

/* One part mutated into out; false when it does not parse. */
static bool mutate_part(struct ms_buf *out, const char *p, size_t len,
			unsigned int *r, bool yaml, const char *const *words)
{
	struct ms_yaml_doc doc;
	json_t *root = NULL, *diags;
	size_t n;
	char *text;

	if (yaml) {
		diags = json_array();
		ms_yaml_parse(&doc, p, len, diags);
		root = json_incref(doc.root);
		ms_yaml_doc_release(&doc);
		json_decref(diags);
	} else {
		root = json_loadb(p, len, JSON_DECODE_ANY, NULL);
	}
	if (!root)
		return false;
	n = count_values(root);
	if (n > 1) {
		n = 1 + next(r) % (n - 1);
		replace_nth(root, &n, r, root, words);
	}
	text = json_dumps(root, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(root);
	if (!text)
		return false;
	ms_buf_adds(out, text);
	free(text);
	return true;
}

size_t fuzz_mutate_json(uint8_t *data, size_t size, size_t max_size,
			unsigned int seed, const char *sep, bool yaml,
			const char *const *words)
{
	struct ms_buf out = MS_BUF_INIT;
	const char *p = (const char *)data, *end = p + size, *q;
	unsigned int r = seed ? seed : 1, parts = 1, pick, i;
	bool done = false;

	if (next(&r) & 1)
		return LLVMFuzzerMutate(data, size, max_size);
	for (q = p; sep && (q = memmem(q, (size_t)(end - q), sep, strlen(sep)));
	     q += strlen(sep))
		parts++;
	pick = next(&r) % parts;
	for (i = 0; i < parts; i++) {
		q = sep ? memmem(p, (size_t)(end - p), sep, strlen(sep)) : NULL;
		if (!q)
			q = end;
		if (i != pick ||
		    !mutate_part(&out, p, (size_t)(q - p), &r, yaml, words))
			ms_buf_add(&out, p, (size_t)(q - p));
		else
			done = true;
		if (q < end) {
			ms_buf_adds(&out, sep);
			p = q + strlen(sep);
		}
	}
	if (!done || out.len > max_size) {
		ms_buf_release(&out);
		return LLVMFuzzerMutate(data, size, max_size);
	}
	memcpy(data, out.ptr, out.len);
	size = out.len;
	ms_buf_release(&out);
	return size;
}
