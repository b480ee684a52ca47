/*
 * buf.h - growable string buffer (git's strbuf guarantees).
 *
 * ptr is never NULL and always NUL-terminated, so a fresh buffer can be
 * printed. A buffer fed by the network sets cap: an add that would grow it
 * past cap fails with -1 and leaves the buffer unchanged.
 */
#ifndef MS_BUF_H
#define MS_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct ms_buf {
	char *ptr;
	size_t len;
	size_t alloc;
	size_t cap; /* 0: no limit */
};

extern char ms_buf_empty[];
#define MS_BUF_INIT                   \
	{                             \
		ms_buf_empty, 0, 0, 0 \
	}

void ms_buf_init(struct ms_buf *b, size_t hint);
void ms_buf_release(struct ms_buf *b);
void ms_buf_reset(struct ms_buf *b);
/* Hands the string over; the caller frees it. The buffer is left empty. */
char *ms_buf_detach(struct ms_buf *b, size_t *out_len);

/*
 * Room for extra more bytes (and the NUL) past len, for a reader to fill
 * in place: it then moves len on and ends the text with a NUL. Not
 * bounded by cap, which the filler keeps to.
 */
void ms_buf_grow(struct ms_buf *b, size_t extra);
/* 0, or -1 when cap would be exceeded. */
int ms_buf_add(struct ms_buf *b, const void *data, size_t len);
int ms_buf_adds(struct ms_buf *b, const char *s);
int ms_buf_addch(struct ms_buf *b, char c);
/* n in decimal (what "%ju" prints, without a format to parse). */
int ms_buf_addu(struct ms_buf *b, uintmax_t n);
int ms_buf_addf(struct ms_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Cut b back to its first len bytes (len at most b->len). A buffer
 * never grown is left alone: its text is a byte shared by every empty
 * buffer, which no thread may write.
 */
void ms_buf_truncate(struct ms_buf *b, size_t len);
int ms_buf_vaddf(struct ms_buf *b, const char *fmt, va_list ap);

#endif
