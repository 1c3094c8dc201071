/* profout.h - a snapshot as a profile: C functions as leaves, their Go callers above (pure). */
#ifndef CGOSCOPE_PROFOUT_H
#define CGOSCOPE_PROFOUT_H

#include "pprof.h"
#include "snapshot.h"

/* The sample types of the profiles, by index of pprof_profile.types. */
enum profout_value {
	PROFOUT_CALLS,   /* calls made (estimated while sampled), by the traced calls' stacks */
	PROFOUT_C_TIME,  /* their time in C, nanoseconds */
	PROFOUT_CENSUS,  /* thread-time in C sampled by the census, nanoseconds */
	PROFOUT__MAX,
};

struct profout; /* the model's arrays, owned */

/*
 * Builds the profile of snap: for every C function of every process, one
 * sample per Go stack its traced calls came from (the function's calls and
 * time, shared out by the traced calls of each stack; without stacks, the C
 * function alone), and one per entry of the census's C-time profile; each
 * labelled pid and comm. The default sample type is the census's when it
 * ran, else the C time. snap must outlive the result. On success *prof
 * points into *out, which profout__free() releases. Returns 0 or -ENOMEM.
 */
int profout__build(const struct snapshot *snap, struct profout **out,
		   const struct pprof_profile **prof);

/* Releases what profout__build() made. NULL is allowed. */
void profout__free(struct profout *po);

/* profout__build() then pprof__write() to path. Returns 0 or -errno. */
int profout__write_pprof(const struct snapshot *snap, const char *path);

/*
 * profout__build() then folded__write() to path (written whole or not at
 * all: a temporary file renamed): the census's thread-time when it ran, else
 * the traced calls' C time. Returns 0 or -errno.
 */
int profout__write_folded(const struct snapshot *snap, const char *path);

#endif /* CGOSCOPE_PROFOUT_H */
