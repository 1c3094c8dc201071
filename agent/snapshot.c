/* snapshot.c - names for snapshot enums and release of what a snapshot owns. */
#include <stdlib.h>
#include "snapshot.h"

static const char *const drop_names[CGOSCOPE_DROP__MAX] = {
	[CGOSCOPE_DROP_STATS_FULL] = "stats_map_full",
	[CGOSCOPE_DROP_CALLS_FULL] = "calls_map_full",
	[CGOSCOPE_DROP_DEPTH] = "depth_exceeded",
	[CGOSCOPE_DROP_UNPAIRED_LEAVE] = "unpaired_leave",
	[CGOSCOPE_DROP_STALE_FRAME] = "stale_frame",
	[CGOSCOPE_DROP_READ_FAIL] = "read_failed",
	[CGOSCOPE_DROP_RINGBUF] = "ringbuf_full",
};

static const char *const verdict_names[] = {
	[VERDICT_OK] = "ok",
	[VERDICT_WARNING] = "warning",
	[VERDICT_CRITICAL] = "critical",
};

const char *snapshot__drop_name(enum cgoscope_drop drop)
{
	if ((unsigned int)drop >= CGOSCOPE_DROP__MAX || !drop_names[drop])
		return "unknown";
	return drop_names[drop];
}

const char *snapshot__verdict_name(enum verdict v)
{
	if ((unsigned int)v > VERDICT_CRITICAL)
		return "unknown";
	return verdict_names[v];
}

void snapshot__free(struct snapshot *snap)
{
	size_t i;

	if (!snap)
		return;
	for (i = 0; i < snap->nprocs; i++) {
		free(snap->procs[i].funcs);
		free(snap->procs[i].blocked);
	}
	free(snap->procs);
	snap->procs = NULL;
	snap->nprocs = 0;
}
