/*
 * graph.c - dependency graph, cycle report and the parallel ready-set walk.
 *
 * The walk keeps one mutex-protected event queue: workers push "done" and
 * "progress" events, the calling thread pops them, calls the ops and starts
 * whatever became ready. Workers never touch the ops' shared data except
 * through run(), which the caller makes thread-safe for its own payload.
 *
 * Everything is linear in nodes and edges (with a log factor for the
 * ready heap): names are found through a hash map, a node's duplicate
 * edges are dropped in one pass before the graph is read, and the walk
 * keeps a heap of ready nodes and a list of running ones rather than
 * scanning every node after each event. A node is prepared only when a
 * worker is free to take it, so what prepare records (apply's journal)
 * holds no more than the parallelism. Ready nodes on the longest chains
 * of nodes start first: the critical path is never kept waiting by nodes
 * that have time to spare.
 */
#include "util/common.h"
#include "engine/graph.h"
#include "util/interrupt.h"
#include "util/map.h"

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
	pthread_cond_t work;   /* workers: a job, or stop */
	pthread_cond_t events; /* the calling thread: an event */
	struct event *events_q;
	size_t head_events, n_events, a_events;
	/* work queue for workers */
	size_t *jobs;
	size_t n_jobs, head_jobs;
	bool stop;
};

struct ms_graph {
	struct node *nodes;
	size_t n, alloc;
	struct ms_map index; /* name -> node */
	bool unsealed;       /* edges added since duplicates were dropped */
	struct walk *walk;   /* while walking */
};

int ms_graph_new(struct ms_graph **out)
{
	*out = ms_calloc(1, sizeof(**out));
	ms_map_init(&(*out)->index);
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
	ms_map_release(&g->index);
	free(g);
}

long ms_graph_find(const struct ms_graph *g, const char *name)
{
	size_t i;

	return ms_map_get(&g->index, name, &i) ? (long)i : -1;
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
	ms_map_add(&g->index, g->nodes[g->n].name, g->n);
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

	/* the latest edge again is dropped at once; others by seal() */
	if (n->n_deps && n->deps[n->n_deps - 1] == to)
		return;
	if (n->n_deps == n->a_deps) {
		n->a_deps = n->a_deps ? n->a_deps * 2 : 4;
		n->deps = ms_realloc(n->deps, n->a_deps * sizeof(*n->deps));
	}
	n->deps[n->n_deps++] = to;
	g->unsealed = true;
}

/*
 * Drop duplicate edges, keeping each first one where it was, in one pass
 * over all edges: a search of a node's edges at each ms_graph_depend
 * would be quadratic in the edges of a node that many depend on. The
 * graph reads the same before and after, so readers that hold it const
 * may call this.
 */
static void seal(const struct ms_graph *cg)
{
	struct ms_graph *g = (struct ms_graph *)cg;
	size_t *seen, i, j, k;

	if (!g->unsealed)
		return;
	/* seen[to] == i + 1: node i has the edge to "to" already */
	seen = ms_calloc(g->n + 1, sizeof(*seen));
	for (i = 0; i < g->n; i++) {
		struct node *n = &g->nodes[i];

		for (j = k = 0; j < n->n_deps; j++) {
			if (seen[n->deps[j]] == i + 1)
				continue;
			seen[n->deps[j]] = i + 1;
			n->deps[k++] = n->deps[j];
		}
		n->n_deps = k;
	}
	free(seen);
	g->unsealed = false;
}

const size_t *ms_graph_deps(const struct ms_graph *g, size_t node, size_t *n)
{
	seal(g);
	*n = g->nodes[node].n_deps;
	return g->nodes[node].deps;
}

/*
 * Depth-first search without recursion (a chain of many thousands of
 * nodes is as deep); colour 0 white, 1 on the stack, 2 finished. Returns
 * the node that closes a cycle, with parent[] leading back along it, or
 * -1.
 */
static long find_cycle(const struct ms_graph *g, size_t root, int *colour,
		       size_t *parent, size_t *stack, size_t *next)
{
	size_t sp = 0;

	colour[root] = 1;
	next[root] = 0;
	stack[sp++] = root;
	while (sp) {
		size_t v = stack[sp - 1], w;

		if (next[v] == g->nodes[v].n_deps) {
			colour[v] = 2;
			sp--;
			continue;
		}
		w = g->nodes[v].deps[next[v]++];
		if (colour[w] == 1) {
			parent[w] = v; /* closes the cycle at w */
			return (long)w;
		}
		if (colour[w])
			continue;
		parent[w] = v;
		colour[w] = 1;
		next[w] = 0;
		stack[sp++] = w;
	}
	return -1;
}

int ms_graph_check(const struct ms_graph *g, size_t *out_node)
{
	int *colour = ms_calloc(g->n, sizeof(*colour));
	size_t *parent = ms_calloc(g->n, sizeof(*parent));
	size_t *stack = ms_calloc(g->n + 1, sizeof(*stack));
	size_t *next = ms_calloc(g->n + 1, sizeof(*next));
	struct ms_buf msg = MS_BUF_INIT;
	size_t *cycle = NULL, n_cycle = 0;
	long start = -1;
	size_t i, v, first;
	int err = 0;

	seal(g);
	for (i = 0; i < g->n && start < 0; i++)
		if (!colour[i])
			start = find_cycle(g, i, colour, parent, stack, next);
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
	free(stack);
	free(next);
	free(cycle);
	ms_buf_release(&msg);
	return err;
}

/*
 * The reverse edges, in one block: users[first[v] .. first[v + 1]) are the
 * nodes that depend on v, in node order. With reverse, the edges are
 * turned round first (what v depends on).
 */
static void reverse_edges(const struct ms_graph *g, bool reverse,
			  size_t **out_first, size_t **out_users)
{
	size_t n = g->n, i, j, *first, *users, *fill;

	first = ms_calloc(n + 1, sizeof(*first));
	for (i = 0; i < n; i++)
		for (j = 0; j < g->nodes[i].n_deps; j++)
			first[reverse ? i : g->nodes[i].deps[j]]++;
	for (i = 0, j = 0; i <= n; i++) {
		size_t c = i < n ? first[i] : 0;

		first[i] = j;
		j += c;
	}
	users = ms_calloc(j + 1, sizeof(*users));
	fill = ms_calloc(n + 1, sizeof(*fill));
	memcpy(fill, first, (n + 1) * sizeof(*fill));
	for (i = 0; i < n; i++) {
		for (j = 0; j < g->nodes[i].n_deps; j++) {
			size_t a = i, b = g->nodes[i].deps[j];

			/* "a waits for b" */
			if (reverse) {
				size_t t = a;
				a = b;
				b = t;
			}
			users[fill[b]++] = a;
		}
	}
	free(fill);
	*out_first = first;
	*out_users = users;
}

/*
 * The order is the one repeated passes over the nodes in index order
 * would give, placing each node whose dependencies are placed (the order
 * every command has always shown): node i goes in pass
 *   pass(i) = max(1, max over its dependencies d of pass(d) + (d > i)),
 * and the order is by pass, then index. Passes are computed in
 * topological order, so the whole costs O(nodes + edges).
 */
int ms_graph_order(const struct ms_graph *g, size_t **out)
{
	size_t n = g->n, i, j, k, head = 0, tail = 0, done = 0, max_pass = 0;
	size_t *first = NULL, *users = NULL, *queue, *pending, *pass;
	size_t *count, *order;

	seal(g);
	reverse_edges(g, false, &first, &users);
	queue = ms_calloc(n + 1, sizeof(*queue));
	pending = ms_calloc(n + 1, sizeof(*pending));
	pass = ms_calloc(n + 1, sizeof(*pass));
	for (i = 0; i < n; i++) {
		pending[i] = g->nodes[i].n_deps;
		pass[i] = 1;
		if (!pending[i])
			queue[tail++] = i;
	}
	while (head < tail) {
		size_t v = queue[head++];

		done++;
		if (pass[v] > max_pass)
			max_pass = pass[v];
		for (k = first[v]; k < first[v + 1]; k++) {
			size_t u = users[k], p = pass[v] + (v > u);

			if (p > pass[u])
				pass[u] = p;
			if (!--pending[u])
				queue[tail++] = u;
		}
	}
	free(first);
	free(users);
	free(queue);
	free(pending);
	if (done < n) {
		free(pass);
		*out = NULL;
		return ms_graph_check(g, NULL) ? -1 :
						 ms_error("graph: no order");
	}
	/* counting sort by pass; index order within a pass */
	count = ms_calloc(max_pass + 2, sizeof(*count));
	for (i = 0; i < n; i++)
		count[pass[i]]++;
	for (j = 0, k = 0; j <= max_pass + 1; j++) {
		size_t c = count[j];

		count[j] = k;
		k += c;
	}
	order = ms_calloc(n + 1, sizeof(*order));
	for (i = 0; i < n; i++)
		order[count[pass[i]]++] = i;
	free(count);
	free(pass);
	*out = order;
	return 0;
}

static void push_event(struct walk *w, size_t node, int done, int result,
		       const char *message)
{
	struct event *ev;

	pthread_mutex_lock(&w->lock);
	if (w->head_events && w->head_events == w->n_events)
		w->head_events = w->n_events = 0;
	if (w->n_events == w->a_events) {
		w->a_events = w->a_events ? w->a_events * 2 : 16;
		w->events_q = ms_realloc(w->events_q,
					 w->a_events * sizeof(*w->events_q));
	}
	ev = &w->events_q[w->n_events++];
	ev->node = node;
	ev->done = done;
	ev->result = result;
	ev->message = message ? ms_strdup(message) : NULL;
	pthread_cond_signal(&w->events);
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
			pthread_cond_wait(&w->work, &w->lock);
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

/* What the calling thread keeps while walking. */
struct walker {
	size_t n;
	int *status;
	int *result;
	double *started, *beat;
	size_t *pending; /* dependencies not done */
	size_t *first, *users;
	/*
	 * node -> the most nodes on a chain from it to the end (height) and
	 * on a chain through it from start to end (span), itself included.
	 * The critical path is the longest span: its nodes go first.
	 */
	size_t *height, *span;
	size_t *heap, n_heap;       /* ready nodes, highest first */
	size_t *running, n_running; /* nodes on a worker */
	size_t *pos;                /* node -> its place in running */
	bool *working;              /* node -> on a worker now */
	size_t *stack;              /* for skipping what a failure blocks */
	size_t finished;
	int failed;
};

/*
 * Whether ready node a goes before b: the one on the longer chain first
 * (the least slack), then the one with more still to run after it, then
 * the one declared first.
 */
static bool before(const struct walker *k, size_t a, size_t b)
{
	if (k->span[a] != k->span[b])
		return k->span[a] > k->span[b];
	if (k->height[a] != k->height[b])
		return k->height[a] > k->height[b];
	return a < b;
}

static void make_ready(struct walker *k, size_t node)
{
	size_t i = k->n_heap++;

	while (i && before(k, node, k->heap[(i - 1) / 2])) {
		k->heap[i] = k->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	k->heap[i] = node;
}

static size_t take_ready(struct walker *k)
{
	size_t top = k->heap[0], last = k->heap[--k->n_heap], i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= k->n_heap)
			break;
		if (c + 1 < k->n_heap && before(k, k->heap[c + 1], k->heap[c]))
			c++;
		if (!before(k, k->heap[c], last))
			break;
		k->heap[i] = k->heap[c];
		i = c;
	}
	if (k->n_heap)
		k->heap[i] = last;
	return top;
}

/*
 * Heights, from the nodes nothing waits for back, and depths, from the
 * nodes that wait for nothing on (a topological pass); span is their
 * sum less the node itself, counted twice.
 */
static void compute_heights(struct walker *k)
{
	size_t n = k->n, i, j, head = 0, tail = 0, end;
	size_t *left = ms_calloc(n + 1, sizeof(*left));
	size_t *order = ms_calloc(n + 1, sizeof(*order));
	size_t *depth = ms_calloc(n + 1, sizeof(*depth));

	for (i = 0; i < n; i++) {
		left[i] = k->pending[i];
		if (!left[i])
			order[tail++] = i;
	}
	while (head < tail) {
		size_t v = order[head++];

		for (j = k->first[v]; j < k->first[v + 1]; j++)
			if (!--left[k->users[j]])
				order[tail++] = k->users[j];
	}
	/* a cycle leaves nodes out: they count as ends */
	for (i = 0; i < n; i++)
		k->height[i] = depth[i] = 1;
	for (end = tail, head = 0; head < end; head++) {
		size_t v = order[head];

		for (j = k->first[v]; j < k->first[v + 1]; j++)
			if (depth[v] + 1 > depth[k->users[j]])
				depth[k->users[j]] = depth[v] + 1;
	}
	while (tail--) {
		size_t v = order[tail];

		for (j = k->first[v]; j < k->first[v + 1]; j++)
			if (k->height[k->users[j]] + 1 > k->height[v])
				k->height[v] = k->height[k->users[j]] + 1;
	}
	for (i = 0; i < n; i++)
		k->span[i] = depth[i] + k->height[i] - 1;
	free(left);
	free(order);
	free(depth);
}

/* Settle a finished node, then skip what it blocks. */
static void settle(struct walker *k, size_t node, int result,
		   const char *message, const struct ms_walk_ops *ops,
		   void *payload)
{
	size_t sp = 0, j;

	k->result[node] = result;
	k->status[node] = ST_DONE;
	k->finished++;
	if (result != MS_WALK_OK)
		k->failed = -1;
	if (ops->done)
		ops->done(node, result, message, payload);
	k->stack[sp++] = node;
	while (sp) {
		size_t v = k->stack[--sp];

		for (j = k->first[v]; j < k->first[v + 1]; j++) {
			size_t u = k->users[j];

			k->pending[u]--;
			if (k->result[v] == MS_WALK_OK) {
				if (!k->pending[u] &&
				    k->status[u] == ST_WAITING)
					make_ready(k, u);
				continue;
			}
			if (k->status[u] != ST_WAITING)
				continue;
			k->status[u] = ST_DONE;
			/* after an interrupt, nothing new would have started
			 * anyway */
			k->result[u] = ms_interrupted() ? MS_WALK_CANCELLED :
							  MS_WALK_SKIPPED;
			k->finished++;
			if (ops->done)
				ops->done(u, k->result[u], NULL, payload);
			k->stack[sp++] = u;
		}
	}
}

/*
 * Start ready nodes while a worker is free: prepare each, then launch
 * them together. Nodes that need no run, or fail to prepare, are
 * settled through the event queue like any other.
 */
static void start_ready(struct walker *k, struct walk *w, int workers,
			size_t *batch)
{
	const struct ms_walk_ops *ops = w->ops;
	size_t n_batch = 0, i;
	char *why = NULL;

	while (k->n_heap && k->n_running + n_batch < (size_t)workers) {
		size_t v = take_ready(k);
		int p;

		if (k->status[v] != ST_WAITING)
			continue;
		ms_error_clear();
		p = ops->prepare ? ops->prepare(v, w->payload) : 0;
		k->status[v] = ST_RUNNING;
		if (p) {
			push_event(w, v, 1, p > 0 ? MS_WALK_OK : MS_WALK_FAILED,
				   p > 0 ? NULL : ms_error_last());
			continue;
		}
		batch[n_batch++] = v;
	}
	if (!n_batch)
		return;
	ms_error_clear();
	if (ops->launch && ops->launch(w->payload))
		why = ms_strdup(ms_error_last());
	for (i = 0; i < n_batch; i++) {
		size_t v = batch[i];

		if (why) {
			push_event(w, v, 1, MS_WALK_FAILED, why);
			continue;
		}
		k->started[v] = k->beat[v] = ms_now();
		k->working[v] = true;
		k->pos[v] = k->n_running;
		k->running[k->n_running++] = v;
		pthread_mutex_lock(&w->lock);
		w->jobs[w->n_jobs++] = v;
		pthread_cond_signal(&w->work);
		pthread_mutex_unlock(&w->lock);
	}
	free(why);
}

int ms_graph_walk(struct ms_graph *g, bool reverse, int parallelism,
		  const struct ms_walk_ops *ops, void *payload)
{
	struct walk w;
	struct walker k;
	size_t n = g->n, i, *batch;
	pthread_t *threads = NULL;
	int n_threads = 0;
	bool cancelled = false;

	seal(g);
	memset(&k, 0, sizeof(k));
	k.n = n;
	k.status = ms_calloc(n + 1, sizeof(*k.status));
	k.result = ms_calloc(n + 1, sizeof(*k.result));
	k.started = ms_calloc(n + 1, sizeof(*k.started));
	k.beat = ms_calloc(n + 1, sizeof(*k.beat));
	k.pending = ms_calloc(n + 1, sizeof(*k.pending));
	k.height = ms_calloc(n + 1, sizeof(*k.height));
	k.span = ms_calloc(n + 1, sizeof(*k.span));
	k.heap = ms_calloc(n + 1, sizeof(*k.heap));
	k.running = ms_calloc(n + 1, sizeof(*k.running));
	k.pos = ms_calloc(n + 1, sizeof(*k.pos));
	k.working = ms_calloc(n + 1, sizeof(*k.working));
	k.stack = ms_calloc(n + 1, sizeof(*k.stack));
	batch = ms_calloc(n + 1, sizeof(*batch));
	reverse_edges(g, reverse, &k.first, &k.users);
	for (i = 0; i < n; i++)
		for (size_t j = k.first[i]; j < k.first[i + 1]; j++)
			k.pending[k.users[j]]++;
	compute_heights(&k);
	for (i = 0; i < n; i++)
		if (!k.pending[i])
			make_ready(&k, i);

	memset(&w, 0, sizeof(w));
	w.g = g;
	w.ops = ops;
	w.payload = payload;
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.work, NULL);
	pthread_cond_init(&w.events, NULL);
	w.jobs = ms_calloc(n + 1, sizeof(*w.jobs));
	g->walk = &w;

	if (parallelism < 1)
		parallelism = 1;
	threads = ms_calloc((size_t)parallelism, sizeof(*threads));
	for (n_threads = 0; n_threads < parallelism; n_threads++)
		if (pthread_create(&threads[n_threads], NULL, worker, &w))
			break;
	if (!n_threads) {
		k.failed = ms_error("cannot start worker threads");
		for (i = 0; i < n; i++)
			k.status[i] = ST_DONE;
		k.finished = n;
	}

	while (k.finished < n) {
		/* interrupted: nothing more starts */
		if (!cancelled && ms_interrupted()) {
			cancelled = true;
			for (i = 0; i < n; i++) {
				if (k.status[i] != ST_WAITING)
					continue;
				k.status[i] = ST_DONE;
				k.result[i] = MS_WALK_CANCELLED;
				k.finished++;
				k.failed = -1;
				if (ops->done)
					ops->done(i, MS_WALK_CANCELLED, NULL,
						  payload);
			}
		}
		start_ready(&k, &w, n_threads, batch);
		/* what done put off, now that the ready have started */
		if (ops->flush)
			ops->flush(payload);

		pthread_mutex_lock(&w.lock);
		if (w.head_events == w.n_events) {
			struct timespec ts;

			/* a short wait: an interrupt is seen within it */
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 200000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&w.events, &w.lock, &ts);
		}
		while (w.head_events < w.n_events) {
			struct event ev = w.events_q[w.head_events++];

			pthread_mutex_unlock(&w.lock);
			if (!ev.done) {
				if (ops->progress)
					ops->progress(
						ev.node, ev.message,
						ms_now() - k.started[ev.node],
						payload);
				k.beat[ev.node] = ms_now();
			} else {
				if (k.working[ev.node]) {
					/* off the running list */
					size_t at = k.pos[ev.node];
					size_t last = k.running[--k.n_running];

					k.running[at] = last;
					k.pos[last] = at;
					k.working[ev.node] = false;
				}
				settle(&k, ev.node, ev.result, ev.message, ops,
				       payload);
			}
			free(ev.message);
			pthread_mutex_lock(&w.lock);
		}
		pthread_mutex_unlock(&w.lock);

		if (ops->progress && ops->heartbeat > 0) {
			double now = ms_now();

			for (i = 0; i < k.n_running; i++) {
				size_t v = k.running[i];

				if (now - k.beat[v] < ops->heartbeat)
					continue;
				k.beat[v] = now;
				ops->progress(v, NULL, now - k.started[v],
					      payload);
			}
		}
	}
	if (ops->flush)
		ops->flush(payload);

	pthread_mutex_lock(&w.lock);
	w.stop = true;
	pthread_cond_broadcast(&w.work);
	pthread_mutex_unlock(&w.lock);
	for (i = 0; i < (size_t)n_threads; i++)
		pthread_join(threads[i], NULL);

	g->walk = NULL;
	for (i = w.head_events; i < w.n_events; i++)
		free(w.events_q[i].message);
	free(w.events_q);
	free(w.jobs);
	pthread_mutex_destroy(&w.lock);
	pthread_cond_destroy(&w.work);
	pthread_cond_destroy(&w.events);
	free(k.first);
	free(k.users);
	free(k.pending);
	free(k.height);
	free(k.span);
	free(k.heap);
	free(k.running);
	free(k.pos);
	free(k.working);
	free(k.stack);
	free(batch);
	free(threads);
	free(k.status);
	free(k.result);
	free(k.started);
	free(k.beat);
	return k.failed ? -1 : 0;
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

	seal(g);
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
