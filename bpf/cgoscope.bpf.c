// SPDX-License-Identifier: GPL-2.0
/* cgoscope.bpf.c - kernel side: cgo call enter/leave uprobes and thread tracepoints, aggregated in maps. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cgoscope.h"

#define CLONE_THREAD 0x00010000

/*
 * Update policy, one for every map: counters live in maps shared by all
 * CPUs (never per-CPU ones: those cost value size x possible CPUs, ~360 MB
 * for the stats map on a 64-CPU host), every addition to a counter is an
 * atomic add (__sync_fetch_and_add), and every peak or maximum is raised by
 * a bounded compare-and-swap loop (raise_peak, raise_max) that gives up only
 * when other CPUs keep raising it higher. Plain stores are for values one
 * thread owns (its calls record, its frames) or the agent owns (cfgs).
 * Atomics would be needed even in per-CPU maps: programs run with migration
 * disabled but may be preempted, by another task whose program then updates
 * the same CPU's value. The only per-CPU map is caller_scratch, a buffer.
 */

/* Set by the agent before load. */
const volatile bool watch_exec = false; /* emit exec events (agent discovery) */
const volatile __u64 long_ns = 1000000000; /* a call this long is long-blocking */
const volatile bool callers = true; /* keep the Go callers of traced calls */

/*
 * Traced processes: tgid -> slot, the filter every program checks first (or
 * a slot cached in the thread's calls record). Counters and settings live in
 * arrays by slot, whose lookups the verifier inlines: one hash lookup fewer
 * per probe hit than maps keyed by tgid.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CGOSCOPE_MAX_PROCS);
	__type(key, __u32);
	__type(value, __u32);
} slots SEC(".maps");

/* Counters of each traced process, by slot; mapped by the agent, which reads them without a syscall. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, CGOSCOPE_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct cgoscope_proc);
} procs SEC(".maps");

/* The agent's settings for each traced process, by slot. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CGOSCOPE_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct cgoscope_cfg);
} cfgs SEC(".maps");

/*
 * Threads that were in C when the probes were (re-)enabled: their first leave
 * has no enter, and that is expected, not a loss. Key: tgid << 32 | tid.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CGOSCOPE_THREAD_ENTRIES);
	__type(key, __u64);
	__type(value, __u8);
} skipleave SEC(".maps");

/*
 * Threads whose call the agent kept across a pause of the probes: the
 * runtime's m.ncgocall of that call (tgid << 32 | tid -> count). The leave
 * that pairs with the kept frame must still see that count, or the call
 * ended while the probes were off and this leave is of a later one.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CGOSCOPE_THREAD_ENTRIES);
	__type(key, __u64);
	__type(value, __u64);
} kept SEC(".maps");

/* Calls in flight, per thread (call-site placements) or per goroutine (entry+ret). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CGOSCOPE_THREAD_ENTRIES);
	__type(key, struct cgoscope_calls_key);
	__type(value, struct cgoscope_calls);
} calls SEC(".maps");

/* Completed calls per (process, C function). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CGOSCOPE_STATS_ENTRIES);
	__type(key, struct cgoscope_func_key);
	__type(value, struct cgoscope_func_stats);
} stats SEC(".maps");

/* Traced calls per (process, C function, Go stack). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CGOSCOPE_CALLERS_ENTRIES);
	__type(key, struct cgoscope_caller_key);
	__type(value, struct cgoscope_caller_val);
} callers_map SEC(".maps");

/* Where a callers key is built (too big for the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cgoscope_caller_key);
} caller_scratch SEC(".maps");

/* Threads created by C code; their own children are C's too. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CGOSCOPE_THREAD_ENTRIES);
	__type(key, __u32);
	__type(value, __u8);
} cthreads SEC(".maps");

/* Threads inside the Go runtime's thread start (x_cgo_thread_start), by pid_tgid. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} gospawn SEC(".maps");

/* Losses, by enum cgoscope_drop. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CGOSCOPE_DROP__MAX);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* Rare events: exec (when watched) and exit of traced processes. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static const struct cgoscope_calls zero_calls;
static const struct cgoscope_func_stats zero_stats;
static const struct cgoscope_caller_val zero_caller;

static __always_inline void drop(enum cgoscope_drop cause)
{
	__u32 key = cause;
	__u64 *n = bpf_map_lookup_elem(&drops, &key);

	if (n)
		__sync_fetch_and_add(n, 1);
}

/* Settings and counters of slot, if tgid owns it. */
static __always_inline bool slot_owned(__u32 tgid, __u32 slot, struct cgoscope_cfg **cfg,
				       struct cgoscope_proc **proc)
{
	*cfg = bpf_map_lookup_elem(&cfgs, &slot);
	*proc = bpf_map_lookup_elem(&procs, &slot);
	return *cfg && *proc && (*cfg)->tgid == tgid;
}

/*
 * Settings and counters of tgid: through the slot cached in its calls record
 * c when c is not NULL and still right, else through the slots map; *slot
 * says which. Returns false when tgid is not traced.
 */
static __always_inline bool find_proc(__u32 tgid, const struct cgoscope_calls *c, __u32 *slot,
				      struct cgoscope_cfg **cfg, struct cgoscope_proc **proc)
{
	__u32 *s;

	if (c && slot_owned(tgid, c->slot, cfg, proc)) {
		*slot = c->slot;
		return true;
	}
	s = bpf_map_lookup_elem(&slots, &tgid);
	if (!s)
		return false;
	*slot = *s;
	return slot_owned(tgid, *slot, cfg, proc);
}

/* Raises *peak to value unless another CPU raised it higher meanwhile. */
static __always_inline void raise_peak(__s64 *peak, __s64 value)
{
	for (int i = 0; i < 4; i++) {
		__s64 old = *peak;

		if (value <= old || __sync_val_compare_and_swap(peak, old, value) == old)
			return;
	}
}

/* Raises *max to value unless another CPU raised it higher meanwhile. */
static __always_inline void raise_max(__u64 *max, __u64 value)
{
	for (int i = 0; i < 4; i++) {
		__u64 old = *max;

		if (value <= old || __sync_val_compare_and_swap(max, old, value) == old)
			return;
	}
}

static __always_inline unsigned int log2_slot(__u64 v)
{
	unsigned int r = 0, shift;

	shift = (v > 0xFFFFFFFF) << 5; v >>= shift; r = shift;
	shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r < CGOSCOPE_NBUCKETS ? r : CGOSCOPE_NBUCKETS - 1;
}

/*
 * Where the cgocall frame at sp sits on goroutine g's stack: g.stack.hi - sp.
 * Stack copying keeps this distance, so enter and leave agree on it even
 * when a callback grew (moved) the stack in between.
 *
 * With `cached`, bounds that c remembers for g and that hold sp are taken
 * as they are (the enter: one user read fewer per call). A stack that moved
 * since lies elsewhere, unless its new place overlaps the old one: a stack
 * of the same size class then has the same bounds (the runtime's pools), and
 * a bigger one differs only if its span was recycled meanwhile; even then the
 * call pairs at its leave by SP, and only a stack move during that very call
 * would end in a counted unpaired leave. Otherwise (and at the leave)
 * g.stack is read, lo and hi in one read, and remembered in c.
 */
static __always_inline int frame_depth(struct cgoscope_calls *c, __u64 g, __u64 sp, bool cached,
				       __u64 *sp_off)
{
	__u64 b[2]; /* g.stack.lo, g.stack.hi */

	if (cached && c->stk_g == g && c->stk_lo <= sp && sp < c->stk_hi) {
		*sp_off = c->stk_hi - sp;
		return 0;
	}
	if (bpf_probe_read_user(b, sizeof(b), (void *)g)) {
		drop(CGOSCOPE_DROP_READ_FAIL);
		return -1;
	}
	c->stk_g = g;
	c->stk_lo = b[0];
	c->stk_hi = b[1];
	*sp_off = b[1] - sp;
	return 0;
}

static __always_inline struct cgoscope_calls *calls_get(struct cgoscope_calls_key *key)
{
	struct cgoscope_calls *c = bpf_map_lookup_elem(&calls, key);

	if (c)
		return c;
	bpf_map_update_elem(&calls, key, &zero_calls, BPF_NOEXIST);
	c = bpf_map_lookup_elem(&calls, key);
	if (!c)
		drop(CGOSCOPE_DROP_CALLS_FULL);
	return c;
}

/*
 * Pops frames that can no longer be left: a frame of another goroutine (a
 * thread switches goroutines only after its cgo calls ended) or one at or
 * below sp_off when `inclusive`, above it otherwise. They were unwound by a
 * panic that crossed the cgo boundary, or left while the probes were off.
 */
static __always_inline void pop_stale(struct cgoscope_calls *c, struct cgoscope_proc *proc,
				      __u32 gen, __u64 g, __u64 sp_off, bool inclusive)
{
	for (int i = 0; i < CGOSCOPE_MAX_DEPTH; i++) {
		__u32 d = c->depth;
		struct cgoscope_frame *f;

		if (d == 0 || d > CGOSCOPE_MAX_DEPTH)
			return;
		f = &c->frames[(d - 1) & (CGOSCOPE_MAX_DEPTH - 1)];
		if (f->g == g && (f->sp_off < sp_off || (!inclusive && f->sp_off == sp_off)))
			return;
		c->depth = d - 1;
		__sync_fetch_and_add(&proc->inflight, -1);
		if (f->gen == gen) /* else its leave came while the probes were off */
			drop(CGOSCOPE_DROP_STALE_FRAME);
	}
}

/* The calls record's key of thread pid_tgid, or of its goroutine g. */
static __always_inline struct cgoscope_calls_key calls_key(__u64 pid_tgid, enum cgoscope_keying k,
							   __u64 g)
{
	struct cgoscope_calls_key key = { .tgid = pid_tgid >> 32 };

	key.id = k == CGOSCOPE_KEY_THREAD ? (__u32)pid_tgid : g;
	return key;
}

/*
 * A cgo call begins, on a frame whose SP at the leave site will be sp
 * (unless the stack moves meanwhile). The C function is in AX (register
 * ABI) or, with fn_at_sp, the word at SP (ABI0), read only once the
 * process is known to be traced.
 */
static __always_inline int on_enter(struct pt_regs *ctx, enum cgoscope_keying k, bool fn_at_sp,
				    __u64 sp)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct cgoscope_calls_key key = calls_key(pid_tgid, k, ctx->r14);
	struct cgoscope_proc *proc;
	struct cgoscope_calls *c;
	struct cgoscope_frame *f;
	struct cgoscope_cfg *cfg;
	__u64 g = ctx->r14, fn = ctx->ax, sp_off;
	__u32 d, slot;

	c = bpf_map_lookup_elem(&calls, &key);
	if (!find_proc(key.tgid, c, &slot, &cfg, &proc) || !cfg->enabled ||
	    CGOSCOPE_COOKIE_GEN(bpf_get_attach_cookie(ctx)) != cfg->gen)
		return 0;
	__sync_fetch_and_add(&proc->enters, 1);
	if (fn_at_sp && bpf_probe_read_user(&fn, sizeof(fn), (void *)PT_REGS_SP(ctx))) {
		drop(CGOSCOPE_DROP_READ_FAIL);
		goto lost;
	}
	if (!c)
		c = calls_get(&key);
	if (!c || frame_depth(c, g, sp, true, &sp_off))
		goto lost;
	c->tgid = key.tgid;
	c->slot = slot;
	c->gen = cfg->gen;
	pop_stale(c, proc, cfg->gen, g, sp_off, true);
	d = c->depth;
	if (d >= CGOSCOPE_MAX_DEPTH) {
		drop(CGOSCOPE_DROP_DEPTH);
		return 0;
	}
	f = &c->frames[d & (CGOSCOPE_MAX_DEPTH - 1)];
	f->fn = fn;
	f->g = g;
	f->sp_off = sp_off;
	f->sp = sp;
	f->tid = (__u32)pid_tgid;
	f->gen = cfg->gen;
	f->start_ns = bpf_ktime_get_ns();
	c->depth = d + 1;
	raise_peak(&proc->inflight_peak, __sync_add_and_fetch(&proc->inflight, 1));
	return 0;
lost:
	/* a call in C that inflight does not count (the agent's census must look) */
	__sync_fetch_and_add(&proc->enters_lost, 1);
	return 0;
}

static __always_inline void account(__u32 tgid, __u64 fn, __u64 ns)
{
	struct cgoscope_func_key key = { .tgid = tgid, .fn = fn };
	struct cgoscope_func_stats *st;

	st = bpf_map_lookup_elem(&stats, &key);
	if (!st) {
		bpf_map_update_elem(&stats, &key, &zero_stats, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&stats, &key);
		if (!st) {
			drop(CGOSCOPE_DROP_STATS_FULL);
			return;
		}
	}
	__sync_fetch_and_add(&st->count, 1);
	__sync_fetch_and_add(&st->sum_ns, ns);
	__sync_fetch_and_add(&st->buckets[log2_slot(ns)], 1);
	raise_max(&st->max_ns, ns);
}

/*
 * Counts a traced call of fn (ns long) to the Go stack it was made from:
 * the user stack by frame pointers from the leave site (runtime.cgocall's
 * frame, skipped, then its callers), its first CGOSCOPE_CALLER_PCS return
 * addresses; a short call only when sampled (cgoscope.h).
 */
static __always_inline void account_caller(struct pt_regs *ctx, __u32 tgid, __u64 fn, __u64 ns)
{
	bool sampled = ns < CGOSCOPE_CALLER_LONG_NS;
	struct cgoscope_caller_key *key;
	struct cgoscope_caller_val *v;
	__u32 zero = 0;
	long n;

	if (sampled && bpf_get_prandom_u32() % CGOSCOPE_CALLER_SAMPLE)
		return;
	key = bpf_map_lookup_elem(&caller_scratch, &zero);
	if (!key)
		return;
	key->tgid = tgid;
	key->pad = 0;
	key->fn = fn;
	n = bpf_get_stack(ctx, key->pcs, sizeof(key->pcs), BPF_F_USER_STACK | 1);
	if (n < 0) {
		drop(CGOSCOPE_DROP_CALLERS);
		return;
	}
	for (int i = 0; i < CGOSCOPE_CALLER_PCS; i++)
		if (i >= n / 8)
			key->pcs[i] = 0;
	v = bpf_map_lookup_elem(&callers_map, key);
	if (!v) {
		bpf_map_update_elem(&callers_map, key, &zero_caller, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&callers_map, key);
		if (!v) {
			drop(CGOSCOPE_DROP_CALLERS);
			return;
		}
	}
	if (sampled) {
		__sync_fetch_and_add(&v->sampled, 1);
		__sync_fetch_and_add(&v->sampled_ns, ns);
	} else {
		__sync_fetch_and_add(&v->count, 1);
		__sync_fetch_and_add(&v->sum_ns, ns);
	}
}

/*
 * Whether the call a frame kept across a pause stands for is still the one
 * thread pid_tgid (goroutine g) is leaving: the runtime's call count of its M
 * has not moved since the agent kept it. Read only for such frames (rare).
 * Forgets the thread's kept entry either way.
 */
static __always_inline bool same_kept_call(const struct cgoscope_cfg *cfg, __u64 pid_tgid, __u64 g)
{
	__u64 *want = bpf_map_lookup_elem(&kept, &pid_tgid), m = 0, n = 0;
	bool same;

	if (!want)
		return false;
	same = cfg->g_m_off && cfg->m_ncgocall_off &&
	       !bpf_probe_read_user(&m, sizeof(m), (void *)(g + cfg->g_m_off)) &&
	       !bpf_probe_read_user(&n, sizeof(n), (void *)(m + cfg->m_ncgocall_off)) && n == *want;
	bpf_map_delete_elem(&kept, &pid_tgid);
	return same;
}

/*
 * A cgo call ends. Records keyed by goroutine go with their last frame;
 * those keyed by thread live as long as the thread.
 */
static __always_inline int on_leave(struct pt_regs *ctx, enum cgoscope_keying k)
{
	__u64 now = bpf_ktime_get_ns(), g = ctx->r14, sp_off, fn, start;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct cgoscope_calls_key key = calls_key(pid_tgid, k, ctx->r14);
	bool forget_empty = k == CGOSCOPE_KEY_GOROUTINE;
	struct cgoscope_proc *proc;
	struct cgoscope_calls *c;
	struct cgoscope_frame *f;
	struct cgoscope_cfg *cfg;
	bool kept_frame;
	__u32 d, slot;

	c = bpf_map_lookup_elem(&calls, &key);
	if (!find_proc(key.tgid, c, &slot, &cfg, &proc) || !cfg->enabled ||
	    CGOSCOPE_COOKIE_GEN(bpf_get_attach_cookie(ctx)) != cfg->gen)
		return 0;
	if (!c) {
		/*
		 * Keyed by thread, the record lives as long as the thread: none
		 * means no enter of this thread was recorded since attach. The
		 * call began before (expected), or its enter was already counted
		 * as calls_map_full or read_failed: not a new loss either way.
		 */
		if (!forget_empty) {
			bpf_map_delete_elem(&skipleave, &pid_tgid);
			return 0;
		}
		goto unpaired;
	}
	/*
	 * The top frame, at the very SP of this goroutine: the same call (a
	 * frame at one address of a stack has one distance to its top), found
	 * without reading g.stack.hi. Otherwise the stack moved, or frames
	 * were unwound: compare distances to the top.
	 */
	d = c->depth;
	f = &c->frames[(d - 1) & (CGOSCOPE_MAX_DEPTH - 1)];
	if (d > 0 && d <= CGOSCOPE_MAX_DEPTH && f->g == g && f->sp == PT_REGS_SP(ctx))
		goto paired;
	if (frame_depth(c, g, PT_REGS_SP(ctx), false, &sp_off))
		return 0;
	pop_stale(c, proc, cfg->gen, g, sp_off, false);
	d = c->depth;
	if (d == 0 || d > CGOSCOPE_MAX_DEPTH)
		goto unpaired;
	f = &c->frames[(d - 1) & (CGOSCOPE_MAX_DEPTH - 1)];
	if (f->g != g || f->sp_off != sp_off) {
		/* deeper than a full stack's top: its enter was counted as depth_exceeded */
		if (d == CGOSCOPE_MAX_DEPTH && f->g == g && f->sp_off < sp_off)
			return 0;
		goto unpaired;
	}
paired:
	c->gen = cfg->gen;
	fn = f->fn;
	start = f->start_ns;
	kept_frame = f->gen != cfg->gen;
	c->depth = d - 1;
	__sync_fetch_and_add(&proc->inflight, -1);
	if (forget_empty && d == 1)
		bpf_map_delete_elem(&calls, &key);
	if (kept_frame && !same_kept_call(cfg, pid_tgid, g)) {
		/* its call ended unseen while the probes were off; this one began unseen */
		__sync_fetch_and_add(&proc->kept_ended, 1);
		return 0;
	}
	__sync_fetch_and_add(&proc->calls, 1);
	if (now - start >= long_ns)
		__sync_fetch_and_add(&proc->long_calls, 1);
	account(key.tgid, fn, now - start);
	if (callers)
		account_caller(ctx, key.tgid, fn, now - start);
	return 0;
unpaired:
	/*
	 * A call already in C when the probes were enabled is expected to end
	 * unseen: the first event of a record in this generation, or a thread
	 * the agent marked (records that do not outlive their calls).
	 */
	if (c && c->gen != cfg->gen) {
		c->gen = cfg->gen;
		return 0;
	}
	if (bpf_map_delete_elem(&skipleave, &pid_tgid))
		drop(CGOSCOPE_DROP_UNPAIRED_LEAVE);
	return 0;
}

/*
 * Call-site placement: at `CALL runtime.asmcgocall` inside runtime.cgocall
 * (ABI0: fn is the first word on the stack) and at the `CALL
 * runtime.exitsyscall` after it. Both run on the same thread.
 */
SEC("uprobe")
int BPF_KPROBE(cgo_enter_call)
{
	return on_enter(ctx, CGOSCOPE_KEY_THREAD, true, PT_REGS_SP(ctx));
}

/*
 * Entry-and-site placement: at runtime.cgocall's first instruction (a PUSH,
 * emulated; register ABI: fn in AX), paired with cgo_leave_call at `CALL
 * runtime.exitsyscall`. The attach cookie is how far SP drops from here to
 * that site (the prologue's pushes and frame).
 */
SEC("uprobe")
int BPF_KPROBE(cgo_enter_top)
{
	return on_enter(ctx, CGOSCOPE_KEY_THREAD, false,
			PT_REGS_SP(ctx) - CGOSCOPE_COOKIE_DROP(bpf_get_attach_cookie(ctx)));
}

SEC("uprobe")
int BPF_KPROBE(cgo_leave_call)
{
	return on_leave(ctx, CGOSCOPE_KEY_THREAD);
}

/*
 * Fallback placement: runtime.cgocall's entry (register ABI: fn in AX) and
 * every RET. The goroutine may come back on another thread, so the record
 * is keyed by the goroutine.
 */
SEC("uprobe")
int BPF_KPROBE(cgo_enter_entry)
{
	return on_enter(ctx, CGOSCOPE_KEY_GOROUTINE, false, PT_REGS_SP(ctx));
}

SEC("uprobe")
int BPF_KPROBE(cgo_leave_ret)
{
	return on_leave(ctx, CGOSCOPE_KEY_GOROUTINE);
}

/*
 * True when the thread behind c is running C code right now: a cgo call is
 * in flight and the runtime's m.incgo says it is not in a Go callback.
 */
static __always_inline bool in_c(const struct cgoscope_cfg *cfg, struct cgoscope_calls *c)
{
	struct cgoscope_frame *f;
	__u64 m = 0;
	__u8 incgo = 1;
	__u32 d;

	if (!c)
		return false;
	d = c->depth;
	if (d == 0 || d > CGOSCOPE_MAX_DEPTH)
		return false;
	if (!cfg || !cfg->g_m_off || !cfg->m_incgo_off)
		return true;
	f = &c->frames[(d - 1) & (CGOSCOPE_MAX_DEPTH - 1)];
	if (bpf_probe_read_user(&m, sizeof(m), (void *)(f->g + cfg->g_m_off)) ||
	    bpf_probe_read_user(&incgo, sizeof(incgo), (void *)(m + cfg->m_incgo_off)))
		return true;
	return incgo != 0;
}

/* The runtime is about to pthread_create an M: the thread it makes is Go's, not C's. */
SEC("uprobe")
int BPF_KPROBE(go_thread_start)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	__u8 one = 1;

	if (bpf_map_lookup_elem(&slots, &tgid))
		bpf_map_update_elem(&gospawn, &pid_tgid, &one, BPF_ANY);
	return 0;
}

SEC("tracepoint/task/task_newtask")
int handle_newtask(struct trace_event_raw_task_newtask *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct cgoscope_calls_key key = calls_key(pid_tgid, CGOSCOPE_KEY_THREAD, 0);
	struct cgoscope_proc *proc;
	struct cgoscope_cfg *cfg;
	struct cgoscope_calls *c;
	__u32 creator = (__u32)pid_tgid, child = ctx->pid, slot;
	__u8 one = 1;

	if (!(ctx->clone_flags & CLONE_THREAD))
		return 0;
	if (!find_proc(key.tgid, NULL, &slot, &cfg, &proc))
		return 0;
	__sync_fetch_and_add(&proc->threads_created, 1);
	raise_peak(&proc->threads_delta_peak, __sync_add_and_fetch(&proc->threads_delta, 1));
	if (!bpf_map_delete_elem(&gospawn, &pid_tgid))
		return 0; /* the Go runtime starting an M */
	/*
	 * Made by C: any thread but the runtime's when its thread start is
	 * probed (every placement); else one made inside a cgo call (not its Go
	 * callback: thread-keyed records only), or by a thread that C made.
	 */
	c = bpf_map_lookup_elem(&calls, &key);
	if (cfg->spawn_known || in_c(cfg, c) || bpf_map_lookup_elem(&cthreads, &creator)) {
		__sync_fetch_and_add(&proc->threads_created_c, 1);
		bpf_map_update_elem(&cthreads, &child, &one, BPF_ANY);
	}
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int handle_exit(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct cgoscope_calls_key key = calls_key(pid_tgid, CGOSCOPE_KEY_THREAD, 0);
	__u32 tid = (__u32)pid_tgid, slot;
	struct cgoscope_proc *proc;
	struct cgoscope_event *ev;
	struct cgoscope_calls *c;
	struct cgoscope_cfg *cfg;

	if (!find_proc(key.tgid, NULL, &slot, &cfg, &proc))
		return 0;
	__sync_fetch_and_add(&proc->threads_exited, 1);
	__sync_fetch_and_add(&proc->threads_delta, -1);
	c = bpf_map_lookup_elem(&calls, &key);
	if (c && c->depth > 0 && c->depth <= CGOSCOPE_MAX_DEPTH)
		__sync_fetch_and_add(&proc->inflight, -(__s64)c->depth);
	bpf_map_delete_elem(&calls, &key);
	if (!bpf_map_delete_elem(&cthreads, &tid))
		__sync_fetch_and_add(&proc->threads_exited_c, 1);
	bpf_map_delete_elem(&skipleave, &pid_tgid);
	bpf_map_delete_elem(&kept, &pid_tgid);
	bpf_map_delete_elem(&gospawn, &pid_tgid);
	if (tid != key.tgid)
		return 0;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		drop(CGOSCOPE_DROP_RINGBUF);
		return 0;
	}
	ev->type = CGOSCOPE_EV_EXIT;
	ev->pid = key.tgid;
	ev->ppid = 0;
	ev->ts_ns = bpf_ktime_get_ns();
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
	return 0;
}

/* State of the walk over the runtime's M list (runtime.allm, m.alllink). */
struct mwalk {
	__u64 m;   /* the next M, 0 at the end */
	__u64 sum; /* cgo calls counted so far */
	__u32 ncgocall_off, alllink_off;
	__u32 failed;
};

static long mwalk_step(__u64 i, void *ctx)
{
	struct mwalk *w = ctx;
	__u64 v;

	if (!w->m)
		return 1;
	if (bpf_probe_read_user(&v, sizeof(v), (void *)(w->m + w->ncgocall_off)) ||
	    bpf_probe_read_user(&w->m, sizeof(w->m), (void *)(w->m + w->alllink_off))) {
		w->failed = 1;
		return 1;
	}
	w->sum += v;
	return 0;
}

/*
 * The process is about to end, its memory still whole: sums the runtime's
 * cgo call counters as the agent does (exited Ms' first, then every M) so
 * that a report after the exit still has the exact total.
 */
SEC("tracepoint/syscalls/sys_enter_exit_group")
int handle_exit_group(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, slot;
	struct cgoscope_proc *proc;
	struct cgoscope_cfg *cfg;
	struct mwalk w = { 0 };

	if (!find_proc(tgid, NULL, &slot, &cfg, &proc) || !cfg->allm || !cfg->m_ncgocall_off ||
	    !cfg->m_alllink_off)
		return 0;
	w.ncgocall_off = cfg->m_ncgocall_off;
	w.alllink_off = cfg->m_alllink_off;
	if ((cfg->ncgocall && bpf_probe_read_user(&w.sum, sizeof(w.sum), (void *)cfg->ncgocall)) ||
	    bpf_probe_read_user(&w.m, sizeof(w.m), (void *)cfg->allm)) {
		proc->final_state = CGOSCOPE_FINAL_FAILED;
		return 0;
	}
	bpf_loop(CGOSCOPE_MAX_MS, mwalk_step, &w, 0);
	proc->final_ncgocall = w.sum;
	proc->final_state = w.failed || w.m ? CGOSCOPE_FINAL_FAILED : CGOSCOPE_FINAL_EXACT;
	return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct cgoscope_event *ev;

	if (!watch_exec)
		return 0;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		drop(CGOSCOPE_DROP_RINGBUF);
		return 0;
	}
	ev->type = CGOSCOPE_EV_EXEC;
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	ev->ppid = 0;
	ev->ts_ns = bpf_ktime_get_ns();
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
