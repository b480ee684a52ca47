/*
 * common.h - what every mlstack source file includes first: the standard
 * headers, error reporting, logging, allocation helpers and banned.h.
 */
#ifndef MS_COMMON_H
#define MS_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

/* Error codes a caller branches on; anything else is -1. */
enum {
	MS_OK = 0,
	MS_ERROR = -1,
	MS_ENOTFOUND = -2,    /* the object does not exist (AWS: gone) */
	MS_ETHROTTLED = -3,   /* AWS throttled and retries ran out */
	MS_ESTALE = -4,       /* a saved plan was made against another state */
	MS_ELOCKED = -5,      /* the state is locked by someone else */
	MS_EEXISTS = -6,      /* the object already exists */
	MS_ETIMEOUT = -7,     /* a wait ran past its timeout */
	MS_EINTERRUPTED = -8, /* a wait given up after an interrupt */
	MS_EDENIED = -9,      /* AWS refused the call: no permission */
};

/*
 * ms_error - set this thread's error message and return -1.
 * ms_error_code - the same, returning the given code.
 * ms_error_last - the message last set on this thread ("" if none); borrowed.
 */
int ms_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int ms_error_code(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *ms_error_last(void);
void ms_error_clear(void);

/* Logging: level 0 errors .. 3 trace; components as in MLSTACK_TRACE. */
enum { MS_LOG_ERROR, MS_LOG_INFO, MS_LOG_DEBUG, MS_LOG_TRACE };
extern int ms_log_level;
void ms_log_init(int verbosity);
bool ms_log_enabled(int level, const char *component);
void ms_log_write(const char *component, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define ms_log(level, component, ...)                           \
	do {                                                    \
		if (ms_log_enabled((level), (component)))       \
			ms_log_write((component), __VA_ARGS__); \
	} while (0)

/* Allocation that cannot fail (aborts on out-of-memory). */
void ms_die_oom(void) __attribute__((noreturn));
void *ms_malloc(size_t n);
void *ms_calloc(size_t n, size_t size);
void *ms_realloc(void *p, size_t n);
char *ms_strdup(const char *s);
char *ms_strndup(const char *s, size_t n);
char *ms_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse a non-negative decimal integer; -1 on anything else. */
int ms_parse_uint(const char *s, long *out);
/* Whether s is one of the strings of list (NULL-terminated; either NULL: no). */
bool ms_str_in(const char *s, const char *const *list);

/* Monotonic seconds, for elapsed-time reports and deadlines. */
double ms_now(void);
/* Sleep for the given number of seconds (fractions allowed). */
void ms_sleep(double seconds);

#define MS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* bytes random bytes as hex into out (2 * bytes + 1; bytes at most 64). */
int ms_random_hex(char *out, size_t bytes);

#include "util/banned.h"

#endif
