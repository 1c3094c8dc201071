/* mapwalk.h - every entry of a BPF hash map, read in batches: a few syscalls instead of two per
 * entry. */
#ifndef CGOSCOPE_MAPWALK_H
#define CGOSCOPE_MAPWALK_H

#include <stddef.h>

/* Called with each entry's key and value; non-zero stops the walk. */
typedef int (*mapwalk_fn)(const void *key, const void *value, void *ctx);

/*
 * Calls fn for every entry of the hash map fd (keys of key_size bytes,
 * values of value_size) read by bpf_map_lookup_batch, MAPWALK_BATCH entries
 * a syscall; entry by entry (get_next_key, lookup) where the kernel refuses
 * batches. An entry added or deleted meanwhile may be seen or not, as with
 * any walk. Returns 0, fn's non-zero value, or -errno.
 */
int mapwalk__each(int fd, size_t key_size, size_t value_size, mapwalk_fn fn, void *ctx);

#define MAPWALK_BATCH 256

#endif /* CGOSCOPE_MAPWALK_H */
