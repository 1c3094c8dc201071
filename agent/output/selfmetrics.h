/* selfmetrics.h - the agent's own metrics: process_* of this process and its HTTP server. */
#ifndef CGOSCOPE_SELFMETRICS_H
#define CGOSCOPE_SELFMETRICS_H

#include <stddef.h>
#include "http.h"

/* What the HTTP side reports about itself (any field may be zero). */
struct selfmetrics_src {
	const struct http_server *srv;
	unsigned long long renders; /* /metrics renders made (the rest served from the cache) */
	size_t live_bytes; /* rendered bodies alive (cached or being sent) */
};

/*
 * Appends to the malloc'd text *text of *len bytes (realloc'd) the families
 * process_cpu_seconds_total, process_resident_memory_bytes,
 * process_virtual_memory_bytes, process_open_fds, process_max_fds,
 * process_start_time_seconds (the Prometheus client conventions, read from
 * /proc/self), and cgoscope_http_requests_total{handler,code},
 * cgoscope_http_connections, cgoscope_http_connections_closed_total{reason},
 * cgoscope_http_renders_total, cgoscope_http_render_live_bytes.
 * Returns 0 or -ENOMEM (then *text is unchanged).
 */
int selfmetrics__append(const struct selfmetrics_src *src, char **text, size_t *len);

#endif /* CGOSCOPE_SELFMETRICS_H */
