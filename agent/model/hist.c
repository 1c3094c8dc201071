/* hist.c - log2 latency histograms: bucket bounds, merging and percentiles. */
#include <stdint.h>
#include "hist.h"

unsigned int hist__slot(__u64 ns)
{
	unsigned int slot;

	if (ns < 2)
		return 0;
	slot = 63 - __builtin_clzll(ns);
	return slot < CGOSCOPE_NBUCKETS ? slot : CGOSCOPE_NBUCKETS - 1;
}

__u64 hist__lower_ns(unsigned int slot)
{
	if (slot == 0)
		return 0;
	return slot < 64 ? 1ULL << slot : UINT64_MAX;
}

__u64 hist__upper_ns(unsigned int slot)
{
	return slot < 63 ? 1ULL << (slot + 1) : UINT64_MAX;
}

__u64 hist__count(const __u64 buckets[CGOSCOPE_NBUCKETS])
{
	__u64 n = 0;
	unsigned int i;

	for (i = 0; i < CGOSCOPE_NBUCKETS; i++)
		n += buckets[i];
	return n;
}

double hist__quantile(const __u64 buckets[CGOSCOPE_NBUCKETS], double q, __u64 max_ns)
{
	__u64 total = hist__count(buckets);
	double rank, cum = 0, lo, hi, v = 0;
	unsigned int i;

	if (total == 0)
		return 0;
	if (q > 1)
		q = 1;
	rank = q * (double)total;
	for (i = 0; i < CGOSCOPE_NBUCKETS; i++) {
		if (buckets[i] == 0)
			continue;
		lo = (double)hist__lower_ns(i);
		hi = (double)hist__upper_ns(i);
		v = lo + (hi - lo) * (rank - cum) / (double)buckets[i];
		if (v < lo)
			v = lo;
		cum += (double)buckets[i];
		if (cum >= rank)
			break;
	}
	if (max_ns && v > (double)max_ns)
		v = (double)max_ns;
	return v;
}
