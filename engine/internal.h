/*
 * internal.h - what engine.c, plan.c and apply.c share; not for cmd/.
 */
#ifndef MS_ENGINE_INTERNAL_H
#define MS_ENGINE_INTERNAL_H

#include "engine/engine.h"
#include "engine/graph.h"
#include "engine/stack.h"
#include "providers/provider.h"
#include "state/state.h"

/* The saved plan's format_version (docs/plan-format.md). */
#define PLAN_FORMAT "1"

struct ms_engine {
	struct ms_stack *stack;
	char *stack_dir; /* the stack file's directory */
	char *state_dir; /* the state repository's directory */
	struct ms_state *state;
	char *state_note;  /* another run holds the lock: what it means here */
	char *remote_note; /* local commits not pushed, or replayed */
	bool remote;       /* the state is shared through a git remote */
	double lock_timeout;
	struct ms_aws *aws;     /* opened on first need */
	char *account_id;       /* fetched on first need */
	json_t *lookups;        /* data: name -> what it found (once read) */
	json_t *resolving;      /* lookups being read (a cycle guard) */
	struct ms_graph *graph; /* the stack's resources and references */
	int parallelism;
	bool color;
	bool locked;
	/*
	 * Resources found through the journal (a create that a killed run
	 * made but never recorded): name -> stored value, kept until the
	 * next apply writes them.
	 */
	json_t *adopted;
	/*
	 * The stored resources as the last check of the state files read
	 * them (state_check.c), taken by the plan that follows rather than
	 * read and parsed a second time; NULL once taken.
	 */
	json_t *checked;
	/* offline (ms_engine_opts.read): files through read, no AWS */
	int (*read)(void *ctx, const char *path, char **data, size_t *len);
	void *read_ctx;
	/* no AWS call: ms_engine_opts.offline, read, or while linting */
	bool offline;
};

/*
 * Check every state file, commit what an earlier run left uncommitted;
 * when another run holds the lock, read the state's last commit instead
 * and leave a note (state_check.c).
 */
int ms_engine_prepare_state(struct ms_engine *e);
/*
 * Once the lock is this run's: read the working tree again if another
 * run held the lock when the state was opened (committing what it left
 * uncommitted), and with a remote, pull what others pushed, checking
 * the files again (state_check.c).
 */
int ms_engine_after_lock(struct ms_engine *e);
/* With a remote and no lock: pull (fast-forward) and check again. */
int ms_engine_sync(struct ms_engine *e);
/*
 * The stored resources (ms_state_resources): those the last check read,
 * when nothing was read since, else read now. *out is the caller's.
 */
int ms_engine_stored(struct ms_engine *e, json_t **out);

/*
 * A plan read from a file holds no secrets (plan_file.c): put back the
 * sensitive variables (from this run's -var and defaults), the secrets of
 * each change's configuration (from the stack file) and of its before
 * (from stored, the state), and check them against the plan's digest.
 */
int ms_plan_restore_secrets(struct ms_engine *e, json_t *plan,
			    const json_t *stored);

/*
 * Read every stored resource (name -> stored value) in parallel (refresh.c);
 * *out: name -> live attributes, or null when gone. Deposed objects found
 * gone are dropped from their stored values (and recorded with the
 * adopted ones, so apply writes them): a revert never revives an object
 * that no longer exists.
 */
int ms_engine_refresh(struct ms_engine *e, json_t *stored, json_t **out);

/* The AWS session, opened on first use. */
int ms_engine_session(struct ms_engine *e, struct ms_aws **out);

/*
 * Desired attributes of resource name, of type t, from evaluated
 * properties: schema defaults filled (nested ones too), default stack
 * tags and the owner mark merged, normalised, the name checked against
 * the type's rule, and the name of an immutable object or a job derived
 * from its spec when the user left it out ("<stack>-<resource>-<hash>",
 * unknown while the spec is). stored (may be NULL) is the resource's
 * stored value: its object keeps its name while the spec is the same,
 * and a tainted one is followed by a new name. *out is new. On an
 * error, *where (NULL to ignore) is the property path of the value at
 * fault ("bucket", "tags.team"), malloc'd, or NULL when no value is.
 */
int ms_engine_desired(json_t **out, const struct ms_resource_type *t,
		      const char *stack, const char *name, const json_t *props,
		      const json_t *stack_tags, const json_t *stored,
		      char **where);

/*
 * ms_error() said again at the place in the stack file of the value at
 * (a property path as ms_engine_desired gives; NULL: the resource
 * itself) of resource: 'FILE:LINE:COL: resource "NAME": MESSAGE', or
 * without the position when the file has none for it or digest (NULL:
 * the stack file's own) is not the stack file's (a saved plan of an
 * older file). Returns -1.
 */
int ms_engine_fail_at(const struct ms_engine *e, const char *digest,
		      const char *resource, const char *at);

/*
 * Fill desired's local attributes (a folder's manifest) through t's local
 * hook, with the stack file's directory: from planned (the plan's value of
 * the resource) when it holds them all known, else from the files, with
 * stored (the stored attributes, may be NULL) for the hook's cache. A
 * no-op for types without the hook.
 */
int ms_engine_local(struct ms_engine *e, const struct ms_resource_type *t,
		    json_t *desired, const json_t *stored,
		    const json_t *planned);

/* Whether a replacement of this resource creates the new object first. */
bool ms_engine_cbd(const struct ms_resource_type *t, bool configured);

/*
 * Evaluate raw stack values against values: an object resource name ->
 * attributes (possibly holding unknowns), plus vars and the session.
 */
int ms_engine_eval(struct ms_engine *e, json_t **out, const json_t *raw,
		   const json_t *vars, const json_t *values);
/*
 * ms_engine_eval of the properties of resource (props, an object), each
 * value on its own, so that an error is said by ms_engine_fail_at at the
 * value that failed; digest as there.
 */
int ms_engine_eval_properties(struct ms_engine *e, json_t **out,
			      const char *digest, const char *resource,
			      const json_t *props, const json_t *vars,
			      const json_t *values);

/* The names a resource refers to or depends on, sorted: a new array. */
json_t *ms_engine_resource_deps(const struct ms_engine *e,
				const struct ms_resource *r);

/*
 * Move stored resource from to the name to, without a commit (apply's
 * moves, state mv). Returns MS_ENOTFOUND when from is not stored.
 */
int ms_engine_rename(struct ms_engine *e, const char *from, const char *to);

/* A provider call on resource name of type t (e->aws must be open). */
void ms_engine_call(struct ms_call *call, struct ms_engine *e,
		    const struct ms_resource_type *t, const char *name);
/*
 * Read the object named id through call's type (recovery, import):
 * *out = its attributes, or NULL when there is none.
 */
int ms_engine_read_id(json_t **out, struct ms_call *call, const char *id);

/*
 * Price the plan (engine/cost.c, docs/cost.md): each change's "cost" and
 * the plan's, in the region the stack runs in. -1 with ms_error() when
 * the price table (MLSTACK_PRICES) cannot be read.
 */
int ms_engine_cost_plan(struct ms_engine *e, json_t *plan);

/*
 * The objects named so far, a map of ids for each type: which resource
 * named an object first. Ids are borrowed, as a map's keys are.
 */
struct ms_named {
	struct ms_named_type *types;
	size_t n;
};

/*
 * Note that resource index who names object id of type: false when a
 * resource did before (*first its index), true when it is the first.
 */
bool ms_named_add(struct ms_named *s, const char *type, const char *id,
		  size_t index, size_t *first);
void ms_named_release(struct ms_named *s);

/* Whether attribute name of type t is computed (an output). */
bool ms_engine_computed(const struct ms_resource_type *t, const char *name);

#endif
