/* cprof.h - thread-time in C per (C function, Go stack), from census samples (pure). */
#ifndef CGOSCOPE_CPROF_H
#define CGOSCOPE_CPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define CPROF_MAX_PCS 32 /* Go return PCs kept per stack */

/*
 * A wall-clock profile of the time threads spend in C, at no cost in the
 * traced program: at every census (census.h) each M in C adds the time
 * since the last census to the entry of its call's C function and Go stack.
 * So an entry's ns is thread-time in C, sampled: its error is about one
 * census interval per sample boundary.
 */
struct cprof_entry {
	__u64 fn;                 /* C function (runtime address) */
	__u64 pcs[CPROF_MAX_PCS]; /* Go return PCs above runtime.cgocall, innermost first */
	unsigned int npc;
	bool truncated;           /* the stack went on */
	__u64 ns;                 /* thread-time in C */
	__u64 samples;            /* censuses that saw a thread here */
};

struct cprof {
	struct cprof_entry *v;
	size_t n, cap;
	size_t *slot; /* open addressing: index + 1 into v, 0 free */
	size_t nslot;
	__u64 sampled_ns; /* time the censuses covered */
	__u64 censuses;
	__u64 dropped; /* samples not kept: out of memory */
};

/*
 * Adds ns of one thread in C in fn, called from the Go stack pcs[0..npc)
 * (at most CPROF_MAX_PCS kept; truncated says the stack went on). Returns 0
 * or -ENOMEM (then counted in dropped).
 */
int cprof__add(struct cprof *cp, __u64 fn, const __u64 *pcs, unsigned int npc, bool truncated,
	       __u64 ns);

/* Notes that one census covering ns happened (whether or not any thread was in C). */
void cprof__census(struct cprof *cp, __u64 ns);

/* Frees what cp holds and zeroes it (a zeroed cprof is empty and valid). */
void cprof__free(struct cprof *cp);

#endif /* CGOSCOPE_CPROF_H */
