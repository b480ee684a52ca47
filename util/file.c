/*
 * file.c - opening a file the user named, refusing a directory before
 * anything tries to read it, and errors that name the path.
 */
#include "util/common.h"
#include "util/file.h"

#include <ctype.h>
#include <sys/stat.h>

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
