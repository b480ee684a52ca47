/*
 * credentials.c - where credentials and the region come from, the way
 * every AWS SDK finds them: environment, shared credentials file,
 * credential_process, config file.
 *
 * Secrets live only in memory: every buffer that held one (file contents,
 * the process's output, the parsed JSON's strings) is wiped with
 * OPENSSL_cleanse before it is freed, and no message ever quotes a value
 * read from those places.
 */
#include "util/common.h"
#include "providers/aws/internal.h"

#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/crypto.h>

#define MAX_FILE_SIZE      (1u << 20)
#define MAX_PROCESS_OUTPUT (64u << 10)

static void wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

static void wipe_buf(struct ms_buf *b)
{
	if (b->alloc)
		OPENSSL_cleanse(b->ptr, b->alloc);
	ms_buf_release(b);
}

void ms_aws_credentials_release(struct ms_aws_credentials *c)
{
	if (!c)
		return;
	wipe_free(c->access_key_id);
	wipe_free(c->secret_access_key);
	wipe_free(c->session_token);
	free(c->source);
	memset(c, 0, sizeof(*c));
}

/* $HOME, else the password database; NULL when neither says. */
static char *home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (h && *h)
		return ms_strdup(h);
	if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res &&
	    res->pw_dir && *res->pw_dir)
		return ms_strdup(res->pw_dir);
	return NULL;
}

/* The file named by env (with "~/" expanded), else ~/<def>. */
static char *file_path(const char *env, const char *def)
{
	const char *v = getenv(env);
	char *home = NULL, *path;

	if (v && *v && strncmp(v, "~/", 2))
		return ms_strdup(v);
	home = home_dir();
	if (v && *v)
		path = ms_asprintf("%s/%s", home ? home : "~", v + 2);
	else
		path = ms_asprintf("%s/%s", home ? home : "~", def);
	free(home);
	return path;
}

/* One section of an INI file: keys lower-cased, values trimmed. */
struct ini_kv {
	char *key;
	char *value;
};

struct ini_section {
	struct ini_kv *kv;
	size_t n, alloc;
	int file_found;
	int section_found;
};

static void ini_release(struct ini_section *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->kv[i].key);
		wipe_free(s->kv[i].value);
	}
	free(s->kv);
	memset(s, 0, sizeof(*s));
}

static const char *ini_get(const struct ini_section *s, const char *key)
{
	size_t i;

	/* the last assignment wins, as a repeated section merges */
	for (i = s->n; i-- > 0;)
		if (!strcmp(s->kv[i].key, key))
			return s->kv[i].value;
	return NULL;
}

static void ini_set(struct ini_section *s, const char *key, size_t klen,
		    const char *value, size_t vlen)
{
	size_t i;

	if (s->n == s->alloc) {
		s->alloc = s->alloc ? s->alloc * 2 : 16;
		s->kv = ms_realloc(s->kv, s->alloc * sizeof(*s->kv));
	}
	s->kv[s->n].key = ms_strndup(key, klen);
	for (i = 0; i < klen; i++)
		if (s->kv[s->n].key[i] >= 'A' && s->kv[s->n].key[i] <= 'Z')
			s->kv[s->n].key[i] += 'a' - 'A';
	s->kv[s->n].value = ms_strndup(value, vlen);
	s->n++;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static void trim(const char **s, const char **e)
{
	while (*s < *e && is_blank(**s))
		(*s)++;
	while (*e > *s && is_blank((*e)[-1]))
		(*e)--;
}

/*
 * Does the header "[...]" (inner text s..e) name profile? In the config
 * file a profile is "[profile NAME]", the default one also "[default]";
 * in the credentials file it is "[NAME]".
 */
static int section_matches(const char *s, const char *e, const char *profile,
			   int config)
{
	size_t plen = strlen(profile);

	trim(&s, &e);
	if (config && (size_t)(e - s) > 8 && !strncmp(s, "profile", 7) &&
	    is_blank(s[7])) {
		s += 8;
		trim(&s, &e);
		return (size_t)(e - s) == plen && !strncmp(s, profile, plen);
	}
	if (config && strcmp(profile, "default"))
		return 0;
	return (size_t)(e - s) == plen && !strncmp(s, profile, plen);
}

static int read_file(struct ms_buf *out, const char *path, int *found)
{
	char chunk[4096];
	ssize_t n;
	int fd, err = 0;

	*found = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return ms_error("%s: %s", path, strerror(errno));
	}
	*found = 1;
	out->cap = MAX_FILE_SIZE;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = ms_error("%s: %s", path, strerror(errno));
			break;
		}
		if (!n)
			break;
		if (ms_buf_add(out, chunk, (size_t)n) < 0) {
			err = ms_error("%s: larger than %u bytes", path,
				       MAX_FILE_SIZE);
			break;
		}
	}
	OPENSSL_cleanse(chunk, sizeof(chunk));
	close(fd);
	return err;
}

/*
 * Load profile's section of an INI file. A missing file is no error.
 * Comments start a line with '#' or ';'; indented lines are nested
 * sub-settings ("s3 =\n  addressing_style = path") and are skipped.
 */
static int ini_load(struct ini_section *out, const char *path,
		    const char *profile, int config)
{
	struct ms_buf text = MS_BUF_INIT;
	const char *p, *end;
	int in_section = 0, err;

	memset(out, 0, sizeof(*out));
	err = read_file(&text, path, &out->file_found);
	if (err || !out->file_found)
		goto done;
	p = text.ptr;
	end = text.ptr + text.len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *s = p, *e = eol ? eol : end, *eq;

		p = eol ? eol + 1 : end;
		if (s < e && is_blank(*s))
			continue; /* nested value */
		trim(&s, &e);
		if (s == e || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			const char *close = memchr(s, ']', (size_t)(e - s));

			in_section = close && section_matches(s + 1, close,
							      profile, config);
			if (in_section)
				out->section_found = 1;
			continue;
		}
		if (!in_section)
			continue;
		eq = memchr(s, '=', (size_t)(e - s));
		if (!eq)
			continue;
		{
			const char *ks = s, *ke = eq, *vs = eq + 1, *ve = e;

			trim(&ks, &ke);
			trim(&vs, &ve);
			if (ks < ke)
				ini_set(out, ks, (size_t)(ke - ks), vs,
					(size_t)(ve - vs));
		}
	}
done:
	wipe_buf(&text);
	return err;
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/* Fill out from a section's aws_access_key_id & co; 1 if it had them. */
static int from_section(struct ms_aws_credentials *out,
			const struct ini_section *s, const char *label,
			int *partial)
{
	const char *ak = nonempty(ini_get(s, "aws_access_key_id"));
	const char *sk = nonempty(ini_get(s, "aws_secret_access_key"));
	const char *tok = nonempty(ini_get(s, "aws_session_token"));

	if (!tok)
		tok = nonempty(ini_get(s, "aws_security_token"));
	*partial = !ak != !sk;
	if (!ak || !sk)
		return 0;
	out->access_key_id = ms_strdup(ak);
	out->secret_access_key = ms_strdup(sk);
	out->session_token = tok ? ms_strdup(tok) : NULL;
	out->source = ms_strdup(label);
	return 1;
}

static char *config_label(const char *path, const char *profile)
{
	if (!strcmp(profile, "default"))
		return ms_asprintf("%s [default]", path);
	return ms_asprintf("%s [profile %s]", path, profile);
}

int ms_aws_credentials_resolve(struct ms_aws_credentials *out)
{
	const char *env_profile = nonempty(getenv("AWS_PROFILE"));
	const char *profile = env_profile ? env_profile : "default";
	const char *ak = nonempty(getenv("AWS_ACCESS_KEY_ID"));
	const char *sk = nonempty(getenv("AWS_SECRET_ACCESS_KEY"));
	const char *tok, *proc;
	char *cred_path = NULL, *cfg_path = NULL, *cred_label = NULL,
	     *cfg_label = NULL;
	struct ini_section cred, cfg;
	int err = 0, partial = 0;

	memset(out, 0, sizeof(*out));
	memset(&cred, 0, sizeof(cred));
	memset(&cfg, 0, sizeof(cfg));

	if (ak && sk) {
		tok = nonempty(getenv("AWS_SESSION_TOKEN"));
		if (!tok)
			tok = nonempty(getenv("AWS_SECURITY_TOKEN"));
		out->access_key_id = ms_strdup(ak);
		out->secret_access_key = ms_strdup(sk);
		out->session_token = tok ? ms_strdup(tok) : NULL;
		out->source = ms_strdup("environment");
		return 0;
	}
	if (ak || sk)
		return ms_error(
			"AWS credentials in the environment are "
			"incomplete: %s is set but %s is not",
			ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
			ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");

	cred_path =
		file_path("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
	cfg_path = file_path("AWS_CONFIG_FILE", ".aws/config");
	cred_label = ms_asprintf("%s [%s]", cred_path, profile);
	cfg_label = config_label(cfg_path, profile);
	err = ini_load(&cred, cred_path, profile, 0);
	if (!err)
		err = ini_load(&cfg, cfg_path, profile, 1);
	if (err)
		goto done;

	if (from_section(out, &cred, cred_label, &partial))
		goto done;
	if (partial) {
		err = ms_error("%s: aws_access_key_id and "
			       "aws_secret_access_key must be set together",
			       cred_label);
		goto done;
	}
	proc = nonempty(ini_get(&cred, "credential_process"));
	if (!proc)
		proc = nonempty(ini_get(&cfg, "credential_process"));
	if (proc) {
		err = ms_aws_credential_process(out, proc, profile);
		goto done;
	}
	if (from_section(out, &cfg, cfg_label, &partial))
		goto done;
	if (partial) {
		err = ms_error("%s: aws_access_key_id and "
			       "aws_secret_access_key must be set together",
			       cfg_label);
		goto done;
	}
	if (env_profile && !cred.section_found && !cfg.section_found) {
		err = ms_error("AWS profile '%s' not found (looked in: %s, %s)",
			       profile, cred_label, cfg_label);
		goto done;
	}
	if (ini_get(&cfg, "role_arn") || ini_get(&cfg, "sso_session") ||
	    ini_get(&cfg, "sso_start_url") ||
	    ini_get(&cfg, "web_identity_token_file")) {
		err = ms_error("AWS profile '%s' (%s) uses role_arn, SSO or "
			       "web identity, which mlstack does not support; "
			       "use credential_process (for example "
			       "\"aws configure export-credentials --profile "
			       "%s --format process\") or export the keys",
			       profile, cfg_label, profile);
		goto done;
	}
	err = ms_error("no AWS credentials found (looked in: environment "
		       "AWS_ACCESS_KEY_ID, %s, %s)",
		       cred_label, cfg_label);
done:
	if (err)
		ms_aws_credentials_release(out);
	ini_release(&cred);
	ini_release(&cfg);
	free(cred_path);
	free(cfg_path);
	free(cred_label);
	free(cfg_label);
	return err;
}

extern char **environ;

/* Wipe a parsed JSON string in place before it is freed. */
static void wipe_json_string(json_t *v)
{
	if (json_is_string(v))
		OPENSSL_cleanse((char *)json_string_value(v),
				json_string_length(v));
}

int ms_aws_credential_process(struct ms_aws_credentials *out,
			      const char *command, const char *profile)
{
	char *argv[] = { "sh", "-c", (char *)command, NULL };
	posix_spawn_file_actions_t fa;
	struct ms_buf output = MS_BUF_INIT;
	int pipefd[2] = { -1, -1 }, status = 0, err = 0, too_big = 0;
	json_t *doc = NULL, *v;
	const char *ak, *sk, *tok;
	char chunk[4096];
	pid_t pid;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return ms_error("credential_process: pipe: %s",
				strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	err = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (err) {
		close(pipefd[0]);
		return ms_error("AWS profile '%s': cannot run credential_"
				"process: %s",
				profile, strerror(err));
	}
	output.cap = MAX_PROCESS_OUTPUT;
	for (;;) {
		n = read(pipefd[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (ms_buf_add(&output, chunk, (size_t)n) < 0)
			too_big = 1; /* keep draining so the child can exit */
	}
	OPENSSL_cleanse(chunk, sizeof(chunk));
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		err = ms_error("AWS profile '%s': credential_process failed "
			       "(%s %d)",
			       profile,
			       WIFEXITED(status) ? "exit status" : "signal",
			       WIFEXITED(status) ? WEXITSTATUS(status) :
						   WTERMSIG(status));
		goto done;
	}
	if (too_big) {
		err = ms_error("AWS profile '%s': credential_process printed "
			       "more than %u bytes",
			       profile, MAX_PROCESS_OUTPUT);
		goto done;
	}
	doc = json_loadb(output.ptr, output.len, 0, NULL);
	if (!json_is_object(doc)) {
		err = ms_error("AWS profile '%s': credential_process did not "
			       "print a JSON object",
			       profile);
		goto done;
	}
	v = json_object_get(doc, "Version");
	if (!json_is_integer(v) || json_integer_value(v) != 1) {
		err = ms_error("AWS profile '%s': credential_process output "
			       "has no \"Version\": 1",
			       profile);
		goto done;
	}
	ak = json_string_value(json_object_get(doc, "AccessKeyId"));
	sk = json_string_value(json_object_get(doc, "SecretAccessKey"));
	tok = json_string_value(json_object_get(doc, "SessionToken"));
	if (!nonempty(ak) || !nonempty(sk)) {
		err = ms_error("AWS profile '%s': credential_process output "
			       "lacks AccessKeyId or SecretAccessKey",
			       profile);
		goto done;
	}
	out->access_key_id = ms_strdup(ak);
	out->secret_access_key = ms_strdup(sk);
	out->session_token = nonempty(tok) ? ms_strdup(tok) : NULL;
	out->source =
		ms_asprintf("credential_process of profile '%s'", profile);
done:
	if (doc) {
		const char *key;

		json_object_foreach(doc, key, v)
			wipe_json_string(v);
		json_decref(doc);
	}
	wipe_buf(&output);
	if (err)
		ms_aws_credentials_release(out);
	return err;
}

static int valid_region(const char *r)
{
	size_t n = 0;

	for (; r[n]; n++)
		if (!((r[n] >= 'a' && r[n] <= 'z') ||
		      (r[n] >= '0' && r[n] <= '9') || r[n] == '-'))
			return 0;
	return n > 0 && n <= 64;
}

int ms_aws_region_resolve(char **out, const char *explicit_region)
{
	const char *env_profile = nonempty(getenv("AWS_PROFILE"));
	const char *profile = env_profile ? env_profile : "default";
	const char *r = NULL, *from = NULL;
	char *cfg_path = NULL, *label = NULL;
	struct ini_section cfg;
	int err = 0;

	*out = NULL;
	memset(&cfg, 0, sizeof(cfg));
	if (nonempty(explicit_region)) {
		r = explicit_region;
		from = "the stack";
	} else if (nonempty(getenv("AWS_REGION"))) {
		r = getenv("AWS_REGION");
		from = "AWS_REGION";
	} else if (nonempty(getenv("AWS_DEFAULT_REGION"))) {
		r = getenv("AWS_DEFAULT_REGION");
		from = "AWS_DEFAULT_REGION";
	} else {
		cfg_path = file_path("AWS_CONFIG_FILE", ".aws/config");
		label = config_label(cfg_path, profile);
		err = ini_load(&cfg, cfg_path, profile, 1);
		if (err)
			goto done;
		r = nonempty(ini_get(&cfg, "region"));
		from = label;
	}
	if (!r)
		goto done;
	if (!valid_region(r)) {
		err = ms_error("region '%s' (from %s) is not a region name", r,
			       from);
		goto done;
	}
	*out = ms_strdup(r);
done:
	ini_release(&cfg);
	free(cfg_path);
	free(label);
	return err;
}
