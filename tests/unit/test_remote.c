/*
 * test_remote.c - what the state remote checks before it talks to one:
 * URLs (which are accepted, how credentials are taken out of messages)
 * and SSH host keys against known_hosts.
 *
 * The known_hosts lines were made with OpenSSH (ssh-keygen -t ed25519,
 * ssh-keygen -H for the hashed ones), so the hashing is checked against
 * OpenSSH's, not against this code's idea of it.
 *
 * And the lock ref itself, where two holders could meet: processes that
 * all try to take it at the same moment, each from its own clone, of
 * which exactly one may win. They are released together, so each sees
 * no lock when it looks and only the swap on the remote can refuse it.
 */
#include "util/common.h"
#include "state/known_hosts.h"
#include "state/state.h"

#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <git2.h>
#include <openssl/evp.h>

/* two ed25519 public keys, as known_hosts holds them (base64) */
#define K1 "AAAAC3NzaC1lZDI1NTE5AAAAIDvFCUndkr+0+JqncN9n+7J1LtqL0aqTsjQlmiO3DOT3"
#define K2 "AAAAC3NzaC1lZDI1NTE5AAAAIMjHFvtJ0SE/WYiD4eK6R1r9P4MJYGPCIoZb6gj4ah6i"
/* ssh-keygen -H of "git.example.com K1" and "[git.example.com]:2222 K1" */
#define HASHED_22 "|1|quQPyXIEkJMtB8B2NXtvkW98HqU=|Av0bLlRhpt++lT1qZS9Sep1nLyI="
#define HASHED_2222 \
	"|1|74meJWoISWJDVguI5bUIm6PKi1M=|MY9gLYxJjnNinS04gdXT8PDP8rM="

struct redact_case {
	const char *name, *url, *shown;
};

static const struct redact_case redact_cases[] = {
	{ "user and password", "https://alice:s3cret@git.example.com/x.git",
	  "https://git.example.com/x.git" },
	{ "token as user", "https://ghp_abc123@github.com/acme/state.git",
	  "https://github.com/acme/state.git" },
	{ "ssh user", "ssh://git@host:2222/srv/state.git",
	  "ssh://host:2222/srv/state.git" },
	{ "@ in the path", "https://host/a@b/state.git",
	  "https://host/a@b/state.git" },
	{ "@ in the password", "https://u:p@ss@host/x.git",
	  "https://host/x.git" },
	{ "scp-like left alone", "git@github.com:acme/state.git",
	  "git@github.com:acme/state.git" },
	{ "path", "/srv/state.git", "/srv/state.git" },
	{ "file", "file:///srv/state.git", "file:///srv/state.git" },
};

static void test_redact(void **unused)
{
	size_t i;
	char *s;

	(void)unused;
	for (i = 0; i < MS_ARRAY_SIZE(redact_cases); i++) {
		s = ms_state_redact_url(redact_cases[i].url);
		if (strcmp(s, redact_cases[i].shown))
			fail_msg("%s: got \"%s\"", redact_cases[i].name, s);
		free(s);
	}
}

struct url_case {
	const char *name, *url;
	bool in_file;
	const char *error; /* NULL: accepted; else part of the message */
};

static const struct url_case url_cases[] = {
	{ "path", "../state.git", false, NULL },
	{ "absolute path", "/srv/state.git", false, NULL },
	{ "file", "file:///srv/state.git", false, NULL },
	{ "file localhost", "file://localhost/srv/state.git", false, NULL },
	{ "ssh", "ssh://git@host:22/srv/state.git", false, NULL },
	{ "scp-like", "git@github.com:acme/state.git", false, NULL },
	{ "https", "https://github.com/acme/state.git", false, NULL },
	{ "git", "git://host/state.git", false, NULL },
	{ "password on the command line", "https://u:p@host/x.git", false,
	  NULL },
	{ "user in the file", "ssh://git@host/x.git", true, NULL },
	{ "password in the file", "https://u:p@host/x.git", true,
	  "do not write a password" },
	{ "empty", "", false, "empty" },
	{ "space", "/srv/my state.git", false, "space" },
	{ "ftp", "ftp://host/x.git", false, "unsupported URL scheme \"ftp\"" },
	{ "relative file", "file://state.git", false, "absolute path" },
	{ "no host", "https:///x.git", false, "names no host" },
	{ "scp without host", "git@:x.git", false, "user@host:path" },
	{ "scp without path", "myhost:", false, "user@host:path" },
};

static void test_check_url(void **unused)
{
	const struct url_case *c;
	size_t i;
	int rc;

	(void)unused;
	for (i = 0; i < MS_ARRAY_SIZE(url_cases); i++) {
		c = &url_cases[i];
		ms_error_clear();
		rc = ms_state_check_remote_url(c->url, c->in_file);
		if (!c->error && rc)
			fail_msg("%s: refused: %s", c->name, ms_error_last());
		if (c->error && !rc)
			fail_msg("%s: accepted", c->name);
		if (c->error && !strstr(ms_error_last(), c->error))
			fail_msg("%s: message \"%s\"", c->name,
				 ms_error_last());
		/* a message never quotes the URL, credentials and all */
		if (c->error && *c->url && strstr(ms_error_last(), c->url))
			fail_msg("%s: message quotes the URL", c->name);
	}
}

static void test_local_or_not(void **unused)
{
	(void)unused;
	assert_true(ms_state_remote_is_local("/srv/x.git"));
	assert_true(ms_state_remote_is_local("x.git"));
	assert_true(ms_state_remote_is_local("./a:b/x.git"));
	assert_true(ms_state_remote_is_local("file:///srv/x.git"));
	assert_false(ms_state_remote_is_local("host:x.git"));
	assert_false(ms_state_remote_is_local("git@host:x.git"));
	assert_false(ms_state_remote_is_local("https://host/x.git"));
	assert_false(ms_state_remote_is_local("git://host/x.git"));
}

/* The blob a server sends: the base64 of a known_hosts line, decoded. */
static unsigned char *blob(const char *b64, size_t *len)
{
	unsigned char *out = ms_malloc(strlen(b64));
	int n = EVP_DecodeBlock(out, (const unsigned char *)b64,
				(int)strlen(b64));

	assert_true(n > 0);
	*len = (size_t)n - (b64[strlen(b64) - 1] == '=');
	return out;
}

struct host_case {
	const char *name;
	const char *file; /* known_hosts text */
	const char *host;
	int port;
	const char *key; /* base64 */
	int want;
};

static const struct host_case host_cases[] = {
	{ "plain", "git.example.com ssh-ed25519 " K1 "\n", "git.example.com",
	  22, K1, 0 },
	{ "case of the name", "Git.Example.COM ssh-ed25519 " K1 "\n",
	  "git.example.com", 22, K1, 0 },
	{ "one of several names",
	  "other,git.example.com,10.0.0.7 ssh-ed25519 " K1 "\n",
	  "git.example.com", 22, K1, 0 },
	{ "other key", "git.example.com ssh-ed25519 " K1 "\n",
	  "git.example.com", 22, K2, MS_EEXISTS },
	{ "other host", "git.example.com ssh-ed25519 " K1 "\n",
	  "evil.example.com", 22, K1, MS_ENOTFOUND },
	{ "port needs brackets", "git.example.com ssh-ed25519 " K1 "\n",
	  "git.example.com", 2222, K1, MS_ENOTFOUND },
	{ "bracketed port", "[git.example.com]:2222 ssh-ed25519 " K1 "\n",
	  "git.example.com", 2222, K1, 0 },
	{ "wildcard", "*.example.com ssh-ed25519 " K1 "\n", "git.example.com",
	  22, K1, 0 },
	{ "negated", "*.example.com,!git.example.com ssh-ed25519 " K1 "\n",
	  "git.example.com", 22, K1, MS_ENOTFOUND },
	{ "hashed", HASHED_22 " ssh-ed25519 " K1 "\n", "git.example.com", 22,
	  K1, 0 },
	{ "hashed other host", HASHED_22 " ssh-ed25519 " K1 "\n",
	  "git.example.org", 22, K1, MS_ENOTFOUND },
	{ "hashed with port", HASHED_2222 " ssh-ed25519 " K1 "\n",
	  "git.example.com", 2222, K1, 0 },
	{ "hashed, other key", HASHED_22 " ssh-ed25519 " K1 "\n",
	  "git.example.com", 22, K2, MS_EEXISTS },
	{ "two keys, second matches",
	  "git.example.com ssh-ed25519 " K2 "\n"
	  "git.example.com ssh-ed25519 " K1 "\n",
	  "git.example.com", 22, K1, 0 },
	{ "revoked", "git.example.com ssh-ed25519 " K1 "\n"
		     "@revoked * ssh-ed25519 " K1 "\n",
	  "git.example.com", 22, K1, MS_EEXISTS },
	{ "cert authority skipped",
	  "@cert-authority *.example.com ssh-ed25519 " K1 "\n",
	  "git.example.com", 22, K1, MS_ENOTFOUND },
	{ "comments and junk", "# git.example.com ssh-ed25519 " K1 "\n\n"
			       "git.example.com\n"
			       "git.example.com ssh-ed25519 !!!\n",
	  "git.example.com", 22, K1, MS_ENOTFOUND },
};

static void test_known_hosts(void **unused)
{
	char path[] = "/tmp/mlstack-known-hosts-XXXXXX";
	const struct host_case *c;
	unsigned char *key;
	size_t i, len;
	FILE *f;
	int fd, rc;

	(void)unused;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	for (i = 0; i < MS_ARRAY_SIZE(host_cases); i++) {
		c = &host_cases[i];
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(c->file, f);
		fclose(f);
		key = blob(c->key, &len);
		rc = ms_known_hosts_check(path, c->host, c->port, key, len);
		free(key);
		if (rc != c->want)
			fail_msg("%s: got %d, want %d", c->name, rc, c->want);
	}
	unlink(path);
	key = blob(K1, &len);
	assert_int_equal(ms_known_hosts_check(path, "git.example.com", 22, key,
					      len),
			 MS_ENOTFOUND);
	free(key);
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/*
 * In a child: wait for the start (EOF on go), take the lock through a
 * clone of its own, hold it a moment. Exit 0: won; 1: refused as locked;
 * 2: anything else.
 */
static void contender(const char *tmp, int n, const char *remote, int go)
{
	struct ms_state *st = NULL;
	char *dir = ms_asprintf("%s/clone%d", tmp, n), c;
	int rc;

	if (ms_state_open(&st, dir, "demo") || ms_state_set_remote(st, remote))
		_exit(2);
	while (read(go, &c, 1) > 0)
		;
	rc = ms_state_remote_lock(st, "apply");
	if (!rc) {
		usleep(300 * 1000);
		/* released by free: a loser must not have taken it meanwhile */
		rc = ms_state_remote_unlock(st) ? 2 : 0;
		ms_state_free(st);
		_exit(rc);
	}
	if (rc != MS_ELOCKED)
		fprintf(stderr, "child %d: %s\n", n, ms_error_last());
	ms_state_free(st);
	_exit(rc == MS_ELOCKED ? 1 : 2);
}

#define CONTENDERS 4
#define ROUNDS     6

static void test_one_lock_holder(void **unused)
{
	char tmp[] = "/tmp/mlstack-remote-XXXXXX";
	char *bare, *url[2];
	git_repository *repo = NULL;
	pid_t pids[CONTENDERS];
	int round, i, status, won, go[2];

	(void)unused;
	assert_non_null(mkdtemp(tmp));
	bare = ms_asprintf("%s/remote.git", tmp);
	assert_int_equal(git_repository_init(&repo, bare, 1), 0);
	git_repository_free(repo);
	url[0] = bare;
	url[1] = ms_asprintf("file://%s", bare);
	for (round = 0; round < ROUNDS; round++) {
		assert_int_equal(pipe(go), 0);
		for (i = 0; i < CONTENDERS; i++) {
			pids[i] = fork();
			assert_true(pids[i] >= 0);
			if (!pids[i]) {
				close(go[1]);
				contender(tmp, round * CONTENDERS + i,
					  url[round % 2], go[0]);
			}
		}
		close(go[0]);
		usleep(100 * 1000); /* all opened and waiting */
		close(go[1]);
		won = 0;
		for (i = 0; i < CONTENDERS; i++) {
			assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
			assert_true(WIFEXITED(status));
			assert_int_not_equal(WEXITSTATUS(status), 2);
			won += WEXITSTATUS(status) == 0;
		}
		if (won != 1)
			fail_msg("round %d: %d holders at once", round, won);
	}
	free(url[1]);
	free(bare);
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_check_url),
		cmocka_unit_test(test_local_or_not),
		cmocka_unit_test(test_known_hosts),
		cmocka_unit_test(test_one_lock_holder),
	};
	int rc;

	git_libgit2_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return rc;
}
