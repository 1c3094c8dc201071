/* topn.h - sticky top-N of one group's C functions, with an "other" that never goes backwards. */
#ifndef CGOSCOPE_TOPN_H
#define CGOSCOPE_TOPN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "cgoscope.h"

/* The counters exported for one C function: all only grow while its group lives. */
struct topn_ctr {
	__u64 calls; /* calls made (estimated while the probes sample) */
	__u64 count; /* traced calls: the histogram's _count */
	__u64 sum_ns; /* their time: the histogram's _sum */
	__u64 buckets[CGOSCOPE_NBUCKETS]; /* traced calls by log2 slot (hist.h) */
};

/*
 * One function of a group. The caller keeps val (cumulative) and rank (what
 * the top is ordered by, larger first) current; topn__update() owns the rest.
 * A kept function's own series is val - base: what it did before it got
 * its series stays in "other" (base), so "other" never shrinks.
 */
struct topn_entry {
	struct topn_ctr val;
	__u64 rank;
	bool pinned_other; /* never kept (the stats module's own "other") */
	bool kept; /* has its own series until the group goes away */
	bool in_other; /* has been counted in a rendered "other" */
	struct topn_ctr base;
};

/* a += b, field by field. */
void topn__ctr_add(struct topn_ctr *a, const struct topn_ctr *b);
/* a = max(a, b), field by field (a counter read that went down is ignored). */
void topn__ctr_max(struct topn_ctr *a, const struct topn_ctr *b);

/*
 * Decides which of the n entries are kept: once kept, always kept; free
 * places (max - 1 of them, "other" takes the last; max 0: no cap) go to the
 * not-kept entries of highest rank. An entry kept after it was counted in
 * "other" gets base = its value now. Every entry left out is marked in_other.
 * Returns how many entries are not kept (they make up "other").
 */
size_t topn__update(struct topn_entry *e, size_t n, unsigned int max);

/* The value of a kept entry's own series: val - base. */
void topn__series(const struct topn_entry *e, struct topn_ctr *out);

/*
 * The value of "other": the entries not kept plus the base of the kept
 * ones. Monotonic across topn__update() calls when every val is. Returns
 * false when "other" has never held anything (no series to export).
 */
bool topn__other(const struct topn_entry *e, size_t n, struct topn_ctr *out);

#endif /* CGOSCOPE_TOPN_H */
