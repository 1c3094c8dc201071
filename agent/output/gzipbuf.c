/* gzipbuf.c - one buffer compressed as one gzip member in memory (zlib). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <zlib.h>
#include "gzipbuf.h"

#define GZIP_WBITS (15 + 16) /* deflate window 2^15, gzip header and trailer */

int gzipbuf__compress(const void *in, size_t len, void **out, size_t *out_len)
{
	z_stream zs = { 0 };
	uLong bound;
	int ret;

	*out = NULL;
	if (len > UINT_MAX)
		return -EFBIG;
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, GZIP_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	bound = deflateBound(&zs, len);
	*out = bound <= UINT_MAX ? malloc(bound) : NULL;
	if (!*out) {
		deflateEnd(&zs);
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = len;
	zs.next_out = *out;
	zs.avail_out = bound;
	ret = deflate(&zs, Z_FINISH);
	*out_len = zs.total_out;
	deflateEnd(&zs);
	if (ret == Z_STREAM_END)
		return 0;
	free(*out);
	*out = NULL;
	return -EIO;
}
