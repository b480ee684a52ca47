/*
 * test_state.c - the state directory: files, lock, commits, history.
 *
 * Every case gets a fresh mkdtemp directory whose .mlstack/ does not exist
 * yet, so each one also exercises creating the repository. What is checked
 * is what a user would see: the bytes of the files, the git commits (read
 * back with libgit2 directly), and the lock messages.
 */
#include "util/common.h"
#include "state/state.h"

#include <ftw.h>
#include <setjmp.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <git2.h>

struct fixture {
	char tmp[64];   /* the mkdtemp directory */
	char *dir;      /* <tmp>/.mlstack */
	struct ms_state *st;
};

static int rm_entry(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = ms_calloc(1, sizeof(*f));

	snprintf(f->tmp, sizeof(f->tmp), "/tmp/mlstack-state-XXXXXX");
	assert_non_null(mkdtemp(f->tmp));
	f->dir = ms_asprintf("%s/.mlstack", f->tmp);
	assert_int_equal(ms_state_open(&f->st, f->dir, "demo"), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ms_state_free(f->st);
	nftw(f->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f->dir);
	free(f);
	return 0;
}

static char *path_of(struct fixture *f, const char *rel)
{
	return ms_asprintf("%s/%s", f->dir, rel);
}

static bool exists(struct fixture *f, const char *rel)
{
	char *p = path_of(f, rel);
	bool ok = access(p, F_OK) == 0;

	free(p);
	return ok;
}

/* The whole file, or NULL when it cannot be read. */
static char *slurp(const char *path)
{
	struct ms_buf b = MS_BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *fp = fopen(path, "r");

	if (!fp)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		ms_buf_add(&b, chunk, n);
	fclose(fp);
	return ms_buf_detach(&b, NULL);
}

static char *slurp_rel(struct fixture *f, const char *rel)
{
	char *p = path_of(f, rel);
	char *s = slurp(p);

	free(p);
	return s;
}

static void spew(struct fixture *f, const char *rel, const char *data)
{
	char *p = path_of(f, rel);
	FILE *fp = fopen(p, "w");

	assert_non_null(fp);
	fputs(data, fp);
	assert_int_equal(fclose(fp), 0);
	free(p);
}

static json_t *parse(const char *s)
{
	json_t *v = json_loads(s, 0, NULL);

	assert_non_null(v);
	return v;
}

static bool is_hex_id(const char *s)
{
	size_t i;

	if (strlen(s) != 40)
		return false;
	for (i = 0; i < 40; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* YYYY-MM-DDTHH:MM:SSZ */
static bool is_rfc3339_utc(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;

	if (!s || strlen(s) != sizeof(shape) - 1)
		return false;
	for (i = 0; shape[i]; i++) {
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9')
				    : s[i] != shape[i])
			return false;
	}
	return true;
}

static void put(struct ms_state *st, const char *name, const char *json)
{
	json_t *v = parse(json);

	assert_int_equal(ms_state_put_resource(st, name, v), 0);
	json_decref(v);
}

static char *commit(struct ms_state *st, const char *message)
{
	char *id = NULL;

	assert_int_equal(ms_state_commit(st, message, &id), 0);
	assert_non_null(id);
	return id;
}

static size_t history_len(struct ms_state *st)
{
	json_t *h = NULL;
	size_t n;

	assert_int_equal(ms_state_history(st, &h), 0);
	n = json_array_size(h);
	json_decref(h);
	return n;
}

/* Whether path is in HEAD's tree, read with libgit2 independently. */
static bool in_head(struct fixture *f, const char *path)
{
	git_repository *repo = NULL;
	git_object *obj = NULL;
	char *spec = ms_asprintf("HEAD:%s", path);
	bool found;

	assert_int_equal(git_repository_open(&repo, f->dir), 0);
	found = git_revparse_single(&obj, repo, spec) == 0;
	git_object_free(obj);
	git_repository_free(repo);
	free(spec);
	return found;
}

static void set_identity(struct fixture *f, const char *name,
			 const char *email)
{
	git_repository *repo = NULL;
	git_config *cfg = NULL;

	assert_int_equal(git_repository_open(&repo, f->dir), 0);
	assert_int_equal(git_repository_config(&cfg, repo), 0);
	assert_int_equal(git_config_set_string(cfg, "user.name", name), 0);
	assert_int_equal(git_config_set_string(cfg, "user.email", email), 0);
	git_config_free(cfg);
	git_repository_free(repo);

	/* reopen, so the identity is read afresh */
	ms_state_free(f->st);
	assert_int_equal(ms_state_open(&f->st, f->dir, "demo"), 0);
}

/* ---- opening ------------------------------------------------------------- */

static void test_open_creates_repo(void **state)
{
	struct fixture *f = *state;
	git_repository *repo = NULL;
	struct stat sb;
	char *p, *ignore, *head = NULL;

	assert_int_equal(git_repository_open_ext(&repo, f->dir,
						 GIT_REPOSITORY_OPEN_NO_SEARCH,
						 NULL),
			 0);
	assert_false(git_repository_is_bare(repo));
	git_repository_free(repo);

	p = path_of(f, "demo/resources");
	assert_int_equal(stat(p, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	free(p);

	ignore = slurp_rel(f, ".gitignore");
	assert_non_null(ignore);
	assert_non_null(strstr(ignore, "*.lock\n"));
	assert_non_null(strstr(ignore, "*.tmp\n"));
	free(ignore);

	assert_int_equal(ms_state_head(f->st, &head), 0);
	assert_string_equal(head, "");
	free(head);
}

/* Processes that create the same fresh state at once all succeed. */
static void test_open_concurrent_create(void **state)
{
	struct fixture *f = *state;
	pid_t pids[8];
	int round, i, status;

	for (round = 0; round < 5; round++) {
		char *dir = ms_asprintf("%s/fresh-%d/.mlstack", f->tmp, round);

		for (i = 0; i < (int)MS_ARRAY_SIZE(pids); i++) {
			pids[i] = fork();
			assert_true(pids[i] >= 0);
			if (!pids[i]) {
				struct ms_state *st = NULL;
				int rc = ms_state_open(&st, dir, "demo");

				if (rc)
					fprintf(stderr, "%s\n", ms_error_last());
				ms_state_free(st);
				_exit(rc ? 1 : 0);
			}
		}
		for (i = 0; i < (int)MS_ARRAY_SIZE(pids); i++) {
			assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
		}
		free(dir);
	}
}

static void test_open_existing_and_nested(void **state)
{
	struct fixture *f = *state;
	struct ms_state *again = NULL, *deep = NULL;
	json_t *all = NULL;
	char *nested = ms_asprintf("%s/a/b/state/", f->tmp);
	char *p;

	put(f->st, "bucket", "{\"id\": \"b\"}");
	assert_int_equal(ms_state_open(&again, f->dir, "demo"), 0);
	assert_int_equal(ms_state_resources(again, &all), 0);
	assert_int_equal(json_object_size(all), 1);
	json_decref(all);
	ms_state_free(again);

	/* missing parents are made; a trailing slash is fine */
	assert_int_equal(ms_state_open(&deep, nested, "demo"), 0);
	ms_state_free(deep);
	p = ms_asprintf("%s/a/b/state/.git", f->tmp);
	assert_int_equal(access(p, F_OK), 0);
	free(p);
	free(nested);
}

static void test_open_does_not_search_upwards(void **state)
{
	struct fixture *f = *state;
	git_repository *outer = NULL;
	struct ms_state *st = NULL;
	char *inner = ms_asprintf("%s/project/.mlstack", f->tmp);
	char *project = ms_asprintf("%s/project", f->tmp);
	char *p;

	/* the user's project is a repository; state gets its own */
	assert_int_equal(git_repository_init(&outer, project, 0), 0);
	git_repository_free(outer);
	assert_int_equal(ms_state_open(&st, inner, "demo"), 0);
	ms_state_free(st);
	p = ms_asprintf("%s/.git", inner);
	assert_int_equal(access(p, F_OK), 0);
	free(p);
	free(inner);
	free(project);
}

static void test_open_rejects_bad_stack_names(void **state)
{
	static const char *const bad[] = { "", "../up", "a/b", ".", "..",
					   "dot.name", "sp ace" };
	struct fixture *f = *state;
	struct ms_state *st = NULL;
	size_t i;

	for (i = 0; i < MS_ARRAY_SIZE(bad); i++) {
		assert_int_equal(ms_state_open(&st, f->dir, bad[i]), -1);
		assert_null(st);
		assert_non_null(strstr(ms_error_last(), "invalid stack name"));
	}
	assert_int_equal(ms_state_open(&st, f->dir, NULL), -1);
	assert_false(exists(f, "up"));
}

/* ---- resources ----------------------------------------------------------- */

static void test_put_writes_sorted_indented_json(void **state)
{
	static const char want[] = "{\n"
				   "  \"attributes\": {\n"
				   "    \"a\": [\n"
				   "      1,\n"
				   "      2\n"
				   "    ],\n"
				   "    \"empty\": {},\n"
				   "    \"z\": \"last\"\n"
				   "  },\n"
				   "  \"id\": \"dogbreeds-data\",\n"
				   "  \"type\": \"aws_s3_bucket\"\n"
				   "}\n";
	struct fixture *f = *state;
	char *bytes;

	put(f->st, "bucket",
	    "{\"type\": \"aws_s3_bucket\", \"id\": \"dogbreeds-data\","
	    " \"attributes\": {\"z\": \"last\", \"a\": [1, 2], \"empty\": {}}}");
	bytes = slurp_rel(f, "demo/resources/bucket.json");
	assert_non_null(bytes);
	assert_string_equal(bytes, want);
	free(bytes);
}

static void test_resources_round_trip(void **state)
{
	struct fixture *f = *state;
	json_t *all = NULL, *want;
	const char *key;
	json_t *v;
	const char *order[3];
	size_t i = 0;

	put(f->st, "role", "{\"type\": \"aws_iam_role\", \"id\": \"r\"}");
	put(f->st, "bucket", "{\"type\": \"aws_s3_bucket\", \"id\": \"b\"}");
	put(f->st, "endpoint_1", "{\"type\": \"aws_sagemaker_endpoint\"}");
	/* overwrite: the last write wins, whole */
	put(f->st, "bucket", "{\"type\": \"aws_s3_bucket\", \"id\": \"b2\"}");

	assert_int_equal(ms_state_resources(f->st, &all), 0);
	want = parse("{\"bucket\": {\"type\": \"aws_s3_bucket\", \"id\": \"b2\"},"
		     " \"endpoint_1\": {\"type\": \"aws_sagemaker_endpoint\"},"
		     " \"role\": {\"type\": \"aws_iam_role\", \"id\": \"r\"}}");
	assert_true(json_equal(all, want));
	json_object_foreach(all, key, v) {
		assert_true(i < 3);
		order[i++] = key;
	}
	assert_string_equal(order[0], "bucket");
	assert_string_equal(order[1], "endpoint_1");
	assert_string_equal(order[2], "role");
	json_decref(want);
	json_decref(all);
}

static void test_resource_alone(void **state)
{
	struct fixture *f = *state;
	json_t *v = NULL, *want;

	put(f->st, "role", "{\"type\": \"aws_iam_role\", \"id\": \"r\"}");
	put(f->st, "bucket", "{\"type\": \"aws_s3_bucket\", \"id\": \"b\"}");
	assert_int_equal(ms_state_resource(f->st, "role", &v), 0);
	want = parse("{\"type\": \"aws_iam_role\", \"id\": \"r\"}");
	assert_true(json_equal(v, want));
	json_decref(want);
	json_decref(v);
	/* none, or a name no file can have: not found, without a message */
	ms_error_clear();
	assert_int_equal(ms_state_resource(f->st, "nope", &v), MS_ENOTFOUND);
	assert_null(v);
	assert_int_equal(ms_state_resource(f->st, "../demo/stack", &v),
			 MS_ENOTFOUND);
	assert_int_equal(ms_state_resource(f->st, "", &v), MS_ENOTFOUND);
	assert_string_equal(ms_error_last(), "");
	/* a corrupt file is an error naming it */
	spew(f, "demo/resources/bad.json", "{\"half\": ");
	assert_int_equal(ms_state_resource(f->st, "bad", &v), -1);
	assert_non_null(strstr(ms_error_last(), "bad.json"));
}

static void test_resources_empty(void **state)
{
	struct fixture *f = *state;
	json_t *all = NULL;

	assert_int_equal(ms_state_resources(f->st, &all), 0);
	assert_true(json_is_object(all));
	assert_int_equal(json_object_size(all), 0);
	json_decref(all);
}

static void test_resources_ignore_leftover_tmp(void **state)
{
	struct fixture *f = *state;
	json_t *all = NULL;

	/* what a crash between write and rename leaves behind */
	spew(f, "demo/resources/bucket.json.4242.1.tmp", "{\"half\": ");
	put(f->st, "role", "{\"id\": \"r\"}");
	assert_int_equal(ms_state_resources(f->st, &all), 0);
	assert_int_equal(json_object_size(all), 1);
	assert_non_null(json_object_get(all, "role"));
	json_decref(all);

	free(commit(f->st, "apply demo"));
	assert_true(in_head(f, "demo/resources/role.json"));
	assert_false(in_head(f, "demo/resources/bucket.json.4242.1.tmp"));
}

static void test_remove_resource(void **state)
{
	struct fixture *f = *state;
	json_t *all = NULL;

	put(f->st, "bucket", "{\"id\": \"b\"}");
	put(f->st, "role", "{\"id\": \"r\"}");
	assert_int_equal(ms_state_remove_resource(f->st, "bucket"), 0);
	assert_false(exists(f, "demo/resources/bucket.json"));
	assert_int_equal(ms_state_resources(f->st, &all), 0);
	assert_int_equal(json_object_size(all), 1);
	assert_non_null(json_object_get(all, "role"));
	json_decref(all);

	assert_int_equal(ms_state_remove_resource(f->st, "bucket"),
			 MS_ENOTFOUND);
	assert_non_null(strstr(ms_error_last(), "'bucket'"));
}

static void test_bad_resource_names_rejected(void **state)
{
	static const char *const bad[] = {
		"", "../evil", "../../evil", "a/b", "/abs", ".hidden",
		"dot.name", "sp ace", "tab\t", "caf\xc3\xa9", ".", "..",
		"x"
		"123456789012345678901234567890123456789012345678901234567890"
		"123456789012345678901234567890123456789012345678901234567890"
		"1234567890",
	};
	struct fixture *f = *state;
	json_t *v = parse("{\"id\": \"x\"}");
	size_t i;

	for (i = 0; i < MS_ARRAY_SIZE(bad); i++) {
		assert_int_equal(ms_state_put_resource(f->st, bad[i], v), -1);
		assert_non_null(strstr(ms_error_last(), "invalid resource name"));
		assert_int_equal(ms_state_remove_resource(f->st, bad[i]), -1);
	}
	assert_int_equal(ms_state_put_resource(f->st, NULL, v), -1);
	assert_false(exists(f, "evil.json"));
	assert_false(exists(f, "demo/evil.json"));
	assert_false(exists(f, "../evil.json"));
	json_decref(v);

	/* a resource is an object */
	v = parse("[1, 2]");
	assert_int_equal(ms_state_put_resource(f->st, "list", v), -1);
	assert_false(exists(f, "demo/resources/list.json"));
	json_decref(v);
}

static void test_corrupt_resource_is_an_error(void **state)
{
	static const struct {
		const char *name, *body, *says;
	} cases[] = {
		{ "truncated", "{\"type\": ", "corrupt JSON" },
		{ "empty", "", "corrupt JSON" },
		{ "array", "[1, 2]\n", "not a JSON object" },
		{ "duplicate", "{\"a\": 1, \"a\": 2}\n", "corrupt JSON" },
	};
	struct fixture *f = *state;
	json_t *all = NULL;
	size_t i;

	for (i = 0; i < MS_ARRAY_SIZE(cases); i++) {
		char *rel = ms_asprintf("demo/resources/%s.json",
					cases[i].name);
		char *file = ms_asprintf("%s.json", cases[i].name);
		char *path = path_of(f, rel);

		put(f->st, "good", "{\"id\": \"g\"}");
		spew(f, rel, cases[i].body);
		assert_int_equal(ms_state_resources(f->st, &all), -1);
		assert_null(all);
		assert_non_null(strstr(ms_error_last(), file));
		assert_non_null(strstr(ms_error_last(), cases[i].says));
		assert_int_equal(unlink(path), 0);
		free(path);
		free(rel);
		free(file);
	}
}

/* ---- meta and journal ---------------------------------------------------- */

static void test_meta_round_trip(void **state)
{
	struct fixture *f = *state;
	json_t *meta = NULL, *want;
	char *bytes;

	assert_int_equal(ms_state_meta(f->st, &meta), 0);
	assert_true(json_is_object(meta));
	assert_int_equal(json_object_size(meta), 0);
	json_decref(meta);

	want = parse("{\"serial\": 3, \"lineage\": \"abc\","
		     " \"outputs\": {\"notebook\": \"nb\"}}");
	assert_int_equal(ms_state_put_meta(f->st, want), 0);
	assert_int_equal(ms_state_meta(f->st, &meta), 0);
	assert_true(json_equal(meta, want));
	bytes = slurp_rel(f, "demo/stack.json");
	assert_string_equal(bytes, "{\n"
				   "  \"lineage\": \"abc\",\n"
				   "  \"outputs\": {\n"
				   "    \"notebook\": \"nb\"\n"
				   "  },\n"
				   "  \"serial\": 3\n"
				   "}\n");
	free(bytes);
	json_decref(meta);
	json_decref(want);
}

static void test_journal_round_trip(void **state)
{
	struct fixture *f = *state;
	json_t *j = NULL, *want, *empty = json_object();
	char *bytes;

	assert_int_equal(ms_state_journal(f->st, &j), 0);
	assert_int_equal(json_object_size(j), 0);
	json_decref(j);

	want = parse("{\"endpoint\": {\"action\": \"create\","
		     " \"name\": \"dogbreeds-endpoint\"}}");
	assert_int_equal(ms_state_put_journal(f->st, want), 0);
	assert_int_equal(ms_state_journal(f->st, &j), 0);
	assert_true(json_equal(j, want));
	json_decref(j);

	/* idle again */
	assert_int_equal(ms_state_put_journal(f->st, empty), 0);
	bytes = slurp_rel(f, "demo/journal.json");
	assert_string_equal(bytes, "{}\n");
	free(bytes);
	json_decref(want);
	json_decref(empty);
}

/* ---- commits and history ------------------------------------------------- */

static void test_commit_creates_one_commit(void **state)
{
	struct fixture *f = *state;
	git_repository *repo = NULL;
	git_commit *c = NULL;
	git_oid oid;
	char *id, *head = NULL;

	put(f->st, "bucket", "{\"id\": \"b\"}");
	assert_int_equal(ms_state_lock(f->st, "apply"), 0);
	id = commit(f->st, "apply demo: +1 ~0 -0");
	assert_true(is_hex_id(id));
	assert_int_equal(ms_state_head(f->st, &head), 0);
	assert_string_equal(head, id);

	assert_int_equal(git_repository_open(&repo, f->dir), 0);
	assert_int_equal(git_oid_fromstr(&oid, id), 0);
	assert_int_equal(git_commit_lookup(&c, repo, &oid), 0);
	assert_string_equal(git_commit_message(c), "apply demo: +1 ~0 -0\n");
	assert_int_equal(git_commit_parentcount(c), 0);
	git_commit_free(c);
	git_repository_free(repo);

	assert_true(in_head(f, "demo/resources/bucket.json"));
	assert_true(in_head(f, ".gitignore"));
	assert_false(in_head(f, "demo.lock"));
	assert_int_equal(history_len(f->st), 1);
	free(id);
	free(head);
}

static void test_commit_without_change_makes_none(void **state)
{
	struct fixture *f = *state;
	char *empty, *first, *second;

	/* nothing of the stack yet: nothing to commit */
	empty = commit(f->st, "apply demo: +0 ~0 -0");
	assert_string_equal(empty, "");
	assert_int_equal(history_len(f->st), 0);

	put(f->st, "bucket", "{\"id\": \"b\"}");
	first = commit(f->st, "apply demo: +1 ~0 -0");
	/* the same content rewritten is no change either */
	put(f->st, "bucket", "{\"id\": \"b\"}");
	second = commit(f->st, "apply demo: +0 ~0 -0");
	assert_string_equal(second, first);
	assert_int_equal(history_len(f->st), 1);
	assert_int_equal(ms_state_commit(f->st, "again", NULL), 0);
	assert_int_equal(history_len(f->st), 1);
	free(empty);
	free(first);
	free(second);
}

static void test_commit_records_removal(void **state)
{
	struct fixture *f = *state;
	git_repository *repo = NULL;
	git_commit *c = NULL;
	git_oid oid;
	char *first, *second;

	put(f->st, "bucket", "{\"id\": \"b\"}");
	put(f->st, "role", "{\"id\": \"r\"}");
	first = commit(f->st, "apply demo: +2 ~0 -0");
	assert_int_equal(ms_state_remove_resource(f->st, "bucket"), 0);
	put(f->st, "role", "{\"id\": \"r2\"}");
	second = commit(f->st, "apply demo: +0 ~1 -1");
	assert_string_not_equal(first, second);
	assert_false(in_head(f, "demo/resources/bucket.json"));
	assert_true(in_head(f, "demo/resources/role.json"));

	assert_int_equal(git_repository_open(&repo, f->dir), 0);
	assert_int_equal(git_oid_fromstr(&oid, second), 0);
	assert_int_equal(git_commit_lookup(&c, repo, &oid), 0);
	assert_int_equal(git_commit_parentcount(c), 1);
	assert_string_equal(git_oid_tostr_s(git_commit_parent_id(c, 0)),
			    first);
	git_commit_free(c);
	git_repository_free(repo);
	free(first);
	free(second);
}

static void test_commit_rejects_empty_message(void **state)
{
	struct fixture *f = *state;
	char *id = (char *)"untouched";

	put(f->st, "bucket", "{\"id\": \"b\"}");
	assert_int_equal(ms_state_commit(f->st, "", &id), -1);
	assert_null(id);
	assert_int_equal(history_len(f->st), 0);
}

static void test_history_newest_first(void **state)
{
	struct fixture *f = *state;
	json_t *h = NULL, *e;
	char *ids[3];
	size_t i;

	set_identity(f, "Ada Lovelace", "ada@example.com");
	put(f->st, "bucket", "{\"id\": \"1\"}");
	ids[0] = commit(f->st, "first");
	put(f->st, "bucket", "{\"id\": \"2\"}");
	ids[1] = commit(f->st, "second\n\nwith a body that is not shown");
	put(f->st, "bucket", "{\"id\": \"3\"}");
	ids[2] = commit(f->st, "third");

	assert_int_equal(ms_state_history(f->st, &h), 0);
	assert_int_equal(json_array_size(h), 3);
	for (i = 0; i < 3; i++) {
		e = json_array_get(h, i);
		assert_string_equal(
			json_string_value(json_object_get(e, "commit")),
			ids[2 - i]);
		assert_string_equal(
			json_string_value(json_object_get(e, "author")),
			"Ada Lovelace <ada@example.com>");
		assert_true(is_rfc3339_utc(
			json_string_value(json_object_get(e, "time"))));
	}
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(h, 0), "message")),
			    "third");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(h, 1), "message")),
			    "second");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(h, 2), "message")),
			    "first");
	json_decref(h);
	for (i = 0; i < 3; i++)
		free(ids[i]);
}

static void test_history_only_this_stack(void **state)
{
	struct fixture *f = *state;
	struct ms_state *other = NULL;
	json_t *h = NULL;
	char *a, *b, *c, *head = NULL;

	assert_int_equal(ms_state_open(&other, f->dir, "other"), 0);
	put(f->st, "bucket", "{\"id\": \"b\"}");
	a = commit(f->st, "apply demo");
	put(other, "queue", "{\"id\": \"q\"}");
	b = commit(other, "apply other");
	put(f->st, "role", "{\"id\": \"r\"}");
	c = commit(f->st, "apply demo again");

	/* one repository, one line of commits; history per stack */
	assert_int_equal(ms_state_head(other, &head), 0);
	assert_string_equal(head, c);
	assert_int_equal(ms_state_history(f->st, &h), 0);
	assert_int_equal(json_array_size(h), 2);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(h, 0), "commit")),
			    c);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(h, 1), "commit")),
			    a);
	json_decref(h);
	assert_int_equal(ms_state_history(other, &h), 0);
	assert_int_equal(json_array_size(h), 1);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(h, 0), "commit")),
			    b);
	json_decref(h);
	ms_state_free(other);
	free(a);
	free(b);
	free(c);
	free(head);
}

static void test_author_falls_back_to_login(void **state)
{
	static const int levels[] = { GIT_CONFIG_LEVEL_SYSTEM,
				      GIT_CONFIG_LEVEL_XDG,
				      GIT_CONFIG_LEVEL_GLOBAL,
				      GIT_CONFIG_LEVEL_PROGRAMDATA };
	struct fixture *f = *state;
	json_t *h = NULL;
	char host[256], *nowhere, *suffix;
	const char *author;
	size_t i;

	/* no config anywhere: no user.name to find */
	nowhere = ms_asprintf("%s/noconfig", f->tmp);
	assert_int_equal(mkdir(nowhere, 0700), 0);
	assert_true(git_libgit2_init() > 0);
	for (i = 0; i < MS_ARRAY_SIZE(levels); i++)
		assert_int_equal(git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH,
						  levels[i], nowhere),
				 0);
	ms_state_free(f->st);
	assert_int_equal(ms_state_open(&f->st, f->dir, "demo"), 0);
	put(f->st, "bucket", "{\"id\": \"b\"}");
	free(commit(f->st, "apply demo"));
	for (i = 0; i < MS_ARRAY_SIZE(levels); i++)
		git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, levels[i], NULL);
	git_libgit2_shutdown();

	assert_int_equal(gethostname(host, sizeof(host)), 0);
	suffix = ms_asprintf("@%s>", host);
	assert_int_equal(ms_state_history(f->st, &h), 0);
	author = json_string_value(json_object_get(json_array_get(h, 0),
						   "author"));
	assert_non_null(author);
	assert_true(strlen(author) > strlen(suffix));
	assert_string_equal(author + strlen(author) - strlen(suffix), suffix);
	assert_null(strstr(author, "maintainers"));
	json_decref(h);
	free(suffix);
	free(nowhere);
}

/* ---- the lock ------------------------------------------------------------ */

/* In a child process: open the state, try to lock, report rc and message. */
static void try_lock_in_child(struct fixture *f, int *out_rc, char **out_msg,
			      bool keep)
{
	struct ms_buf msg = MS_BUF_INIT;
	char chunk[512];
	int fds[2], status, rc;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ms_state *st = NULL;

		close(fds[0]);
		rc = ms_state_open(&st, f->dir, "demo");
		if (!rc)
			rc = ms_state_lock(st, "plan");
		if (write(fds[1], ms_error_last(), strlen(ms_error_last())) < 0)
			_exit(100);
		/* keep: exit holding it, as a killed process would */
		if (!keep)
			ms_state_free(st);
		_exit(-rc);
	}
	close(fds[1]);
	while ((n = read(fds[0], chunk, sizeof(chunk))) > 0)
		ms_buf_add(&msg, chunk, (size_t)n);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	*out_rc = -WEXITSTATUS(status);
	*out_msg = ms_buf_detach(&msg, NULL);
}

static void test_lock_contention_between_processes(void **state)
{
	struct fixture *f = *state;
	char host[256], *msg, *want;
	int rc;

	assert_int_equal(gethostname(host, sizeof(host)), 0);
	assert_int_equal(ms_state_lock(f->st, "apply"), 0);
	try_lock_in_child(f, &rc, &msg, false);
	assert_int_equal(rc, MS_ELOCKED);
	assert_non_null(strstr(msg, "state 'demo' is locked by "));
	want = ms_asprintf("@%s (pid %ld, apply since ", host, (long)getpid());
	assert_non_null(strstr(msg, want));
	assert_non_null(strstr(msg, "run 'mlstack force-unlock'"));
	free(want);
	free(msg);
	/* the child's failure did not touch our lock */
	assert_true(exists(f, "demo.lock"));
	assert_int_equal(ms_state_unlock(f->st), 0);
	assert_false(exists(f, "demo.lock"));

	/* free now: a child that dies holding the lock leaves it behind */
	try_lock_in_child(f, &rc, &msg, true);
	assert_int_equal(rc, 0);
	free(msg);
	assert_int_equal(ms_state_lock(f->st, "apply"), MS_ELOCKED);
	assert_non_null(strstr(ms_error_last(), "plan since "));
	want = ms_asprintf("(pid %ld,", (long)getpid());
	assert_null(strstr(ms_error_last(), want));
	free(want);
	assert_int_equal(ms_state_force_unlock(f->st), 0);
	assert_int_equal(ms_state_lock(f->st, "apply"), 0);
}

static void test_lock_file_contents(void **state)
{
	struct fixture *f = *state;
	json_t *lock, *info = NULL;
	char host[256], *body, *holder_suffix;
	const char *holder;

	assert_int_equal(ms_state_lock_info(f->st, &info), MS_ENOTFOUND);
	assert_int_equal(ms_state_lock(f->st, "destroy"), 0);
	body = slurp_rel(f, "demo.lock");
	lock = parse(body);
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	holder = json_string_value(json_object_get(lock, "holder"));
	holder_suffix = ms_asprintf("@%s", host);
	assert_non_null(holder);
	assert_string_equal(holder + strlen(holder) - strlen(holder_suffix),
			    holder_suffix);
	assert_int_equal(json_integer_value(json_object_get(lock, "pid")),
			 getpid());
	assert_string_equal(json_string_value(json_object_get(lock, "host")),
			    host);
	assert_string_equal(
		json_string_value(json_object_get(lock, "operation")),
		"destroy");
	assert_true(is_rfc3339_utc(
		json_string_value(json_object_get(lock, "time"))));
	assert_int_equal(
		strlen(json_string_value(json_object_get(lock, "id"))), 32);

	assert_int_equal(ms_state_lock_info(f->st, &info), 0);
	assert_true(json_equal(info, lock));
	json_decref(info);
	json_decref(lock);
	free(body);
	free(holder_suffix);

	/* taking it twice is a mistake, not a wait */
	assert_int_equal(ms_state_lock(f->st, "apply"), -1);
}

static void test_lock_between_handles(void **state)
{
	struct fixture *f = *state;
	struct ms_state *other = NULL;

	assert_int_equal(ms_state_open(&other, f->dir, "demo"), 0);
	assert_int_equal(ms_state_lock(f->st, "apply"), 0);
	assert_int_equal(ms_state_lock(other, "apply"), MS_ELOCKED);
	/* a handle that does not hold the lock cannot release it */
	assert_int_equal(ms_state_unlock(other), 0);
	assert_true(exists(f, "demo.lock"));
	assert_int_equal(ms_state_unlock(f->st), 0);
	assert_false(exists(f, "demo.lock"));
	assert_int_equal(ms_state_lock(other, "apply"), 0);
	/* freeing the holder releases it */
	ms_state_free(other);
	assert_false(exists(f, "demo.lock"));
	assert_int_equal(ms_state_lock(f->st, "apply"), 0);
}

static void test_lock_is_per_stack(void **state)
{
	struct fixture *f = *state;
	struct ms_state *other = NULL;

	assert_int_equal(ms_state_open(&other, f->dir, "other"), 0);
	assert_int_equal(ms_state_lock(f->st, "apply"), 0);
	assert_int_equal(ms_state_lock(other, "apply"), 0);
	assert_true(exists(f, "other.lock"));
	ms_state_free(other);
	assert_false(exists(f, "other.lock"));
	assert_true(exists(f, "demo.lock"));
}

static void test_force_unlock(void **state)
{
	struct fixture *f = *state;
	struct ms_state *other = NULL;

	assert_int_equal(ms_state_open(&other, f->dir, "demo"), 0);
	assert_int_equal(ms_state_force_unlock(other), MS_ENOTFOUND);
	assert_non_null(strstr(ms_error_last(), "not locked"));

	assert_int_equal(ms_state_lock(f->st, "apply"), 0);
	assert_int_equal(ms_state_force_unlock(other), 0);
	assert_false(exists(f, "demo.lock"));
	assert_int_equal(ms_state_force_unlock(other), MS_ENOTFOUND);

	/* broken and taken over: the old holder must not remove the new lock */
	assert_int_equal(ms_state_lock(other, "destroy"), 0);
	assert_int_equal(ms_state_unlock(f->st), -1);
	assert_non_null(strstr(ms_error_last(), "taken by someone else"));
	assert_true(exists(f, "demo.lock"));
	ms_state_free(f->st);
	f->st = NULL;
	assert_true(exists(f, "demo.lock"));
	ms_state_free(other);
	assert_false(exists(f, "demo.lock"));
	assert_int_equal(ms_state_open(&f->st, f->dir, "demo"), 0);
}

static void test_corrupt_lock_reports_unknown_holder(void **state)
{
	static const char *const bodies[] = { "", "{\"holder\": ",
					      "[1]\n", "{}\n" };
	struct fixture *f = *state;
	json_t *info = NULL;
	size_t i;

	for (i = 0; i < MS_ARRAY_SIZE(bodies); i++) {
		spew(f, "demo.lock", bodies[i]);
		assert_int_equal(ms_state_lock(f->st, "apply"), MS_ELOCKED);
		assert_non_null(strstr(ms_error_last(), "unknown holder"));
		assert_non_null(strstr(ms_error_last(), "force-unlock"));
		assert_int_equal(ms_state_lock_info(f->st, &info), 0);
		assert_int_equal(json_object_size(info), 0);
		json_decref(info);
	}
	assert_int_equal(ms_state_force_unlock(f->st), 0);
	assert_int_equal(ms_state_lock(f->st, "apply"), 0);
}

static void test_free_unlocks_and_keeps_error(void **state)
{
	struct fixture *f = *state;
	struct ms_state *other = NULL;

	assert_int_equal(ms_state_lock(f->st, "apply"), 0);
	ms_error("endpoint 'ep': ValidationException: bad instance type");
	ms_state_free(f->st);
	f->st = NULL;
	assert_false(exists(f, "demo.lock"));
	assert_string_equal(ms_error_last(),
			    "endpoint 'ep': ValidationException: bad instance "
			    "type");

	/* nor when releasing fails (the lock was broken and retaken) */
	assert_int_equal(ms_state_open(&f->st, f->dir, "demo"), 0);
	assert_int_equal(ms_state_open(&other, f->dir, "demo"), 0);
	assert_int_equal(ms_state_lock(f->st, "apply"), 0);
	assert_int_equal(ms_state_force_unlock(other), 0);
	assert_int_equal(ms_state_lock(other, "apply"), 0);
	ms_error("apply interrupted");
	ms_state_free(f->st);
	assert_string_equal(ms_error_last(), "apply interrupted");
	f->st = other;
	assert_true(exists(f, "demo.lock"));
}

static void test_forked_child_does_not_release(void **state)
{
	struct fixture *f = *state;
	int status;
	pid_t pid;

	assert_int_equal(ms_state_lock(f->st, "apply"), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* the child's copy of the handle holds nothing */
		int rc = ms_state_unlock(f->st);

		ms_state_free(f->st);
		_exit(rc ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(exists(f, "demo.lock"));
}

#define CASE(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		CASE(test_open_creates_repo),
		CASE(test_open_concurrent_create),
		CASE(test_open_existing_and_nested),
		CASE(test_open_does_not_search_upwards),
		CASE(test_open_rejects_bad_stack_names),
		CASE(test_put_writes_sorted_indented_json),
		CASE(test_resources_round_trip),
		CASE(test_resources_empty),
		CASE(test_resource_alone),
		CASE(test_resources_ignore_leftover_tmp),
		CASE(test_remove_resource),
		CASE(test_bad_resource_names_rejected),
		CASE(test_corrupt_resource_is_an_error),
		CASE(test_meta_round_trip),
		CASE(test_journal_round_trip),
		CASE(test_commit_creates_one_commit),
		CASE(test_commit_without_change_makes_none),
		CASE(test_commit_records_removal),
		CASE(test_commit_rejects_empty_message),
		CASE(test_history_newest_first),
		CASE(test_history_only_this_stack),
		CASE(test_author_falls_back_to_login),
		CASE(test_lock_contention_between_processes),
		CASE(test_lock_file_contents),
		CASE(test_lock_between_handles),
		CASE(test_lock_is_per_stack),
		CASE(test_force_unlock),
		CASE(test_corrupt_lock_reports_unknown_holder),
		CASE(test_free_unlocks_and_keeps_error),
		CASE(test_forked_child_does_not_release),
	};
	int rc;

	git_libgit2_init();
	rc = cmocka_run_group_tests_name("state", tests, NULL, NULL);
	git_libgit2_shutdown();
	return rc;
}
