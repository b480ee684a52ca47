/*
 * sha256.h - SHA-256 of a byte string as lowercase hex, for the digest of
 * a stack file recorded in the state (and SHA-1, for what Terraform's
 * plans hash with it).
 */
#ifndef MS_SHA256_H
#define MS_SHA256_H

#include <stddef.h>

/*
 * Hash len bytes of data into out as 64 lowercase hex digits and a NUL.
 * Returns 0, or -1 with ms_error() set when OpenSSL fails (out is then "").
 */
int ms_sha256_hex(char out[65], const void *data, size_t len);
/* The same with SHA-1: 40 hex digits and a NUL. */
int ms_sha1_hex(char out[41], const void *data, size_t len);

#endif
