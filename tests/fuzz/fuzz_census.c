/* fuzz_census.c - libFuzzer harness: census__read() twice on fuzzed memory that changes as it is
 * read. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "census.h"
#include "gort.h"

#define BASE 0x10000ull
#define HDR  16

/*
 * Input: flags (1: no g.syscallbp, as before Go 1.23; 2: no fn slot; 4: read
 * through readv), max_depth, the image offset of a word to overwrite (u16)
 * after that many reads (u16), 2 unused bytes, the value (u64); then the
 * target's memory at BASE, runtime.allm's value first.
 */
struct fuzz_mem {
	uint8_t *img;
	size_t len, poke_off;
	unsigned long reads, poke_after;
	__u64 poke_val;
};

static int fuzz_read(void *ctx, __u64 addr, void *buf, size_t len)
{
	struct fuzz_mem *f = ctx;

	if (++f->reads == f->poke_after && f->poke_off + 8 <= f->len)
		memcpy(f->img + f->poke_off, &f->poke_val, 8);
	if (addr < BASE || addr - BASE >= f->len || f->len - (addr - BASE) < len)
		return -EFAULT;
	memcpy(buf, f->img + (addr - BASE), len);
	return 0;
}

static int fuzz_readv(void *ctx, struct census_iov *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		v[i].err = fuzz_read(ctx, v[i].addr, v[i].buf, v[i].len);
	return 0;
}

static void check(int err, const struct census *c, unsigned int depth)
{
	if (err) {
		if (err > 0 || err < -4095 || c->n || c->v)
			__builtin_trap();
		return;
	}
	if (c->n + c->torn + c->lost != c->in_c || c->in_c > c->nm)
		__builtin_trap();
	for (size_t i = 0; i < c->n; i++) {
		const struct census_entry *e = &c->v[i];

		if (e->npc > depth || (e->npc && !e->pcs) || (e->truncated && e->npc != depth))
			__builtin_trap();
		if (e->syscallbp && (e->syscallbp < e->stack_lo || e->syscallbp >= e->stack_hi ||
				     e->stack_hi - e->syscallbp < 16))
			__builtin_trap();
		for (unsigned int k = 0; k < e->npc; k++)
			if (!e->pcs[k])
				__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gort_addrs a = {
		.allm = BASE,
		.m_procid = 0x8,
		.m_curg = 0x10,
		.m_incgo = 0x18,
		.m_ncgocall = 0x20,
		.m_alllink = 0x28,
		.g_syscallsp = 0x10,
		.g_syscallpc = 0x18,
		.g_syscallbp = 0x20,
		.cgocall_fn = 0x38,
		.cgocall_bp = 0x28,
	};
	struct fuzz_mem f = { 0 };
	struct census_src src = { .read = fuzz_read, .ctx = &f };
	struct census_opts o = { .max_ms = 256 };
	struct census c = { 0 };
	uint16_t off, after;
	unsigned int depth;

	if (size < HDR)
		return 0;
	if (data[0] & 1)
		a.g_syscallbp = 0;
	if (data[0] & 2)
		a.cgocall_fn = 0;
	if (data[0] & 4)
		src.readv = fuzz_readv;
	o.max_depth = data[1];
	depth = o.max_depth ? o.max_depth : CENSUS_DEFAULT_DEPTH;
	memcpy(&off, data + 2, 2);
	memcpy(&after, data + 4, 2);
	memcpy(&f.poke_val, data + 8, 8);
	f.poke_off = off;
	f.poke_after = after;
	f.len = size - HDR;
	f.img = malloc(f.len ? f.len : 1);
	if (!f.img)
		return 0;
	memcpy(f.img, data + HDR, f.len);
	for (int round = 0; round < 2; round++)
		check(census__read(&src, &a, 0, &o, &c), &c, depth);
	census__free(&c);
	free(f.img);
	return 0;
}
