/*
 * test_graph.c - the dependency graph: cycle reports, order, and the
 * parallel walk (ready set, failure skipping dependents only, reverse).
 */
#include "util/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include "engine/graph.h"

#include <pthread.h>

static struct ms_graph *make(const char *const *edges)
{
	struct ms_graph *g = NULL;

	ms_graph_new(&g);
	for (; edges && edges[0]; edges += 2) {
		size_t a = ms_graph_add(g, edges[0]);

		if (edges[1])
			ms_graph_depend(g, a, ms_graph_add(g, edges[1]));
	}
	return g;
}

struct cycle_case {
	const char *name;
	const char *edges[16];
	const char *message; /* NULL: no cycle */
};

static const struct cycle_case cycle_cases[] = {
	{ "chain", { "a", "b", "b", "c", NULL }, NULL },
	{ "self", { "a", "a", NULL }, "dependency cycle: \"a\" -> \"a\"" },
	{ "two", { "a", "b", "b", "a", NULL },
	  "dependency cycle: \"a\" -> \"b\" -> \"a\"" },
	{ "three behind a tail",
	  { "t", "a", "a", "b", "b", "c", "c", "a", NULL },
	  "dependency cycle: \"a\" -> \"b\" -> \"c\" -> \"a\"" },
	{ "diamond", { "a", "b", "a", "c", "b", "d", "c", "d", NULL }, NULL },
};

static void test_cycles(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < MS_ARRAY_SIZE(cycle_cases); i++) {
		const struct cycle_case *c = &cycle_cases[i];
		struct ms_graph *g = make(c->edges);
		size_t node = 99;
		int err = ms_graph_check(g, &node);

		print_message("case: %s\n", c->name);
		if (!c->message) {
			assert_int_equal(err, 0);
		} else {
			assert_int_equal(err, -1);
			assert_string_equal(ms_error_last(), c->message);
			assert_true(node < ms_graph_count(g));
		}
		ms_graph_free(g);
	}
}

static void test_order(void **state)
{
	static const char *const edges[] = { "app", "db", "app", "net",
					     "db", "net", NULL };
	struct ms_graph *g = make(edges);
	size_t *order = NULL, i, pos[3];

	(void)state;
	assert_int_equal(ms_graph_order(g, &order), 0);
	for (i = 0; i < 3; i++)
		pos[order[i]] = i;
	/* app=0, db=1, net=2 by insertion */
	assert_true(pos[2] < pos[1]);
	assert_true(pos[1] < pos[0]);
	free(order);
	ms_graph_free(g);
}

struct walk_log {
	pthread_mutex_t lock;
	char order[64];
	size_t n;
	const char *fail;  /* node name that fails */
	struct ms_graph *g;
	int results[16];
	int running, max_running;
};

static int run(size_t node, void *payload)
{
	struct walk_log *w = payload;
	const char *name = ms_graph_name(w->g, node);
	int fail;

	pthread_mutex_lock(&w->lock);
	w->running++;
	if (w->running > w->max_running)
		w->max_running = w->running;
	pthread_mutex_unlock(&w->lock);
	ms_sleep(0.02);
	pthread_mutex_lock(&w->lock);
	w->order[w->n++] = name[0];
	w->running--;
	pthread_mutex_unlock(&w->lock);
	fail = w->fail && !strcmp(w->fail, name);
	return fail ? ms_error("%s broke", name) : 0;
}

static void done(size_t node, enum ms_walk_result result, const char *error,
		 void *payload)
{
	struct walk_log *w = payload;

	w->results[node] = (int)result;
	if (result == MS_WALK_FAILED)
		assert_string_equal(error, "a broke");
}

static const struct ms_walk_ops ops = { .run = run, .done = done };

static void test_walk_order_and_parallelism(void **state)
{
	/* d depends on b and c, which depend on a; e is independent */
	static const char *const edges[] = { "b", "a", "c", "a", "d", "b",
					     "d", "c", "e", NULL, NULL };
	struct walk_log w = { .lock = PTHREAD_MUTEX_INITIALIZER };
	size_t i;

	(void)state;
	w.g = make(edges);
	assert_int_equal(ms_graph_walk(w.g, false, 4, &ops, &w), 0);
	assert_int_equal(w.n, 5);
	w.order[w.n] = '\0';
	/* a before b and c, both before d */
	assert_true(strchr(w.order, 'a') < strchr(w.order, 'b'));
	assert_true(strchr(w.order, 'a') < strchr(w.order, 'c'));
	assert_true(strchr(w.order, 'b') < strchr(w.order, 'd'));
	assert_true(strchr(w.order, 'c') < strchr(w.order, 'd'));
	assert_true(w.max_running >= 2); /* a and e, or b and c, together */
	for (i = 0; i < 5; i++)
		assert_int_equal(w.results[i], MS_WALK_OK);
	ms_graph_free(w.g);
}

static void test_walk_parallelism_one(void **state)
{
	static const char *const edges[] = { "a", NULL, "b", NULL, "c", NULL,
					     NULL };
	struct walk_log w = { .lock = PTHREAD_MUTEX_INITIALIZER };

	(void)state;
	w.g = make(edges);
	assert_int_equal(ms_graph_walk(w.g, false, 1, &ops, &w), 0);
	assert_int_equal(w.max_running, 1);
	ms_graph_free(w.g);
}

static void test_walk_failure_skips_dependents_only(void **state)
{
	static const char *const edges[] = { "b", "a", "c", "b", "e", NULL,
					     NULL };
	struct walk_log w = { .lock = PTHREAD_MUTEX_INITIALIZER };

	(void)state;
	w.g = make(edges);
	w.fail = "a";
	assert_int_equal(ms_graph_walk(w.g, false, 2, &ops, &w), -1);
	assert_int_equal(w.results[ms_graph_find(w.g, "a")], MS_WALK_FAILED);
	assert_int_equal(w.results[ms_graph_find(w.g, "b")], MS_WALK_SKIPPED);
	assert_int_equal(w.results[ms_graph_find(w.g, "c")], MS_WALK_SKIPPED);
	assert_int_equal(w.results[ms_graph_find(w.g, "e")], MS_WALK_OK);
	w.order[w.n] = '\0';
	assert_int_equal(w.n, 2); /* b and c never ran */
	ms_graph_free(w.g);
}

static void test_walk_reverse(void **state)
{
	static const char *const edges[] = { "b", "a", "c", "b", NULL };
	struct walk_log w = { .lock = PTHREAD_MUTEX_INITIALIZER };

	(void)state;
	w.g = make(edges);
	assert_int_equal(ms_graph_walk(w.g, true, 3, &ops, &w), 0);
	w.order[w.n] = '\0';
	assert_string_equal(w.order, "cba");
	ms_graph_free(w.g);
}

struct beat_log {
	int beats;      /* heartbeats: progress without a message */
	int reports;    /* progress lines a worker reported */
	struct ms_graph *g;
};

static int slow_run(size_t node, void *payload)
{
	struct beat_log *b = payload;

	ms_graph_report(b->g, node, "status: Creating");
	ms_sleep(1.3);
	return 0;
}

static void beat(size_t node, const char *message, double elapsed,
		 void *payload)
{
	struct beat_log *b = payload;

	(void)node;
	assert_true(elapsed >= 0);
	if (message) {
		assert_string_equal(message, "status: Creating");
		b->reports++;
	} else {
		b->beats++;
	}
}

static void test_walk_progress_and_heartbeat(void **state)
{
	static const char *const edges[] = { "endpoint", NULL, NULL };
	struct ms_walk_ops slow = { .run = slow_run,
				    .progress = beat,
				    .heartbeat = 0.2 };
	struct beat_log b = { 0, 0, NULL };

	(void)state;
	b.g = make(edges);
	assert_int_equal(ms_graph_walk(b.g, false, 2, &slow, &b), 0);
	/* the report reaches the calling thread; a running node beats */
	assert_int_equal(b.reports, 1);
	assert_true(b.beats >= 1);
	ms_graph_free(b.g);
}

/*
 * The order repeated passes over the nodes give (each pass places, in
 * index order, every node whose dependencies are placed): what
 * ms_graph_order must still give, now computed in one topological pass.
 */
static size_t *passes_order(struct ms_graph *g)
{
	size_t n = ms_graph_count(g), *order = calloc(n + 1, sizeof(*order));
	bool *placed = calloc(n + 1, sizeof(*placed));
	size_t k = 0, i, j, nd;
	bool progress = true;

	while (k < n && progress) {
		progress = false;
		for (i = 0; i < n; i++) {
			const size_t *d = ms_graph_deps(g, i, &nd);
			bool ready = !placed[i];

			for (j = 0; ready && j < nd; j++)
				ready = placed[d[j]];
			if (ready) {
				placed[i] = true;
				order[k++] = i;
				progress = true;
			}
		}
	}
	free(placed);
	return order;
}

static void test_order_as_passes(void **state)
{
	unsigned seed = 12345;
	int round;

	(void)state;
	for (round = 0; round < 200; round++) {
		struct ms_graph *g = NULL;
		size_t n = 1 + (size_t)round % 40, i, e, *want, *got = NULL;
		char name[32];

		ms_graph_new(&g);
		for (i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "n%zu", i);
			ms_graph_add(g, name);
		}
		/* random edges, acyclic: from a higher to a lower rank, where
		 * ranks are a random permutation of the indexes */
		size_t *rank = calloc(n, sizeof(*rank));
		for (i = 0; i < n; i++)
			rank[i] = i;
		for (i = n; i > 1; i--) {
			size_t r = (seed = seed * 1103515245 + 12345) % i, t;

			t = rank[i - 1];
			rank[i - 1] = rank[r];
			rank[r] = t;
		}
		for (e = 0; e < 3 * n; e++) {
			size_t a = (seed = seed * 1103515245 + 12345) % n;
			size_t b = (seed = seed * 1103515245 + 12345) % n;

			if (rank[a] > rank[b])
				ms_graph_depend(g, a, b);
		}
		want = passes_order(g);
		assert_int_equal(ms_graph_order(g, &got), 0);
		for (i = 0; i < n; i++)
			assert_int_equal(got[i], want[i]);
		free(rank);
		free(want);
		free(got);
		ms_graph_free(g);
	}
}

static void test_duplicate_edges(void **state)
{
	struct ms_graph *g = NULL;
	size_t a, b, c, n;
	const size_t *d;
	char *dot;

	(void)state;
	ms_graph_new(&g);
	a = ms_graph_add(g, "a");
	b = ms_graph_add(g, "b");
	c = ms_graph_add(g, "c");
	assert_int_equal(ms_graph_add(g, "b"), b);
	assert_int_equal(ms_graph_find(g, "c"), (long)c);
	assert_int_equal(ms_graph_find(g, "d"), -1);
	ms_graph_depend(g, a, c);
	ms_graph_depend(g, a, b);
	ms_graph_depend(g, a, c);
	ms_graph_depend(g, a, b);
	ms_graph_depend(g, a, b);
	d = ms_graph_deps(g, a, &n);
	/* each edge once, where it was first added */
	assert_int_equal(n, 2);
	assert_int_equal(d[0], c);
	assert_int_equal(d[1], b);
	dot = ms_graph_dot(g);
	assert_string_equal(dot, "digraph mlstack {\n\trankdir = \"RL\";\n"
				 "\tnode [shape = box];\n\t\"a\";\n\t\"b\";\n"
				 "\t\"c\";\n\t\"a\" -> \"c\";\n"
				 "\t\"a\" -> \"b\";\n}\n");
	free(dot);
	/* added after a read: dropped again */
	ms_graph_depend(g, a, c);
	ms_graph_depend(g, b, c);
	d = ms_graph_deps(g, a, &n);
	assert_int_equal(n, 2);
	d = ms_graph_deps(g, b, &n);
	assert_int_equal(n, 1);
	assert_int_equal(d[0], c);
	ms_graph_free(g);
}

/* A chain far deeper than any stack of recursive calls could follow. */
static void test_long_chain(void **state)
{
	enum { N = 200000 };
	struct ms_graph *g = NULL;
	size_t i, *order = NULL, node = 0;
	char name[32];

	(void)state;
	ms_graph_new(&g);
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "r%zu", i);
		ms_graph_add(g, name);
		if (i)
			ms_graph_depend(g, i - 1, i); /* r0 needs r1 ... */
	}
	assert_int_equal(ms_graph_check(g, NULL), 0);
	assert_int_equal(ms_graph_order(g, &order), 0);
	for (i = 0; i < N; i++)
		assert_int_equal(order[i], N - 1 - i);
	free(order);
	/* closing it makes a cycle of every node, found without recursion */
	ms_graph_depend(g, N - 1, 0);
	assert_int_equal(ms_graph_check(g, &node), -1);
	assert_true(node < N);
	assert_int_equal(strncmp(ms_error_last(),
				 "dependency cycle: \"r0\" -> \"r1\" -> ", 33),
			 0);
	assert_int_equal(ms_graph_order(g, &order), -1);
	assert_null(order);
	ms_graph_free(g);
}

/* A node is prepared just before it starts: never more than the
 * parallelism prepared and not finished. */
struct ahead_log {
	pthread_mutex_t lock;
	int prepared, finished, most;
	char order[64];
	int n;
	struct ms_graph *g;
};

static int ahead_prepare(size_t node, void *payload)
{
	struct ahead_log *a = payload;

	pthread_mutex_lock(&a->lock);
	a->prepared++;
	if (a->prepared - a->finished > a->most)
		a->most = a->prepared - a->finished;
	a->order[a->n++] = ms_graph_name(a->g, node)[0];
	pthread_mutex_unlock(&a->lock);
	return 0;
}

static int ahead_run(size_t node, void *payload)
{
	struct ahead_log *a = payload;

	(void)node;
	ms_sleep(0.01);
	pthread_mutex_lock(&a->lock);
	a->finished++;
	pthread_mutex_unlock(&a->lock);
	return 0;
}

static void test_walk_prepares_when_a_worker_is_free(void **state)
{
	/* z depends on a; the rest are independent */
	static const char *const edges[] = {
		"z", "a", "a", NULL, "b", NULL, "c", NULL, "d", NULL,
		"e", NULL, "f", NULL, NULL,
	};
	struct ms_walk_ops o = { .prepare = ahead_prepare, .run = ahead_run };
	struct ahead_log a = { .lock = PTHREAD_MUTEX_INITIALIZER };

	(void)state;
	a.g = make(edges);
	assert_int_equal(ms_graph_walk(a.g, false, 2, &o, &a), 0);
	assert_int_equal(a.prepared, 7);
	assert_true(a.most <= 2);
	ms_graph_free(a.g);
	memset(&a, 0, sizeof(a));
	pthread_mutex_init(&a.lock, NULL);
	a.g = make(edges);
	assert_int_equal(ms_graph_walk(a.g, false, 1, &o, &a), 0);
	a.order[a.n] = '\0';
	/* a heads the longest chain; then the rest as declared, z first */
	assert_string_equal(a.order, "azbcdef");
	assert_int_equal(a.most, 1);
	ms_graph_free(a.g);
}

/*
 * The critical path first: a chain declared after many independent
 * nodes starts at once, not once they are done, so the walk takes the
 * chain's length rather than the wide part's and then the chain's.
 */
static void test_walk_critical_path_first(void **state)
{
	/* w0..w7 independent; c3 needs c2 needs c1 needs c0 */
	static const char *const edges[] = {
		"w0", NULL, "w1", NULL, "w2", NULL, "w3", NULL, "w4", NULL,
		"w5", NULL, "w6", NULL, "w7", NULL, "c3", "c2", "c2", "c1",
		"c1", "c0", NULL,
	};
	struct ms_walk_ops o = { .prepare = ahead_prepare, .run = ahead_run };
	struct ahead_log a = { .lock = PTHREAD_MUTEX_INITIALIZER };
	char *c0;

	(void)state;
	a.g = make(edges);
	assert_int_equal(ms_graph_walk(a.g, false, 2, &o, &a), 0);
	a.order[a.n] = '\0';
	/* c0 is the first started; the chain's c nodes keep a worker busy
	 * while the w nodes share the other */
	assert_int_equal(a.order[0], 'c');
	c0 = strchr(a.order, 'c');
	assert_non_null(c0);
	assert_true(strlen(a.order) == 12);
	ms_graph_free(a.g);
}

/* launch sees each batch once its nodes are prepared; flush runs after
 * the ready have started, and once more at the end */
struct hook_log {
	pthread_mutex_t lock;
	int prepared, launched, flushes, done, failed;
	bool fail_launch;
};

static int hook_prepare(size_t node, void *payload)
{
	struct hook_log *h = payload;

	(void)node;
	h->prepared++;
	return 0;
}

static int hook_run(size_t node, void *payload)
{
	struct hook_log *h = payload;

	(void)node;
	pthread_mutex_lock(&h->lock);
	/* nothing runs that was not launched */
	assert_true(h->launched > 0);
	pthread_mutex_unlock(&h->lock);
	return 0;
}

static int hook_launch(void *payload)
{
	struct hook_log *h = payload;

	pthread_mutex_lock(&h->lock);
	h->launched++;
	pthread_mutex_unlock(&h->lock);
	return h->fail_launch ? ms_error("journal: disk full") : 0;
}

static void hook_done(size_t node, enum ms_walk_result result,
		      const char *error, void *payload)
{
	struct hook_log *h = payload;

	(void)node;
	h->done++;
	if (result == MS_WALK_FAILED) {
		h->failed++;
		assert_string_equal(error, "journal: disk full");
	}
}

static void hook_flush(void *payload)
{
	struct hook_log *h = payload;

	h->flushes++;
}

static void test_walk_launch_and_flush(void **state)
{
	static const char *const edges[] = { "b", "a", "c", NULL, "d", NULL,
					     NULL };
	struct ms_walk_ops o = { .prepare = hook_prepare,
				 .run = hook_run,
				 .launch = hook_launch,
				 .done = hook_done,
				 .flush = hook_flush };
	struct hook_log h = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct ms_graph *g = make(edges);

	(void)state;
	assert_int_equal(ms_graph_walk(g, false, 4, &o, &h), 0);
	assert_int_equal(h.prepared, 4);
	/* a, c and d together; then b */
	assert_int_equal(h.launched, 2);
	assert_int_equal(h.done, 4);
	assert_true(h.flushes >= 2);
	/* a launch that fails fails its batch, and skips what waits */
	memset(&h, 0, sizeof(h));
	pthread_mutex_init(&h.lock, NULL);
	h.fail_launch = true;
	assert_int_equal(ms_graph_walk(g, false, 4, &o, &h), -1);
	assert_int_equal(h.launched, 1);
	assert_int_equal(h.failed, 3);
	assert_int_equal(h.done, 4); /* b skipped */
	ms_graph_free(g);
}

static void test_dot(void **state)
{
	static const char *const edges[] = { "role \"x\"", "bucket", NULL };
	struct ms_graph *g = make(edges);
	char *dot = ms_graph_dot(g);

	(void)state;
	assert_non_null(strstr(dot, "digraph mlstack {"));
	assert_non_null(strstr(dot, "\"role \\\"x\\\"\" -> \"bucket\";"));
	free(dot);
	ms_graph_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cycles),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_walk_order_and_parallelism),
		cmocka_unit_test(test_walk_parallelism_one),
		cmocka_unit_test(test_walk_failure_skips_dependents_only),
		cmocka_unit_test(test_walk_reverse),
		cmocka_unit_test(test_walk_progress_and_heartbeat),
		cmocka_unit_test(test_dot),
		cmocka_unit_test(test_order_as_passes),
		cmocka_unit_test(test_duplicate_edges),
		cmocka_unit_test(test_long_chain),
		cmocka_unit_test(test_walk_prepares_when_a_worker_is_free),
		cmocka_unit_test(test_walk_critical_path_first),
		cmocka_unit_test(test_walk_launch_and_flush),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
