/* hist.h - log2 latency histograms: bucket bounds, merging and percentiles. */
#ifndef CGOSCOPE_HIST_H
#define CGOSCOPE_HIST_H

#include <linux/types.h>
#include "cgoscope.h"

/* Slot of a duration: floor(log2(ns)), with 0 and 1 ns in slot 0; capped at the last slot. */
unsigned int hist__slot(__u64 ns);

/* Lower bound of slot i in ns (0 for slot 0, else 2^i). */
__u64 hist__lower_ns(unsigned int slot);

/* Exclusive upper bound of slot i in ns: 2^(i+1). This is Prometheus' `le` of the slot. */
__u64 hist__upper_ns(unsigned int slot);

/*
 * Estimates the q-quantile (0 < q <= 1) of the durations in buckets, in ns, by
 * linear interpolation inside the slot holding the rank; the result is clamped
 * to max_ns when max_ns is non-zero. Returns 0 for an empty histogram.
 */
double hist__quantile(const __u64 buckets[CGOSCOPE_NBUCKETS], double q, __u64 max_ns);

/* Sum of all buckets. */
__u64 hist__count(const __u64 buckets[CGOSCOPE_NBUCKETS]);

#endif /* CGOSCOPE_HIST_H */
