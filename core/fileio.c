/* core/fileio.c: the shared steps of an atomic, durable file replacement
 * (fileio.h): where the temp file goes, writing it whole, syncing it and
 * then its directory; and reading a file whole. Each caller keeps its own
 * temp names, install step and errors. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"

int weft_fileio_split(const char *path, char *dir, size_t cap, const char **base)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash) {
		if (cap < 2)
			return -ENAMETOOLONG;
		memcpy(dir, ".", 2);
		if (base)
			*base = path;
		return 0;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= cap)
		return -ENAMETOOLONG;
	memcpy(dir, path, n);
	dir[n] = '\0';
	if (base)
		*base = slash + 1;
	return 0;
}

int weft_fileio_open_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int weft_fileio_write_all(int fd, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len > 0) {
		ssize_t w = write(fd, b, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b += w;
		len -= (size_t)w;
	}
	return 0;
}

int weft_fileio_read_all(int fd, void *buf, size_t cap, size_t *got)
{
	uint8_t *b = buf;

	*got = 0;
	while (*got < cap) {
		ssize_t r = read(fd, b + *got, cap - *got);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		*got += (size_t)r;
	}
	return 0;
}

int weft_fileio_sync_close(int *fd)
{
	int ret = 0;

	if (fsync(*fd) != 0)
		return -errno;
	if (close(*fd) != 0)
		ret = -errno;
	*fd = -1;
	return ret;
}

int weft_fileio_sync_dir(int dfd)
{
	return fsync(dfd) != 0 ? -errno : 0;
}
