/* core/fileio.c: an atomic, durable file replacement and its steps
 * (fileio.h): where the temp file goes, writing it whole, syncing it and
 * then its directory; and reading a file whole. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

int weft_fileio_replace(const char *path, const char *tag, const struct iovec *parts, size_t nparts, unsigned mode)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	int fd = -1, dfd = -1, ret;
	bool created = false;
	size_t i;

	ret = weft_fileio_split(path, dir, sizeof(dir), NULL);
	if (ret)
		return ret;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%s-XXXXXX", path, tag) >= sizeof(tmp))
		return -ENAMETOOLONG;
	/* mkostemp creates the temp name with O_EXCL and mode 0600, so the data
	 * is never readable by others before fchmod sets the requested mode. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	created = true;
	if (fchmod(fd, (mode_t)mode) < 0) {
		ret = -errno;
		goto out;
	}
	for (i = 0; i < nparts && !ret; i++)
		ret = weft_fileio_write_all(fd, parts[i].iov_base, parts[i].iov_len);
	if (!ret)
		ret = weft_fileio_sync_close(&fd);
	if (ret)
		goto out;
	if (rename(tmp, path) < 0) {
		ret = -errno;
		goto out;
	}
	created = false;
	dfd = weft_fileio_open_dir(dir);
	if (dfd < 0) {
		ret = dfd;
		goto out;
	}
	ret = weft_fileio_sync_dir(dfd);
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (created)
		unlink(tmp);
	return ret;
}
