/* gort.c - Go runtime settings of a process: GOMAXPROCS and the thread limit, located in code, read from memory. */
#include <errno.h>
#include <string.h>
#include "gobin.h"
#include "gort.h"
#include "procfs.h"
#include "x86.h"

#define CHECKMCOUNT_MAX_BYTES 512
#define SANE_MAX 1000000000

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

static __u64 find_maxmcount(const struct gobin *gb)
{
	unsigned char code[CHECKMCOUNT_MAX_BYTES];
	struct cmp_scan s = { 0 };
	struct gobin_func fn;
	size_t len;

	if (gobin__find_func(gb, "runtime.checkmcount", &fn))
		return 0;
	len = gobin__read_code(gb, &fn, code, sizeof(code));
	if (len)
		x86__decode(code, len, fn.addr, scan_checkmcount, &s);
	return s.found;
}

int gort__locate(const struct gobin *gb, struct gort_addrs *a)
{
	memset(a, 0, sizeof(*a));
	if (gobin__find_data(gb, "runtime.gomaxprocs", &a->gomaxprocs))
		a->gomaxprocs = 0;
	a->maxmcount = find_maxmcount(gb);
	return 0;
}

static int read_i32(pid_t pid, __u64 addr, int *out)
{
	__s32 v;

	if (!addr || procfs__read_mem(pid, addr, &v, sizeof(v)) || v <= 0 || v > SANE_MAX)
		return -ENOENT;
	*out = v;
	return 0;
}

void gort__read(pid_t pid, __u64 bias, const struct gort_addrs *a, struct gort_values *v)
{
	if (!a->gomaxprocs || read_i32(pid, a->gomaxprocs + bias, &v->gomaxprocs))
		v->gomaxprocs = -1;
	v->max_threads_assumed =
		!a->maxmcount || read_i32(pid, a->maxmcount + bias, &v->max_threads);
	if (v->max_threads_assumed)
		v->max_threads = GORT_DEFAULT_MAX_THREADS;
}
