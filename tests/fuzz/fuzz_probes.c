/* fuzz_probes.c - libFuzzer harness: probe planning and C names on a gobin from arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cnames.h"
#include "gobin.h"
#include "probeplan.h"

#define MAX_NAMES 2048

struct walk {
	const struct cnames *cn;
	size_t n;
	__u64 sum;
};

static void name(struct walk *w, __u64 addr)
{
	char buf[128], tiny[4];

	cnames__name(w->cn, addr, buf, sizeof(buf));
	cnames__name(w->cn, addr, tiny, sizeof(tiny));
	if (!memchr(buf, '\0', sizeof(buf)) || !memchr(tiny, '\0', sizeof(tiny)))
		__builtin_trap();
	w->sum += strlen(buf) + strlen(tiny);
}

static int visit(const struct gobin_func *fn, void *ctx)
{
	struct walk *w = ctx;

	if (w->n++ >= MAX_NAMES)
		return 1;
	name(w, fn->addr);
	return 0;
}

static void check_plan(const struct probe_plan *p, int err)
{
	if (err)
		return;
	if (p->nleave > PROBES_MAX_LEAVE || !memchr(p->note, '\0', sizeof(p->note)) ||
	    p->placement >= PLACEMENT__MAX || !p->enter || !p->nleave ||
	    (p->enter_cookie && p->placement != PLACEMENT_ENTRY_SITE))
		__builtin_trap();
	if (!probes__placement_name(p->placement))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gobin *gb = gobin__open_mem(data, size);
	struct probe_plan plan, forced;
	struct walk w = { 0 };
	struct cnames *cn;
	size_t i;

	if (!gb)
		return 0;
	check_plan(&plan, probes__plan(gb, PROBES_AUTO, &plan));
	check_plan(&forced, probes__plan(gb, PLACEMENT_ENTRY_RET, &forced));
	cn = cnames__new(gb);
	if (cn) {
		w.cn = cn;
		w.sum += cnames__wrapped(cn);
		name(&w, plan.cgocall);
		name(&w, plan.enter);
		for (i = 0; i < plan.nleave && i < PROBES_MAX_LEAVE; i++)
			name(&w, plan.leave[i]);
		name(&w, 0);
		name(&w, UINT64_MAX);
		gobin__for_each_func(gb, visit, &w);
		cnames__free(cn);
	}
	gobin__close(gb);
	return w.sum == 0x5eed5eed5eed5eedull; /* never: libFuzzer wants 0 */
}
