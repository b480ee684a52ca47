/*
 * engine.h - what cmd/ calls: one engine per command run, holding the
 * loaded stack, the state directory and (when AWS is needed) the session.
 *
 * Plans are JSON documents (see docs/plan-format.md): the same value is
 * rendered as text, saved with -out, and applied. Results go to stdout,
 * progress to stderr, through the renderer (render.h).
 */
#ifndef MS_ENGINE_H
#define MS_ENGINE_H

#include <jansson.h>
#include <stdbool.h>

struct ms_engine;

struct ms_engine_opts {
	const char *file;      /* the stack file */
	const char *state_dir; /* NULL: .mlstack/ beside the stack file */
	const json_t *vars;    /* -var NAME=VALUE, an object of strings */
	int parallelism;       /* 0: 10 */
	bool color;
	/*
	 * The command does not read the state (force-unlock, diff): it is
	 * opened, not checked.
	 */
	bool skip_state;
	/*
	 * Offline (diff): read gives the bytes of the stack file and of the
	 * files it reads (*data the caller's, NUL-terminated), e.g. as they
	 * were at a git revision; and no AWS call is made: lookups are
	 * unknown, a folder's files are as the state records them, the
	 * journal is left alone.
	 */
	int (*read)(void *ctx, const char *path, char **data, size_t *len);
	void *read_ctx;
	/*
	 * The git remote the state is shared through: NULL for the stack
	 * file's (state: {remote: URL}), "" for none. A relative path is
	 * taken from the current directory (from the stack file's in the
	 * stack file).
	 */
	const char *state_remote;
	/*
	 * The command takes the lock, which pulls from the remote; without
	 * it, opening pulls (fast-forward) when there is a remote.
	 */
	bool will_lock;
	/* How long ms_engine_lock waits for a lock held (seconds). */
	double lock_timeout;
	/*
	 * No AWS call is made (lint): lookups and aws.account_id are
	 * unknown, aws.region is the stack's, files are read from the disk.
	 * Implied by read.
	 */
	bool offline;
	/* No state directory is opened, or made (validate, lint, graph). */
	bool no_state;
};

/*
 * Load and validate the stack (references, schemas, cycles) and open its
 * state directory. On a stack problem returns -1 and appends every
 * "file:line:col: message" to *diags (created when NULL); other failures
 * set ms_error().
 */
int ms_engine_open(struct ms_engine **out, const struct ms_engine_opts *o,
		   json_t **diags);
void ms_engine_free(struct ms_engine *e);
/*
 * At a command's end: what the engine holds outside the process (the
 * state's locks, its repository) is released as ms_engine_free does, and
 * its memory left to the process's exit, which takes it back at once.
 * Under AddressSanitizer, whose leak check wants it, all is freed.
 */
void ms_engine_end(struct ms_engine *e);
/*
 * A line for the user about the state, or NULL: another run holds its
 * lock, so this one reads the state as of its last commit.
 */
const char *ms_engine_state_note(const struct ms_engine *e);

/*
 * How the stack changed between two versions of its file, offline: from
 * and to are engines opened with read (either may be NULL: the file did
 * not exist there). Each is planned without a refresh, against the
 * state; then to's desired values are compared with from's, attribute by
 * attribute. *out is a plan document (docs/plan-format.md) marked
 * "offline", with from_label and to_label; it is for reading, not apply.
 */
int ms_engine_diff(json_t **out, struct ms_engine *from, struct ms_engine *to,
		   const char *from_label, const char *to_label);

/* The stack's name and resource count. */
const char *ms_engine_stack_name(const struct ms_engine *e);
size_t ms_engine_resource_count(const struct ms_engine *e);

/*
 * A line for the user about the state's remote, or NULL: local commits
 * not pushed yet, or local commits put on top of the remote's.
 */
const char *ms_engine_remote_note(const struct ms_engine *e);

/*
 * Take the state lock for operation ("apply", "destroy" ...), waiting up
 * to the lock timeout while another holds it (MS_ELOCKED naming the
 * holder after that). With a remote: the local lock, then the remote's,
 * then a pull (fast-forward) of what others pushed.
 */
int ms_engine_lock(struct ms_engine *e, const char *operation);
/*
 * Release the lock: with a remote, push the commits first (refused with
 * MS_ESTALE when someone pushed meanwhile: the commits stay local, and
 * the message says what to run), then unlock the remote and the local
 * lock, whatever the push did. 0 when nothing is held.
 */
int ms_engine_unlock(struct ms_engine *e);
/* Whether the state is shared through a remote; its URL as shown. */
const char *ms_engine_remote(const struct ms_engine *e);
/* What a state pull or push did. */
enum ms_engine_sync_kind {
	MS_ENGINE_SYNC_EMPTY,    /* the remote has no state yet */
	MS_ENGINE_SYNC_CURRENT,  /* local and remote at the same commit */
	MS_ENGINE_SYNC_PULLED,   /* the local state fast-forwarded */
	MS_ENGINE_SYNC_REPLAYED, /* local commits put on top of others' */
	MS_ENGINE_SYNC_AHEAD,    /* local commits the remote lacks */
	MS_ENGINE_SYNC_PUSHED,   /* the remote fast-forwarded to the local */
};

struct ms_engine_sync {
	enum ms_engine_sync_kind kind;
	size_t pulled; /* commits taken from the remote */
	size_t ahead;  /* local commits it lacks (pull) or was sent (push) */
	char head[41]; /* the local head afterwards ("" before any commit) */
};

/*
 * state pull / state push: bring the local state and the remote's in
 * step (ms_state_pull, ms_state_push); *out says what happened. Pull
 * takes the local lock for its moment; push needs ms_engine_lock.
 */
int ms_engine_pull(struct ms_engine *e, struct ms_engine_sync *out);
int ms_engine_push(struct ms_engine *e, struct ms_engine_sync *out);
/*
 * Remove the locks ms_engine_lock_info found, whoever holds them;
 * MS_ENOTFOUND if there was none.
 */
int ms_engine_force_unlock(struct ms_engine *e);
/*
 * Who holds the locks: an array of {where: "local" or the remote's URL,
 * holder, pid, host, operation, time} (only where when the lock is
 * empty, corrupt or not mlstack's), the local lock file's first; *out is
 * the caller's. MS_ENOTFOUND when the state is not locked.
 */
int ms_engine_lock_info(struct ms_engine *e, json_t **out);

/*
 * What a plan does to a resource. The plan document spells it as a word
 * (docs/plan-format.md); these two are the one table between them.
 */
enum ms_action {
	MS_ACTION_NOOP,
	MS_ACTION_CREATE,
	MS_ACTION_UPDATE,
	MS_ACTION_REPLACE,
	MS_ACTION_DELETE,
};
/* "noop", "create", "update", "replace", "delete". */
const char *ms_action_name(enum ms_action a);
/* The action a word names, or -1 (a malformed plan). */
int ms_action_parse(const char *word);

struct ms_plan_opts {
	bool destroy; /* plan the deletion of everything in the state */
	bool refresh; /* read live state first (default true) */
	/*
	 * Add the lint findings that are not suppressed, as the plan's
	 * warnings ("lint": ms_engine_lint's array); not with destroy.
	 */
	bool lint;
};

/*
 * Refresh and diff: *out is the plan document. Takes no lock and writes
 * nothing.
 */
int ms_engine_plan(struct ms_engine *e, const struct ms_plan_opts *o,
		   json_t **out);
/*
 * Check a plan document read from a file against its format
 * (docs/plan-format.md): every key show and apply use, with its type.
 * -1 with ms_error() naming the first wrong key ("changes[2].action: ...").
 */
int ms_plan_check(const json_t *plan);
/*
 * Write a plan document to path (mode 0600), without the values of
 * sensitive variables and attributes (docs/secrets.md).
 */
int ms_plan_save(const json_t *plan, const char *path);
/* Whether a plan has any change to make in AWS. */
bool ms_plan_has_changes(const json_t *plan);
/*
 * Whether applying it changes anything at all: AWS, or only the state
 * (objects found after an interrupted apply, objects deleted outside).
 */
bool ms_plan_needs_apply(const json_t *plan);

/*
 * Apply a plan (the caller holds the lock). A plan made against another
 * state commit is refused with MS_ESTALE. Returns 0 when every action
 * succeeded, -1 when any failed (each reported as it happened; the state
 * holds all that succeeded).
 */
int ms_engine_apply(struct ms_engine *e, const json_t *plan);

/* State inspection: a list of names / one resource's stored value. */
int ms_engine_state_list(struct ms_engine *e, json_t **out);
int ms_engine_state_get(struct ms_engine *e, const char *name, json_t **out);
/*
 * State edits that leave AWS alone; the caller holds the lock, and each
 * ends in one commit. state_mv: resource from becomes to (what depended
 * on from depends on to). state_rm: the resources are forgotten, their
 * objects left in AWS. import: the object id is read (it must exist) and
 * recorded as resource name, which the stack must declare and the state
 * must not hold; *out is the stored value. MS_ENOTFOUND when a resource
 * or the object is not there.
 */
int ms_engine_state_mv(struct ms_engine *e, const char *from, const char *to);
int ms_engine_state_rm(struct ms_engine *e, const char *const *names, size_t n);
int ms_engine_import(struct ms_engine *e, const char *name, const char *id,
		     json_t **out);

/*
 * The lint findings of the stack (docs/lint.md): every rule of
 * engine/lint.h on every resource, on the stack's values evaluated with
 * no AWS call (what only AWS knows is unknown, and no rule fires on an
 * unknown value). *out is an array, sorted by position, of {rule,
 * severity, title, checkov (when Checkov has the rule), resource, type,
 * attribute (when the finding is about one), file, line, column,
 * message, fix, suggestion (a stack value to write instead, when the
 * stack lets one be computed), suppressed (the reason given in the
 * resource's lint.ignore, when it is)}.
 */
int ms_engine_lint(struct ms_engine *e, json_t **out);

/*
 * The schema of type, or of every type (an array) when type is NULL, as
 * JSON (docs/resources/ tables are made from it). Needs no engine: works
 * without a stack file. MS_ENOTFOUND for an unknown type.
 */
int ms_engine_schema(json_t **out, const char *type);

/*
 * Outputs of the last apply: an object name -> value, and the array of
 * the names whose values come from secrets (docs/secrets.md).
 */
int ms_engine_outputs(struct ms_engine *e, json_t **out, json_t **sensitive);
/*
 * What the resources of the state cost now, offline (no AWS call): *out
 * is ms_cost_state's document (engine/cost.h) with the stack's name.
 * -1 with ms_error() when the state or the price table cannot be read.
 */
int ms_engine_cost(struct ms_engine *e, json_t **out);
/* History: array of {commit, author, time, message}. */
int ms_engine_history(struct ms_engine *e, json_t **out);
/* The stack's dependency graph as DOT. */
int ms_engine_graph_dot(struct ms_engine *e, char **out);

#endif
