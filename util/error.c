/*
 * error.c - per-thread error message, logging and allocation helpers.
 *
 * Errors are set once where they are found and passed up unchanged; only
 * cmd/ prints them. The message lives in thread-local storage so that
 * parallel workers never overwrite each other's.
 */
#include "util/common.h"

#include <time.h>
#include <unistd.h>
#include <pthread.h>

static __thread char last_error[2048];
int ms_log_level;
static char *trace_components;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void set_error(const char *fmt, va_list ap)
{
	char tmp[sizeof(last_error)];

	/* fmt may name last_error itself (passing an error up with context) */
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	memcpy(last_error, tmp, sizeof(tmp));
}

int ms_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error(fmt, ap);
	va_end(ap);
	return MS_ERROR;
}

int ms_error_code(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error(fmt, ap);
	va_end(ap);
	return code;
}

const char *ms_error_last(void)
{
	return last_error;
}

void ms_error_clear(void)
{
	last_error[0] = '\0';
}

void ms_log_init(int verbosity)
{
	const char *t = getenv("MLSTACK_TRACE");

	ms_log_level = verbosity;
	free(trace_components);
	trace_components = NULL;
	if (t && *t) {
		trace_components = ms_asprintf(",%s,", t);
		if (ms_log_level < MS_LOG_TRACE)
			ms_log_level = MS_LOG_TRACE;
	}
}

bool ms_log_enabled(int level, const char *component)
{
	char needle[64];

	if (level > ms_log_level)
		return false;
	if (level < MS_LOG_TRACE || !trace_components)
		return true;
	snprintf(needle, sizeof(needle), ",%s,", component);
	return strstr(trace_components, needle) ||
	       strstr(trace_components, ",all,");
}

void ms_log_write(const char *component, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "[%s] ", component);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&log_lock);
}

/*
 * The one way mlstack meets a failed allocation: said as such, exit 1.
 * Nothing half-written is lost: state files are replaced whole, and the
 * journal makes the next run safe.
 */
void ms_die_oom(void)
{
	static const char msg[] = "Error: out of memory\n";

	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

void *ms_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		ms_die_oom();
	return p;
}

void *ms_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		ms_die_oom();
	return p;
}

void *ms_realloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		ms_die_oom();
	return p;
}

char *ms_strdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		ms_die_oom();
	return p;
}

char *ms_strndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		ms_die_oom();
	return p;
}

char *ms_asprintf(const char *fmt, ...)
{
	struct ms_buf b = MS_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	ms_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	return ms_buf_detach(&b, NULL);
}

int ms_parse_uint(const char *s, long *out)
{
	char *end;
	long v;

	if (!s || !*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

bool ms_str_in(const char *s, const char *const *list)
{
	for (; s && list && *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

double ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void ms_sleep(double seconds)
{
	struct timespec ts;

	if (seconds <= 0)
		return;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
