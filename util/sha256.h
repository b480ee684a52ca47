/*
 * sha256.h - SHA-256 of a byte string as lowercase hex, for the digest of
 * a stack file recorded in the state.
 */
#ifndef MS_SHA256_H
#define MS_SHA256_H

#include <stddef.h>

/*
 * Hash len bytes of data into out as 64 lowercase hex digits and a NUL.
 * Returns 0, or -1 with ms_error() set when OpenSSL fails (out is then "").
 */
int ms_sha256_hex(char out[65], const void *data, size_t len);

#endif
