/*
 * known_hosts.c - an SSH host key against OpenSSH's known_hosts format.
 *
 * Only what a client needs to say yes or no: host patterns (plain,
 * bracketed with a port, wildcards, negations, hashed) and the key blob.
 * A key is compared as bytes, so its type needs no parsing: the blob
 * names it.
 */
#include "util/common.h"
#include "state/known_hosts.h"

#include <ctype.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define LINE_MAX_LEN 16384

/* Decode base64 text (len bytes) into out; -1 when it is not base64. */
static int decode64(unsigned char **out, size_t *out_len, const char *text,
		    size_t len)
{
	unsigned char *buf;
	int n;
	size_t pad = 0;

	*out = NULL;
	if (!len || len % 4 || len > LINE_MAX_LEN)
		return -1;
	buf = ms_malloc(len / 4 * 3 + 1);
	n = EVP_DecodeBlock(buf, (const unsigned char *)text, (int)len);
	if (n < 0) {
		free(buf);
		return -1;
	}
	if (text[len - 1] == '=')
		pad++;
	if (len > 1 && text[len - 2] == '=')
		pad++;
	*out = buf;
	*out_len = (size_t)n - pad;
	return 0;
}

/* "|1|salt|hash": HMAC-SHA1 of name under salt is hash. */
static bool hashed_match(const char *pattern, size_t len, const char *name)
{
	const char *salt = pattern + 3, *bar;
	unsigned char *s = NULL, *h = NULL, md[EVP_MAX_MD_SIZE];
	size_t slen = 0, hlen = 0;
	unsigned int mdlen = 0;
	bool ok = false;

	bar = memchr(salt, '|', len - 3);
	if (!bar || decode64(&s, &slen, salt, (size_t)(bar - salt)) ||
	    decode64(&h, &hlen, bar + 1, len - (size_t)(bar + 1 - pattern)))
		goto done;
	if (!HMAC(EVP_sha1(), s, (int)slen, (const unsigned char *)name,
		  strlen(name), md, &mdlen))
		goto done;
	ok = hlen == mdlen && !memcmp(h, md, mdlen);
done:
	free(s);
	free(h);
	return ok;
}

/* OpenSSH's patterns: '*' and '?' only ('[' is a port's bracket). */
static bool wild_match(const char *pat, const char *end, const char *s)
{
	for (; pat < end; pat++, s++) {
		if (*pat == '*') {
			for (;; s++) {
				if (wild_match(pat + 1, end, s))
					return true;
				if (!*s)
					return false;
			}
		}
		if (!*s || (*pat != '?' && tolower((unsigned char)*pat) !=
						   tolower((unsigned char)*s)))
			return false;
	}
	return !*s;
}

/*
 * Whether the comma-separated patterns name name: 1 yes, 0 no, -1 a
 * negated pattern names it (which rules the line out).
 */
static int hosts_match(const char *patterns, const char *name)
{
	const char *p = patterns, *end;
	int found = 0;
	bool neg;

	while (*p) {
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		neg = *p == '!';
		if (neg)
			p++;
		if (end - p > 3 && !strncmp(p, "|1|", 3)) {
			if (hashed_match(p, (size_t)(end - p), name))
				found = neg ? -1 : found ? found : 1;
		} else if (end > p && wild_match(p, end, name)) {
			found = neg ? -1 : found ? found : 1;
		}
		if (found < 0)
			return -1;
		p = *end ? end + 1 : end;
	}
	return found;
}

int ms_known_hosts_check(const char *path, const char *host, int port,
			 const unsigned char *key, size_t len)
{
	char line[LINE_MAX_LEN], *name, *f[4], *save, *p;
	unsigned char *blob = NULL;
	size_t blen = 0, i, n;
	bool named = false, revoked = false, matched = false;
	FILE *fp;

	fp = fopen(path, "re");
	if (!fp)
		return MS_ENOTFOUND;
	name = port > 0 && port != 22 ? ms_asprintf("[%s]:%d", host, port) :
					ms_strdup(host);
	for (p = name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	while (fgets(line, sizeof(line), fp)) {
		n = 0;
		for (p = strtok_r(line, " \t\r\n", &save); p && n < 4;
		     p = strtok_r(NULL, " \t\r\n", &save))
			f[n++] = p;
		if (n < 3 || f[0][0] == '#')
			continue;
		i = 0;
		if (f[0][0] == '@') {
			if (strcmp(f[0], "@revoked") || n < 4)
				continue; /* @cert-authority: not for us */
			i = 1;
		}
		if (hosts_match(f[i], name) != 1)
			continue;
		free(blob);
		blob = NULL;
		if (decode64(&blob, &blen, f[i + 2], strlen(f[i + 2])))
			continue;
		if (blen != len || memcmp(blob, key, len)) {
			if (!i)
				named = true;
			continue;
		}
		if (i)
			revoked = true;
		else
			matched = true;
	}
	fclose(fp);
	free(blob);
	free(name);
	if (revoked)
		return MS_EEXISTS;
	if (matched)
		return 0;
	return named ? MS_EEXISTS : MS_ENOTFOUND;
}
