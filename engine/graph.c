/*
 * graph.c - dependency graph, cycle report and the parallel ready-set walk.
 *
 * The walk keeps one mutex-protected event queue: workers push "done" and
 * "progress" events, the calling thread pops them, calls the ops and starts
 * whatever became ready. Workers never touch the ops' shared data except
 * through run(), which the caller makes thread-safe for its own payload.
 */
#include "util/common.h"
#include "engine/graph.h"
#include "util/interrupt.h"

#include <pthread.h>

struct node {
	char *name;
	size_t *deps;
	size_t n_deps, a_deps;
};

struct event {
	size_t node;
	int done; /* 1: finished, 0: progress */
	int result;
	char *message;
};

struct walk {
	struct ms_graph *g;
	const struct ms_walk_ops *ops;
	void *payload;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct event *events;
	size_t n_events, a_events;
	/* work queue for workers */
	size_t *jobs;
	size_t n_jobs, head_jobs;
	bool stop;
};

struct ms_graph {
	struct node *nodes;
	size_t n, alloc;
	struct walk *walk; /* while walking */
};

int ms_graph_new(struct ms_graph **out)
{
	*out = ms_calloc(1, sizeof(**out));
	return 0;
}

void ms_graph_free(struct ms_graph *g)
{
	size_t i;

	if (!g)
		return;
	for (i = 0; i < g->n; i++) {
		free(g->nodes[i].name);
		free(g->nodes[i].deps);
	}
	free(g->nodes);
	free(g);
}

long ms_graph_find(const struct ms_graph *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (!strcmp(g->nodes[i].name, name))
			return (long)i;
	return -1;
}

size_t ms_graph_add(struct ms_graph *g, const char *name)
{
	long found = ms_graph_find(g, name);

	if (found >= 0)
		return (size_t)found;
	if (g->n == g->alloc) {
		g->alloc = g->alloc ? g->alloc * 2 : 16;
		g->nodes = ms_realloc(g->nodes, g->alloc * sizeof(*g->nodes));
	}
	memset(&g->nodes[g->n], 0, sizeof(g->nodes[g->n]));
	g->nodes[g->n].name = ms_strdup(name);
	return g->n++;
}

size_t ms_graph_count(const struct ms_graph *g)
{
	return g->n;
}

const char *ms_graph_name(const struct ms_graph *g, size_t node)
{
	return g->nodes[node].name;
}

void ms_graph_depend(struct ms_graph *g, size_t from, size_t to)
{
	struct node *n = &g->nodes[from];
	size_t i;

	for (i = 0; i < n->n_deps; i++)
		if (n->deps[i] == to)
			return;
	if (n->n_deps == n->a_deps) {
		n->a_deps = n->a_deps ? n->a_deps * 2 : 4;
		n->deps = ms_realloc(n->deps, n->a_deps * sizeof(*n->deps));
	}
	n->deps[n->n_deps++] = to;
}

const size_t *ms_graph_deps(const struct ms_graph *g, size_t node, size_t *n)
{
	*n = g->nodes[node].n_deps;
	return g->nodes[node].deps;
}

/* Depth-first search; colour 0 white, 1 on the stack, 2 finished. */
static long find_cycle(const struct ms_graph *g, size_t v, int *colour,
		       size_t *parent)
{
	size_t i;

	colour[v] = 1;
	for (i = 0; i < g->nodes[v].n_deps; i++) {
		size_t w = g->nodes[v].deps[i];
		long c;

		if (colour[w] == 1) {
			parent[w] = v; /* closes the cycle at w */
			return (long)w;
		}
		if (colour[w])
			continue;
		parent[w] = v;
		c = find_cycle(g, w, colour, parent);
		if (c >= 0)
			return c;
	}
	colour[v] = 2;
	return -1;
}

int ms_graph_check(const struct ms_graph *g, size_t *out_node)
{
	int *colour = ms_calloc(g->n, sizeof(*colour));
	size_t *parent = ms_calloc(g->n, sizeof(*parent));
	struct ms_buf msg = MS_BUF_INIT;
	size_t *cycle = NULL, n_cycle = 0;
	long start = -1;
	size_t i, v, first;
	int err = 0;

	for (i = 0; i < g->n && start < 0; i++)
		if (!colour[i])
			start = find_cycle(g, i, colour, parent);
	if (start < 0)
		goto done;

	/* walk parents from the node that closed the cycle back to start */
	cycle = ms_calloc(g->n + 1, sizeof(*cycle));
	v = (size_t)start;
	do {
		cycle[n_cycle++] = v;
		v = parent[v];
	} while (v != (size_t)start && n_cycle <= g->n);
	/*
	 * cycle holds start, then what depends on it, and so on: print it
	 * backwards ("a -> b": a depends on b), from the node declared first,
	 * so the message is the same however the search went.
	 */
	first = 0;
	for (i = 1; i < n_cycle; i++)
		if (cycle[i] < cycle[first])
			first = i;
	ms_buf_adds(&msg, "dependency cycle: ");
	for (i = 0; i < n_cycle; i++)
		ms_buf_addf(
			&msg, "\"%s\" -> ",
			g->nodes[cycle[(first + n_cycle - i) % n_cycle]].name);
	ms_buf_addf(&msg, "\"%s\"", g->nodes[cycle[first]].name);
	if (out_node)
		*out_node = (size_t)start;
	err = ms_error("%s", msg.ptr);
done:
	free(colour);
	free(parent);
	free(cycle);
	ms_buf_release(&msg);
	return err;
}

int ms_graph_order(const struct ms_graph *g, size_t **out)
{
	size_t *order = ms_calloc(g->n, sizeof(*order));
	bool *placed = ms_calloc(g->n, sizeof(*placed));
	size_t n = 0, i, j;
	bool progress = true;

	while (n < g->n && progress) {
		progress = false;
		for (i = 0; i < g->n; i++) {
			bool ready = !placed[i];

			for (j = 0; ready && j < g->nodes[i].n_deps; j++)
				ready = placed[g->nodes[i].deps[j]];
			if (ready) {
				placed[i] = true;
				order[n++] = i;
				progress = true;
			}
		}
	}
	free(placed);
	if (n < g->n) {
		free(order);
		*out = NULL;
		return ms_graph_check(g, NULL) ? -1 :
						 ms_error("graph: no order");
	}
	*out = order;
	return 0;
}

static void push_event(struct walk *w, size_t node, int done, int result,
		       const char *message)
{
	pthread_mutex_lock(&w->lock);
	if (w->n_events == w->a_events) {
		w->a_events = w->a_events ? w->a_events * 2 : 16;
		w->events =
			ms_realloc(w->events, w->a_events * sizeof(*w->events));
	}
	w->events[w->n_events].node = node;
	w->events[w->n_events].done = done;
	w->events[w->n_events].result = result;
	w->events[w->n_events].message = message ? ms_strdup(message) : NULL;
	w->n_events++;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void ms_graph_report(struct ms_graph *g, size_t node, const char *message)
{
	if (g->walk)
		push_event(g->walk, node, 0, 0, message);
}

static void *worker(void *arg)
{
	struct walk *w = arg;

	for (;;) {
		size_t node;
		int r;

		pthread_mutex_lock(&w->lock);
		while (!w->stop && w->head_jobs == w->n_jobs)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->head_jobs == w->n_jobs) {
			pthread_mutex_unlock(&w->lock);
			return NULL;
		}
		node = w->jobs[w->head_jobs++];
		pthread_mutex_unlock(&w->lock);

		ms_error_clear();
		r = w->ops->run(node, w->payload);
		push_event(w, node, 1, r ? MS_WALK_FAILED : MS_WALK_OK,
			   r ? ms_error_last() : NULL);
	}
}

enum { ST_WAITING, ST_RUNNING, ST_DONE };

int ms_graph_walk(struct ms_graph *g, bool reverse, int parallelism,
		  const struct ms_walk_ops *ops, void *payload)
{
	struct walk w;
	size_t n = g->n, i, j, finished = 0;
	int *status = ms_calloc(n, sizeof(*status));
	int *result = ms_calloc(n, sizeof(*result));
	double *started = ms_calloc(n, sizeof(*started));
	double *beat = ms_calloc(n, sizeof(*beat));
	size_t *pending = ms_calloc(n, sizeof(*pending)); /* deps not done */
	size_t **users = ms_calloc(n, sizeof(*users));    /* reverse edges */
	size_t *n_users = ms_calloc(n, sizeof(*n_users));
	pthread_t *threads = NULL;
	int n_threads = 0, failed = 0;

	memset(&w, 0, sizeof(w));
	w.g = g;
	w.ops = ops;
	w.payload = payload;
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	w.jobs = ms_calloc(n, sizeof(*w.jobs));
	g->walk = &w;

	/* "a waits for b": forward, a depends on b; reverse, b depends on a */
	for (i = 0; i < n; i++) {
		for (j = 0; j < g->nodes[i].n_deps; j++) {
			size_t a = i, b = g->nodes[i].deps[j];

			if (reverse) {
				size_t t = a;
				a = b;
				b = t;
			}
			pending[a]++;
			users[b] = ms_realloc(
				users[b], (n_users[b] + 1) * sizeof(**users));
			users[b][n_users[b]++] = a;
		}
	}

	if (parallelism < 1)
		parallelism = 1;
	threads = ms_calloc((size_t)parallelism, sizeof(*threads));
	for (n_threads = 0; n_threads < parallelism; n_threads++)
		if (pthread_create(&threads[n_threads], NULL, worker, &w))
			break;
	if (!n_threads) {
		failed = ms_error("cannot start worker threads");
		for (i = 0; i < n; i++)
			status[i] = ST_DONE;
		finished = n;
	}

	while (finished < n) {
		bool any_started = true;

		/* interrupted: nothing more starts */
		for (i = 0; ms_interrupted() && i < n; i++) {
			if (status[i] != ST_WAITING)
				continue;
			status[i] = ST_DONE;
			result[i] = MS_WALK_CANCELLED;
			finished++;
			failed = -1;
			if (ops->done)
				ops->done(i, MS_WALK_CANCELLED, NULL, payload);
		}
		/* start everything ready, settle nodes that need no run */
		while (any_started) {
			any_started = false;
			for (i = 0; i < n; i++) {
				int p;

				if (status[i] != ST_WAITING || pending[i])
					continue;
				any_started = true;
				ms_error_clear();
				p = ops->prepare ? ops->prepare(i, payload) : 0;
				if (p) {
					status[i] = ST_RUNNING;
					push_event(&w, i, 1,
						   p > 0 ? MS_WALK_OK :
							   MS_WALK_FAILED,
						   p > 0 ? NULL :
							   ms_error_last());
					continue;
				}
				status[i] = ST_RUNNING;
				started[i] = beat[i] = ms_now();
				pthread_mutex_lock(&w.lock);
				w.jobs[w.n_jobs++] = i;
				pthread_cond_broadcast(&w.cond);
				pthread_mutex_unlock(&w.lock);
			}
		}

		pthread_mutex_lock(&w.lock);
		if (!w.n_events) {
			struct timespec ts;

			/* a short wait: an interrupt is seen within it */
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 200000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&w.cond, &w.lock, &ts);
		}
		while (w.n_events) {
			struct event ev = w.events[0];

			memmove(w.events, w.events + 1,
				(w.n_events - 1) * sizeof(*w.events));
			w.n_events--;
			pthread_mutex_unlock(&w.lock);
			if (!ev.done) {
				if (ops->progress)
					ops->progress(ev.node, ev.message,
						      ms_now() -
							      started[ev.node],
						      payload);
				beat[ev.node] = ms_now();
			} else {
				/* settle the node, then skip what it blocks */
				size_t *stack =
					ms_calloc(n + 1, sizeof(*stack));
				size_t sp = 0;

				result[ev.node] = ev.result;
				status[ev.node] = ST_DONE;
				finished++;
				if (ev.result != MS_WALK_OK)
					failed = -1;
				if (ops->done)
					ops->done(ev.node, ev.result,
						  ev.message, payload);
				stack[sp++] = ev.node;
				while (sp) {
					size_t v = stack[--sp];

					for (j = 0; j < n_users[v]; j++) {
						size_t u = users[v][j];

						pending[u]--;
						if (result[v] == MS_WALK_OK ||
						    status[u] != ST_WAITING)
							continue;
						status[u] = ST_DONE;
						/* after an interrupt, nothing new
						 * would have started anyway */
						result[u] =
							ms_interrupted() ?
								MS_WALK_CANCELLED :
								MS_WALK_SKIPPED;
						finished++;
						if (ops->done)
							ops->done(u, result[u],
								  NULL,
								  payload);
						stack[sp++] = u;
					}
				}
				free(stack);
			}
			free(ev.message);
			pthread_mutex_lock(&w.lock);
		}
		pthread_mutex_unlock(&w.lock);

		if (ops->progress && ops->heartbeat > 0) {
			double now = ms_now();

			for (i = 0; i < n; i++) {
				if (status[i] != ST_RUNNING || !started[i] ||
				    now - beat[i] < ops->heartbeat)
					continue;
				beat[i] = now;
				ops->progress(i, NULL, now - started[i],
					      payload);
			}
		}
	}

	pthread_mutex_lock(&w.lock);
	w.stop = true;
	pthread_cond_broadcast(&w.cond);
	pthread_mutex_unlock(&w.lock);
	for (i = 0; i < (size_t)n_threads; i++)
		pthread_join(threads[i], NULL);

	g->walk = NULL;
	for (i = 0; i < w.n_events; i++)
		free(w.events[i].message);
	free(w.events);
	free(w.jobs);
	pthread_mutex_destroy(&w.lock);
	pthread_cond_destroy(&w.cond);
	for (i = 0; i < n; i++)
		free(users[i]);
	free(users);
	free(n_users);
	free(pending);
	free(threads);
	free(status);
	free(result);
	free(started);
	free(beat);
	return failed ? -1 : 0;
}

static void dot_quote(struct ms_buf *b, const char *s)
{
	ms_buf_addch(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			ms_buf_addch(b, '\\');
		ms_buf_addch(b, *s);
	}
	ms_buf_addch(b, '"');
}

char *ms_graph_dot(const struct ms_graph *g)
{
	struct ms_buf b = MS_BUF_INIT;
	size_t i, j;

	ms_buf_adds(&b, "digraph mlstack {\n\trankdir = \"RL\";\n"
			"\tnode [shape = box];\n");
	for (i = 0; i < g->n; i++) {
		ms_buf_addch(&b, '\t');
		dot_quote(&b, g->nodes[i].name);
		ms_buf_adds(&b, ";\n");
	}
	for (i = 0; i < g->n; i++) {
		for (j = 0; j < g->nodes[i].n_deps; j++) {
			ms_buf_addch(&b, '\t');
			dot_quote(&b, g->nodes[i].name);
			ms_buf_adds(&b, " -> ");
			dot_quote(&b, g->nodes[g->nodes[i].deps[j]].name);
			ms_buf_adds(&b, ";\n");
		}
	}
	ms_buf_adds(&b, "}\n");
	return ms_buf_detach(&b, NULL);
}
