/* census.h - the goroutines in C now and their Go stacks, from the Go runtime's memory. */
#ifndef CGOSCOPE_CENSUS_H
#define CGOSCOPE_CENSUS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

struct gort_addrs;

#define CENSUS_DEFAULT_DEPTH  32
#define CENSUS_MAX_DEPTH      256
#define CENSUS_DEFAULT_MAX_MS 100000

/* One range of the target's memory to copy. */
struct census_iov {
	__u64 addr; /* in the target */
	void *buf;
	size_t len;
	int err; /* set by the source: 0 when all len bytes were copied, else -errno */
};

/*
 * Where the census reads memory: readv copies v[0..n) and sets every
 * v[i].err; it returns 0, or -errno when the target cannot be read at all
 * (-ESRCH: it is gone; -EPERM), v[].err then undefined. When readv is NULL,
 * read copies one range and returns 0 or -errno (tests, fuzzers).
 */
struct census_src {
	int (*readv)(void *ctx, struct census_iov *v, size_t n);
	int (*read)(void *ctx, __u64 addr, void *buf, size_t len);
	void *ctx;
};

/* An M in C and the goroutine it runs. Addresses are runtime addresses. */
struct census_entry {
	__u32 tid; /* m.procid */
	__u64 m, g; /* the M, and its goroutine (m.curg) */
	__u64 ncgocall; /* m.ncgocall: cgo calls made on the M, this one included */
	__u64 fn; /* the C function called (cgocall's fn), 0 unknown */
	__u64 syscallsp; /* g.syscallsp: runtime.cgocall's SP, 0 unknown */
	__u64 syscallpc; /* g.syscallpc: a PC in runtime.cgocall, 0 unknown */
	__u64 syscallbp; /* cgocall's frame pointer: g.syscallbp (Go 1.23+) or derived, 0 unknown */
	__u64 stack_lo, stack_hi; /* g.stack */
	const __u64 *pcs; /* npc return PCs of the Go stack above cgocall, innermost first */
	unsigned int npc;
	bool truncated; /* the stack goes on past max_depth frames */
	bool stack_torn; /* the call ended while its stack was read: npc 0, fn and tid hold */
};

struct census_opts {
	/* PCs kept per goroutine: 0 for CENSUS_DEFAULT_DEPTH, at most CENSUS_MAX_DEPTH */
	unsigned int max_depth;
	/* longest M list walked (-ELOOP beyond): 0 for CENSUS_DEFAULT_MAX_MS */
	unsigned int max_ms;
};

struct census_mem; /* buffers and the M list kept from call to call */

/* Every M on the list, as the walk read it. */
struct census_mstat {
	__u32 tid;      /* m.procid */
	bool in_c;      /* m.incgo */
	__u64 ncgocall; /* m.ncgocall */
};

/* What one census__read() found. Zero it before the first use. */
struct census {
	struct census_entry *v; /* the Ms in C, in M-list order */
	size_t n;
	struct census_mstat *ms; /* every M on the list, in list order */
	size_t nms_cap;
	unsigned int nm; /* Ms on runtime.allm (entries of ms) */
	unsigned int in_c; /* Ms seen in C with a goroutine (m.incgo, m.curg) */
	unsigned int torn; /* of those, dropped: left C or began another call while read */
	unsigned int lost; /* of those, dropped: their goroutine could not be read */
	unsigned int stack_torn; /* kept without their stack: it changed while read */
	struct census_mem *mem;
};

/*
 * Reads every M of runtime.allm from src (the process whose binary a
 * describes, loaded at bias) and fills out with those in C: thread,
 * goroutine, C function, syscall frame and the return PCs of the Go stack
 * above runtime.cgocall, walked by frame pointer within g.stack. Reads are
 * batched: the Ms (the list as at the last call read at once, checked link
 * by link), their goroutines, the C functions, each M and goroutine again,
 * the stacks, and each M and goroutine once more. An entry whose M left C
 * or began another call, or whose syscall frame moved, before the first
 * check is dropped (out->torn), never returned half-read; one that did only
 * while its stack was read keeps its function without a stack (stack_torn,
 * out->stack_torn). An M in the same call as at the last call (same g and
 * m.ncgocall, still in C) keeps what was read then and is not read again. Fields the
 * decoding of a left unknown read as 0. opts may be NULL. out owns what it
 * points to; out->v is valid until the next call on out. Pass the same out
 * again to reuse its memory and what it learned; census__free() it at the
 * end. Returns 0; -ENOENT when a lacks the M list or m.curg; -ELOOP when
 * the list is longer than max_ms or loops; -ENOMEM; or src's -errno when
 * the target or an M on the list could not be read (out->n is then 0).
 * Every M read is also in out->ms (out->nm of them). Without m.curg in a
 * (not decoded), the Ms are read and counted but no entry is made.
 */
int census__read(const struct census_src *src, const struct gort_addrs *a, __u64 bias,
		 const struct census_opts *opts, struct census *out);

/* Releases what out holds and zeroes it. */
void census__free(struct census *out);

/* A source reading process pid with process_vm_readv, many ranges per system call. */
struct census_src census__pid_src(pid_t pid);

#endif /* CGOSCOPE_CENSUS_H */
