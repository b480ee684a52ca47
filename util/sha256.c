/*
 * sha256.c - SHA-256 through OpenSSL's EVP interface.
 *
 * EVP (not the deprecated SHA256_* calls) so that the build stays clean
 * against OpenSSL 3 and a FIPS provider can be swapped in.
 */
#include "util/common.h"
#include "util/sha256.h"

#include <openssl/evp.h>

int ms_sha256_hex(char out[65], const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	unsigned int i;

	out[0] = '\0';
	if (!EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) ||
	    md_len != 32)
		return ms_error("sha256: digest failed");
	for (i = 0; i < md_len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[64] = '\0';
	return 0;
}
