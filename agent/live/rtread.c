/* rtread.c - reads a live process's Go runtime settings from its memory. */
#include <errno.h>
#include "procfs.h"
#include "rtread.h"

#define SANE_MAX 1000000000

static int read_i32(pid_t pid, __u64 addr, int *out)
{
	__s32 v;

	if (!addr || procfs__read_mem(pid, addr, &v, sizeof(v)) || v <= 0 || v > SANE_MAX)
		return -ENOENT;
	*out = v;
	return 0;
}

void gort__read(pid_t pid, __u64 bias, const struct gort_addrs *a, struct gort_values *v)
{
	if (!a->gomaxprocs || read_i32(pid, a->gomaxprocs + bias, &v->gomaxprocs))
		v->gomaxprocs = -1;
	v->max_threads_assumed =
	    !a->maxmcount || read_i32(pid, a->maxmcount + bias, &v->max_threads);
	if (v->max_threads_assumed)
		v->max_threads = GORT_DEFAULT_MAX_THREADS;
}
