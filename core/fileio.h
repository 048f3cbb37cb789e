/* The file-system steps that the secret key files (keys.c), the state
 * files (persist.c) and the daemon's managed hosts file take to replace a
 * file atomically and durably, and to read one whole. Not part of the
 * data-model contract. */
#ifndef WEFT_FILEIO_H
#define WEFT_FILEIO_H

#include <stddef.h>
#include <sys/uio.h>

/* The directory holding path into dir: "." when path has no slash, "/" for
 * a file in the root. *base (when base is non-NULL) points at the last
 * component inside path. 0 or -ENAMETOOLONG. */
int weft_fileio_split(const char *path, char *dir, size_t cap, const char **base);
/* Opens a directory for the *at calls and the final fsync: fd or -errno. */
int weft_fileio_open_dir(const char *dir);
/* write(2) until all of p is written, across short writes and EINTR. */
int weft_fileio_write_all(int fd, const void *p, size_t len);
/* read(2) until end of file or until cap bytes, across short reads and
 * EINTR; *got is what was read. A caller that gives one byte more than the
 * size fstat reported notices a file that grew. 0 or -errno. */
int weft_fileio_read_all(int fd, void *buf, size_t cap, size_t *got);
/* fsync then close a finished temp file. *fd is -1 afterwards even when
 * close fails (the descriptor is gone either way). 0 or -errno. */
int weft_fileio_sync_close(int *fd);
/* A rename is durable only once its directory is: fsync it. 0 or -errno. */
int weft_fileio_sync_dir(int dfd);
/* Replaces path with the nparts buffers of parts, in order: written to a
 * temp file beside it (PATH.TAG-XXXXXX, created 0600 and then given mode,
 * so no one else reads it half-written), synced, renamed over path, and
 * the directory synced: a crash leaves the old file or the new one. When
 * the rename is refused (-EBUSY for a mount point, -EXDEV), nothing is
 * left behind and the error is returned, for a caller that can do
 * otherwise. 0 or -errno. */
int weft_fileio_replace(const char *path, const char *tag, const struct iovec *parts, size_t nparts, unsigned mode);

#endif
