/*
 * sshkey.c - an Ed25519 key pair made here with OpenSSL, its private half
 * written in OpenSSH's own format (what ssh and ssh-keygen read; they do
 * not take OpenSSL's PKCS#8 for Ed25519) to a file only its owner can
 * read, and its public half as the "ssh-ed25519 AAAA..." line AWS
 * imports. The private key lives in that file and in memory only while it
 * is written; it is wiped before the memory is freed.
 *
 * The container (OpenSSH's PROTOCOL.key), unencrypted:
 *   "openssh-key-v1\0", string "none" (cipher), string "none" (kdf),
 *   string "" (kdf options), uint32 1 (keys), string public key,
 *   string private section: uint32 check, uint32 check, string
 *   "ssh-ed25519", string public (32), string private (seed 32 + public
 *   32), string comment, padding 1, 2, 3 ... to a multiple of 8.
 */
#include "util/common.h"
#include "providers/ec2/sshkey.h"
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC   "openssh-key-v1"
#define KEYTYPE "ssh-ed25519"
#define BEGIN   "-----BEGIN OPENSSH PRIVATE KEY-----\n"
#define END     "-----END OPENSSH PRIVATE KEY-----\n"

static void put_u32(struct ms_buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)(v >> 24),
			       (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };

	ms_buf_add(b, x, 4);
}

static void put_string(struct ms_buf *b, const void *s, size_t n)
{
	put_u32(b, (uint32_t)n);
	ms_buf_add(b, s, n);
}

/* string "ssh-ed25519", string public */
static void public_blob(struct ms_buf *b, const unsigned char pub[32])
{
	put_string(b, KEYTYPE, strlen(KEYTYPE));
	put_string(b, pub, 32);
}

static char *base64(const void *data, size_t n)
{
	char *out = ms_malloc(4 * (n / 3 + 1) + 1);

	EVP_EncodeBlock((unsigned char *)out, data, (int)n);
	return out;
}

static char *public_line(const unsigned char pub[32], const char *comment)
{
	struct ms_buf blob = MS_BUF_INIT;
	char *b64, *line;

	public_blob(&blob, pub);
	b64 = base64(blob.ptr, blob.len);
	line = ms_asprintf("%s %s%s%s", KEYTYPE, b64, comment ? " " : "",
			   comment ? comment : "");
	free(b64);
	ms_buf_release(&blob);
	return line;
}

/* The OpenSSH file of a key; b's memory is wiped by the caller. */
static void container(struct ms_buf *b, const unsigned char seed[32],
		      const unsigned char pub[32], const char *comment)
{
	struct ms_buf pubkey = MS_BUF_INIT, priv = MS_BUF_INIT,
		      raw = MS_BUF_INIT;
	unsigned char both[64];
	uint32_t check;
	unsigned char pad = 1;
	char *b64;
	size_t i;

	RAND_bytes((unsigned char *)&check, sizeof(check));
	public_blob(&pubkey, pub);
	put_u32(&priv, check);
	put_u32(&priv, check);
	put_string(&priv, KEYTYPE, strlen(KEYTYPE));
	put_string(&priv, pub, 32);
	memcpy(both, seed, 32);
	memcpy(both + 32, pub, 32);
	put_string(&priv, both, 64);
	OPENSSL_cleanse(both, sizeof(both));
	put_string(&priv, comment, strlen(comment));
	while (priv.len % 8)
		ms_buf_add(&priv, &pad, 1), pad++;

	ms_buf_add(&raw, MAGIC, sizeof(MAGIC)); /* with its NUL */
	put_string(&raw, "none", 4);
	put_string(&raw, "none", 4);
	put_string(&raw, "", 0);
	put_u32(&raw, 1);
	put_string(&raw, pubkey.ptr, pubkey.len);
	put_string(&raw, priv.ptr, priv.len);

	b64 = base64(raw.ptr, raw.len);
	ms_buf_adds(b, BEGIN);
	for (i = 0; i < strlen(b64); i += 70) {
		ms_buf_add(b, b64 + i,
			   strlen(b64 + i) < 70 ? strlen(b64 + i) : 70);
		ms_buf_addch(b, '\n');
	}
	ms_buf_adds(b, END);
	OPENSSL_cleanse(b64, strlen(b64));
	free(b64);
	OPENSSL_cleanse(priv.ptr, priv.len);
	OPENSSL_cleanse(raw.ptr, raw.len);
	ms_buf_release(&priv);
	ms_buf_release(&raw);
	ms_buf_release(&pubkey);
}

int ms_sshkey_generate(char **public_key, const char *path, const char *comment)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	unsigned char seed[32], pub[32];
	size_t seed_len = 32, pub_len = 32;
	struct ms_buf file = MS_BUF_INIT;
	struct stat st;
	ssize_t wrote;
	int fd, err = 0;

	*public_key = NULL;
	if (!key || !EVP_PKEY_get_raw_private_key(key, seed, &seed_len) ||
	    !EVP_PKEY_get_raw_public_key(key, pub, &pub_len) ||
	    seed_len != 32 || pub_len != 32) {
		EVP_PKEY_free(key);
		return ms_error("key pair: OpenSSL cannot make an Ed25519 key");
	}
	EVP_PKEY_free(key);
	/* never over a file that is there: it may be someone's key */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST && !stat(path, &st) &&
	    S_ISDIR(st.st_mode)) {
		ms_file_error(path, EISDIR);
		err = ms_error("private key file %s", ms_error_last());
		goto done;
	}
	if (fd < 0) {
		err = ms_error("private key file '%s': %s%s", path,
			       strerror(errno),
			       errno == EEXIST ? " (it is never overwritten: "
						 "remove it, or name another "
						 "file)" :
						 "");
		goto done;
	}
	container(&file, seed, pub, comment);
	wrote = write(fd, file.ptr, file.len);
	if (wrote < 0 || (size_t)wrote != file.len || fsync(fd)) {
		err = ms_error("private key file '%s': %s", path,
			       wrote < 0 ? strerror(errno) : "short write");
		unlink(path);
	}
	close(fd);
	if (!err)
		*public_key = public_line(pub, comment);
done:
	OPENSSL_cleanse(seed, sizeof(seed));
	if (file.ptr)
		OPENSSL_cleanse(file.ptr, file.len);
	ms_buf_release(&file);
	return err;
}

static uint32_t get_u32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

int ms_sshkey_public_of(char **public_key, const char *path,
			const char *comment)
{
	struct ms_buf text = MS_BUF_INIT, b64 = MS_BUF_INIT;
	unsigned char *raw = NULL, *p, *end;
	const char *s;
	uint32_t n, i;
	int len, err = 0;

	*public_key = NULL;
	/* read in one piece: no copy of the key is left in freed memory */
	if (ms_file_read(&text, path, 0)) {
		OPENSSL_cleanse(text.ptr, text.len);
		ms_buf_release(&text);
		return ms_error("private key file %s", ms_error_last());
	}
	s = strstr(text.ptr, BEGIN);
	if (!s) {
		err = ms_error("private key file '%s': not an OpenSSH private "
			       "key",
			       path);
		goto done;
	}
	for (s += strlen(BEGIN); *s && *s != '-'; s++)
		if (*s != '\n' && *s != '\r')
			ms_buf_addch(&b64, *s);
	raw = ms_malloc(b64.len + 1);
	len = EVP_DecodeBlock(raw, (unsigned char *)b64.ptr, (int)b64.len);
	if (len < (int)sizeof(MAGIC) + 4 || memcmp(raw, MAGIC, sizeof(MAGIC))) {
		err = ms_error("private key file '%s': not an OpenSSH private "
			       "key",
			       path);
		goto done;
	}
	/* skip cipher, kdf, kdf options, the key count; read the public key */
	p = raw + sizeof(MAGIC);
	end = raw + len;
	for (i = 0; i < 3 && p + 4 <= end; i++)
		p += 4 + get_u32(p);
	if (p + 8 > end || get_u32(p) != 1) {
		err = ms_error("private key file '%s': not one key", path);
		goto done;
	}
	p += 4;
	n = get_u32(p);
	p += 4;
	/* string "ssh-ed25519" string pub(32) */
	if (p + n > end || n != 4 + strlen(KEYTYPE) + 4 + 32 ||
	    get_u32(p) != strlen(KEYTYPE) ||
	    memcmp(p + 4, KEYTYPE, strlen(KEYTYPE))) {
		err = ms_error("private key file '%s': not an Ed25519 key",
			       path);
		goto done;
	}
	*public_key = public_line(p + 4 + strlen(KEYTYPE) + 4, comment);
done:
	if (raw) {
		OPENSSL_cleanse(raw, b64.len + 1);
		free(raw);
	}
	if (text.ptr)
		OPENSSL_cleanse(text.ptr, text.len);
	if (b64.ptr)
		OPENSSL_cleanse(b64.ptr, b64.len);
	ms_buf_release(&text);
	ms_buf_release(&b64);
	return err;
}
