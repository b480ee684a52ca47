/*
 * file.c - opening and reading a file the user named, refusing a
 * directory before anything tries to read it, and errors that name the
 * path.
 */
#include "util/common.h"
#include "util/file.h"

#include <ctype.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int ms_file_error(const char *path, int err)
{
	const char *reason = strerror(err);

	ms_error("\"%s\": %c%s", path, tolower((unsigned char)reason[0]),
		 reason[0] ? reason + 1 : "");
	return err == ENOENT ? MS_ENOTFOUND : MS_ERROR;
}

int ms_file_open(FILE **out, const char *path)
{
	struct stat st;
	FILE *f;

	*out = NULL;
	f = fopen(path, "re");
	if (!f)
		return ms_file_error(path, errno);
	if (fstat(fileno(f), &st)) {
		int err = errno;

		fclose(f);
		return ms_file_error(path, err);
	}
	if (S_ISDIR(st.st_mode)) {
		fclose(f);
		return ms_file_error(path, EISDIR);
	}
	*out = f;
	return 0;
}

int ms_file_read(struct ms_buf *out, const char *path, size_t max)
{
	size_t start = out->len, got, room;
	struct stat st;
	ssize_t n;
	int fd, err = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return ms_file_error(path, errno);
	if (fstat(fd, &st))
		err = ms_file_error(path, errno);
	else if (S_ISDIR(st.st_mode))
		err = ms_file_error(path, EISDIR);
	/* the size fstat says and a byte more, to see the end at once */
	room = !err && st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
	while (!err) {
		got = out->len - start;
		if (max && got > max)
			break;
		if (max && room > max + 1 - got)
			room = max + 1 - got;
		ms_buf_grow(out, room);
		n = read(fd, out->ptr + out->len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = ms_file_error(path, errno);
		if (n <= 0)
			break;
		out->len += (size_t)n;
		out->ptr[out->len] = '\0';
		/* the end is seen in what the buffer still holds, else double */
		room = out->alloc - out->len - 1;
		if (!room)
			room = got + (size_t)n < 4096 ? 4096 : got + (size_t)n;
	}
	close(fd);
	return err;
}
