/* clock.h - the monotonic clock the agent measures with (the one bpf_ktime_get_ns() reads). */
#ifndef CGOSCOPE_CLOCK_H
#define CGOSCOPE_CLOCK_H

#include <time.h>
#include <linux/types.h>

/* Nanoseconds on CLOCK_MONOTONIC: comparable with bpf_ktime_get_ns(). */
static inline __u64 clock__mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Seconds on CLOCK_MONOTONIC. */
static inline double clock__mono_s(void)
{
	return clock__mono_ns() / 1e9;
}

#endif /* CGOSCOPE_CLOCK_H */
