/* json.h - JSON view of a snapshot with jansson (pure: snapshot -> json_t). */
#ifndef CGOSCOPE_JSON_H
#define CGOSCOPE_JSON_H

#include <stdio.h>
#include <jansson.h>
#include "snapshot.h"

/*
 * Builds the JSON document of snap (schema: docs/schema/processes.schema.json,
 * checked against the real output by tests/e2e/jsonapi_test.go: cgoscope_version,
 * time, duration_s, long_threshold_ns, drops, processes[...]). Durations in
 * ns are integers; averages and percentiles are rounded. Reads snap only.
 * Returns a new reference the caller must json_decref(), or NULL with errno
 * set (EINVAL for a NULL snap, ENOMEM).
 */
json_t *json__snapshot(const struct snapshot *snap);

/*
 * Writes json__snapshot(snap) to out, indented by 2, with a final newline.
 * Returns 0, -EINVAL, -ENOMEM, or -EIO when writing failed.
 */
int json__print(FILE *out, const struct snapshot *snap);

/*
 * An alert line: {"time", "event": "verdict_change", "pid", "comm", "exe",
 * "from", "verdict", "reasons"} for process p whose verdict was `from`.
 * Returns a new reference, or NULL with errno set.
 */
json_t *json__alert(const struct proc_snap *p, enum verdict from, double time);

/*
 * The current alerts: {"time", "alerts": [{"pid", "comm", "exe", "verdict",
 * "reasons"}]} for every process of snap whose verdict is not ok. Returns a
 * new reference, or NULL with errno set.
 */
json_t *json__alerts(const struct snapshot *snap);

/* Writes json__snapshot(snap) to out as one compact line (JSON Lines). Returns like json__print(). */
int json__print_line(FILE *out, const struct snapshot *snap);

#endif /* CGOSCOPE_JSON_H */
