/*
 * sha256.c - SHA-256 (and SHA-1) through OpenSSL's EVP interface.
 *
 * EVP (not the deprecated SHA256_* calls) so that the build stays clean
 * against OpenSSL 3 and a FIPS provider can be swapped in.
 */
#include "util/common.h"
#include "util/sha256.h"

#include <openssl/evp.h>

/* md's hex digits into out, for a digest of size bytes. */
static int digest_hex(char *out, const EVP_MD *md, unsigned int size,
		      const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int d_len = 0;
	unsigned int i;

	out[0] = '\0';
	if (!EVP_Digest(data, len, d, &d_len, md, NULL) || d_len != size)
		return ms_error("%s: digest failed", EVP_MD_get0_name(md));
	for (i = 0; i < d_len; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 0xf];
	}
	out[2 * size] = '\0';
	return 0;
}

int ms_sha256_hex(char out[65], const void *data, size_t len)
{
	return digest_hex(out, EVP_sha256(), 32, data, len);
}

int ms_sha1_hex(char out[41], const void *data, size_t len)
{
	return digest_hex(out, EVP_sha1(), 20, data, len);
}
