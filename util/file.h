/*
 * file.h - opening a file the user named (a stack, a saved plan, a key),
 * with errors that say what is wrong with the path in plain words.
 */
#ifndef MS_FILE_H
#define MS_FILE_H

#include <stdio.h>

/*
 * Set the error "\"PATH\": REASON" for the errno value err, REASON being
 * strerror's words in lowercase ("no such file or directory", "is a
 * directory"). Returns MS_ENOTFOUND for ENOENT, -1 otherwise.
 */
int ms_file_error(const char *path, int err);

/*
 * Open path for reading; *out is the caller's to fclose. A directory is
 * refused at once (EISDIR): fopen(3) opens one, and only the first read
 * fails, which parsers then report as an empty or broken file. On failure
 * *out is NULL and the error is ms_file_error's.
 */
int ms_file_open(FILE **out, const char *path);

/*
 * Append the text of the file at path to out, refusing a directory as
 * ms_file_open does: 0, or ms_file_error's code and words. When max is
 * not 0, at most max + 1 bytes are read: out->len past max tells a file
 * longer than max, which each caller says in its own words. The bytes go
 * straight into out, through no other buffer (a key file's are the
 * caller's to wipe); the file's size is read first, so that a file is
 * read in one call and out grows once.
 */
int ms_file_read(struct ms_buf *out, const char *path, size_t max);

#endif
