/* mapkeys.h - deletes the entries of a BPF hash map that belong to one process. */
#ifndef CGOSCOPE_MAPKEYS_H
#define CGOSCOPE_MAPKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define MAPKEYS_MAX_KEY 32 /* bytes */

/* Says whether the entry at key (of map fd) is to be kept after all. */
typedef bool (*mapkeys_keep_fn)(int fd, const void *key, void *ctx);

/*
 * Deletes every entry of map fd whose key (key_size bytes, at most
 * MAPKEYS_MAX_KEY) holds tgid as a __u32 at tgid_off, except those keep (when
 * not NULL) keeps. Returns how many it deleted, or -EINVAL for a key too big.
 */
int mapkeys__forget(int fd, size_t key_size, size_t tgid_off, __u32 tgid, mapkeys_keep_fn keep,
		    void *ctx);

#endif /* CGOSCOPE_MAPKEYS_H */
