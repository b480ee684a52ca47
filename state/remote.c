/*
 * remote.c - the state shared through a git remote: pull, push and the
 * remote lock, through libgit2.
 *
 * The remote's branch only moves forward, and every ref update there is a
 * compare-and-swap: it names the value it expects and fails when the
 * remote moved. Over ssh, https and git:// the server checks it (each
 * update carries the old value advertised on the same connection, and
 * receive-pack compares it under the ref's lock). For a path or file://
 * URL libgit2's local transport checks nothing (it overwrites the ref),
 * so there the objects are written into the remote's object store and
 * the ref is changed in a libgit2 ref transaction, under the ref's lock
 * file, after comparing its value. Creating the lock ref is the same swap
 * from "absent", so two holders can never both win.
 *
 * The URL is written nowhere: the remote is anonymous (nothing in
 * .git/config), and messages show it without user:password@.
 */
#include "util/common.h"
#include "state/internal.h"
#include "state/known_hosts.h"

#include <unistd.h>

#define LOCK_REFS     "refs/mlstack/locks/"
#define TRACKING_REFS "refs/mlstack/remote/"

/* One conversation with the remote. */
struct conn {
	struct ms_state *st;
	git_remote *remote;
	git_remote_callbacks cbs;
	char *branch_ref; /* refs/heads/main: HEAD's branch */
	char *lock_ref;   /* refs/mlstack/locks/<stack> */
	int port;         /* ssh: the server's port, for known_hosts */
	/* what the remote holds, as it said on connecting */
	bool has_branch, has_lock;
	git_oid branch, lock;
	/* credentials tried once each: libgit2 asks again after a refusal */
	bool tried_agent, tried_userpass, tried_username;
	char *why;      /* a refusal of ours (credentials, host key) */
	char *rejected; /* the first ref update the remote refused, and why */
};

static json_t *lock_body(git_commit *c);

/* ---- URLs -------------------------------------------------------------- */

/* The span of "userinfo@" in scheme://userinfo@host/..., 0 when none. */
static size_t userinfo_span(const char *url, size_t *start)
{
	const char *scheme = strstr(url, "://"), *host, *end, *at = NULL, *p;

	if (!scheme)
		return 0;
	host = scheme + 3;
	end = host + strcspn(host, "/?#");
	for (p = host; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return 0;
	*start = (size_t)(host - url);
	return (size_t)(at + 1 - host);
}

char *ms_state_redact_url(const char *url)
{
	size_t start = 0, n = userinfo_span(url, &start);

	if (!n)
		return ms_strdup(url);
	return ms_asprintf("%.*s%s", (int)start, url, url + start + n);
}

/* A path or file:// URL: the remote is a directory on this machine. */
static bool is_local(const char *url)
{
	const char *colon, *slash;

	if (!strncmp(url, "file://", 7))
		return true;
	if (strstr(url, "://"))
		return false;
	/* user@host:path and host:path are ssh, as git reads them */
	colon = strchr(url, ':');
	slash = strchr(url, '/');
	return !colon || (slash && slash < colon);
}

bool ms_state_remote_is_local(const char *url)
{
	return is_local(url);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The directory a local URL names (file:// and %XX undone). */
static char *local_path(const char *url)
{
	struct ms_buf b = MS_BUF_INIT;
	const char *p = url;

	if (!strncmp(p, "file://", 7)) {
		p += 7;
		if (!strncmp(p, "localhost/", 10))
			p += 9;
	}
	for (; *p; p++) {
		if (*p == '%' && hex_digit(p[1]) >= 0 && hex_digit(p[2]) >= 0) {
			ms_buf_addch(&b, (char)(hex_digit(p[1]) * 16 +
						hex_digit(p[2])));
			p += 2;
		} else {
			ms_buf_addch(&b, *p);
		}
	}
	return ms_buf_detach(&b, NULL);
}

/* The ssh port of url: ssh://[user@]host:port/..., else 22. */
static int ssh_port(const char *url)
{
	const char *host, *end, *colon;
	long port;
	char *digits;

	if (strncmp(url, "ssh://", 6) && strncmp(url, "ssh+git://", 10) &&
	    strncmp(url, "git+ssh://", 10))
		return 22;
	host = strstr(url, "://") + 3;
	end = host + strcspn(host, "/");
	if (memchr(host, '@', (size_t)(end - host)))
		host = (const char *)memchr(host, '@', (size_t)(end - host)) +
		       1;
	colon = memchr(host, ':', (size_t)(end - host));
	if (!colon)
		return 22;
	digits = ms_strndup(colon + 1, (size_t)(end - colon - 1));
	if (ms_parse_uint(digits, &port) || port < 1 || port > 65535)
		port = 22;
	free(digits);
	return (int)port;
}

/* Replace every needle in b's text with with. */
static void replace_all(struct ms_buf *b, const char *needle, const char *with)
{
	struct ms_buf out = MS_BUF_INIT;
	const char *p = b->ptr, *hit;
	size_t n = strlen(needle);

	if (!n || !strstr(p, needle))
		return;
	while ((hit = strstr(p, needle))) {
		ms_buf_add(&out, p, (size_t)(hit - p));
		ms_buf_adds(&out, with);
		p = hit + n;
	}
	ms_buf_adds(&out, p);
	ms_buf_release(b);
	*b = out;
}

/*
 * text with the URL's credentials taken out, for a message: libgit2's
 * errors may quote the URL. New.
 */
static char *redact(const struct ms_state *st, const char *text)
{
	struct ms_buf b = MS_BUF_INIT;
	size_t start = 0, n = userinfo_span(st->remote_url, &start);
	char *info, *colon;

	ms_buf_adds(&b, text);
	replace_all(&b, st->remote_url, st->remote_shown);
	if (n) {
		info = ms_strndup(st->remote_url + start, n);
		replace_all(&b, info, "");
		info[n - 1] = '\0';
		colon = strchr(info, ':');
		/* a password alone, unless too short to tell from a word */
		if (colon && strlen(colon + 1) >= 4)
			replace_all(&b, colon + 1, "***");
		free(info);
	}
	return ms_buf_detach(&b, NULL);
}

int ms_state_check_remote_url(const char *url, bool in_file)
{
	static const char *const schemes[] = {
		"file",  "ssh",  "git+ssh", "ssh+git",
		"https", "http", "git",     NULL,
	};
	const char *const *s;
	const char *p, *sep, *rest;
	size_t start = 0, n;

	if (!url || !*url)
		return ms_error("the remote's URL is empty");
	for (p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return ms_error("the remote's URL holds a space or a "
					"control character (write %%20 for a "
					"space)");
	sep = strstr(url, "://");
	if (sep) {
		for (s = schemes; *s; s++)
			if (strlen(*s) == (size_t)(sep - url) &&
			    !strncmp(url, *s, strlen(*s)))
				break;
		if (!*s)
			return ms_error(
				"unsupported URL scheme \"%.*s\" (use a "
				"path, file://, ssh://, "
				"user@host:path, https:// or "
				"git://)",
				(int)(sep - url) > 16 ? 16 : (int)(sep - url),
				url);
		rest = sep + 3;
		if (!strcmp(*s, "file") && rest[0] != '/' &&
		    strncmp(rest, "localhost/", 10))
			return ms_error("a file:// URL names an absolute path "
					"(file:///srv/state.git)");
		if (strcmp(*s, "file") && (!*rest || *rest == '/'))
			return ms_error("the remote's URL names no host");
		n = userinfo_span(url, &start);
		if (in_file && n && memchr(url + start, ':', n))
			return ms_error("do not write a password in the stack "
					"file: set MLSTACK_GIT_USERNAME and "
					"MLSTACK_GIT_PASSWORD instead");
		return 0;
	}
	if (!is_local(url)) {
		sep = strchr(url, ':');
		if (sep == url || sep[-1] == '@' || !sep[1])
			return ms_error("an ssh remote is written "
					"user@host:path (or ssh://host/path)");
	}
	return 0;
}

int ms_state_set_remote(struct ms_state *st, const char *url)
{
	if (!url || !*url)
		return ms_error("state: the remote's URL is empty");
	if (st->remote_url)
		return ms_error("state: the remote is set already");
	st->remote_url = ms_strdup(url);
	st->remote_shown = ms_state_redact_url(url);
	return 0;
}

const char *ms_state_remote(const struct ms_state *st)
{
	return st->remote_shown;
}

/* ---- talking to the remote --------------------------------------------- */

/* "state: remote <url>: <what>: <why>", returning -1. */
static int remote_fail(struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int remote_fail(struct conn *c, const char *fmt, ...)
{
	const git_error *e = git_error_last();
	struct ms_buf what = MS_BUF_INIT;
	char *why;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	ms_buf_vaddf(&what, fmt, ap);
	va_end(ap);
	why = redact(c->st, c->why          ? c->why :
			    e && e->message ? e->message :
					      "unknown error");
	rc = ms_error("state: remote %s: %s: %s", c->st->remote_shown, what.ptr,
		      why);
	free(why);
	ms_buf_release(&what);
	return rc;
}

static int no_remote(const struct ms_state *st)
{
	if (!st->remote_url)
		return ms_error("state '%s': no remote is set (state: {remote: "
				"URL} in the stack file, or -state-remote URL)",
				st->stack);
	return 0;
}

/*
 * Credentials, each kind tried once: the ssh agent's keys, then
 * MLSTACK_GIT_USERNAME and MLSTACK_GIT_PASSWORD for https (and what the
 * URL itself holds, which libgit2 tries before asking).
 */
static int credentials(git_credential **out, const char *url,
		       const char *user_from_url, unsigned int allowed,
		       void *payload)
{
	struct conn *c = payload;
	const char *user = getenv("MLSTACK_GIT_USERNAME");
	const char *pass = getenv("MLSTACK_GIT_PASSWORD");
	const char *ssh_user = user_from_url && *user_from_url ? user_from_url :
								 "git";

	(void)url;
	if (!user || !*user)
		user = user_from_url && *user_from_url ? user_from_url : "git";
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && !c->tried_agent &&
	    getenv("SSH_AUTH_SOCK")) {
		c->tried_agent = true;
		return git_credential_ssh_key_from_agent(out, ssh_user);
	}
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) &&
	    !c->tried_userpass && pass && *pass) {
		c->tried_userpass = true;
		return git_credential_userpass_plaintext_new(out, user, pass);
	}
	if ((allowed & GIT_CREDENTIAL_USERNAME) && !c->tried_username) {
		c->tried_username = true;
		return git_credential_username_new(out, ssh_user);
	}
	free(c->why);
	if (allowed & GIT_CREDENTIAL_SSH_KEY)
		c->why = ms_strdup(
			"authentication failed: mlstack uses the keys of the "
			"ssh agent (SSH_AUTH_SOCK); add yours with ssh-add");
	else
		c->why = ms_strdup(
			"authentication failed: set MLSTACK_GIT_USERNAME and "
			"MLSTACK_GIT_PASSWORD (a token) for an https remote");
	git_error_set_str(GIT_ERROR_NET, c->why);
	return GIT_EAUTH;
}

/*
 * An ssh server's host key must be in known_hosts, as ssh(1) requires
 * (libgit2 1.5 checks none by itself); TLS is left to libgit2.
 */
static int certificate_check(git_cert *cert, int valid, const char *host,
			     void *payload)
{
	struct conn *c = payload;
	const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;
	const char *home = getenv("HOME");
	char *files[2];
	int rc = MS_ENOTFOUND, i;

	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
		return valid ? 0 : GIT_PASSTHROUGH;
	free(c->why);
	c->why = NULL;
	if (!(hk->type & GIT_CERT_SSH_RAW)) {
		c->why = ms_asprintf("ssh: cannot read the host key of %s",
				     host);
		git_error_set_str(GIT_ERROR_SSH, c->why);
		return GIT_ECERTIFICATE;
	}
	files[0] = ms_asprintf("%s/.ssh/known_hosts", home ? home : "");
	files[1] = ms_strdup("/etc/ssh/ssh_known_hosts");
	for (i = 0; i < 2 && rc == MS_ENOTFOUND; i++)
		rc = ms_known_hosts_check(files[i], host, c->port,
					  (const unsigned char *)hk->hostkey,
					  hk->hostkey_len);
	free(files[0]);
	free(files[1]);
	if (!rc)
		return 0;
	if (rc == MS_EEXISTS)
		c->why = ms_asprintf(
			"ssh: the host key of %s is not the one known_hosts "
			"holds for it: the key changed, or someone is in the "
			"middle; refusing to connect",
			host);
	else
		c->why = ms_asprintf("ssh: the host key of %s is not in "
				     "~/.ssh/known_hosts: connect once with "
				     "ssh (or ssh-keyscan, checking the key) "
				     "to add it",
				     host);
	git_error_set_str(GIT_ERROR_SSH, c->why);
	return GIT_ECERTIFICATE;
}

static int push_status(const char *refname, const char *status, void *payload)
{
	struct conn *c = payload;

	if (status && !c->rejected)
		c->rejected = ms_asprintf("%s: %s", refname, status);
	return 0;
}

/* refs/heads/<name> that HEAD names (it may have no commit yet). */
static int branch_ref(char **out, struct ms_state *st)
{
	git_reference *head = NULL;
	const char *target;
	int rc = 0;

	*out = NULL;
	if (git_reference_lookup(&head, st->repo, "HEAD") < 0)
		return ms_state_git_fail("reading HEAD");
	target = git_reference_type(head) == GIT_REFERENCE_SYMBOLIC ?
			 git_reference_symbolic_target(head) :
			 NULL;
	if (!target || strncmp(target, "refs/heads/", 11))
		rc = ms_error("state: HEAD of '%s' is not on a branch; check "
			      "one out (git -C %s checkout main)",
			      st->dir, st->dir);
	else
		*out = ms_strdup(target);
	git_reference_free(head);
	return rc;
}

static int conn_init(struct conn *c, struct ms_state *st)
{
	git_remote_create_options opts = GIT_REMOTE_CREATE_OPTIONS_INIT;

	memset(c, 0, sizeof(*c));
	c->st = st;
	if (no_remote(st) || branch_ref(&c->branch_ref, st))
		return -1;
	c->lock_ref = ms_asprintf(LOCK_REFS "%s", st->stack);
	c->port = ssh_port(st->remote_url);
	git_remote_init_callbacks(&c->cbs, GIT_REMOTE_CALLBACKS_VERSION);
	c->cbs.credentials = credentials;
	c->cbs.certificate_check = certificate_check;
	c->cbs.push_update_reference = push_status;
	c->cbs.payload = c;
	/*
	 * The URL as given: no url.<base>.insteadOf rewriting, whose
	 * config lookup also leaks in libgit2 1.5 (a pcre2 match per
	 * config entry).
	 */
	opts.repository = st->repo;
	opts.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
		     GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(&c->remote, st->remote_url, &opts) < 0)
		return remote_fail(c, "reading the URL");
	return 0;
}

static void conn_release(struct conn *c)
{
	if (c->remote) {
		git_remote_disconnect(c->remote);
		git_remote_free(c->remote);
	}
	free(c->branch_ref);
	free(c->lock_ref);
	free(c->why);
	free(c->rejected);
	memset(c, 0, sizeof(*c));
}

/* Connect, and note where the remote's branch and lock are. */
static int conn_connect(struct conn *c, git_direction direction)
{
	git_proxy_options proxy = GIT_PROXY_OPTIONS_INIT;
	const git_remote_head **heads;
	size_t n, i;

	proxy.type = GIT_PROXY_AUTO;
	git_remote_disconnect(c->remote);
	if (git_remote_connect(c->remote, direction, &c->cbs, &proxy, NULL) < 0)
		return remote_fail(c, "connecting");
	if (git_remote_ls(&heads, &n, c->remote) < 0)
		return remote_fail(c, "listing its refs");
	c->has_branch = c->has_lock = false;
	for (i = 0; i < n; i++) {
		if (!strcmp(heads[i]->name, c->branch_ref)) {
			c->has_branch = true;
			git_oid_cpy(&c->branch, &heads[i]->oid);
		} else if (!strcmp(heads[i]->name, c->lock_ref)) {
			c->has_lock = true;
			git_oid_cpy(&c->lock, &heads[i]->oid);
		}
	}
	return 0;
}

static bool have_object(git_repository *repo, const git_oid *id)
{
	git_odb *odb = NULL;
	bool yes;

	if (git_repository_odb(&odb, repo) < 0) {
		git_error_clear();
		return false;
	}
	yes = git_odb_exists(odb, id);
	git_odb_free(odb);
	return yes;
}

/* Download what the branch and the lock need (connected to fetch). */
static int conn_fetch(struct conn *c)
{
	git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
	char *specs[2];
	git_strarray list = { specs, 0 };

	if (c->has_branch && !have_object(c->st->repo, &c->branch))
		specs[list.count++] = c->branch_ref;
	if (c->has_lock && !have_object(c->st->repo, &c->lock))
		specs[list.count++] = c->lock_ref;
	if (!list.count)
		return 0;
	opts.callbacks = c->cbs;
	opts.proxy_opts.type = GIT_PROXY_AUTO;
	opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	if (git_remote_download(c->remote, &list, &opts) < 0)
		return remote_fail(c, "fetching %s", c->branch_ref + 11);
	return 0;
}

/*
 * Copy what tip needs and dst lacks (have: what dst has of it, or NULL)
 * into the object store of dst, a repository on this machine.
 */
static int send_objects(struct conn *c, git_repository *dst, const git_oid *tip,
			const git_oid *have)
{
	git_packbuilder *pb = NULL;
	git_revwalk *walk = NULL;
	char *dir = NULL;
	int rc = -1;

	if (git_packbuilder_new(&pb, c->st->repo) < 0 ||
	    git_revwalk_new(&walk, c->st->repo) < 0 ||
	    git_revwalk_push(walk, tip) < 0) {
		remote_fail(c, "packing the commits to send");
		goto done;
	}
	if (have && git_revwalk_hide(walk, have) < 0)
		git_error_clear(); /* not here: send all */
	if (git_packbuilder_insert_walk(pb, walk) < 0) {
		remote_fail(c, "packing the commits to send");
		goto done;
	}
	if (git_packbuilder_object_count(pb)) {
		dir = ms_asprintf("%sobjects/pack", git_repository_path(dst));
		if (git_packbuilder_write(pb, dir, 0, NULL, NULL) < 0) {
			remote_fail(c, "writing objects");
			goto done;
		}
	}
	rc = 0;
done:
	free(dir);
	git_revwalk_free(walk);
	git_packbuilder_free(pb);
	return rc;
}

/*
 * Set ref on a remote on this machine to new_id (NULL: delete it) if it
 * is still expect (NULL: absent), under the ref's lock file.
 */
static int local_update(struct conn *c, const char *ref, const git_oid *new_id,
			const git_oid *expect)
{
	git_repository *dst = NULL;
	git_transaction *tx = NULL;
	git_signature *sig = NULL;
	char *path = local_path(c->st->remote_url);
	git_oid now;
	bool has;
	int rc = -1, err;

	if (git_repository_open_ext(&dst, path, GIT_REPOSITORY_OPEN_NO_SEARCH,
				    NULL) < 0) {
		remote_fail(c, "opening it");
		goto done;
	}
	if (!git_repository_is_bare(dst)) {
		ms_error("state: remote %s: not a bare repository (make one "
			 "with git init --bare)",
			 c->st->remote_shown);
		goto done;
	}
	if (new_id && send_objects(c, dst, new_id, expect))
		goto done;
	if (ms_state_signature(&sig, c->st->repo) < 0)
		goto done;
	if (git_transaction_new(&tx, dst) < 0) {
		remote_fail(c, "updating %s", ref);
		goto done;
	}
	if (git_transaction_lock_ref(tx, ref) < 0) {
		/* someone else is updating it this very moment */
		git_error_clear();
		rc = ms_error_code(MS_ELOCKED, "%s is being updated", ref);
		goto done;
	}
	err = git_reference_name_to_id(&now, dst, ref);
	has = err == 0;
	if (err == GIT_ENOTFOUND) {
		git_error_clear();
	} else if (err < 0) {
		remote_fail(c, "reading %s", ref);
		goto done;
	}
	if (expect ? !has || !git_oid_equal(&now, expect) : has) {
		rc = ms_error_code(MS_ESTALE, "%s moved", ref);
		goto done;
	}
	err = new_id ? git_transaction_set_target(tx, ref, new_id, sig,
						  "mlstack") :
		       git_transaction_remove(tx, ref);
	if (err < 0 || git_transaction_commit(tx) < 0) {
		remote_fail(c, "updating %s", ref);
		goto done;
	}
	rc = 0;
done:
	git_transaction_free(tx);
	git_signature_free(sig);
	git_repository_free(dst);
	free(path);
	return rc;
}

/*
 * Set ref on the remote to new_id (NULL: delete it) if it is still expect
 * (NULL: absent): 0, MS_ESTALE when it is not (or the remote refused),
 * MS_ELOCKED when another update of it holds its lock this very moment
 * (a local remote; over the network the server refuses: MS_ESTALE), -1
 * on other errors. The local ref of the same name must point at new_id.
 * For a remote over the network, c is connected to push and its ls is
 * what expect was checked against.
 */
static int conn_update(struct conn *c, const char *ref, const git_oid *new_id,
		       const git_oid *expect)
{
	git_push_options opts = GIT_PUSH_OPTIONS_INIT;
	char *spec;
	git_strarray list = { &spec, 1 };
	int rc = 0, err;

	if (is_local(c->st->remote_url)) {
		git_remote_disconnect(c->remote);
		return local_update(c, ref, new_id, expect);
	}
	spec = new_id ? ms_asprintf("%s:%s", ref, ref) :
			ms_asprintf(":%s", ref);
	opts.callbacks = c->cbs;
	opts.proxy_opts.type = GIT_PROXY_AUTO;
	err = git_remote_upload(c->remote, &list, &opts);
	if (err == GIT_ENONFASTFORWARD)
		rc = ms_error_code(MS_ESTALE, "%s moved", ref);
	else if (err < 0)
		rc = remote_fail(c, "pushing %s", ref);
	else if (c->rejected)
		rc = ms_error_code(MS_ESTALE, "the remote refused %s",
				   c->rejected);
	free(spec);
	return rc;
}

/* ---- pull -------------------------------------------------------------- */

/* Commits reachable from tip and not from hide (NULL: none). */
static int count_commits(size_t *out, git_repository *repo, const git_oid *tip,
			 const git_oid *hide)
{
	git_revwalk *walk = NULL;
	git_oid id;
	int err;

	*out = 0;
	if (git_revwalk_new(&walk, repo) < 0 ||
	    git_revwalk_push(walk, tip) < 0 ||
	    (hide && git_revwalk_hide(walk, hide) < 0)) {
		git_revwalk_free(walk);
		return ms_state_git_fail("walking the history");
	}
	while (!(err = git_revwalk_next(&id, walk)))
		(*out)++;
	git_revwalk_free(walk);
	if (err != GIT_ITEROVER)
		return ms_state_git_fail("walking the history");
	return 0;
}

/* Before a first commit: refuse when anything but .gitignore is there. */
static int only_gitignore(struct ms_state *st)
{
	git_status_options opts = GIT_STATUS_OPTIONS_INIT;
	git_status_list *list = NULL;
	const git_status_entry *e;
	const char *path = NULL;
	size_t i;

	opts.show = GIT_STATUS_SHOW_WORKDIR_ONLY;
	opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED |
		     GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS;
	if (git_status_list_new(&list, st->repo, &opts) < 0)
		return ms_state_git_fail("reading the status of '%s'", st->dir);
	for (i = 0; !path && i < git_status_list_entrycount(list); i++) {
		e = git_status_byindex(list, i);
		if (e->index_to_workdir &&
		    strcmp(e->index_to_workdir->new_file.path, ".gitignore"))
			path = e->index_to_workdir->new_file.path;
	}
	if (path)
		ms_error("state: '%s' holds files never committed (%s); commit "
			 "or remove them (git -C %s status), then pull again",
			 st->dir, path, st->dir);
	git_status_list_free(list);
	return path ? -1 : 0;
}

/*
 * Move the branch from commit from (NULL: none yet) to to, the working
 * tree and index with it. Files changed but not committed block it.
 */
static int fast_forward(struct ms_state *st, const char *ref, git_commit *from,
			git_commit *to)
{
	git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;
	git_reference *moved = NULL;
	git_tree *base = NULL;
	int err;

	co.checkout_strategy = GIT_CHECKOUT_SAFE;
	if (!from) {
		/*
		 * Nothing committed yet: the .gitignore state_open wrote is
		 * in the way of the remote's. Anything else would be state
		 * files never committed, which win over nothing.
		 */
		if (only_gitignore(st) < 0)
			return -1;
		co.checkout_strategy = GIT_CHECKOUT_FORCE;
	}
	if (from) {
		if (git_commit_tree(&base, from) < 0)
			return ms_state_git_fail("reading the head commit");
		co.baseline = base;
	}
	err = git_checkout_tree(st->repo, (const git_object *)to, &co);
	git_tree_free(base);
	if (err == GIT_ECONFLICT)
		return ms_error(
			"state: '%s' has changes not committed that the "
			"remote's state would overwrite (%s); commit "
			"or remove them (git -C %s status), then pull "
			"again",
			st->dir, git_error_last()->message, st->dir);
	if (err < 0)
		return ms_state_git_fail("updating the files of '%s'", st->dir);
	if (git_reference_create_matching(
		    &moved, st->repo, ref, git_commit_id(to), 1,
		    from ? git_commit_id(from) : NULL, "mlstack: pull") < 0)
		return ms_state_git_fail("moving %s", ref);
	git_reference_free(moved);
	return 0;
}

/* Add to set the top-level names whose entries differ in a and b. */
static void top_changes(json_t *set, const git_tree *a, const git_tree *b)
{
	const git_tree_entry *e, *o;
	size_t i;

	for (i = 0; b && i < git_tree_entrycount(b); i++) {
		e = git_tree_entry_byindex(b, i);
		o = a ? git_tree_entry_byname(a, git_tree_entry_name(e)) : NULL;
		if (!o || git_tree_entry_cmp(e, o) ||
		    !git_oid_equal(git_tree_entry_id(e), git_tree_entry_id(o)))
			json_object_set_new(set, git_tree_entry_name(e),
					    json_true());
	}
	for (i = 0; a && i < git_tree_entrycount(a); i++) {
		e = git_tree_entry_byindex(a, i);
		if (!b || !git_tree_entry_byname(b, git_tree_entry_name(e)))
			json_object_set_new(set, git_tree_entry_name(e),
					    json_true());
	}
}

/* Commit c's tree and its first parent's (NULL for a root commit). */
static int trees_of(git_tree **tree, git_tree **parent_tree, git_commit *c)
{
	git_commit *parent = NULL;
	int rc = 0;

	*tree = *parent_tree = NULL;
	if (git_commit_tree(tree, c) < 0)
		return ms_state_git_fail("reading commit %s",
					 git_oid_tostr_s(git_commit_id(c)));
	if (!git_commit_parentcount(c))
		return 0;
	if (git_commit_parent(&parent, c, 0) < 0 ||
	    git_commit_tree(parent_tree, parent) < 0)
		rc = ms_state_git_fail("reading the parent of %s",
				       git_oid_tostr_s(git_commit_id(c)));
	git_commit_free(parent);
	return rc;
}

/*
 * The commits reachable from tip and not from hide, oldest first (an
 * array of hex ids), and the top-level names they changed (*names).
 * *merges tells whether any is a merge.
 */
static int side(json_t **commits, json_t **names, bool *merges,
		git_repository *repo, const git_oid *tip, const git_oid *hide)
{
	git_revwalk *walk = NULL;
	git_commit *c = NULL;
	git_tree *t = NULL, *p = NULL;
	git_oid id;
	int err, rc = -1;

	*commits = json_array();
	*names = json_object();
	*merges = false;
	if (git_revwalk_new(&walk, repo) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) <
		    0 ||
	    git_revwalk_push(walk, tip) < 0 ||
	    git_revwalk_hide(walk, hide) < 0) {
		ms_state_git_fail("walking the history");
		goto done;
	}
	while (!(err = git_revwalk_next(&id, walk))) {
		if (git_commit_lookup(&c, repo, &id) < 0) {
			ms_state_git_fail("reading commit %s",
					  git_oid_tostr_s(&id));
			goto done;
		}
		if (git_commit_parentcount(c) > 1)
			*merges = true;
		if (trees_of(&t, &p, c) < 0)
			goto done;
		top_changes(*names, p, t);
		json_array_append_new(*commits,
				      json_string(git_oid_tostr_s(&id)));
		git_tree_free(t);
		git_tree_free(p);
		git_commit_free(c);
		t = p = NULL;
		c = NULL;
	}
	if (err != GIT_ITEROVER) {
		ms_state_git_fail("walking the history");
		goto done;
	}
	rc = 0;
done:
	git_tree_free(t);
	git_tree_free(p);
	git_commit_free(c);
	git_revwalk_free(walk);
	return rc;
}

/* The names both sides changed to different ends: a comma list, or NULL. */
static char *clashes(const json_t *mine, const json_t *theirs,
		     git_commit *local, git_commit *remote)
{
	struct ms_buf b = MS_BUF_INIT;
	git_tree *lt = NULL, *rt = NULL;
	const git_tree_entry *l, *r;
	const char *name;
	json_t *v;

	if (git_commit_tree(&lt, local) < 0 || git_commit_tree(&rt, remote) < 0)
		git_error_clear();
	json_object_foreach((json_t *)mine, name, v) {
		if (!json_object_get(theirs, name))
			continue;
		l = lt ? git_tree_entry_byname(lt, name) : NULL;
		r = rt ? git_tree_entry_byname(rt, name) : NULL;
		if (l && r && !git_tree_entry_cmp(l, r) &&
		    git_oid_equal(git_tree_entry_id(l), git_tree_entry_id(r)))
			continue; /* the same file made twice: .gitignore */
		ms_buf_addf(&b, "%s'%s'", b.len ? ", " : "", name);
	}
	git_tree_free(lt);
	git_tree_free(rt);
	if (!b.len)
		return NULL;
	return ms_buf_detach(&b, NULL);
}

/*
 * Local commits (ids, oldest first) made again on top of remote: each
 * takes the remote's tree with the top-level entries it changed as it
 * had them. *out is the new head.
 */
static int replay(git_oid *out, git_repository *repo, const json_t *commits,
		  git_commit *remote)
{
	git_commit *c = NULL, *prev = NULL;
	git_tree *base = NULL, *t = NULL, *p = NULL, *made = NULL;
	git_treebuilder *tb = NULL;
	const git_tree_entry *e;
	json_t *names = NULL, *v, *x;
	const char *name;
	git_oid id;
	size_t i;
	int rc = -1;

	if (git_commit_dup(&prev, remote) < 0 ||
	    git_commit_tree(&base, remote) < 0) {
		ms_state_git_fail("reading the remote's head");
		goto done;
	}
	json_array_foreach(commits, i, v) {
		if (git_oid_fromstr(&id, json_string_value(v)) < 0 ||
		    git_commit_lookup(&c, repo, &id) < 0 ||
		    trees_of(&t, &p, c) < 0 ||
		    git_treebuilder_new(&tb, repo, base) < 0) {
			ms_state_git_fail("replaying %s", json_string_value(v));
			goto done;
		}
		names = json_object();
		top_changes(names, p, t);
		json_object_foreach(names, name, x) {
			e = git_tree_entry_byname(t, name);
			if ((e ? git_treebuilder_insert(
					 NULL, tb, name, git_tree_entry_id(e),
					 git_tree_entry_filemode(e)) :
				 git_treebuilder_remove(tb, name)) < 0) {
				ms_state_git_fail("replaying %s", name);
				goto done;
			}
		}
		if (git_treebuilder_write(&id, tb) < 0 ||
		    git_tree_lookup(&made, repo, &id) < 0 ||
		    git_commit_create(&id, repo, NULL, git_commit_author(c),
				      git_commit_committer(c),
				      git_commit_message_encoding(c),
				      git_commit_message(c), made, 1,
				      (const git_commit **)&prev) < 0) {
			ms_state_git_fail("replaying %s",
					  git_oid_tostr_s(git_commit_id(c)));
			goto done;
		}
		git_commit_free(prev);
		prev = NULL;
		git_tree_free(base);
		base = made;
		made = NULL;
		if (git_commit_lookup(&prev, repo, &id) < 0) {
			ms_state_git_fail("reading a replayed commit");
			goto done;
		}
		json_decref(names);
		names = NULL;
		git_treebuilder_free(tb);
		tb = NULL;
		git_tree_free(t);
		git_tree_free(p);
		t = p = NULL;
		git_commit_free(c);
		c = NULL;
	}
	git_oid_cpy(out, git_commit_id(prev));
	rc = 0;
done:
	json_decref(names);
	git_treebuilder_free(tb);
	git_tree_free(made);
	git_tree_free(t);
	git_tree_free(p);
	git_tree_free(base);
	git_commit_free(c);
	git_commit_free(prev);
	return rc;
}

/* "abc1234 ("apply demo: +1 ~0 -0", bob, 2026-...)" for a message. */
static char *describe(git_repository *repo, const char *hex)
{
	git_commit *c = NULL;
	git_oid id;
	char when[32], *out;

	if (git_oid_fromstr(&id, hex) < 0 ||
	    git_commit_lookup(&c, repo, &id) < 0) {
		git_error_clear();
		return ms_strndup(hex, 7);
	}
	ms_state_format_time(when, (time_t)git_commit_author(c)->when.time);
	out = ms_asprintf("%.7s \"%s\" by %s at %s", hex,
			  git_commit_summary(c) ? git_commit_summary(c) : "",
			  git_commit_author(c)->name, when);
	git_commit_free(c);
	return out;
}

/*
 * Both sides moved: put the local commits on top when they changed
 * other stacks than the remote's did, else refuse with what to do.
 */
static int reconcile(struct conn *c, struct ms_state_sync *sync,
		     git_commit *local, git_commit *remote)
{
	struct ms_state *st = c->st;
	json_t *mine = NULL, *mine_names = NULL, *theirs = NULL,
	       *their_names = NULL;
	git_commit *head = NULL;
	char *both = NULL, *l = NULL, *r = NULL;
	bool merges1, merges2;
	git_oid id;
	int rc = -1;

	if (side(&mine, &mine_names, &merges1, st->repo, git_commit_id(local),
		 git_commit_id(remote)) ||
	    side(&theirs, &their_names, &merges2, st->repo,
		 git_commit_id(remote), git_commit_id(local)))
		goto done;
	both = clashes(mine_names, their_names, local, remote);
	if (both || merges1) {
		l = describe(st->repo,
			     json_string_value(json_array_get(
				     mine, json_array_size(mine) - 1)));
		r = describe(st->repo,
			     json_string_value(json_array_get(
				     theirs, json_array_size(theirs) - 1)));
		ms_error("state: the local state and the remote's (%s) have "
			 "diverged (%s%s); the local branch has %zu commit(s) "
			 "the remote lacks (newest %s), the remote %zu the "
			 "local lacks (newest %s); nothing was changed. See "
			 "both with git -C %s log --stat %s...%s%s, keep the "
			 "remote's with git -C %s reset --hard %s%s, or keep "
			 "the local ones with git -C %s push --force <remote> "
			 "%s",
			 st->remote_shown,
			 both ? "both changed " : "local merge commits",
			 both ? both : "", json_array_size(mine), l,
			 json_array_size(theirs), r, st->dir,
			 c->branch_ref + 11, TRACKING_REFS, c->branch_ref + 11,
			 st->dir, TRACKING_REFS, c->branch_ref + 11, st->dir,
			 c->branch_ref + 11);
		goto done;
	}
	if (replay(&id, st->repo, mine, remote) ||
	    git_commit_lookup(&head, st->repo, &id) < 0 ||
	    fast_forward(st, c->branch_ref, local, head))
		goto done;
	sync->kind = MS_SYNC_REPLAYED;
	sync->pulled = json_array_size(theirs);
	sync->ahead = json_array_size(mine);
	rc = 0;
done:
	if (rc && !*ms_error_last())
		ms_state_git_fail("replaying the local commits");
	git_commit_free(head);
	json_decref(mine);
	json_decref(mine_names);
	json_decref(theirs);
	json_decref(their_names);
	free(both);
	free(l);
	free(r);
	return rc;
}

/* refs/mlstack/remote/<branch>: where the remote's branch was seen. */
static void note_tracking(struct conn *c)
{
	git_reference *ref = NULL;
	char *name = ms_asprintf(TRACKING_REFS "%s", c->branch_ref + 11);

	if (c->has_branch)
		git_reference_create(&ref, c->st->repo, name, &c->branch, 1,
				     "mlstack: fetch");
	else if (!git_reference_lookup(&ref, c->st->repo, name))
		git_reference_delete(ref);
	git_error_clear();
	git_reference_free(ref);
	free(name);
}

int ms_state_pull(struct ms_state *st, struct ms_state_sync *out)
{
	struct ms_state_sync sync = { MS_SYNC_EMPTY, 0, 0, "", NULL };
	struct conn c;
	git_commit *local = NULL, *remote = NULL, *now = NULL, *lock = NULL;
	int rc = -1, fd = -1;

	if (st->snapshot)
		return ms_error("state '%s': read from the last commit while "
				"another process holds the lock; not pulled",
				st->stack);
	if (conn_init(&c, st) || conn_connect(&c, GIT_DIRECTION_FETCH) ||
	    conn_fetch(&c))
		goto done;
	git_remote_disconnect(c.remote);
	note_tracking(&c);
	json_decref(st->remote_lock_pulled);
	st->remote_lock_pulled = NULL;
	if (c.has_lock &&
	    !(st->remote_locked && git_oid_equal(&c.lock, &st->remote_lock))) {
		if (git_commit_lookup(&lock, st->repo, &c.lock) < 0) {
			git_error_clear();
			st->remote_lock_pulled = json_object();
		} else {
			st->remote_lock_pulled = lock_body(lock);
		}
		sync.locked_by = st->remote_lock_pulled;
	}
	if ((fd = ms_state_commit_lock(st)) < 0 ||
	    ms_state_head_commit(&local, st->repo) < 0)
		goto done;
	if (c.has_branch &&
	    git_commit_lookup(&remote, st->repo, &c.branch) < 0) {
		remote_fail(&c, "reading its head commit");
		goto done;
	}
	if (!remote) {
		sync.kind = local ? MS_SYNC_AHEAD : MS_SYNC_EMPTY;
		if (local && count_commits(&sync.ahead, st->repo,
					   git_commit_id(local), NULL))
			goto done;
	} else if (!local) {
		if (fast_forward(st, c.branch_ref, NULL, remote) ||
		    count_commits(&sync.pulled, st->repo, &c.branch, NULL))
			goto done;
		sync.kind = MS_SYNC_PULLED;
	} else if (git_oid_equal(git_commit_id(local), &c.branch)) {
		sync.kind = MS_SYNC_CURRENT;
	} else if (git_graph_descendant_of(st->repo, &c.branch,
					   git_commit_id(local)) == 1) {
		if (count_commits(&sync.pulled, st->repo, &c.branch,
				  git_commit_id(local)) ||
		    fast_forward(st, c.branch_ref, local, remote))
			goto done;
		sync.kind = MS_SYNC_PULLED;
	} else if (git_graph_descendant_of(st->repo, git_commit_id(local),
					   &c.branch) == 1) {
		sync.kind = MS_SYNC_AHEAD;
		if (count_commits(&sync.ahead, st->repo, git_commit_id(local),
				  &c.branch))
			goto done;
	} else if (reconcile(&c, &sync, local, remote)) {
		goto done;
	}
	st->remote_seen = true;
	st->remote_has_branch = c.has_branch;
	if (c.has_branch)
		git_oid_cpy(&st->remote_branch, &c.branch);
	if (ms_state_head_commit(&now, st->repo) < 0)
		goto done;
	if (now)
		git_oid_tostr(sync.head, sizeof(sync.head), git_commit_id(now));
	rc = 0;
done:
	if (fd >= 0)
		close(fd);
	git_commit_free(lock);
	git_commit_free(now);
	git_commit_free(local);
	git_commit_free(remote);
	conn_release(&c);
	if (!rc && out)
		*out = sync;
	return rc;
}

/* ---- push -------------------------------------------------------------- */

int ms_state_push(struct ms_state *st, struct ms_state_sync *out)
{
	struct ms_state_sync sync = { MS_SYNC_EMPTY, 0, 0, "", NULL };
	struct conn c;
	git_commit *local = NULL;
	const git_oid *expect;
	bool has;
	git_oid seen;
	int rc = -1, err;

	if (conn_init(&c, st) || ms_state_head_commit(&local, st->repo) < 0)
		goto done;
	if (!local) {
		rc = 0; /* nothing committed: nothing to send */
		goto done;
	}
	git_oid_tostr(sync.head, sizeof(sync.head), git_commit_id(local));
	if (conn_connect(&c, GIT_DIRECTION_PUSH))
		goto done;
	has = st->remote_seen ? st->remote_has_branch : c.has_branch;
	git_oid_cpy(&seen, st->remote_seen ? &st->remote_branch : &c.branch);
	expect = has ? &seen : NULL;
	if (has != c.has_branch || (has && !git_oid_equal(&seen, &c.branch)))
		goto lost;
	if (has && git_oid_equal(&seen, git_commit_id(local))) {
		sync.kind = MS_SYNC_CURRENT;
		rc = 0;
		goto done;
	}
	if (has && (!have_object(st->repo, &seen) ||
		    git_graph_descendant_of(st->repo, git_commit_id(local),
					    &seen) != 1)) {
		rc = ms_error_code(
			MS_ESTALE,
			"state: push to %s refused: the remote's %s has "
			"commits the local state does not; nothing was sent: "
			"run 'mlstack state pull' first",
			st->remote_shown, c.branch_ref + 11);
		goto done;
	}
	if (count_commits(&sync.ahead, st->repo, git_commit_id(local), expect))
		goto done;
	err = conn_update(&c, c.branch_ref, git_commit_id(local), expect);
	if (err == MS_ELOCKED)
		goto busy;
	if (err == MS_ESTALE)
		goto lost;
	if (err)
		goto done;
	sync.kind = MS_SYNC_PUSHED;
	st->remote_seen = true;
	st->remote_has_branch = true;
	git_oid_cpy(&st->remote_branch, git_commit_id(local));
	c.has_branch = true;
	git_oid_cpy(&c.branch, git_commit_id(local));
	note_tracking(&c);
	rc = 0;
	goto done;
lost:
	rc = ms_error_code(MS_ESTALE,
			   "state: push to %s refused: its %s moved since "
			   "this run pulled it (someone else pushed); nothing "
			   "is lost: the local commit %.7s stays in %s. Run "
			   "'mlstack state pull', then apply again or run "
			   "'mlstack state push'",
			   st->remote_shown, c.branch_ref + 11, sync.head,
			   st->dir);
	goto done;
busy:
	rc = ms_error_code(MS_ESTALE,
			   "state: push to %s refused: its %s is being "
			   "updated by another push at this moment; nothing is "
			   "lost: the local commit %.7s stays in %s. Run "
			   "'mlstack state push' again",
			   st->remote_shown, c.branch_ref + 11, sync.head,
			   st->dir);
done:
	git_commit_free(local);
	conn_release(&c);
	if (!rc && out)
		*out = sync;
	return rc;
}

/* ---- the remote lock ---------------------------------------------------- */

/* The JSON of a lock commit's message (after its first blank line). */
static json_t *lock_body(git_commit *c)
{
	const char *msg = git_commit_message(c), *body;
	json_t *v;

	body = msg ? strstr(msg, "\n\n") : NULL;
	v = body ? json_loads(body + 2, 0, NULL) : NULL;
	if (!json_is_object(v)) {
		json_decref(v);
		v = json_object();
	}
	return v;
}

int ms_state_remote_lock_info(struct ms_state *st, json_t **out)
{
	struct conn c;
	git_commit *lock = NULL;
	int rc = -1;

	*out = NULL;
	if (conn_init(&c, st) || conn_connect(&c, GIT_DIRECTION_FETCH))
		goto done;
	if (!c.has_lock) {
		rc = ms_error_code(MS_ENOTFOUND,
				   "state '%s' is not locked on the remote",
				   st->stack);
		goto done;
	}
	if (conn_fetch(&c))
		goto done;
	if (git_commit_lookup(&lock, st->repo, &c.lock) < 0) {
		/* not a commit: an unknown holder, as a corrupt lock file */
		git_error_clear();
		*out = json_object();
	} else {
		*out = lock_body(lock);
	}
	st->remote_lock_read = true;
	git_oid_cpy(&st->remote_lock_seen, &c.lock);
	rc = 0;
done:
	git_commit_free(lock);
	conn_release(&c);
	return rc;
}

/* MS_ELOCKED naming who holds the remote lock (after a refusal). */
static int locked_error(struct ms_state *st, const char *refusal)
{
	const char *holder, *op, *since;
	json_t *info = NULL, *pid;
	int rc, tries;

	/* the winner may not have finished writing it when we look */
	for (tries = 0;; tries++) {
		rc = ms_state_remote_lock_info(st, &info);
		if (rc != MS_ENOTFOUND || tries == 5)
			break;
		ms_sleep(0.05);
	}
	if (rc == MS_ENOTFOUND)
		return ms_error_code(MS_ELOCKED,
				     "state '%s': the remote %s refused the "
				     "lock (%s), and no one holds it now: try "
				     "again",
				     st->stack, st->remote_shown, refusal);
	if (rc < 0)
		return ms_error_code(MS_ELOCKED, "%s", ms_error_last());
	holder = json_string_value(json_object_get(info, "holder"));
	pid = json_object_get(info, "pid");
	op = json_string_value(json_object_get(info, "operation"));
	since = json_string_value(json_object_get(info, "time"));
	if (!holder || !json_is_integer(pid))
		rc = ms_error_code(MS_ELOCKED,
				   "state '%s' is locked on the remote %s by "
				   "an unknown holder (its lock is not "
				   "mlstack's); run 'mlstack force-unlock' if "
				   "no one is using it",
				   st->stack, st->remote_shown);
	else
		rc = ms_error_code(MS_ELOCKED,
				   "state '%s' is locked on the remote %s by "
				   "%s (pid %lld, %s since %s); run 'mlstack "
				   "force-unlock' if that process is gone",
				   st->stack, st->remote_shown, holder,
				   (long long)json_integer_value(pid),
				   op ? op : "unknown operation",
				   since ? since : "an unknown time");
	json_decref(info);
	return rc;
}

/* A commit of the empty tree whose message holds the lock's JSON. */
static int lock_commit(git_oid *out, struct ms_state *st, const char *operation)
{
	json_t *info = ms_state_lock_new(operation);
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	char *body = info ? ms_state_dump_json(info) : NULL, *msg = NULL;
	git_oid tree_id;
	int rc = -1;

	if (!body) {
		ms_error("state '%s': cannot encode the lock", st->stack);
		goto done;
	}
	msg = ms_asprintf("lock %s: %s by %s\n\n%s", st->stack,
			  json_string_value(json_object_get(info, "operation")),
			  json_string_value(json_object_get(info, "holder")),
			  body);
	if (ms_state_signature(&sig, st->repo) < 0)
		goto done;
	if (git_treebuilder_new(&tb, st->repo, NULL) < 0 ||
	    git_treebuilder_write(&tree_id, tb) < 0 ||
	    git_tree_lookup(&tree, st->repo, &tree_id) < 0 ||
	    git_commit_create(out, st->repo, NULL, sig, sig, NULL, msg, tree, 0,
			      NULL) < 0) {
		ms_state_git_fail("making the lock of '%s'", st->stack);
		goto done;
	}
	rc = 0;
done:
	git_tree_free(tree);
	git_treebuilder_free(tb);
	git_signature_free(sig);
	json_decref(info);
	free(body);
	free(msg);
	return rc;
}

static void drop_local_ref(struct ms_state *st, const char *name)
{
	git_reference *ref = NULL;

	if (!git_reference_lookup(&ref, st->repo, name))
		git_reference_delete(ref);
	git_reference_free(ref);
	git_error_clear();
}

int ms_state_remote_lock(struct ms_state *st, const char *operation)
{
	struct conn c;
	git_reference *ref = NULL;
	git_oid id;
	int rc = -1, err;
	char *why = NULL;

	if (st->remote_locked && st->remote_lock_pid == getpid())
		return ms_error("state '%s': already locked on the remote by "
				"this process",
				st->stack);
	if (conn_init(&c, st) || lock_commit(&id, st, operation))
		goto done;
	/* the ref a push sends must exist here too */
	if (git_reference_create(&ref, st->repo, c.lock_ref, &id, 1,
				 "mlstack: lock") < 0) {
		ms_state_git_fail("making the lock of '%s'", st->stack);
		goto done;
	}
	if (conn_connect(&c, GIT_DIRECTION_PUSH))
		goto done;
	if (c.has_lock) {
		conn_release(&c);
		rc = locked_error(st, "it is held");
		goto done;
	}
	err = conn_update(&c, c.lock_ref, &id, NULL);
	if (err == MS_ESTALE || err == MS_ELOCKED) {
		why = ms_strdup(ms_error_last());
		conn_release(&c);
		rc = locked_error(st, why);
		goto done;
	}
	if (err)
		goto done;
	st->remote_locked = true;
	st->remote_lock_pid = getpid();
	git_oid_cpy(&st->remote_lock, &id);
	rc = 0;
done:
	if (rc && ref)
		drop_local_ref(st, git_reference_name(ref));
	git_reference_free(ref);
	conn_release(&c);
	free(why);
	return rc;
}

int ms_state_remote_unlock(struct ms_state *st)
{
	struct conn c;
	int rc = -1, err;

	if (!st || !st->remote_locked || st->remote_lock_pid != getpid())
		return 0;
	st->remote_locked = false;
	if (conn_init(&c, st) || conn_connect(&c, GIT_DIRECTION_PUSH))
		goto done;
	if (!c.has_lock) {
		rc = 0; /* force-unlocked behind our back */
		goto done;
	}
	err = git_oid_equal(&c.lock, &st->remote_lock) ?
		      conn_update(&c, c.lock_ref, NULL, &st->remote_lock) :
		      MS_ESTALE;
	if (err == MS_ESTALE || err == MS_ELOCKED)
		rc = ms_error("state '%s': the remote lock was broken and "
			      "taken by someone else; left in place",
			      st->stack);
	else
		rc = err;
done:
	if (c.lock_ref)
		drop_local_ref(st, c.lock_ref);
	conn_release(&c);
	return rc;
}

void ms_state_remote_release(struct ms_state *st)
{
	if (ms_state_remote_unlock(st))
		ms_log(MS_LOG_ERROR, "state", "%s", ms_error_last());
}

int ms_state_remote_force_unlock(struct ms_state *st)
{
	struct conn c;
	json_t *info = NULL;
	int rc = -1, err;

	if (!st->remote_lock_read) {
		rc = ms_state_remote_lock_info(st, &info);
		json_decref(info);
		if (rc)
			return rc;
	}
	if (conn_init(&c, st) || conn_connect(&c, GIT_DIRECTION_PUSH))
		goto done;
	if (!c.has_lock) {
		rc = ms_error_code(MS_ENOTFOUND,
				   "state '%s' is not locked on the remote",
				   st->stack);
		goto done;
	}
	err = git_oid_equal(&c.lock, &st->remote_lock_seen) ?
		      conn_update(&c, c.lock_ref, NULL, &st->remote_lock_seen) :
		      MS_ESTALE;
	if (err == MS_ESTALE || err == MS_ELOCKED) {
		rc = ms_error("state '%s': the remote lock changed hands since "
			      "it was read; run force-unlock again to see who "
			      "holds it now",
			      st->stack);
		goto done;
	}
	if (err)
		goto done;
	if (st->remote_locked &&
	    git_oid_equal(&st->remote_lock, &st->remote_lock_seen))
		st->remote_locked = false;
	st->remote_lock_read = false;
	rc = 0;
done:
	conn_release(&c);
	return rc;
}
