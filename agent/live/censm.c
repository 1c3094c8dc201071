/* censm.c - the census's walk of runtime.allm, batched where the list is as at the last call. */
#include <errno.h>
#include "census.h"
#include "censmem.h"
#include "gort.h"

/* Appends the M at addr (index prev in the last list, or -1), read into rec. 0 or -ENOMEM. */
static int m_add(struct census_mem *mem, __u64 addr, long prev, const void *rec)
{
	const struct layout *l = &mem->ml;
	struct census_m *m;

	if (censmem__more_ms(mem))
		return -ENOMEM;
	m = &mem->mr[mem->nm++];
	m->addr = addr;
	m->prev = prev;
	m->tid = (__u32)censio__field(l, rec, MF_PROCID);
	m->ncgocall = censio__field(l, rec, MF_NCGOCALL);
	m->incgo = (censio__field(l, rec, MF_INCGO) & 0xff) != 0;
	m->curg = mem->curg_known ? censio__field(l, rec, MF_CURG) : 0;
	m->next = censio__field(l, rec, MF_ALLLINK);
	return 0;
}

/* Reads the M at addr alone. */
static int read_one(const struct census_src *src, struct census_mem *mem, __u64 addr)
{
	size_t n = censio__iov(&mem->ml, addr, mem->raw, mem->iov);
	int err = censio__readv(src, &mem->scratch, mem->iov, n);

	if (err)
		return err;
	if (!censio__ok(mem->iov, n))
		return -EFAULT;
	return m_add(mem, addr, -1, mem->raw);
}

/*
 * Reads prev[j..j+cnt) of the last list at once and keeps them for as long
 * as each one's link is the next one; the first that links elsewhere is kept
 * too, and its link is where the walk goes on (*cur). Returns 0 or -errno.
 */
static int read_known(const struct census_src *src, struct census_mem *mem, size_t j, size_t cnt,
		      __u64 *cur)
{
	size_t k = mem->ml.n, i;
	int err;

	for (i = 0; i < cnt; i++)
		censio__iov(&mem->ml, mem->prev[j + i], mem->raw + i * mem->ml.size,
			    mem->iov + i * k);
	err = censio__readv(src, &mem->scratch, mem->iov, cnt * k);
	for (i = 0; !err && i < cnt; i++) {
		__u64 want = j + i + 1 < mem->nprev ? mem->prev[j + i + 1] : 0;

		if (!censio__ok(mem->iov + i * k, k))
			return i ? 0 : -EFAULT; /* go on from the last one read */
		mem->seen[j + i] = 1;
		err = m_add(mem, mem->prev[j + i], (long)(j + i), mem->raw + i * mem->ml.size);
		if (err)
			break;
		*cur = mem->mr[mem->nm - 1].next;
		if (*cur != want)
			break;
	}
	return err;
}

int censm__walk(const struct census_src *src, const struct gort_addrs *a, __u64 bias,
		unsigned int max_ms, struct census_mem *mem)
{
	struct census_iov head = { .addr = a->allm + bias, .len = sizeof(__u64) };
	__u64 cur = 0;
	int err;

	head.buf = &cur;
	mem->nm = 0;
	err = censio__readv(src, NULL, &head, 1);
	if (!err)
		err = head.err;
	while (!err && cur) {
		long j = censmem__find(mem, cur);
		size_t left = max_ms - mem->nm;

		if (!left || (j >= 0 && mem->seen[j]))
			return -ELOOP;
		if (j >= 0)
			err = read_known(src, mem, (size_t)j,
					 mem->nprev - j < left ? mem->nprev - j : left, &cur);
		else if (!(err = read_one(src, mem, cur)))
			cur = mem->mr[mem->nm - 1].next;
	}
	return err;
}
