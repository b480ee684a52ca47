/*
 * buf.c - growable string buffer.
 *
 * Allocation failure aborts (as git's xmalloc does): every caller would only
 * pass the failure up, and a reconciler without memory cannot go on safely.
 */
#include "util/common.h"

char ms_buf_empty[1];

static void grow(struct ms_buf *b, size_t extra)
{
	size_t want = b->len + extra + 1;
	char *p;

	if (want <= b->alloc)
		return;
	if (want < b->alloc * 2)
		want = b->alloc * 2;
	if (want < 64)
		want = 64;
	p = b->alloc ? realloc(b->ptr, want) : malloc(want);
	if (!p)
		ms_die_oom();
	if (!b->alloc)
		p[0] = '\0';
	b->ptr = p;
	b->alloc = want;
}

void ms_buf_grow(struct ms_buf *b, size_t extra)
{
	grow(b, extra);
}

void ms_buf_init(struct ms_buf *b, size_t hint)
{
	b->ptr = ms_buf_empty;
	b->len = b->alloc = b->cap = 0;
	if (hint)
		grow(b, hint);
}

void ms_buf_release(struct ms_buf *b)
{
	if (b->alloc)
		free(b->ptr);
	ms_buf_init(b, 0);
}

void ms_buf_reset(struct ms_buf *b)
{
	b->len = 0;
	if (b->alloc)
		b->ptr[0] = '\0';
}

void ms_buf_truncate(struct ms_buf *b, size_t len)
{
	if (len > b->len)
		return;
	b->len = len;
	if (b->alloc)
		b->ptr[len] = '\0';
}

char *ms_buf_detach(struct ms_buf *b, size_t *out_len)
{
	char *s;

	if (out_len)
		*out_len = b->len;
	if (!b->alloc)
		grow(b, 0);
	s = b->ptr;
	b->ptr = ms_buf_empty;
	b->len = b->alloc = 0;
	return s;
}

int ms_buf_add(struct ms_buf *b, const void *data, size_t len)
{
	if (b->cap && b->len + len > b->cap)
		return -1;
	if (!len)
		return 0;
	grow(b, len);
	memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int ms_buf_adds(struct ms_buf *b, const char *s)
{
	return ms_buf_add(b, s, strlen(s));
}

int ms_buf_addch(struct ms_buf *b, char c)
{
	return ms_buf_add(b, &c, 1);
}

int ms_buf_addu(struct ms_buf *b, uintmax_t n)
{
	char digits[24], *p = digits + sizeof(digits);

	do
		*--p = (char)('0' + n % 10);
	while (n /= 10);
	return ms_buf_add(b, p, (size_t)(digits + sizeof(digits) - p));
}

/*
 * Whether fmt converts only strings and whole numbers ("%s", "%d",
 * "%zu"; "%%" is text): most formats do, and those are appended here
 * directly, where vsnprintf spent a thousand instructions on each.
 */
static bool simple_format(const char *fmt)
{
	for (; (fmt = strchr(fmt, '%')); fmt += 2)
		if (fmt[1] == 'z' && fmt[2] == 'u')
			fmt++;
		else if (fmt[1] != 's' && fmt[1] != 'd' && fmt[1] != '%')
			return false;
	return true;
}

static int add_simple(struct ms_buf *b, const char *fmt, va_list ap)
{
	size_t start = b->len;
	const char *p, *s;
	int err = 0, d;

	while (!err && (p = strchr(fmt, '%'))) {
		err = ms_buf_add(b, fmt, (size_t)(p - fmt));
		fmt = p + 2;
		if (err)
			break;
		if (p[1] == 's') {
			s = va_arg(ap, const char *);
			err = ms_buf_adds(b, s ? s : "(null)");
		} else if (p[1] == 'd') {
			d = va_arg(ap, int);
			err = (d < 0 && ms_buf_addch(b, '-')) ||
			      ms_buf_addu(b,
					  d < 0 ? -(uintmax_t)d : (uintmax_t)d);
		} else if (p[1] == 'z') {
			err = ms_buf_addu(b, va_arg(ap, size_t));
			fmt++;
		} else {
			err = ms_buf_addch(b, '%');
		}
	}
	if (!err && !ms_buf_adds(b, fmt))
		return 0;
	b->len = start;
	if (b->alloc)
		b->ptr[start] = '\0';
	return -1;
}

int ms_buf_vaddf(struct ms_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	size_t room;
	int n;

	if (simple_format(fmt)) {
		va_copy(cp, ap);
		n = add_simple(b, fmt, cp);
		va_end(cp);
		return n;
	}

	/* format once into the room there is; again only if it was short */
	if (!b->alloc)
		grow(b, 63);
	room = b->alloc - b->len;
	va_copy(cp, ap);
	n = vsnprintf(b->ptr + b->len, room, fmt, cp);
	va_end(cp);
	if (n < 0 || (b->cap && b->len + (size_t)n > b->cap)) {
		b->ptr[b->len] = '\0';
		return -1;
	}
	if ((size_t)n >= room) {
		grow(b, (size_t)n);
		vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	}
	b->len += (size_t)n;
	return 0;
}

int ms_buf_addf(struct ms_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = ms_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}
