/* pprofio.c - writes profiles as gzip'd profile.proto files, atomically (zlib, rename). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gzipbuf.h"
#include "pprof.h"

#define FILE_MODE  0644

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= n;
	}
	return 0;
}

int pprof__replace_file(const char *path, const void *buf, size_t len)
{
	char *tmp;
	int fd, err;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = -errno;
		free(tmp);
		return err;
	}
	err = fchmod(fd, FILE_MODE) ? -errno : write_all(fd, buf, len);
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	free(tmp);
	return err;
}

int pprof__write(const struct pprof_profile *p, const char *path)
{
	void *raw, *gz;
	size_t raw_len, gz_len;
	int err;

	if (!path || !*path)
		return -EINVAL;
	err = pprof__encode(p, &raw, &raw_len);
	if (err)
		return err;
	err = gzipbuf__compress(raw, raw_len, &gz, &gz_len);
	free(raw);
	if (err)
		return err;
	err = pprof__replace_file(path, gz, gz_len);
	free(gz);
	return err;
}
