/* probeplan.c - finds the cgo probe sites in runtime.cgocall (Capstone): which placement, which sites, how far SP drops. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gobin.h"
#include "probeplan.h"
#include "x86.h"

#define CGOCALL_MAX_BYTES 4096

const char *probes__placement_name(enum placement p)
{
	static const char *const names[] = { [PLACEMENT_CALL_SITES] = "call-sites",
					     [PLACEMENT_ENTRY_RET] = "entry+ret",
					     [PLACEMENT_ENTRY_SITE] = "entry+call-site" };

	return p < PLACEMENT__MAX ? names[p] : "?";
}


/* Walk of probes__sp_drop(). */
struct sp_walk {
	__u64 entry, site;
	__u64 drop;
	int err; /* -ENOENT until site is reached the right way */
};

static int sp_walk_insn(const struct insn *in, void *ctx)
{
	struct sp_walk *w = ctx;

	if (in->addr == w->entry && !in->emulated)
		return 1;
	if (in->addr == w->site) {
		w->err = 0;
		return 1;
	}
	if (in->sp_other || in->kind == INSN_RET)
		return 1;
	w->drop += in->sp_drop;
	return 0;
}

int probes__sp_drop(const void *code, size_t len, __u64 addr, __u64 site, __u64 *drop)
{
	struct sp_walk w = { .entry = addr, .site = site, .err = -ENOENT };
	int err = x86__decode(code, len, addr, sp_walk_insn, &w);

	if (err < 0)
		return err == -ENOEXEC ? -ENOENT : err;
	if (!w.err)
		*drop = w.drop;
	return w.err;
}

/* Address of the first function found among names, or 0. */
static __u64 func_addr(const struct gobin *gb, const char *const *names)
{
	struct gobin_func fn;

	for (; *names; names++)
		if (!gobin__find_func(gb, *names, &fn))
			return fn.addr;
	return 0;
}

struct scan {
	__u64 asmcgocall, exitsyscall;
	__u64 call_asm, call_exit; /* the call sites, 0 until found */
	bool call_asm_emulated, call_exit_emulated;
	__u64 rets[PROBES_MAX_LEAVE];
	size_t nrets;
	bool too_many_rets, rets_emulated;
	bool entry_ok; /* the entry can pair with call_exit (probes__sp_drop) */
};

static int scan_insn(const struct insn *in, void *ctx)
{
	struct scan *s = ctx;

	if (in->kind == INSN_CALL && in->target == s->asmcgocall && !s->call_asm) {
		s->call_asm = in->addr;
		s->call_asm_emulated = in->emulated;
	} else if (in->kind == INSN_CALL && in->target == s->exitsyscall && s->call_asm &&
		   !s->call_exit) {
		s->call_exit = in->addr;
		s->call_exit_emulated = in->emulated;
	} else if (in->kind == INSN_RET) {
		if (s->nrets == PROBES_MAX_LEAVE)
			s->too_many_rets = true;
		else
			s->rets[s->nrets++] = in->addr;
	}
	return 0;
}

static void plan_entry_ret(struct probe_plan *plan, const struct scan *s)
{
	plan->placement = PLACEMENT_ENTRY_RET;
	plan->enter = plan->cgocall;
	plan->enter_cookie = 0;
	plan->nleave = s->nrets;
	memcpy(plan->leave, s->rets, s->nrets * sizeof(s->rets[0]));
	plan->emulated = false; /* entry and RET are single-stepped */
}

/* The sites runtime.cgocall of gb offers (s), decoded; *cookie: the entry's SP drop. */
static int scan_cgocall(const struct gobin *gb, struct probe_plan *plan, struct scan *s)
{
	static const char *const asmcgocall[] = { "runtime.asmcgocall.abi0", "runtime.asmcgocall",
						  NULL };
	static const char *const exitsyscall[] = { "runtime.exitsyscall", NULL };
	struct gobin_func fn;
	unsigned char *code;
	size_t len;
	int err;

	if (gobin__find_func(gb, "runtime.cgocall", &fn))
		return -ENOENT;
	plan->cgocall = fn.addr;
	code = malloc(CGOCALL_MAX_BYTES);
	if (!code)
		return -ENOMEM;
	len = gobin__read_code(gb, &fn, code, CGOCALL_MAX_BYTES);
	s->asmcgocall = func_addr(gb, asmcgocall);
	s->exitsyscall = func_addr(gb, exitsyscall);
	err = len ? x86__decode(code, len, fn.addr, scan_insn, s) : -ENOENT;
	if (err && err != -ENOEXEC) {
		free(code);
		return err;
	}
	if (s->call_exit && s->call_exit_emulated &&
	    !probes__sp_drop(code, len, fn.addr, s->call_exit, &plan->enter_cookie))
		s->entry_ok = true;
	free(code);
	if (s->nrets == 0 || s->too_many_rets)
		return -ENOENT; /* cannot even fall back */
	return 0;
}

int probes__plan(const struct gobin *gb, int want, struct probe_plan *plan)
{
	struct scan s = { 0 };
	int major, minor, err;

	memset(plan, 0, sizeof(*plan));
	if (!gobin__go_release(gb, &major, &minor) && major == 1 && minor < 17)
		return -ENOTSUP;
	err = scan_cgocall(gb, plan, &s);
	if (err)
		return err;
	if (want == PLACEMENT_ENTRY_RET) {
		snprintf(plan->note, sizeof(plan->note), "entry+ret asked for");
	} else if (!s.asmcgocall || !s.exitsyscall) {
		snprintf(plan->note, sizeof(plan->note),
			 "runtime.asmcgocall or runtime.exitsyscall not found");
	} else if (!s.call_asm || !s.call_exit) {
		snprintf(plan->note, sizeof(plan->note),
			 "no CALL runtime.asmcgocall followed by CALL runtime.exitsyscall in "
			 "runtime.cgocall");
	} else if (s.entry_ok && want != PLACEMENT_CALL_SITES) {
		plan->placement = PLACEMENT_ENTRY_SITE;
		plan->enter = plan->cgocall;
		plan->leave[0] = s.call_exit;
		plan->nleave = 1;
		plan->emulated = true;
		return 0;
	} else {
		if (want == PLACEMENT_ENTRY_SITE)
			snprintf(plan->note, sizeof(plan->note),
				 "runtime.cgocall's entry is not emulated here (Go < 1.21)");
		plan->placement = PLACEMENT_CALL_SITES;
		plan->enter_cookie = 0;
		plan->enter = s.call_asm;
		plan->leave[0] = s.call_exit;
		plan->nleave = 1;
		plan->emulated = s.call_asm_emulated && s.call_exit_emulated;
		return 0;
	}
	plan_entry_ret(plan, &s);
	return 0;
}

int probes__parse_placement(const char *name, int *out)
{
	if (!strcmp(name, "auto")) {
		*out = PROBES_AUTO;
		return 0;
	}
	for (int p = 0; p < PLACEMENT__MAX; p++) {
		if (!strcmp(name, probes__placement_name(p))) {
			*out = p;
			return 0;
		}
	}
	return -EINVAL;
}
