/* gzipbuf.h - one buffer compressed as one gzip member in memory (zlib). */
#ifndef CGOSCOPE_GZIPBUF_H
#define CGOSCOPE_GZIPBUF_H

#include <stddef.h>

/*
 * Compresses len bytes of in as one gzip member (RFC 1952) at zlib's default
 * level into a malloc'd *out of *out_len bytes that the caller frees.
 * Returns 0, -EFBIG (over 4 GiB), -ENOMEM or -EIO (then *out is NULL).
 */
int gzipbuf__compress(const void *in, size_t len, void **out, size_t *out_len);

#endif /* CGOSCOPE_GZIPBUF_H */
