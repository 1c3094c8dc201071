/* rtread.h - a live process's Go runtime settings (GOMAXPROCS, the thread limit), read from its
 * memory. */
#ifndef CGOSCOPE_RTREAD_H
#define CGOSCOPE_RTREAD_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>
#include "gort.h"

struct gort_values {
	int gomaxprocs; /* -1 when unknown */
	int max_threads;
	bool max_threads_assumed; /* not read: GORT_DEFAULT_MAX_THREADS */
};

/*
 * Reads the settings of process pid whose binary is loaded at bias, at the
 * addresses gort__locate() found. Never fails: unknowns are marked.
 */
void gort__read(pid_t pid, __u64 bias, const struct gort_addrs *a, struct gort_values *v);

#endif /* CGOSCOPE_RTREAD_H */
