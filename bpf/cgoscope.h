/* cgoscope.h - structs and constants shared by the BPF programs and the agent. */
#ifndef CGOSCOPE_H
#define CGOSCOPE_H

/*
 * Plain fixed-width types only: this header is included by the BPF object
 * (through vmlinux.h) and by the agent (through <linux/types.h>).
 */

#define CGOSCOPE_MAX_DEPTH 8 /* nested cgo calls tracked per thread */
/* frames are indexed with `& (CGOSCOPE_MAX_DEPTH - 1)` (the verifier's bound): a power of two */
_Static_assert(CGOSCOPE_MAX_DEPTH > 0 && (CGOSCOPE_MAX_DEPTH & (CGOSCOPE_MAX_DEPTH - 1)) == 0,
	       "CGOSCOPE_MAX_DEPTH must be a power of two");
#define CGOSCOPE_NBUCKETS 40 /* log2 slots: slot i holds [2^i, 2^(i+1)) ns */
#define CGOSCOPE_COMM_LEN 16
#define CGOSCOPE_MAX_MS 16384 /* Ms walked at exit (the runtime's default limit is 10000) */
#define CGOSCOPE_MAX_PROCS 4096 /* slots of traced processes; slot 0 is the agent's calibration */
#define CGOSCOPE_CALLER_PCS 8 /* return addresses kept of a traced call's Go stack */
/*
 * Map sizes (docs/memory.md has what each costs). Threads: the calls map
 * holds a record per thread that made a cgo call (per goroutine in C with
 * entry+ret), and a starving process has one thread per call in C: 32768
 * holds a 10,000-thread one (the runtime's default limit) three times over.
 * The other per-thread maps hold marks of threads in C, as many at most.
 * --map-entries sets the calls and stats maps' size instead.
 */
#define CGOSCOPE_THREAD_ENTRIES 32768
#define CGOSCOPE_STATS_ENTRIES 16384 /* (process, C function) pairs */
#define CGOSCOPE_CALLERS_ENTRIES 16384 /* (process, C function, Go stack) */
/*
 * Reading a Go stack costs a traced call about as much again as its probes
 * (~1.4 us here): it is read for every call of CGOSCOPE_CALLER_LONG_NS or
 * more, where that is a small share, and for one in CGOSCOPE_CALLER_SAMPLE
 * of the shorter ones, at random.
 */
#define CGOSCOPE_CALLER_LONG_NS 50000
#define CGOSCOPE_CALLER_SAMPLE 64

/*
 * A cgo probe's attach cookie: the generation of the process's probes it was
 * attached for (cgoscope_cfg.gen once enabled) above, and below (the entry
 * site of entry+call-site) how far SP drops to the leave site. Links of an
 * earlier generation may still fire while they are destroyed on another
 * thread (probes__detach_async): the handlers ignore their events, which
 * would otherwise be a second leave of a call.
 */
#define CGOSCOPE_COOKIE(gen, drop) (((__u64)(gen) << 32) | (__u32)(drop))
#define CGOSCOPE_COOKIE_GEN(c)	   ((__u32)((c) >> 32))
#define CGOSCOPE_COOKIE_DROP(c)	   ((__u32)(c))

/* Where a call record lives: the thread (emulated CALL sites) or the goroutine. */
enum cgoscope_keying {
	CGOSCOPE_KEY_THREAD = 0,
	CGOSCOPE_KEY_GOROUTINE = 1,
};

/* Every place where the BPF side loses or discards data. */
enum cgoscope_drop {
	CGOSCOPE_DROP_STATS_FULL,    /* per-function stats map had no room */
	CGOSCOPE_DROP_CALLS_FULL,    /* in-flight call map had no room */
	CGOSCOPE_DROP_DEPTH,         /* nesting deeper than CGOSCOPE_MAX_DEPTH */
	CGOSCOPE_DROP_UNPAIRED_LEAVE, /* leave without a matching enter */
	CGOSCOPE_DROP_STALE_FRAME,   /* enter never left (panic unwound it) */
	CGOSCOPE_DROP_READ_FAIL,     /* could not read target memory */
	CGOSCOPE_DROP_RINGBUF,       /* ring buffer full */
	CGOSCOPE_DROP_CALLERS,       /* a traced call's Go stack not kept: unreadable, or map full */
	CGOSCOPE_DROP__MAX,
};

/* Counters of one traced process (procs map, by slot). Updated atomically (cgoscope.bpf.c). */
struct cgoscope_proc {
	__u64 cookie;           /* set by the agent: tells PID reuse apart */
	__s64 inflight;         /* threads inside a C call right now */
	__s64 inflight_peak;
	__s64 threads_delta;    /* created - exited since attach */
	__s64 threads_delta_peak;
	__u64 threads_created;  /* clone(CLONE_THREAD) seen since attach */
	__u64 threads_created_c; /* ... of which made by C code */
	__u64 threads_exited;
	__u64 threads_exited_c; /* ... of which C code had made (since attach) */
	__u64 calls;            /* completed (paired) calls */
	__u64 long_calls;       /* ... of which lasted long_ns or longer */
	__u64 enters;           /* probe hits at the enter site */
	__u64 final_ncgocall;   /* the runtime's cgo call total read at exit_group */
	__u64 final_state;      /* enum cgoscope_final */
	__u64 kept_ended;       /* frames kept across a pause whose call had ended unseen */
	__u64 enters_lost;      /* enters recorded without a frame (map full, unreadable) */
};
/* the agent reads the counters from memory as 8-byte words (slots.h) */
_Static_assert(sizeof(struct cgoscope_proc) % 8 == 0, "cgoscope_proc: whole 8-byte words");

/* Whether the runtime's total was read when the process called exit_group. */
enum cgoscope_final {
	CGOSCOPE_FINAL_NONE = 0,   /* not (yet) read: running, killed, or layout unknown */
	CGOSCOPE_FINAL_EXACT = 1,  /* every M was read */
	CGOSCOPE_FINAL_FAILED = 2, /* memory unreadable or too many Ms: not usable */
};

/*
 * The agent's settings for one traced process (cfgs map, by slot): written by
 * the agent only (the counters above are the BPF side's), so neither
 * overwrites the other.
 */
struct cgoscope_cfg {
	__u32 tgid;        /* the process owning the slot (0: free) */
	__u32 pad;
	__u32 gen;         /* bumped at every (re-)enable: frames of older ones were cut */
	__u32 enabled;     /* probes may record (0 while the agent switches them) */
	__u32 spawn_known; /* the runtime's thread start is probed: every other thread is C's */
	__u32 pad2;
	__u32 g_m_off;     /* offset of g.m (0: unknown) */
	__u32 m_incgo_off; /* offset of m.incgo (0: unknown) */
	/* for the total at exit; runtime addresses, 0: unknown (ncgocall may be) */
	__u32 m_ncgocall_off;
	__u32 m_alllink_off;
	__u64 allm;     /* &runtime.allm */
	__u64 ncgocall; /* &runtime.ncgocall (calls of Ms that exited) */
};

/* Key of the per-function statistics map. */
struct cgoscope_func_key {
	__u32 tgid;
	__u32 pad;
	__u64 fn; /* address of the C function (runtime address) */
};

/* Value of the per-function statistics map: one for all CPUs, updated atomically. */
struct cgoscope_func_stats {
	__u64 count;
	__u64 sum_ns;
	__u64 max_ns;
	__u64 buckets[CGOSCOPE_NBUCKETS];
};

/*
 * Key of the callers map: a C function and the first return addresses of
 * the Go stack that called it (frame pointers, from runtime.cgocall up: the
 * cgo wrapper, its caller, ...; 0 past the stack's end).
 */
struct cgoscope_caller_key {
	__u32 tgid;
	__u32 pad;
	__u64 fn;
	__u64 pcs[CGOSCOPE_CALLER_PCS];
};

/* Value of the callers map: the traced calls made from that stack. */
struct cgoscope_caller_val {
	__u64 count;   /* calls of CGOSCOPE_CALLER_LONG_NS or more: every one */
	__u64 sum_ns;
	__u64 sampled; /* shorter calls: one in CGOSCOPE_CALLER_SAMPLE of them */
	__u64 sampled_ns;
};

/* One cgo call in flight. */
struct cgoscope_frame {
	__u64 fn;       /* C function */
	__u64 start_ns; /* bpf_ktime_get_ns() at enter */
	__u64 g;        /* goroutine (R14) */
	__u64 sp_off;   /* g.stack.hi - SP: survives stack copying */
	__u64 sp;       /* SP itself: the same at the leave unless the stack moved */
	__u32 tid;
	__u32 gen;      /* cgoscope_cfg.gen when it was pushed */
};

/* Key of the in-flight map: a thread (tid) or a goroutine (g address) of a process. */
struct cgoscope_calls_key {
	__u64 id;
	__u32 tgid;
	__u32 pad;
};

/* Value of the in-flight map. */
struct cgoscope_calls {
	__u32 tgid;
	__u32 depth;
	__u32 slot; /* of the process, cached: checked against cfgs[slot].tgid */
	__u32 gen;  /* cgoscope_cfg.gen of the last enter or leave seen here */
	/* the stack bounds of goroutine stk_g, as last read: see frame_depth() */
	__u64 stk_g, stk_lo, stk_hi;
	struct cgoscope_frame frames[CGOSCOPE_MAX_DEPTH];
};

enum cgoscope_event_type {
	CGOSCOPE_EV_EXEC = 1,
	CGOSCOPE_EV_EXIT = 2,
};

/* Ring-buffer event: rare things only (exec, process exit). */
struct cgoscope_event {
	__u32 type;
	__u32 pid;
	__u32 ppid;
	__u32 pad;
	__u64 ts_ns; /* bpf_ktime_get_ns() when it happened */
	char comm[CGOSCOPE_COMM_LEN];
};

#endif /* CGOSCOPE_H */
