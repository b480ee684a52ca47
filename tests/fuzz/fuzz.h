/*
 * fuzz.h - what the libFuzzer targets of tests/fuzz/ share: a scratch
 * directory, files written whole, and an environment with no way to AWS.
 *
 * A target must never reach the network or the machine's AWS settings:
 * every input that would open a session finds no credentials and fails
 * at once, as it would offline.
 */
#ifndef MS_FUZZ_H
#define MS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed);

/*
 * Once per process: a scratch directory (under TMPDIR, else /dev/shm,
 * else /tmp), removed at exit, which is also HOME; no AWS_* variable and no shared
 * AWS files; logging off. Returns the directory's path (static).
 */
const char *fuzz_setup(void);

/* "<scratch dir>/name"; the caller frees it. */
char *fuzz_path(const char *name);

/* Write len bytes to path, replacing it; aborts on failure. */
void fuzz_write(const char *path, const void *data, size_t len);

/* Remove path and everything under it; quiet when it is not there. */
void fuzz_remove(const char *path);

/* A stream to /dev/null, for what renderers print (static). */
FILE *fuzz_devnull(void);

/*
 * A mutator for inputs made of JSON values (a target's
 * LLVMFuzzerCustomMutator calls it): half the time libFuzzer's own byte
 * mutations, else one value of the document replaced by another of any
 * type (null, a bool, an edge-case number, a word from words, {}, [], an
 * unknown, a copy of another value) or removed, so that readers meet the
 * wrong types that byte flips rarely make. With sep, the input is parts
 * joined by sep and one part is mutated; with yaml, a part is read as YAML
 * (a stack file) and comes back as JSON, which is YAML too. words is
 * NULL-terminated. Returns the new size, at most max_size.
 */
size_t fuzz_mutate_json(uint8_t *data, size_t size, size_t max_size,
			unsigned int seed, const char *sep, bool yaml,
			const char *const *words);

#endif
