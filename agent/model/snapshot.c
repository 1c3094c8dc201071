/* snapshot.c - names for snapshot enums, the stacks and strings a snapshot owns, its release. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "snapshot.h"

#define ARENA_BLOCK 16384

/* Blocks of strings: a block never moves, so its strings stay where they are. */
struct snap_arena {
	struct snap_arena *next;
	size_t used, size;
	char data[];
};

static const char *const drop_names[CGOSCOPE_DROP__MAX] = {
	[CGOSCOPE_DROP_STATS_FULL] = "stats_map_full",
	[CGOSCOPE_DROP_CALLS_FULL] = "calls_map_full",
	[CGOSCOPE_DROP_DEPTH] = "depth_exceeded",
	[CGOSCOPE_DROP_UNPAIRED_LEAVE] = "unpaired_leave",
	[CGOSCOPE_DROP_STALE_FRAME] = "stale_frame",
	[CGOSCOPE_DROP_READ_FAIL] = "read_failed",
	[CGOSCOPE_DROP_RINGBUF] = "ringbuf_full",
	[CGOSCOPE_DROP_CALLERS] = "callers_lost",
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

const char *snapshot__strdup(struct snapshot *snap, const char *str)
{
	size_t len = strlen(str) + 1;
	struct snap_arena *a = snap->arena;
	char *copy;

	if (!a || a->size - a->used < len) {
		size_t size = len > ARENA_BLOCK ? len : ARENA_BLOCK;

		a = malloc(sizeof(*a) + size);
		if (!a)
			return NULL;
		a->next = snap->arena;
		a->used = 0;
		a->size = size;
		snap->arena = a;
	}
	copy = a->data + a->used;
	memcpy(copy, str, len);
	a->used += len;
	return copy;
}

int snapshot__add_stack(struct snapshot *snap, const struct snap_frame *frames, unsigned int n,
			bool truncated, unsigned int caller_at)
{
	struct snap_stack *v = realloc(snap->stacks, (snap->nstacks + 1) * sizeof(*v));
	struct snap_frame *f = malloc((n ? n : 1) * sizeof(*f));

	if (v)
		snap->stacks = v;
	if (!v || !f) {
		free(f);
		return -ENOMEM;
	}
	memcpy(f, frames, n * sizeof(*f));
	v[snap->nstacks] = (struct snap_stack){
		.frames = f,
		.n = n,
		.truncated = truncated,
		.caller = caller_at < n ? f[caller_at].func : "",
		.caller_at = caller_at < n ? caller_at : n,
	};
	return (int)snap->nstacks++;
}

void snapshot__free(struct snapshot *snap)
{
	size_t i;

	if (!snap)
		return;
	for (i = 0; i < snap->nprocs; i++) {
		for (size_t j = 0; j < snap->procs[i].nfuncs; j++)
			free(snap->procs[i].funcs[j].callers);
		free(snap->procs[i].funcs);
		free(snap->procs[i].blocked);
		free(snap->procs[i].ctime);
	}
	free(snap->procs);
	snap->procs = NULL;
	snap->nprocs = 0;
	for (i = 0; i < snap->nstacks; i++)
		free(snap->stacks[i].frames);
	free(snap->stacks);
	snap->stacks = NULL;
	snap->nstacks = 0;
	while (snap->arena) {
		struct snap_arena *next = snap->arena->next;

		free(snap->arena);
		snap->arena = next;
	}
}
