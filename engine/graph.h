/*
 * graph.h - the dependency graph and its parallel ready-set walk.
 *
 * Nodes are named; an edge "a depends on b" means b finishes before a
 * starts. The walk has no level barrier: a node starts as soon as all it
 * depends on has finished, up to the parallelism. Among the nodes ready
 * at once, the one on the longest chain of nodes starts first (then the
 * one with more to run after it, then the one declared first), so that a
 * deep part of the graph is not left waiting behind a wide one. Provider work runs on
 * worker threads; prepare, launch, done and flush run on the calling
 * thread, so that the state (libgit2, one thread) and the terminal are
 * only touched there.
 */
#ifndef MS_GRAPH_H
#define MS_GRAPH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct ms_graph;

int ms_graph_new(struct ms_graph **out);
void ms_graph_free(struct ms_graph *g);
/* Index of the node named name, added if new. */
size_t ms_graph_add(struct ms_graph *g, const char *name);
/* The index of name, or -1. */
long ms_graph_find(const struct ms_graph *g, const char *name);
size_t ms_graph_count(const struct ms_graph *g);
const char *ms_graph_name(const struct ms_graph *g, size_t node);
/* from depends on to. Duplicate edges are ignored. */
void ms_graph_depend(struct ms_graph *g, size_t from, size_t to);
/* The nodes node depends on: a borrowed array of *n indexes. */
const size_t *ms_graph_deps(const struct ms_graph *g, size_t node, size_t *n);

/*
 * Check for cycles. On one, returns -1 with ms_error() set to
 * "dependency cycle: a -> b -> c -> a" naming every node on the cycle, and
 * *out_node (when not NULL) set to a node on it.
 */
int ms_graph_check(const struct ms_graph *g, size_t *out_node);

/* Nodes in an order where each comes after all it depends on. */
int ms_graph_order(const struct ms_graph *g, size_t **out);

/* What a walk does with each node. */
enum ms_walk_result {
	MS_WALK_OK,
	MS_WALK_FAILED,
	MS_WALK_SKIPPED,   /* something it depends on failed */
	MS_WALK_CANCELLED, /* not started: the run was interrupted */
};

struct ms_walk_ops {
	/*
	 * Calling thread, just before the node starts. Return 1 when there
	 * is nothing to run (the node is done at once), 0 to run it, -1 when
	 * it fails (ms_error() set).
	 */
	int (*prepare)(size_t node, void *payload);
	/* A worker thread. 0 or -1 with ms_error() set. */
	int (*run)(size_t node, void *payload);
	/*
	 * Calling thread, after the prepare calls of the nodes about to
	 * start together, before any of them starts (apply: write the
	 * journal once for them all). -1 (ms_error() set) fails them all.
	 * Optional.
	 */
	int (*launch)(void *payload);
	/*
	 * Calling thread, once per node, with the node's result and message.
	 * What depends on the node may start once done returns.
	 */
	void (*done)(size_t node, enum ms_walk_result result, const char *error,
		     void *payload);
	/*
	 * Calling thread, once the nodes that done calls made ready have
	 * started, and once more before the walk returns: work that done
	 * put off so as not to hold up what was waiting (apply: write the
	 * finished resources' state files). Optional.
	 */
	void (*flush)(void *payload);
	/* Calling thread: a progress line from a running node. */
	void (*progress)(size_t node, const char *message, double elapsed,
			 void *payload);
	/* Seconds between "still running" progress calls with message NULL. */
	double heartbeat;
};

/*
 * Walk every node. reverse walks the reverse graph (destroy). A failed
 * node skips what depends on it, never independent branches. Once the
 * process is interrupted (util/interrupt.h), nodes not yet started are
 * cancelled and the walk ends when the running ones finish. Returns 0
 * when every node succeeded, -1 otherwise.
 */
int ms_graph_walk(struct ms_graph *g, bool reverse, int parallelism,
		  const struct ms_walk_ops *ops, void *payload);

/*
 * For a running node's worker: report a progress line (forwarded to
 * ops->progress on the calling thread). Safe from any worker.
 */
void ms_graph_report(struct ms_graph *g, size_t node, const char *message);

/* The graph as Graphviz DOT into *out (caller frees). */
char *ms_graph_dot(const struct ms_graph *g);

#endif
