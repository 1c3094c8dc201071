/* censmem.h - the census's insides: working memory kept from call to call, and its passes. */
#ifndef CGOSCOPE_CENSMEM_H
#define CGOSCOPE_CENSMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "censio.h"

struct census;
struct census_src;
struct census_entry;
struct gort_addrs;

/* Fields read of each M, and of its goroutine. */
enum { MF_PROCID, MF_NCGOCALL, MF_INCGO, MF_CURG, MF_ALLLINK, MF_N };
enum { GF_LO, GF_HI, GF_SP, GF_PC, GF_BP, GF_N };

/* What became of an M seen in C. */
enum cm_state {
	CM_LIVE = 0, /* read, its stack not yet confirmed */
	CM_SAME, /* in the same call as at the last census: its stack is the one read then */
	CM_TORN, /* changed while read */
	CM_LOST, /* its goroutine could not be read */
	CM_NOSTACK, /* in C in its function, but the call ended while its stack was read */
};

/* One M as read. */
struct census_m {
	__u64 addr, ncgocall, curg, next;
	long prev; /* its index in the last call's list, or -1 */
	__u32 tid;
	bool incgo;
};

struct census_mem {
	struct layout ml, gl; /* the fields read of an M, of a g */
	unsigned int depth; /* PCs per entry */
	__u32 cgocall_fn; /* the fn slot the last call read */
	bool curg_known; /* m.curg was decoded: Ms in C get entries */
	struct census_m *mr; /* the Ms of this walk */
	size_t nm, cap_mr;
	__u64 *prev; /* the last call's Ms, in list order */
	long *pentry; /* for each of them, its entry in pv, or -1 */
	size_t nprev, cap_prev, cap_pentry;
	__u32 *hash; /* open addressing: prev index + 1 by address, 0 free */
	size_t cap_hash;
	unsigned char *seen; /* prev entries met in this walk */
	size_t cap_seen;
	struct census_entry *v; /* this call's entries, with state[] and their M in mr */
	unsigned char *state;
	size_t *emi;
	size_t *gi; /* the entry of each goroutine read */
	size_t nv, cap_v, cap_state, cap_emi, cap_gi;
	__u64 *pcs; /* depth PCs per entry */
	size_t cap_pcs;
	struct census_entry *pv; /* the last call's entries, and their PCs */
	__u64 *ppcs;
	size_t npv, cap_pv, cap_ppcs;
	unsigned int pdepth;
	unsigned char *raw; /* what reads land in */
	size_t cap_raw;
	struct census_iov *iov;
	size_t cap_iov;
	struct censio_scratch scratch;
};

/* Readies mem for a walk: indexes the last list, sizes buffers to read it at once. 0 or -ENOMEM. */
int censmem__prepare(struct census_mem *mem);

/* Index in the last list of the M at addr, or -1. */
long censmem__find(const struct census_mem *mem, __u64 addr);

/* Makes room for one more M in mem->mr. Returns 0 or -ENOMEM. */
int censmem__more_ms(struct census_mem *mem);

/* Sizes entries, their PCs and the buffers for n Ms in C. Returns 0 or -ENOMEM. */
int censmem__fit(struct census_mem *mem, size_t n);

/* Makes space for n records of size bytes in mem->raw and k ranges per record in mem->iov. */
int censmem__buffers(struct census_mem *mem, size_t n, size_t size, size_t k);

/*
 * Keeps this call's M list and its n (settled) entries for the next call,
 * where they become the last call's. Returns 0 or -ENOMEM (nothing kept).
 */
int censmem__keep(struct census_mem *mem, size_t n);

/* Forgets the last call's list and entries. */
void censmem__forget(struct census_mem *mem);

/* Releases mem (NULL allowed). */
void censmem__free(struct census_mem *mem);

/*
 * Walks runtime.allm into mem->mr, reading the last call's list at once
 * where it still holds. Returns 0, -ELOOP, or -errno.
 */
int censm__walk(const struct census_src *src, const struct gort_addrs *a, __u64 bias,
		unsigned int max_ms, struct census_mem *mem);

/*
 * Makes an entry of each M in C and reads its goroutine; an entry in the
 * same call as at the last census takes its stack from then (CM_SAME).
 * Sets out->in_c. Returns 0 or -errno.
 */
int censg__read(const struct census_src *src, const struct gort_addrs *a, struct census_mem *mem,
		struct census *out);

/*
 * Reads the Ms and goroutines of the CM_LIVE entries again: those that left
 * their call meanwhile become `changed` (CM_TORN right after their C
 * function was read, CM_NOSTACK after their stack was). Returns 0 or -errno.
 */
int censg__confirm(const struct census_src *src, const struct gort_addrs *a,
		   struct census_mem *mem, enum cm_state changed);

/* Reads the C function (cgocall's fn slot) of the CM_LIVE entries. Returns 0 or src's -errno. */
int censtack__fn(const struct census_src *src, const struct gort_addrs *a, struct census_mem *mem);

/*
 * Fills syscallbp and the PCs of the CM_LIVE entries by frame pointer from
 * cgocall's frame, mem->depth PCs each. Returns 0 or src's -errno.
 */
int censtack__walk(const struct census_src *src, const struct gort_addrs *a,
		   struct census_mem *mem);

#endif /* CGOSCOPE_CENSMEM_H */
