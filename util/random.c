/*
 * random.c - random tokens (idempotency tokens of creates).
 */
#include "util/common.h"

#include <openssl/rand.h>

int ms_random_hex(char *out, size_t bytes)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char buf[64];
	size_t i;

	if (bytes > sizeof(buf) || RAND_bytes(buf, (int)bytes) != 1)
		return ms_error("no random bytes to be had");
	for (i = 0; i < bytes; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 15];
	}
	out[2 * bytes] = '\0';
	return 0;
}
