/* report.h - the CLI text report of a snapshot: function tables, histograms, threads, verdict. */
#ifndef CGOSCOPE_REPORT_H
#define CGOSCOPE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "snapshot.h"

struct report_opts {
	bool histograms; /* print a log2 histogram per function */
	__u64 min_calls; /* hide functions with fewer completed calls */
};

/*
 * Writes the text report of snap to out: per process a header, a table of C
 * functions (in snapshot order, i.e. by total time), optional histograms, the
 * threads and blocking section and the verdict; then any BPF-side losses.
 * opts may be NULL (no histograms, no hiding). Reads snap only.
 * Returns 0, -EINVAL on a NULL out or snap, -EIO when writing failed.
 */
int report__print(FILE *out, const struct snapshot *snap, const struct report_opts *opts);

/*
 * Formats a duration of ns nanoseconds for humans with 3 significant digits
 * and a unit: "87ns", "1.02us", "20.1ms", "3.00s" (whole ns below 1 us).
 * Negative durations get a leading '-'. Writes at most len bytes into buf,
 * always NUL-terminated when len > 0. Returns 0, -EINVAL for a NULL buf or
 * len 0, -ENOSPC when the text was truncated.
 */
int report__fmt_ns(char *buf, size_t len, double ns);

/*
 * s with control characters (a newline in a comm or a path, say) shown as
 * '?', so a table's rows stay rows; at most SNAP_PATH_LEN - 1 bytes of it,
 * in buf. Returns buf.
 */
const char *report__printable(char buf[SNAP_PATH_LEN], const char *s);

#endif /* CGOSCOPE_REPORT_H */
