/* gort.h - where the Go runtime keeps what cgoscope reads (GOMAXPROCS, the thread limit, the M list), located in its code. */
#ifndef CGOSCOPE_GORT_H
#define CGOSCOPE_GORT_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>

struct gobin;

#define GORT_DEFAULT_MAX_THREADS 10000

/* Where the runtime keeps what cgoscope reads; 0 when not found. */
struct gort_addrs {
	__u64 gomaxprocs; /* link address of runtime.gomaxprocs (int32) */
	__u64 maxmcount;  /* link address of runtime.sched.maxmcount (int32, SetMaxThreads) */
	__u64 allm;       /* link address of runtime.allm (*m, head of every M) */
	__u64 ncgocall;   /* link address of runtime.ncgocall (uint64: cgo calls of Ms that exited) */
	__u32 g_m;        /* offset of g.m */
	__u32 m_ncgocall; /* offset of m.ncgocall (uint64: cgo calls made on this M) */
	__u32 m_incgo;    /* offset of m.incgo (bool: the M is in C now) */
	__u32 m_alllink;  /* offset of m.alllink (next M) */
	__u32 m_procid;   /* offset of m.procid (the thread id) */
	__u64 thread_start; /* link address of the C function the runtime starts threads with */
	/* For the census of Ms in C (census.h), Go 1.17+ (gsys.c): */
	__u32 m_curg;      /* offset of m.curg (*g: the goroutine the M runs) */
	__u32 g_syscallsp; /* offset of g.syscallsp (runtime.cgocall's SP while in C) */
	__u32 g_syscallpc; /* offset of g.syscallpc (a PC in runtime.cgocall) */
	__u32 g_syscallbp; /* offset of g.syscallbp (cgocall's frame pointer; Go 1.23+, else 0) */
	__u32 cgocall_fn;  /* where cgocall spilled fn (the C function): *(syscallsp + cgocall_fn) */
	__u32 cgocall_bp;  /* cgocall's frame pointer: syscallsp + cgocall_bp */
};

/*
 * The address of runtime.gomaxprocs as runtime.GOMAXPROCS loads it (for
 * stripped binaries; gort__locate() prefers the symbol), or 0.
 */
__u64 gort__decode_gomaxprocs(const struct gobin *gb);

/*
 * Finds in gb: runtime.gomaxprocs (.symtab); sched.maxmcount as the 32-bit
 * global runtime.checkmcount compares the thread count with; the offsets of
 * g.m, m.ncgocall and m.incgo from runtime.cgocall's code (MOVQ off(R14), reg;
 * INCQ off(reg); MOVB $1, off(reg)); runtime.allm and m.alllink from
 * runtime.mcommoninit (mp.alllink = allm); m.procid from runtime.minit
 * (mp.procid = gettid()); runtime.ncgocall, where runtime.mexit adds the
 * count of an M that exits (.symtab, else atomic.Xadd64(&ncgocall,
 * mp.ncgocall) in runtime.mexit); the C function runtime.newm1 hands to asmcgocall to
 * start a thread (x_cgo_thread_start); the census offsets (gsys__locate
 * in gsys.h). Decoding makes stripped binaries work. Returns 0 (fields
 * left 0 when not found).
 */
int gort__locate(const struct gobin *gb, struct gort_addrs *a);

#endif /* CGOSCOPE_GORT_H */
