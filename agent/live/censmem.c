/* censmem.c - the census's working memory, kept from call to call. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "census.h"
#include "censmem.h"

#define GROW(mem, field, need)                                                                     \
	censio__grow((void **)&(mem)->field, &(mem)->cap_##field, (need), sizeof(*(mem)->field))

static size_t slot_of(__u64 addr, size_t cap)
{
	return (size_t)(((addr >> 3) * 0x9e3779b97f4a7c15ull) >> 20) & (cap - 1);
}

static int index_prev(struct census_mem *mem)
{
	size_t cap = 16;

	while (cap < 2 * mem->nprev)
		cap *= 2;
	if (cap > mem->cap_hash) {
		free(mem->hash);
		mem->hash = malloc(cap * sizeof(*mem->hash));
		mem->cap_hash = mem->hash ? cap : 0;
		if (!mem->hash)
			return -ENOMEM;
	}
	memset(mem->hash, 0, mem->cap_hash * sizeof(*mem->hash));
	for (size_t j = 0; j < mem->nprev; j++) {
		size_t s = slot_of(mem->prev[j], mem->cap_hash);

		while (mem->hash[s])
			s = (s + 1) & (mem->cap_hash - 1);
		mem->hash[s] = (__u32)(j + 1);
	}
	return 0;
}

long censmem__find(const struct census_mem *mem, __u64 addr)
{
	size_t s;

	if (!mem->nprev)
		return -1;
	for (s = slot_of(addr, mem->cap_hash); mem->hash[s]; s = (s + 1) & (mem->cap_hash - 1))
		if (mem->prev[mem->hash[s] - 1] == addr)
			return (long)mem->hash[s] - 1;
	return -1;
}

int censmem__buffers(struct census_mem *mem, size_t n, size_t size, size_t k)
{
	if (GROW(mem, raw, n * size) || GROW(mem, iov, n * k))
		return -ENOMEM;
	return 0;
}

int censmem__prepare(struct census_mem *mem)
{
	size_t n = mem->nprev ? mem->nprev : 1;

	if (index_prev(mem) || GROW(mem, seen, n))
		return -ENOMEM;
	memset(mem->seen, 0, n);
	return censmem__buffers(mem, n, mem->ml.size, mem->ml.n);
}

int censmem__more_ms(struct census_mem *mem)
{
	return GROW(mem, mr, mem->nm + 1);
}

int censmem__fit(struct census_mem *mem, size_t n)
{
	if (!n)
		n = 1;
	if (GROW(mem, v, n) || GROW(mem, state, n) || GROW(mem, emi, n) || GROW(mem, gi, n) ||
	    GROW(mem, pcs, n * mem->depth))
		return -ENOMEM;
	return censmem__buffers(mem, n, mem->ml.size + mem->gl.size, mem->ml.n + mem->gl.n);
}

/* Swaps this call's entries (and their PCs) with the last call's. */
static void swap_entries(struct census_mem *mem, size_t n)
{
	struct census_entry *v = mem->v;
	__u64 *pcs = mem->pcs;
	size_t cap_v = mem->cap_v, cap_pcs = mem->cap_pcs;

	mem->v = mem->pv;
	mem->cap_v = mem->cap_pv;
	mem->pcs = mem->ppcs;
	mem->cap_pcs = mem->cap_ppcs;
	mem->pv = v;
	mem->cap_pv = cap_v;
	mem->ppcs = pcs;
	mem->cap_ppcs = cap_pcs;
	mem->npv = n;
	mem->pdepth = mem->depth;
}

int censmem__keep(struct census_mem *mem, size_t n)
{
	size_t i;

	censmem__forget(mem);
	if (GROW(mem, prev, mem->nm ? mem->nm : 1) || GROW(mem, pentry, mem->nm ? mem->nm : 1))
		return -ENOMEM;
	for (i = 0; i < mem->nm; i++) {
		mem->prev[i] = mem->mr[i].addr;
		mem->pentry[i] = -1;
	}
	for (i = 0; i < n; i++)
		mem->pentry[mem->emi[i]] = (long)i;
	mem->nprev = mem->nm;
	swap_entries(mem, n);
	return 0;
}

void censmem__forget(struct census_mem *mem)
{
	mem->nprev = 0;
	mem->npv = 0;
}

void censmem__free(struct census_mem *mem)
{
	if (!mem)
		return;
	free(mem->mr);
	free(mem->prev);
	free(mem->pentry);
	free(mem->hash);
	free(mem->seen);
	free(mem->v);
	free(mem->state);
	free(mem->emi);
	free(mem->gi);
	free(mem->pcs);
	free(mem->pv);
	free(mem->ppcs);
	free(mem->raw);
	free(mem->iov);
	censio__scratch_free(&mem->scratch);
	free(mem);
}
