/* mapkeys.c - deletes the entries of a BPF hash map that belong to one process. */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include "mapkeys.h"

int mapkeys__forget(int fd, size_t key_size, size_t tgid_off, __u32 tgid, mapkeys_keep_fn keep,
		    void *ctx)
{
	char key[MAPKEYS_MAX_KEY], next[MAPKEYS_MAX_KEY];
	bool first = true;
	int deleted = 0;

	if (key_size > sizeof(key) || tgid_off + sizeof(tgid) > key_size)
		return -EINVAL;
	while (!bpf_map_get_next_key(fd, first ? NULL : key, next)) {
		__u32 k;

		memcpy(&k, next + tgid_off, sizeof(k));
		if (k == tgid && !(keep && keep(fd, next, ctx)) && !bpf_map_delete_elem(fd, next)) {
			deleted++;
			continue; /* deleted: go on from the same key */
		}
		memcpy(key, next, key_size);
		first = false;
	}
	return deleted;
}
