/* fstats.h - reads the BPF per-function stats map: one process's entries or all. */
#ifndef CGOSCOPE_FSTATS_H
#define CGOSCOPE_FSTATS_H

#include <stddef.h>
#include <linux/types.h>
#include "cgoscope.h"

struct cgoscope_bpf;
struct est_count;

/* Called for each entry with its key and value; non-zero stops the walk. */
typedef int (*fstats_fn)(const struct cgoscope_func_key *key, const struct cgoscope_func_stats *sum,
			 void *ctx);

/*
 * Calls fn for every entry of the stats map of skel, or only those of
 * process tgid when tgid is not 0. Returns 0, fn's non-zero value, or -errno.
 */
int fstats__for_each(struct cgoscope_bpf *skel, __u32 tgid, fstats_fn fn, void *ctx);

/*
 * The traced call count of each C function of process tgid: a malloc'd array
 * in *out (the caller frees it) of *n entries. Returns 0 or -errno.
 */
int fstats__counts(struct cgoscope_bpf *skel, __u32 tgid, struct est_count **out, size_t *n);

#endif /* CGOSCOPE_FSTATS_H */
