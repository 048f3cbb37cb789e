/* Checked, atomic state files (persist.h): the frame (magic, format, kind,
 * length, BLAKE2b-256 trailer) and the write-temp/fsync/rename/fsync-dir
 * dance, so a crash leaves the old file or the new one, never a mix. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/error.h"
#include "core/fileio.h"
#include "core/persist.h"

#define MAGIC "WEFT"
#define FORMAT 1
#define HEADER_LEN 16
#define TRAILER_LEN 32

static void put_header(uint8_t h[HEADER_LEN], uint8_t kind, uint64_t len)
{
	memcpy(h, MAGIC, 4);
	h[4] = FORMAT;
	h[5] = kind;
	h[6] = h[7] = 0;
	for (unsigned i = 0; i < 8; i++)
		h[8 + i] = (uint8_t)(len >> (56 - 8 * i));
}

int weft_persist_unframe(const uint8_t *buf, size_t len, uint8_t kind, const uint8_t **payload, size_t *plen,
			 const char **why)
{
	uint8_t sum[TRAILER_LEN];
	uint64_t n = 0;
	const char *dummy;

	if (!why)
		why = &dummy;
	*payload = NULL;
	*plen = 0;
	if (len < HEADER_LEN) {
		*why = "file is truncated (shorter than its header)";
		return WEFT_ECHECKSUM;
	}
	if (memcmp(buf, MAGIC, 4)) {
		*why = "not a weft state file (bad magic)";
		return WEFT_EMALFORMED;
	}
	if (buf[4] != FORMAT) {
		*why = "unsupported state file format";
		return WEFT_EVERSION;
	}
	if (buf[5] != kind) {
		*why = "state file holds another kind of data";
		return WEFT_EMALFORMED;
	}
	if (buf[6] || buf[7]) {
		*why = "reserved header bytes are not zero";
		return WEFT_EMALFORMED;
	}
	for (unsigned i = 0; i < 8; i++)
		n = n << 8 | buf[8 + i];
	if (n > WEFT_PERSIST_MAX) {
		*why = "state file payload is too large";
		return WEFT_EOVERSIZE;
	}
	if (len - HEADER_LEN < n + TRAILER_LEN) {
		*why = "file is truncated (shorter than its length says)";
		return WEFT_ECHECKSUM;
	}
	if (len - HEADER_LEN > n + TRAILER_LEN) {
		*why = "trailing bytes after the checksum";
		return WEFT_ETRAILING;
	}
	crypto_generichash(sum, sizeof(sum), buf, HEADER_LEN + (size_t)n, NULL, 0);
	if (sodium_memcmp(sum, buf + HEADER_LEN + n, TRAILER_LEN)) {
		*why = "checksum mismatch (file is corrupt)";
		return WEFT_ECHECKSUM;
	}
	*payload = buf + HEADER_LEN;
	*plen = (size_t)n;
	return 0;
}

int weft_persist_write(const char *path, uint8_t kind, const uint8_t *data, size_t len, unsigned mode)
{
	uint8_t header[HEADER_LEN], sum[TRAILER_LEN];
	crypto_generichash_state st;
	struct iovec parts[3];

	if (len > WEFT_PERSIST_MAX)
		return WEFT_EOVERSIZE;
	put_header(header, kind, len);
	crypto_generichash_init(&st, NULL, 0, sizeof(sum));
	crypto_generichash_update(&st, header, sizeof(header));
	crypto_generichash_update(&st, data, len);
	crypto_generichash_final(&st, sum, sizeof(sum));
	parts[0] = (struct iovec){ header, sizeof(header) };
	parts[1] = (struct iovec){ (void *)data, len };
	parts[2] = (struct iovec){ sum, sizeof(sum) };
	return weft_fileio_replace(path, "tmp", parts, 3, mode);
}

int weft_persist_read(const char *path, uint8_t kind, uint8_t **data, size_t *len, const char **why)
{
	const uint8_t *payload;
	uint8_t *buf = NULL, *out = NULL;
	size_t have = 0, plen;
	struct stat sb;
	const char *dummy;
	int fd, ret;

	if (!why)
		why = &dummy;
	*why = NULL;
	*data = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		*why = "cannot open the state file";
		return ret;
	}
	if (fstat(fd, &sb) < 0) {
		ret = -errno;
		*why = "cannot stat the state file";
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		ret = WEFT_EMALFORMED;
		*why = "state file is not a regular file";
		goto out;
	}
	/* Refuse before reading: the size alone says it cannot be valid. */
	if ((uint64_t)sb.st_size > (uint64_t)WEFT_PERSIST_MAX + HEADER_LEN + TRAILER_LEN) {
		ret = WEFT_EOVERSIZE;
		*why = "state file is too large";
		goto out;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		ret = -ENOMEM;
		*why = "out of memory";
		goto out;
	}
	/* Read to EOF (one byte more than stat said, to notice growth). */
	ret = weft_fileio_read_all(fd, buf, (size_t)sb.st_size + 1, &have);
	if (ret) {
		*why = "cannot read the state file";
		goto out;
	}
	if (have > (size_t)sb.st_size) {
		ret = WEFT_EMALFORMED;
		*why = "state file changed while being read";
		goto out;
	}
	ret = weft_persist_unframe(buf, have, kind, &payload, &plen, why);
	if (ret)
		goto out;
	out = malloc(plen ? plen : 1);
	if (!out) {
		ret = -ENOMEM;
		*why = "out of memory";
		goto out;
	}
	memcpy(out, payload, plen);
	*data = out;
	*len = plen;
	ret = 0;
out:
	free(buf);
	close(fd);
	return ret;
}
