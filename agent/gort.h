/* gort.h - Go runtime settings of a process: GOMAXPROCS and the thread limit, located in code, read from memory. */
#ifndef CGOSCOPE_GORT_H
#define CGOSCOPE_GORT_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>

struct gobin;

#define GORT_DEFAULT_MAX_THREADS 10000

/* Link-time addresses of the runtime's int32 settings; 0 when not found. */
struct gort_addrs {
	__u64 gomaxprocs; /* runtime.gomaxprocs */
	__u64 maxmcount;  /* runtime.sched.maxmcount (debug.SetMaxThreads) */
};

struct gort_values {
	int gomaxprocs;           /* -1 when unknown */
	int max_threads;
	bool max_threads_assumed; /* not read: GORT_DEFAULT_MAX_THREADS */
};

/*
 * Finds the settings in gb: runtime.gomaxprocs from .symtab, and
 * sched.maxmcount as the 32-bit global that runtime.checkmcount compares the
 * thread count with (found by decoding, so stripped binaries work too).
 * Returns 0 (fields left 0 when not found).
 */
int gort__locate(const struct gobin *gb, struct gort_addrs *a);

/* Reads the settings of process pid whose binary is loaded at bias. Never fails: unknowns are marked. */
void gort__read(pid_t pid, __u64 bias, const struct gort_addrs *a, struct gort_values *v);

#endif /* CGOSCOPE_GORT_H */
