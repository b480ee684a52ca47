/*
 * local.c - the local side of a folder synced to S3 (its files come from
 * providers/files.h): the ETag S3 will give each one, and the manifest a
 * plan compares.
 *
 * A file's ETag is what S3 answers for it uploaded as mlstack uploads it:
 * the hex MD5 of its bytes below the part size, else the MD5 of the part
 * MD5s followed by "-<parts>". Hashing reads the file once; a cache from
 * the last apply, keyed by path, size and modification time, spares even
 * that.
 */
#include "util/common.h"
#include "providers/aws/sigv4.h"
#include "providers/kit.h"
#include "providers/s3/s3.h"
#include "util/json.h"
#include "util/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK (1u << 20)

size_t ms_s3_parts(uint64_t size, uint64_t part_size)
{
	if (!part_size || size < part_size)
		return 0;
	return (size_t)((size + part_size - 1) / part_size);
}

int ms_s3_multipart_etag(char *out, const unsigned char *part_md5s,
			 size_t parts)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!EVP_Digest(part_md5s, parts * 16, md, &len, EVP_md5(), NULL) ||
	    len != 16)
		return ms_error("etag: MD5 is not available");
	ms_sigv4_hex(out, md, 16);
	snprintf(out + 32, MS_S3_ETAG_LEN - 32, "-%zu", parts);
	return 0;
}

/*
 * The MD5s of each part (of the whole file below the part size) that a
 * hash computed, by path, size, modification time and part size: an
 * upload in the same run sends them as the Content-MD5 of what it reads
 * instead of hashing every byte again. S3 checks the bytes it receives
 * against them, so a file that changed without its modification time
 * changing is refused, never stored unseen.
 */
static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *memo; /* path -> "<size> <mtime> <part size> <hex MD5s>" */

static void memo_put(const char *path, uint64_t size, int64_t mtime_ns,
		     uint64_t part_size, const unsigned char *md5s,
		     size_t parts)
{
	struct ms_buf v = MS_BUF_INIT;
	char hex[33];
	size_t i;

	ms_buf_addf(&v, "%llu %lld %llu ", (unsigned long long)size,
		    (long long)mtime_ns, (unsigned long long)part_size);
	for (i = 0; i < parts; i++) {
		ms_sigv4_hex(hex, md5s + 16 * i, 16);
		ms_buf_adds(&v, hex);
	}
	pthread_mutex_lock(&memo_lock);
	if (!memo)
		memo = json_object();
	json_object_set_new(memo, path, json_string(v.ptr));
	pthread_mutex_unlock(&memo_lock);
	ms_buf_release(&v);
}

bool ms_s3_memo_md5(unsigned char md5[16], const struct ms_file *f,
		    uint64_t part_size, size_t part)
{
	char want[96];
	const char *v, *hex;
	bool found = false;
	unsigned int byte;
	size_t i, n;

	snprintf(want, sizeof(want), "%llu %lld %llu ",
		 (unsigned long long)f->size, (long long)f->mtime_ns,
		 (unsigned long long)part_size);
	n = strlen(want);
	pthread_mutex_lock(&memo_lock);
	v = json_string_value(json_object_get(memo, f->path));
	if (v && !strncmp(v, want, n) && strlen(v + n) >= 32 * (part + 1)) {
		hex = v + n + 32 * part;
		for (i = 0; i < 16 && sscanf(hex + 2 * i, "%2x", &byte) == 1;
		     i++)
			md5[i] = (unsigned char)byte;
		found = i == 16;
	}
	pthread_mutex_unlock(&memo_lock);
	return found;
}

int ms_s3_hash_file(char *etag, const struct ms_file *f, uint64_t part_size)
{
	size_t parts = ms_s3_parts(f->size, part_size), part = 0;
	unsigned char *md5s = parts ? ms_calloc(parts, 16) : NULL;
	unsigned char *chunk = ms_malloc(READ_CHUNK), md[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint64_t done = 0, in_part = 0;
	unsigned int len = 0;
	struct stat before, after;
	ssize_t got;
	int fd, err = 0;

	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &before)) {
		err = ms_error("cannot read '%s': %s", f->path,
			       strerror(errno));
		goto done;
	}
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_md5(), NULL)) {
		err = ms_error("etag: MD5 is not available");
		goto done;
	}
	for (;;) {
		size_t want = READ_CHUNK;

		if (parts && part_size - in_part < want)
			want = (size_t)(part_size - in_part);
		got = read(fd, chunk, want);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err = ms_error("cannot read '%s': %s", f->path,
				       strerror(errno));
			goto done;
		}
		if (got)
			EVP_DigestUpdate(ctx, chunk, (size_t)got);
		done += (uint64_t)got;
		in_part += (uint64_t)got;
		if (parts && (in_part == part_size || (!got && in_part))) {
			if (part < parts)
				EVP_DigestFinal_ex(ctx, md5s + 16 * part, &len);
			part++;
			in_part = 0;
			EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
		}
		if (!got)
			break;
	}
	if (fstat(fd, &after) || done != f->size ||
	    after.st_size != before.st_size ||
	    after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
	    after.st_mtim.tv_nsec != before.st_mtim.tv_nsec ||
	    (parts && part != parts)) {
		err = ms_error("'%s' changed while it was read", f->path);
		goto done;
	}
	if (parts) {
		err = ms_s3_multipart_etag(etag, md5s, parts);
	} else {
		EVP_DigestFinal_ex(ctx, md, &len);
		ms_sigv4_hex(etag, md, 16);
	}
	if (!err)
		memo_put(f->path, (uint64_t)before.st_size,
			 (int64_t)before.st_mtim.tv_sec * 1000000000 +
				 before.st_mtim.tv_nsec,
			 part_size, parts ? md5s : md, parts ? parts : 1);
done:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(ctx);
	free(chunk);
	free(md5s);
	return err;
}

char *ms_s3_entry(const char *etag, uint64_t size)
{
	return ms_asprintf("%s %llu", etag, (unsigned long long)size);
}

int ms_s3_entry_parse(const char *entry, char *etag, uint64_t *size)
{
	const char *sp = entry ? strchr(entry, ' ') : NULL;
	char *end;

	if (!sp || sp == entry || (size_t)(sp - entry) >= MS_S3_ETAG_LEN)
		return -1;
	memcpy(etag, entry, (size_t)(sp - entry));
	etag[sp - entry] = '\0';
	errno = 0;
	*size = strtoull(sp + 1, &end, 10);
	return errno || *end || end == sp + 1 ? -1 : 0;
}

void ms_s3_manifest_totals(json_t *attrs, const json_t *manifest)
{
	struct ms_buf lines = MS_BUF_INIT;
	json_t *keys = json_array(), *v;
	const char *key;
	uint64_t bytes = 0, size;
	char etag[MS_S3_ETAG_LEN], digest[65];
	size_t i;

	json_object_foreach((json_t *)manifest, key, v) {
		json_array_append_new(keys, json_string(key));
		if (!ms_s3_entry_parse(json_string_value(v), etag, &size))
			bytes += size;
	}
	keys = ms_json_sorted_set(keys);
	json_array_foreach(keys, i, v) {
		key = json_string_value(v);
		ms_buf_addf(&lines, "%s %s\n", key,
			    json_string_value(json_object_get(manifest, key)));
	}
	ms_sha256_hex(digest, lines.ptr ? lines.ptr : "", lines.len);
	json_object_set_new(
		attrs, "object_count",
		json_integer((json_int_t)json_object_size(manifest)));
	json_object_set_new(attrs, "total_bytes",
			    json_integer((json_int_t)bytes));
	json_object_set_new(attrs, "digest", json_string(digest));
	ms_buf_release(&lines);
	json_decref(keys);
}

struct hash_job {
	struct ms_file *files;
	uint64_t part_size;
};

/* A file whose ETag the cache gave is not read again. */
static int hash_one(size_t i, void *payload)
{
	struct hash_job *h = payload;
	struct ms_file *f = &h->files[i];

	return f->etag[0] ? 0 : ms_s3_hash_file(f->etag, f, h->part_size);
}

int ms_s3_hash_files(struct ms_file *files, size_t n, uint64_t part_size,
		     int threads)
{
	struct hash_job h = { files, part_size };

	return ms_kit_parallel(n, threads, hash_one, &h);
}
