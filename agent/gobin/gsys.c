/* gsys.c - offsets of a goroutine's syscall frame and an M's goroutine, from runtime code. */
#include <errno.h>
#include <string.h>
#include "gobin.h"
#include "gort.h"
#include "gsys.h"
#include "regflow.h"
#include "x86.h"

#define SCAN_MAX_BYTES 2048
#define MAX_OFF	       0x10000 /* struct offsets */
#define MAX_FRAME_OFF  0x1000 /* offsets in runtime.cgocall's frame */
#define GPR_SP	       4
#define GPR_BP	       5

int gsys__decode_func(const struct gobin *gb, const char *name,
		      int (*cb)(const struct insn *in, void *ctx), void *ctx)
{
	unsigned char code[SCAN_MAX_BYTES];
	struct gobin_func fn;
	size_t len;

	if (gobin__find_func(gb, name, &fn))
		return -ENOENT;
	len = gobin__read_code(gb, &fn, code, sizeof(code));
	if (!len)
		return -ENOENT;
	x86__decode(code, len, fn.addr, cb, ctx);
	return 0;
}

static bool sane(__s64 off, __s64 max)
{
	return off > 0 && off < max;
}

/*
 * Where a function stores its arguments 0-2 through g, first time each,
 * skipping the offsets in skip: runtime.save(pc, sp[, bp]) gives g.sched's,
 * runtime.reentersyscall(pc, sp[, bp]) then g.syscallpc, sp, bp (it calls
 * save first, which may be inlined).
 */
struct args_scan {
	struct regflow rf;
	__s64 skip[3];
	__s64 off[3];
};

static bool skipped(const struct args_scan *s, __s64 disp)
{
	for (int i = 0; i < 3; i++)
		if (s->skip[i] && s->skip[i] == disp)
			return true;
	return false;
}

static int scan_args(const struct insn *in, void *ctx)
{
	struct args_scan *s = ctx;
	struct rf_store st;
	int i;

	if (!regflow__step(&s->rf, in, &st) || st.obj != RF_G || st.val < RF_ARG0 ||
	    st.val > RF_ARG2)
		return 0;
	i = st.val - RF_ARG0;
	if (!s->off[i] && !skipped(s, st.disp))
		s->off[i] = st.disp;
	return s->off[0] && s->off[1] && s->off[2];
}

static void locate_syscall(const struct gobin *gb, struct gort_addrs *a)
{
	struct args_scan save = { 0 }, sys = { 0 };

	regflow__init(&save.rf, gb, 0);
	gsys__decode_func(gb, "runtime.save", scan_args, &save);
	regflow__init(&sys.rf, gb, 0);
	memcpy(sys.skip, save.off, sizeof(sys.skip));
	if (gsys__decode_func(gb, "runtime.reentersyscall", scan_args, &sys))
		return;
	if (!sane(sys.off[0], MAX_OFF) || !sane(sys.off[1], MAX_OFF) || sys.off[0] == sys.off[1])
		return;
	a->g_syscallpc = (__u32)sys.off[0];
	a->g_syscallsp = (__u32)sys.off[1];
	/* Go 1.23+: reentersyscall(pc, sp, bp); syscallbp follows syscallpc */
	if (sys.off[2] == sys.off[0] + 8)
		a->g_syscallbp = (__u32)sys.off[2];
}

/* runtime.execute(gp): mp.curg = gp, then gp.m = mp. */
struct curg_scan {
	struct regflow rf;
	__s64 curg;
	bool linked;
};

static int scan_execute(const struct insn *in, void *ctx)
{
	struct curg_scan *s = ctx;
	struct rf_store st;

	if (!regflow__step(&s->rf, in, &st))
		return 0;
	if (st.val == RF_ARG0 && st.obj == RF_M && !s->curg)
		s->curg = st.disp;
	else if (st.val == RF_M && st.obj == RF_ARG0 && st.disp == s->rf.g_m && s->curg)
		s->linked = true;
	return s->linked;
}

static void locate_curg(const struct gobin *gb, struct gort_addrs *a)
{
	struct curg_scan s;

	if (!a->g_m)
		return;
	regflow__init(&s.rf, gb, a->g_m);
	s.curg = 0;
	s.linked = false;
	if (!gsys__decode_func(gb, "runtime.execute", scan_execute, &s) && s.linked &&
	    sane(s.curg, MAX_OFF))
		a->m_curg = (__u32)s.curg;
}

/*
 * runtime.cgocall(fn, arg) up to CALL runtime.entersyscall: where its
 * prologue points BP, and the stack slot it spilled fn to, both relative to
 * SP at entry; SP at the call is g.syscallsp.
 */
struct cgocall_scan {
	struct regflow rf;
	__u64 entersyscall;
	bool has_bp, has_fn, called;
	__s64 bp_key, fn_key, drop;
};

static void note_bp(struct cgocall_scan *s, const struct insn *in)
{
	regflow__join(&s->rf, in);
	if (s->has_bp || in->gpr[0] != GPR_BP || s->rf.s.sp_lost)
		return;
	if (in->kind == INSN_OTHER && regflow__is(in, "mov") && in->gpr[1] == GPR_SP) {
		s->bp_key = -s->rf.s.drop; /* MOVQ SP, BP */
		s->has_bp = true;
	} else if (in->kind == INSN_LEA && in->mem_gpr == GPR_SP) {
		s->bp_key = in->mem_disp - s->rf.s.drop; /* LEAQ off(SP), BP */
		s->has_bp = true;
	}
}

static int scan_cgocall(const struct insn *in, void *ctx)
{
	struct cgocall_scan *s = ctx;
	struct rf_store st;

	note_bp(s, in);
	if (in->kind == INSN_CALL && in->target == s->entersyscall) {
		s->has_fn = !regflow__slot(&s->rf, RF_ARG0, &s->fn_key);
		s->called = !s->rf.s.sp_lost && !s->rf.lost;
		s->drop = s->rf.s.drop;
		return 1;
	}
	if (in->kind == INSN_RET)
		return 1;
	regflow__step(&s->rf, in, &st);
	return 0;
}

static void locate_cgocall(const struct gobin *gb, struct gort_addrs *a)
{
	struct cgocall_scan s = { 0 };
	struct gobin_func fn;

	if (gobin__find_func(gb, "runtime.entersyscall", &fn))
		return;
	regflow__init(&s.rf, gb, 0);
	s.entersyscall = fn.addr;
	if (gsys__decode_func(gb, "runtime.cgocall", scan_cgocall, &s) || !s.called)
		return;
	if (s.has_fn && sane(s.fn_key + s.drop, MAX_FRAME_OFF) && !((s.fn_key + s.drop) % 8))
		a->cgocall_fn = (__u32)(s.fn_key + s.drop);
	if (s.has_bp && sane(s.bp_key + s.drop, MAX_FRAME_OFF) && !((s.bp_key + s.drop) % 8))
		a->cgocall_bp = (__u32)(s.bp_key + s.drop);
}

int gsys__locate(const struct gobin *gb, struct gort_addrs *a)
{
	int major, minor;

	if (!gobin__go_release(gb, &major, &minor) && major == 1 && minor < 17)
		return 0;
	locate_curg(gb, a);
	locate_syscall(gb, a);
	locate_cgocall(gb, a);
	return 0;
}
