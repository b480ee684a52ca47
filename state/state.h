/*
 * state.h - the git-versioned state directory (DESIGN §5), through libgit2.
 *
 *   <dir>/<stack>/stack.json            lineage, serial, outputs, digest
 *   <dir>/<stack>/resources/<name>.json one file a resource
 *   <dir>/<stack>/journal.json          in-flight intents
 *   <dir>/<stack>.lock                  holder, pid, host, time (untracked)
 *
 * State knows neither AWS nor plans: it stores JSON values it is given.
 * Every write is a whole file written to a temporary name, fsync'd and
 * renamed, so a crash leaves the old or the new file, never half of one.
 * JSON is written with sorted keys and two-space indent.
 *
 * A struct ms_state belongs to the thread that opened it (libgit2 objects
 * stay on their thread).
 */
#ifndef MS_STATE_H
#define MS_STATE_H

#include <jansson.h>
#include <stdbool.h>

struct ms_state;

/* The longest resource name a state can hold (it names a file). */
#define MS_STATE_NAME_MAX 128

/*
 * Start libgit2's setup on a thread of its own, to run while the caller
 * reads the stack file: it parses the system's CA bundle, some 15 ms that
 * every command opening a state waited for first. ms_state_warm_wait
 * ends it, and must come before the process exits: OpenSSL, which the
 * setup starts, frees the thread's state when the thread ends, but not
 * once its own cleanup at exit has run.
 */
void ms_state_warm(void);
void ms_state_warm_wait(void);

/*
 * Open (creating the repository and the stack's directory on first use).
 * The state is not locked by opening it.
 */
int ms_state_open(struct ms_state **out, const char *dir, const char *stack);
void ms_state_free(struct ms_state *st); /* unlocks if this st holds it */

/*
 * Take the lock for operation ("apply", "destroy" ...): <dir>/<stack>.lock,
 * created exclusively. Fails at once with MS_ELOCKED and a message naming
 * holder, pid, host and start time when another process (or another
 * handle) holds it; taking it twice on one handle is an error.
 *
 * Unlock removes the lock only if it is still the one this handle took
 * (not after a force-unlock and someone else's lock); 0 when this handle
 * holds nothing. A forked child never releases its parent's lock.
 */
int ms_state_lock(struct ms_state *st, const char *operation);
int ms_state_unlock(struct ms_state *st);
/* Remove the lock whoever holds it; MS_ENOTFOUND if there was none. */
int ms_state_force_unlock(struct ms_state *st);
/*
 * What the lock file says ({id, holder, pid, host, operation, time}), for
 * force-unlock to show what it breaks. *out is the caller's; it is {} when
 * the file is empty or corrupt. MS_ENOTFOUND when there is no lock.
 */
int ms_state_lock_info(struct ms_state *st, json_t **out);

/*
 * All resources: an object name -> stored value, names sorted. *out is the
 * caller's. A file that is not a JSON object is an error naming the file.
 */
int ms_state_resources(struct ms_state *st, json_t **out);
/*
 * One resource's stored value, reading its file alone: MS_ENOTFOUND (no
 * message) when there is none, or name is not one a file can have.
 */
int ms_state_resource(struct ms_state *st, const char *name, json_t **out);
/*
 * Write one resource file at once (fsync'd), or remove it. name is
 * [A-Za-z0-9_-]+ (anything else is refused, so no path escapes the
 * directory); value must be an object. Removing a resource that is not
 * there is MS_ENOTFOUND.
 */
int ms_state_put_resource(struct ms_state *st, const char *name,
			  const json_t *value);
int ms_state_remove_resource(struct ms_state *st, const char *name);

/* stack.json: an object; *out is {} when there is none yet. */
int ms_state_meta(struct ms_state *st, json_t **out);
int ms_state_put_meta(struct ms_state *st, const json_t *meta);

/* journal.json: an object of intents; {} when idle. */
int ms_state_journal(struct ms_state *st, json_t **out);
int ms_state_put_journal(struct ms_state *st, const json_t *journal);

/*
 * Commit everything under <stack>/ with message; author from git config
 * (user.name/user.email) or the login name and host. A commit with no
 * change is skipped (0). *out_id (if not NULL) gets the new head's hex id
 * (the current head when skipped; "" when nothing was ever committed).
 */
int ms_state_commit(struct ms_state *st, const char *message, char **out_id);
/*
 * The stack's version: the hex id of its directory's tree in the head
 * commit ("" before its first commit). Commits of other stacks in the same
 * repository leave it alone; any commit of this stack's files changes it.
 */
int ms_state_version(struct ms_state *st, char **out);
/*
 * Whether the stack's files in the working tree differ from the head
 * commit: a run stopped between its writes and its commit.
 */
int ms_state_uncommitted(struct ms_state *st, bool *out);
/*
 * From now on read the head commit instead of the working tree, for a
 * reader while another process holds the lock (its writes in progress);
 * every write and commit through st is refused.
 */
int ms_state_use_snapshot(struct ms_state *st);
/* Read the working tree again (the lock is now this handle's). */
void ms_state_drop_snapshot(struct ms_state *st);
/* The hex id of the head commit, or "" before the first commit. */
int ms_state_head(struct ms_state *st, char **out);
/*
 * History of this stack's state, newest first: an array of
 * {"commit","author","time" (RFC 3339 UTC),"message"}.
 */
int ms_state_history(struct ms_state *st, json_t **out);

/* ---- sharing through a git remote (remote.c) -------------------------- */

/*
 * The git remote the state is shared through (docs/state.md): a path or
 * file:// URL of a bare repository, or an ssh://, user@host:path, https://
 * or git:// URL. The state's branch (HEAD's, "main") is kept in step with
 * the remote's branch of the same name, fast-forward only; the lock is the
 * ref refs/mlstack/locks/<stack> there. Set once, before any call below;
 * url is copied and never shown: messages name it without user:password@.
 */
int ms_state_set_remote(struct ms_state *st, const char *url);
/*
 * Whether url can name a remote: a path, a file:// URL of an absolute
 * path, an ssh://, git+ssh://, https://, http:// or git:// URL, or
 * user@host:path. -1 with a message that does not quote url otherwise;
 * in_file refuses a password in it too (a stack file is shared: use
 * MLSTACK_GIT_PASSWORD).
 */
int ms_state_check_remote_url(const char *url, bool in_file);
/* Whether url names a directory on this machine (a path or file://). */
bool ms_state_remote_is_local(const char *url);
/* The remote as messages show it (no credentials), or NULL when none. */
const char *ms_state_remote(const struct ms_state *st);
/* url without the user:password@ of scheme://user:password@host/...: new. */
char *ms_state_redact_url(const char *url);

enum ms_state_sync_kind {
	MS_SYNC_EMPTY,    /* the remote has no state yet */
	MS_SYNC_CURRENT,  /* local and remote at the same commit */
	MS_SYNC_PULLED,   /* the local branch fast-forwarded to the remote's */
	MS_SYNC_REPLAYED, /* local commits of other stacks put on top */
	MS_SYNC_AHEAD,    /* local commits the remote does not have yet */
	MS_SYNC_PUSHED,   /* the remote fast-forwarded to the local branch */
};

struct ms_state_sync {
	enum ms_state_sync_kind kind;
	size_t pulled; /* commits taken from the remote */
	size_t ahead;  /* local commits it lacks (pull) or was sent (push) */
	char head[41]; /* the local head afterwards ("" before any commit) */
	/*
	 * pull: what the remote's lock says when someone else holds it
	 * ({} when it is not mlstack's), else NULL; borrowed from st until
	 * its next pull.
	 */
	const json_t *locked_by;
};

/*
 * Fetch the remote's branch and bring the local one in step: a
 * fast-forward (working tree and all), nothing when the local branch is
 * ahead, and when both moved, the local commits put back on top of the
 * remote's if the two sides changed different stacks (each stack's files
 * are its own); otherwise it refuses, naming both sides and what to do,
 * and changes nothing. The stack's own uncommitted files are the caller's
 * to commit first. *out (may be NULL) says what happened.
 */
int ms_state_pull(struct ms_state *st, struct ms_state_sync *out);
/*
 * Fast-forward the remote's branch to the local one. The remote must
 * still be where the last pull through st left it (else where this call
 * finds it, when st never pulled): if someone pushed meanwhile, the push
 * is refused with MS_ESTALE and a message that says the local commits are
 * kept and what to run; nothing is lost.
 */
int ms_state_push(struct ms_state *st, struct ms_state_sync *out);
/*
 * Take the remote lock for operation: create refs/mlstack/locks/<stack>
 * on the remote, pointing at a commit whose message holds the lock's JSON
 * ({id, holder, pid, host, operation, time}). The remote refuses to
 * create a ref that exists, so only one holder can win: MS_ELOCKED with a
 * message naming the holder otherwise.
 *
 * Unlock removes it only while it is still this handle's (not after a
 * force-unlock and someone else's lock); 0 when st holds none.
 */
int ms_state_remote_lock(struct ms_state *st, const char *operation);
int ms_state_remote_unlock(struct ms_state *st);
/*
 * What the remote lock says, as ms_state_lock_info; MS_ENOTFOUND when the
 * remote holds none.
 */
int ms_state_remote_lock_info(struct ms_state *st, json_t **out);
/*
 * Remove the remote lock that ms_state_remote_lock_info last read (it is
 * read first when it was not): refused when it changed hands since.
 * MS_ENOTFOUND when there is none.
 */
int ms_state_remote_force_unlock(struct ms_state *st);

#endif
