/* censio.c - the census's reads: struct fields as few ranges, read in batches. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include "census.h"
#include "censio.h"

#define MERGE_GAP  128 /* fields closer than this share a range */
#define IOV_BATCH  1024 /* UIO_MAXIOV: ranges per process_vm_readv */
#define PAGE	   4096
#define GATHER_MAX 65536 /* longest gathered read */
#define GAP_NEAR   256 /* bytes between ranges read anyway */
#define GAP_PAGE   2048

void censio__layout(struct layout *l, const __u32 *offs, unsigned int nf)
{
	__u32 sorted[LAYOUT_MAX], at = 0;
	unsigned int i, j;

	memset(l, 0, sizeof(*l));
	l->nf = nf;
	memcpy(sorted, offs, nf * sizeof(*offs));
	for (i = 1; i < nf; i++) /* insertion sort: a handful of fields */
		for (j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
			__u32 t = sorted[j];

			sorted[j] = sorted[j - 1];
			sorted[j - 1] = t;
		}
	for (i = 0; i < nf; i++) {
		if (l->n && sorted[i] <= l->lo[l->n - 1] + l->len[l->n - 1] + MERGE_GAP) {
			__u32 end = sorted[i] + 8;

			if (end > l->lo[l->n - 1] + l->len[l->n - 1])
				l->len[l->n - 1] = end - l->lo[l->n - 1];
			continue;
		}
		l->lo[l->n] = sorted[i];
		l->len[l->n++] = 8;
	}
	for (i = 0; i < l->n; i++) {
		for (j = 0; j < nf; j++)
			if (offs[j] >= l->lo[i] && offs[j] < l->lo[i] + l->len[i])
				l->at[j] = at + offs[j] - l->lo[i];
		at += l->len[i];
	}
	l->size = at;
}

size_t censio__iov(const struct layout *l, __u64 addr, void *rec, struct census_iov *v)
{
	unsigned char *p = rec;

	for (unsigned int i = 0; i < l->n; i++) {
		v[i].addr = addr + l->lo[i];
		v[i].buf = p;
		v[i].len = l->len[i];
		v[i].err = 0;
		p += l->len[i];
	}
	return l->n;
}

__u64 censio__field(const struct layout *l, const void *rec, unsigned int i)
{
	__u64 v;

	memcpy(&v, (const unsigned char *)rec + l->at[i], sizeof(v));
	return v;
}

bool censio__ok(const struct census_iov *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].err)
			return false;
	return true;
}

static int read_direct(const struct census_src *src, struct census_iov *v, size_t n)
{
	if (src->readv)
		return src->readv(src->ctx, v, n);
	for (size_t i = 0; i < n; i++)
		v[i].err = src->read(src->ctx, v[i].addr, v[i].buf, v[i].len);
	return 0;
}

/* A range by address, for gathering. */
struct censio_ord {
	__u64 addr;
	size_t i;
};

static int cmp_ord(const void *a, const void *b)
{
	const struct censio_ord *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static __u64 end_of(const struct census_iov *v)
{
	return v->addr + v->len < v->addr ? ~0ull : v->addr + v->len;
}

/*
 * Whether the range next, at or after lo, is worth reading with the gathered
 * range [lo, hi): a page costs process_vm_readv several times what copying
 * 2 KiB does, a range in a page of its own a little more than copying 256 bytes.
 */
static bool joins(__u64 lo, __u64 hi, const struct census_iov *next)
{
	__u64 gap = next->addr > hi ? next->addr - hi : 0;
	bool same_page = next->addr / PAGE == (hi - 1) / PAGE;

	if (end_of(next) == ~0ull || end_of(next) - lo > GATHER_MAX)
		return false;
	return gap <= GAP_NEAR || (same_page && gap <= GAP_PAGE);
}

/* Sizes s for n ranges. Returns 0 or -ENOMEM. */
static int scratch_fit(struct censio_scratch *s, size_t n)
{
	if (censio__grow((void **)&s->ord, &s->cap_ord, n, sizeof(*s->ord)) ||
	    censio__grow((void **)&s->giov, &s->cap_giov, n, sizeof(*s->giov)) ||
	    censio__grow((void **)&s->gfirst, &s->cap_gfirst, n + 1, sizeof(*s->gfirst)))
		return -ENOMEM;
	return 0;
}

/* Points the gathered reads of more than one range into s->bounce. Returns 0 or -ENOMEM. */
static int bounce(struct censio_scratch *s, size_t g, size_t bytes)
{
	if (censio__grow((void **)&s->bounce, &s->cap_bounce, bytes ? bytes : 1, 1))
		return -ENOMEM;
	for (size_t k = 0, at = 0; k < g; k++) {
		if (s->gfirst[k + 1] - s->gfirst[k] == 1)
			continue;
		s->giov[k].buf = s->bounce + at;
		at += s->giov[k].len;
	}
	return 0;
}

/*
 * Plans the gathered reads of v, sorted into s->ord: s->giov[k] reads the
 * ranges ord[gfirst[k]..gfirst[k+1]), into its one range's buffer or into
 * s->bounce. Returns the number of reads, or -ENOMEM.
 */
static long gather(struct censio_scratch *s, const struct census_iov *v, size_t n)
{
	size_t i = 0, g = 0, bytes = 0;

	for (size_t k = 0; k < n; k++)
		s->ord[k] = (struct censio_ord){ v[k].addr, k };
	qsort(s->ord, n, sizeof(*s->ord), cmp_ord);
	while (i < n) {
		const struct census_iov *r = &v[s->ord[i].i];
		__u64 lo = r->addr, hi = end_of(r);
		size_t j = i + 1;

		for (; j < n && joins(lo, hi, &v[s->ord[j].i]); j++)
			if (end_of(&v[s->ord[j].i]) > hi)
				hi = end_of(&v[s->ord[j].i]);
		s->gfirst[g] = i;
		s->giov[g] = *r;
		if (j - i > 1) {
			s->giov[g].len = hi - lo;
			bytes += hi - lo;
		}
		g++;
		i = j;
	}
	s->gfirst[g] = n;
	return bounce(s, g, bytes) ? -ENOMEM : (long)g;
}

/* Copies the gathered reads out to v; a failed one's ranges are read again alone. */
static int scatter(const struct census_src *src, const struct censio_scratch *s,
		   struct census_iov *v, size_t g)
{
	int err = 0;

	for (size_t k = 0; k < g && !err; k++) {
		const struct census_iov *gv = &s->giov[k];

		for (size_t o = s->gfirst[k]; o < s->gfirst[k + 1] && !err; o++) {
			struct census_iov *r = &v[s->ord[o].i];

			if (s->gfirst[k + 1] - s->gfirst[k] == 1)
				r->err = gv->err;
			else if (!gv->err)
				memcpy(r->buf, (unsigned char *)gv->buf + (r->addr - gv->addr),
				       r->len);
			else
				err = read_direct(src, r, 1);
			if (!gv->err)
				r->err = 0;
		}
	}
	return err;
}

int censio__readv(const struct census_src *src, struct censio_scratch *s, struct census_iov *v,
		  size_t n)
{
	long g;
	int err;

	if (!n)
		return 0;
	if (!s || n < 2)
		return read_direct(src, v, n);
	if (scratch_fit(s, n))
		return -ENOMEM;
	g = gather(s, v, n);
	if (g < 0)
		return (int)g;
	err = read_direct(src, s->giov, (size_t)g);
	return err ? err : scatter(src, s, v, (size_t)g);
}

void censio__scratch_free(struct censio_scratch *s)
{
	free(s->ord);
	free(s->giov);
	free(s->gfirst);
	free(s->bounce);
	memset(s, 0, sizeof(*s));
}

int censio__grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

/* One process_vm_readv of k <= IOV_BATCH ranges; returns how many were settled, or -errno. */
static ssize_t pid_batch(pid_t pid, struct census_iov *v, size_t k)
{
	struct iovec loc[IOV_BATCH], rem[IOV_BATCH];
	ssize_t got;
	size_t j;

	for (j = 0; j < k; j++) {
		loc[j].iov_base = v[j].buf;
		rem[j].iov_base = (void *)(uintptr_t)v[j].addr;
		loc[j].iov_len = rem[j].iov_len = v[j].len;
	}
	got = process_vm_readv(pid, loc, k, rem, k, 0);
	if (got < 0 && errno != EFAULT)
		return -errno;
	if (got < 0)
		got = 0;
	/* the ranges before the first one not read whole were read */
	for (j = 0; j < k && (size_t)got >= v[j].len; j++) {
		v[j].err = 0;
		got -= v[j].len;
	}
	if (j < k)
		v[j++].err = -EFAULT;
	return j;
}

static int pid_readv(void *ctx, struct census_iov *v, size_t n)
{
	pid_t pid = (pid_t)(intptr_t)ctx;
	size_t i = 0;

	while (i < n) {
		ssize_t done = pid_batch(pid, v + i, n - i < IOV_BATCH ? n - i : IOV_BATCH);

		if (done < 0)
			return (int)done;
		i += done;
	}
	return 0;
}

struct census_src census__pid_src(pid_t pid)
{
	return (struct census_src){ .readv = pid_readv, .ctx = (void *)(intptr_t)pid };
}
