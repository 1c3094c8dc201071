/* prom.h - Prometheus text exposition format 0.0.4 writer (pure: snapshot -> text). */
#ifndef CGOSCOPE_PROM_H
#define CGOSCOPE_PROM_H

#include <stddef.h>
#include <linux/types.h>
#include "snapshot.h"

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct prom_opts {
	const char *build_version; /* cgoscope_build_info{version}; NULL: CGOSCOPE_VERSION */
	double scrape_duration_s;  /* how long the previous scrape took */
	__u64 attach_failures;     /* probes that could not be attached, since start */
	unsigned int max_functions; /* per process, "other" included; 0: no cap */
	double attach_latency_s;   /* exec -> traced, for the last process discovered */
	__u64 discovery_dropped;   /* exec events the agent could not examine */
};

/*
 * Renders snap as Prometheus text: agent families (build info, processes,
 * attach failures, BPF drops by cause, scrape duration), per-process
 * families labelled {pid,comm,exe,go_version[,container_id]} and
 * per-function families that add {function}. With max_functions > 0 a
 * process exports at most that many functions: the top max_functions-1 by
 * total time (snapshot order) and "other", the sum of the rest; the number
 * folded is in cgoscope_process_functions_folded. opts may be NULL (defaults).
 * On success *text is a malloc'd NUL-terminated string of *len bytes that
 * the caller frees. Returns 0, -EINVAL on NULL arguments, -ENOMEM or -EIO
 * (then *text is NULL).
 */
int prom__render(const struct snapshot *snap, const struct prom_opts *opts, char **text,
		 size_t *len);

#endif /* CGOSCOPE_PROM_H */
