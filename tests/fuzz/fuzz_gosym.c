/* fuzz_gosym.c - libFuzzer harness: gosym lookups of many PCs in gobin__open_mem() of any bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gobin.h"
#include "gosym.h"

#define MAX_FUNCS  2048 /* bounds the per-function lookups on huge tables */
#define MAX_FRAMES 16

struct walk {
	struct gosym *gs;
	size_t n;
	__u64 sum; /* consumes what was read, so nothing is optimised away */
};

/* Looks pc up with every max up to MAX_FRAMES (cache hits and misses) and both kinds. */
static void lookup(struct walk *w, __u64 pc)
{
	struct gosym_frame out[MAX_FRAMES];
	unsigned int max, flags;
	int n, k;

	for (flags = 0; flags <= GOSYM_EXACT; flags++) {
		for (max = 1; max <= MAX_FRAMES; max *= 4) {
			n = gosym__lookup(w->gs, pc, flags, out, max);
			if (n < 0 || (unsigned int)n > max)
				__builtin_trap();
			for (k = 0; k < n; k++)
				w->sum += strlen(out[k].func) + strlen(out[k].file) + out[k].line +
					  out[k].inlined + out[k].pc;
		}
	}
}

static int visit(const struct gobin_func *fn, void *ctx)
{
	struct walk *w = ctx;

	if (w->n++ >= MAX_FUNCS)
		return 1;
	lookup(w, fn->addr);
	lookup(w, fn->addr + 1);
	if (fn->size) {
		lookup(w, fn->addr + fn->size / 2);
		lookup(w, fn->addr + fn->size - 1);
		lookup(w, fn->addr + fn->size);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gobin *gb = gobin__open_mem(data, size);
	struct walk w = { 0 };
	__u64 pc = 0;
	size_t i;

	if (!gb)
		return 0;
	w.gs = gosym__new(gb);
	if (w.gs) {
		gobin__for_each_func(gb, visit, &w);
		/* PCs from the input's last bytes, including absurd ones. */
		for (i = 0; i < 4 && size >= 8 * (i + 1); i++) {
			memcpy(&pc, data + size - 8 * (i + 1), sizeof(pc));
			lookup(&w, pc);
		}
		lookup(&w, 0);
		lookup(&w, UINT64_MAX);
	}
	gosym__free(w.gs);
	gobin__close(gb);
	return w.sum == 0x5eed5eed5eed5eedull; /* never: libFuzzer wants 0 */
}
