/* mapwalk.c - every entry of a BPF hash map, read in batches: a few syscalls instead of two per
 * entry. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include "mapwalk.h"

/* Entry by entry: kernels or maps without batch lookups. */
static int each_one(int fd, size_t key_size, void *key, void *next, void *val, mapwalk_fn fn,
		    void *ctx)
{
	bool first = true;
	int ret = 0;

	while (!ret && !bpf_map_get_next_key(fd, first ? NULL : key, next)) {
		first = false;
		for (size_t i = 0; i < key_size; i++)
			((char *)key)[i] = ((const char *)next)[i];
		if (!bpf_map_lookup_elem(fd, key, val))
			ret = fn(key, val, ctx);
	}
	return ret;
}

/* Batch by batch; -ENOTSUP before any entry was passed on when the kernel refuses them. */
static int each_batch(int fd, size_t key_size, size_t value_size, char *keys, char *vals,
		      mapwalk_fn fn, void *ctx)
{
	__u64 in = 0, out = 0; /* batch cursors: big enough for a hash map's */
	bool first = true, last = false;
	int ret = 0;

	while (!ret && !last) {
		__u32 n = MAPWALK_BATCH;
		int err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &n, NULL);

		if (err && errno != ENOENT)
			return first && (errno == EINVAL || errno == ENOTSUP || errno == ENOSPC)
				   ? -ENOTSUP
				   : -errno;
		last = err != 0; /* ENOENT: these are the last */
		for (__u32 i = 0; i < n && !ret; i++)
			ret = fn(keys + i * key_size, vals + i * value_size, ctx);
		in = out;
		first = false;
	}
	return ret;
}

int mapwalk__each(int fd, size_t key_size, size_t value_size, mapwalk_fn fn, void *ctx)
{
	char *keys = calloc(MAPWALK_BATCH + 1, key_size); /* zeroed: valgrind does not see the kernel write */
	char *vals = calloc(MAPWALK_BATCH, value_size);
	int ret = -ENOMEM;

	if (keys && vals) {
		ret = each_batch(fd, key_size, value_size, keys, vals, fn, ctx);
		if (ret == -ENOTSUP)
			ret = each_one(fd, key_size, keys, keys + key_size * MAPWALK_BATCH, vals,
				       fn, ctx);
	}
	free(keys);
	free(vals);
	return ret;
}
