/*
 * internal.h - what state.c and remote.c share; not for the engine.
 */
#ifndef MS_STATE_INTERNAL_H
#define MS_STATE_INTERNAL_H

#include "state/state.h"

#include <sys/types.h>
#include <time.h>

#include <git2.h>

struct ms_state {
	char *dir;       /* the repository's working directory, as given */
	char *stack;     /* the stack's name, also its directory */
	char *stack_dir; /* <dir>/<stack> */
	char *res_dir;   /* <dir>/<stack>/resources */
	char *lock_path; /* <dir>/<stack>.lock */
	git_repository *repo;
	git_tree *snapshot; /* reads come from here when set */

	/* While this handle holds the lock: what it wrote, and where. */
	bool locked;
	pid_t lock_pid;
	char *lock_body;
	dev_t lock_dev;
	ino_t lock_ino;

	/* The git remote the state is shared through (remote.c), or NULL. */
	char *remote_url;   /* as given: may hold credentials, never shown */
	char *remote_shown; /* the URL without its user:password@ */
	/* The remote's branch as this handle last saw it (pull, push). */
	bool remote_seen;
	bool remote_has_branch;
	git_oid remote_branch;
	/* While this handle holds the remote lock: the lock commit pushed. */
	bool remote_locked;
	pid_t remote_lock_pid;
	git_oid remote_lock;
	/* The remote lock that ms_state_remote_lock_info last read. */
	bool remote_lock_read;
	git_oid remote_lock_seen;
	/* What the remote lock said at the last pull (someone else's). */
	json_t *remote_lock_pulled;
};

/* "state: <what>: <libgit2's message>", returning -1. */
int ms_state_git_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* RFC 3339 UTC, second precision: 2026-11-25T19:00:00Z */
void ms_state_format_time(char out[32], time_t t);
/* The login name, and the host name, for locks and signatures. */
void ms_state_login_name(char *out, size_t n);
void ms_state_host_name(char *out, size_t n);
/* The bytes of a state file: sorted keys, two-space indent, newline. */
char *ms_state_dump_json(const json_t *value);
/* A fresh lock id: 32 hex digits. */
void ms_state_lock_id(char out[33]);
/*
 * What a lock says: {id, holder, pid, host, operation, time} for this
 * process, a new object.
 */
json_t *ms_state_lock_new(const char *operation);

/* *out = the head commit, or NULL before the first commit. */
int ms_state_head_commit(git_commit **out, git_repository *repo);
char *ms_state_oid_hex(const git_oid *id);
/* From git config (user.name, user.email), else "login <login@host>". */
int ms_state_signature(git_signature **out, git_repository *repo);
/*
 * Hold .git/mlstack-commit.lock while reading and writing the shared
 * index, HEAD and branch: returns the descriptor (closing it releases the
 * lock), or -1 with ms_error() set.
 */
int ms_state_commit_lock(struct ms_state *st);

/* Release the remote lock this handle holds, if any (state_free). */
void ms_state_remote_release(struct ms_state *st);

#endif
