/* fuzz_gobin.c - libFuzzer harness: gobin__open_mem() on arbitrary bytes, then every query. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gobin.h"

#define MAX_FUNCS 4096 /* bounds the per-function queries on huge symbol tables */

struct walk {
	const struct gobin *gb;
	size_t n;
	__u64 sum; /* consumes what was read, so nothing is optimised away */
};

static int visit(const struct gobin_func *fn, void *ctx)
{
	struct walk *w = ctx;
	struct gobin_func at, byname;
	unsigned char code[256];
	__u64 off, word;
	size_t len;

	if (w->n++ >= MAX_FUNCS)
		return 1;
	w->sum += strlen(fn->name);
	if (!gobin__func_at(w->gb, fn->addr, &at))
		w->sum += at.addr + strlen(at.name);
	if (fn->size && !gobin__func_at(w->gb, fn->addr + fn->size - 1, &at))
		w->sum += at.size;
	if (!gobin__find_func(w->gb, fn->name, &byname))
		w->sum += byname.addr;
	if (!gobin__addr_to_offset(w->gb, fn->addr, &off))
		w->sum += off;
	len = gobin__read_code(w->gb, fn, code, sizeof(code));
	if (len > sizeof(code))
		__builtin_trap();
	if (len)
		w->sum += code[len - 1];
	if (!gobin__read(w->gb, fn->addr, &word, sizeof(word)))
		w->sum += word;
	return 0;
}

static __u64 rd64(const uint8_t *data, size_t size, size_t from_end)
{
	__u64 v = 0;

	if (size >= from_end)
		memcpy(&v, data + size - from_end, sizeof(v) < from_end ? sizeof(v) : from_end);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const funcs[] = { "runtime.cgocall", "runtime.asmcgocall.abi0",
					     "runtime.exitsyscall", "runtime.checkmcount",
					     "main.main", "", "x_cgo_init" };
	static const char *const vars[] = { "runtime.iscgo", "runtime.gomaxprocs",
					    "runtime.sched", "" };
	struct gobin *gb = gobin__open_mem(data, size);
	struct walk w = { .gb = gb };
	struct gobin_func fn;
	unsigned char buf[4096];
	const char *s;
	__u64 addr, off;
	size_t i, len;
	int major, minor;

	if (!gb)
		return 0;
	s = gobin__go_version(gb);
	if (s)
		w.sum += strlen(s);
	s = gobin__go_module(gb);
	if (s)
		w.sum += strlen(s);
	if (!gobin__go_release(gb, &major, &minor))
		w.sum += major + minor;
	w.sum += gobin__has_cgo(gb) + gobin__stripped(gb) + gobin__is_pie(gb);
	for (i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		if (gobin__find_func(gb, funcs[i], &fn))
			continue;
		w.sum += gobin__read_code(gb, &fn, buf, sizeof(buf));
		if (!gobin__func_at(gb, fn.addr, &fn))
			w.sum += fn.size;
	}
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (!gobin__find_data(gb, vars[i], &addr) && !gobin__read(gb, addr, buf, 8))
			w.sum += buf[0];
	gobin__for_each_func(gb, visit, &w);

	/* Addresses and lengths from the input's last bytes, including absurd ones. */
	addr = rd64(data, size, 8);
	len = rd64(data, size, 10) % (sizeof(buf) + 1);
	if (!gobin__func_at(gb, addr, &fn))
		w.sum += fn.addr;
	if (!gobin__addr_to_offset(gb, addr, &off))
		w.sum += off;
	if (!gobin__read(gb, addr, buf, len) && len)
		w.sum += buf[len - 1];
	if (!gobin__read(gb, UINT64_MAX - 3, buf, 8) || !gobin__read(gb, 0, buf, 0))
		w.sum++;
	fn = (struct gobin_func){ "x", addr, len };
	w.sum += gobin__read_code(gb, &fn, buf, sizeof(buf));
	gobin__close(gb);
	return w.sum == 0x5eed5eed5eed5eedull; /* never: libFuzzer wants 0 */
}
