/* censio.h - the census's reads: struct fields as few ranges, read in batches. */
#ifndef CGOSCOPE_CENSIO_H
#define CGOSCOPE_CENSIO_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct census_src;
struct census_iov;

#define LAYOUT_MAX 8

/*
 * Where 8-byte fields of a struct are read: ranges [lo, lo + len) of the
 * struct copied one after the other into a record of size bytes, field i
 * landing at at[i]. Fields close together share a range.
 */
struct layout {
	unsigned int nf, n;
	__u32 lo[LAYOUT_MAX], len[LAYOUT_MAX];
	__u32 at[LAYOUT_MAX];
	__u32 size;
};

/* Plans l for the nf (<= LAYOUT_MAX) field offsets offs. */
void censio__layout(struct layout *l, const __u32 *offs, unsigned int nf);

/* Fills v[0..l->n) to read the struct at addr into rec; returns l->n. */
size_t censio__iov(const struct layout *l, __u64 addr, void *rec, struct census_iov *v);

/* Field i of a record read by l. */
__u64 censio__field(const struct layout *l, const void *rec, unsigned int i);

/* True when every v[0..n) was read. */
bool censio__ok(const struct census_iov *v, size_t n);

/* Buffers for gathering ranges: kept from call to call. */
struct censio_scratch {
	struct censio_ord *ord; /* the ranges by address */
	size_t cap_ord;
	struct census_iov *giov; /* the gathered reads */
	size_t cap_giov;
	size_t *gfirst; /* where in ord each gathered read's ranges begin */
	size_t cap_gfirst;
	unsigned char *bounce;
	size_t cap_bounce;
};

/*
 * Reads v[0..n) through src (its readv, else one read per range), setting
 * every v[i].err. Ranges that share a page are read as one (a page costs
 * about as much as a range to process_vm_readv), through s's buffers; when
 * such a gathered read fails, its ranges are read again one by one. s may
 * be NULL (no gathering). Returns 0, or -errno when src cannot read at all.
 */
int censio__readv(const struct census_src *src, struct censio_scratch *s, struct census_iov *v,
		  size_t n);

/* Releases what s holds. */
void censio__scratch_free(struct censio_scratch *s);

/* Makes *p hold at least need elements of size bytes (growing by doubling). Returns 0 or -ENOMEM.
 */
int censio__grow(void **p, size_t *cap, size_t need, size_t size);

#endif /* CGOSCOPE_CENSIO_H */
