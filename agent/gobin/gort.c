/* gort.c - Go runtime settings of a process: GOMAXPROCS and the thread limit, located in code, read from memory. */
#include <errno.h>
#include <string.h>
#include "gobin.h"
#include "gort.h"
#include "gsys.h"
#include "x86.h"


/* Which register holds a 32-bit global loaded RIP-relative, until overwritten. */
struct cmp_scan {
	__u64 loaded[16];
	__u64 found;
};

static int scan_checkmcount(const struct insn *in, void *ctx)
{
	struct cmp_scan *s = ctx;

	if (in->kind == INSN_CMP && in->gpr[0] >= 0 && in->gpr[1] >= 0) {
		for (int i = 0; i < 2; i++)
			if (in->gpr[i] >= 0 && s->loaded[in->gpr[i]])
				s->found = s->loaded[in->gpr[i]];
		return 1; /* the first register comparison is the limit check */
	}
	if (in->gpr[0] < 0)
		return 0;
	if (in->kind == INSN_LOAD && in->rip_rel && in->mem_size == 4)
		s->loaded[in->gpr[0]] = in->target;
	else
		s->loaded[in->gpr[0]] = 0; /* written by something else */
	return 0;
}

/*
 * Follows the M pointer through runtime.cgocall: loaded from g (R14), spilled
 * to the stack and reloaded; records the first 8-byte INC through it
 * (mp.ncgocall++) and the first byte store of 1 (mp.incgo = true).
 */
struct m_scan {
	int m_reg;       /* register holding mp, or -1 */
	__s64 spill;     /* stack slot holding mp, or -1 */
	__s64 g_m, ncgocall, incgo;
};

static int scan_cgocall(const struct insn *in, void *ctx)
{
	struct m_scan *s = ctx;

	if (in->kind == INSN_LOAD && in->mem_base == ARCH_REG_G && !s->g_m && in->mem_size == 8) {
		s->g_m = in->mem_disp;
		s->m_reg = in->gpr[0];
		return 0;
	}
	if (in->kind == INSN_STORE && s->m_reg >= 0 && in->gpr[1] == s->m_reg &&
	    in->mem_base == ARCH_REG_SP) {
		s->spill = in->mem_disp;
		return 0;
	}
	if (in->kind == INSN_LOAD && in->mem_base == ARCH_REG_SP && s->spill >= 0 &&
	    in->mem_disp == s->spill) {
		s->m_reg = in->gpr[0];
		return 0;
	}
	if (s->m_reg >= 0 && in->mem_gpr == s->m_reg) {
		if (in->kind == INSN_INC && in->mem_size == 8 && !s->ncgocall)
			s->ncgocall = in->mem_disp;
		if (in->kind == INSN_STORE_IMM && in->imm == 1 && in->mem_size == 1 && !s->incgo)
			s->incgo = in->mem_disp;
	}
	if (in->gpr[0] >= 0 && in->gpr[0] == s->m_reg && in->kind != INSN_CMP &&
	    in->kind != INSN_STORE)
		s->m_reg = -1; /* overwritten */
	return s->incgo ? 1 : 0;
}

/* mp.alllink = allm: an 8-byte RIP-relative load, then a store of it into mp. */
struct allm_scan {
	int reg;
	__u64 loaded;
	__u64 allm;
	__s64 alllink;
};

static int scan_mcommoninit(const struct insn *in, void *ctx)
{
	struct allm_scan *s = ctx;

	if (in->kind == INSN_LOAD && in->rip_rel && in->mem_size == 8) {
		s->reg = in->gpr[0];
		s->loaded = in->target;
	} else if (in->kind == INSN_STORE && s->loaded && in->gpr[1] == s->reg &&
		   in->mem_disp > 0 && in->mem_base != ARCH_REG_SP && !in->rip_rel) {
		s->allm = s->loaded;
		s->alllink = in->mem_disp;
		return 1;
	} else if (in->gpr[0] >= 0 && in->gpr[0] == s->reg && in->kind != INSN_CMP &&
		   in->kind != INSN_STORE) {
		s->loaded = 0;
	}
	return 0;
}

/* mp.procid = gettid(): after the call, the first store through g.m. */
struct procid_scan {
	__u64 gettid;
	__s64 g_m;
	bool called;
	int m_reg;
	__s64 procid;
};

static int scan_minit(const struct insn *in, void *ctx)
{
	struct procid_scan *s = ctx;

	if (in->kind == INSN_CALL && in->target == s->gettid)
		s->called = true;
	else if (s->called && in->kind == INSN_LOAD && in->mem_base == ARCH_REG_G &&
		 in->mem_disp == s->g_m)
		s->m_reg = in->gpr[0];
	else if (s->m_reg >= 0 && in->kind == INSN_STORE && in->mem_gpr == s->m_reg) {
		s->procid = in->mem_disp;
		return 1;
	}
	return 0;
}

/* newm1: asmcgocall(_cgo_thread_start, &ts): the variable stored as the first stack argument. */
struct spawn_scan {
	__u64 asmcgocall;
	int reg;
	__u64 loaded, fnvar;
};

static int scan_newm1(const struct insn *in, void *ctx)
{
	struct spawn_scan *s = ctx;

	if (in->kind == INSN_LOAD && in->rip_rel && in->mem_size == 8) {
		s->reg = in->gpr[0];
		s->loaded = in->target;
	} else if (in->kind == INSN_STORE && in->mem_base == ARCH_REG_SP && in->mem_disp == 0 &&
		   in->gpr[1] == s->reg) {
		s->fnvar = s->loaded;
	} else if (in->kind == INSN_CALL && in->target == s->asmcgocall && s->fnvar) {
		return 1;
	} else if (in->gpr[0] >= 0 && in->gpr[0] == s->reg && in->kind != INSN_STORE &&
		   in->kind != INSN_CMP) {
		s->loaded = 0;
	}
	return 0;
}

static __u64 find_thread_start(const struct gobin *gb)
{
	struct spawn_scan s = { .reg = -1 };
	struct gobin_func fn;
	__u64 addr;

	if (gobin__find_func(gb, "runtime.asmcgocall.abi0", &fn) &&
	    gobin__find_func(gb, "runtime.asmcgocall", &fn))
		return 0;
	s.asmcgocall = fn.addr;
	if (gsys__decode_func(gb, "runtime.newm1", scan_newm1, &s) || !s.fnvar ||
	    gobin__read(gb, s.fnvar, &addr, sizeof(addr)))
		return 0;
	return addr;
}

/* atomic.Xadd64(&ncgocall, int64(mp.ncgocall)) in runtime.mexit: load, LEAQ, LOCK XADDQ. */
struct dead_scan {
	__s64 m_ncgocall;
	int val_reg, addr_reg;
	__u64 addr, found;
};

static int scan_mexit(const struct insn *in, void *ctx)
{
	struct dead_scan *s = ctx;

	if (in->kind == INSN_LOAD && in->mem_size == 8 && !in->rip_rel && in->mem_gpr >= 0 &&
	    in->mem_disp == s->m_ncgocall) {
		s->val_reg = in->gpr[0];
	} else if (in->kind == INSN_LEA && in->rip_rel) {
		s->addr_reg = in->gpr[0];
		s->addr = in->target;
	} else if (in->kind == INSN_XADD && s->val_reg >= 0 && in->gpr[1] == s->val_reg) {
		if (in->rip_rel)
			s->found = in->target;
		else if (in->mem_gpr >= 0 && in->mem_gpr == s->addr_reg && in->mem_disp == 0)
			s->found = s->addr;
		return s->found ? 1 : 0;
	}
	return 0;
}

static __u64 find_dead_ncgocall(const struct gobin *gb, __u32 m_ncgocall)
{
	struct dead_scan s = { .m_ncgocall = m_ncgocall, .val_reg = -1, .addr_reg = -1 };
	__u64 addr;

	if (!gobin__find_data(gb, "runtime.ncgocall", &addr))
		return addr;
	gsys__decode_func(gb, "runtime.mexit", scan_mexit, &s);
	return s.found;
}

static bool sane_off(__s64 off)
{
	return off > 0 && off < 0x10000;
}

static void locate_ms(const struct gobin *gb, struct gort_addrs *a)
{
	struct m_scan m = { .m_reg = -1, .spill = -1 };
	struct allm_scan l = { .reg = -1 };
	struct procid_scan p = { .m_reg = -1 };
	struct gobin_func fn;

	if (gsys__decode_func(gb, "runtime.cgocall", scan_cgocall, &m) || !sane_off(m.g_m))
		return;
	a->g_m = (__u32)m.g_m;
	if (sane_off(m.incgo))
		a->m_incgo = (__u32)m.incgo;
	if (sane_off(m.ncgocall)) {
		a->m_ncgocall = (__u32)m.ncgocall;
		a->ncgocall = find_dead_ncgocall(gb, a->m_ncgocall);
	}
	if (!gsys__decode_func(gb, "runtime.mcommoninit", scan_mcommoninit, &l) &&
	    sane_off(l.alllink)) {
		a->allm = l.allm;
		a->m_alllink = (__u32)l.alllink;
	}
	if (gobin__find_func(gb, "runtime.gettid.abi0", &fn) &&
	    gobin__find_func(gb, "runtime.gettid", &fn))
		return;
	p.gettid = fn.addr;
	p.g_m = m.g_m;
	if (!gsys__decode_func(gb, "runtime.minit", scan_minit, &p) && sane_off(p.procid))
		a->m_procid = (__u32)p.procid;
}

static __u64 find_maxmcount(const struct gobin *gb)
{
	struct cmp_scan s = { 0 };

	gsys__decode_func(gb, "runtime.checkmcount", scan_checkmcount, &s);
	return s.found;
}

/* ret := int(gomaxprocs) in runtime.GOMAXPROCS, after lock(&sched.lock): its first 4-byte load. */
static int scan_gomaxprocs(const struct insn *in, void *ctx)
{
	if (in->kind != INSN_LOAD || !in->rip_rel || in->mem_size != 4)
		return 0;
	*(__u64 *)ctx = in->target;
	return 1;
}

__u64 gort__decode_gomaxprocs(const struct gobin *gb)
{
	__u64 addr = 0;

	if (gsys__decode_func(gb, "runtime.GOMAXPROCS", scan_gomaxprocs, &addr))
		return 0;
	return addr;
}

int gort__locate(const struct gobin *gb, struct gort_addrs *a)
{
	memset(a, 0, sizeof(*a));
	if (gobin__find_data(gb, "runtime.gomaxprocs", &a->gomaxprocs))
		a->gomaxprocs = gort__decode_gomaxprocs(gb); /* stripped */
	a->maxmcount = find_maxmcount(gb);
	a->thread_start = find_thread_start(gb);
	locate_ms(gb, a);
	gsys__locate(gb, a);
	return 0;
}
