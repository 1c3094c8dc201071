/* pcvalue.c - decodes a function's pc-value tables, file names and funcdata in .gopclntab. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "pclntab.h"

/* Reads the unsigned LEB128 varint at *p (at most 5 bytes: a uint32) below end. */
static int uvarint(const unsigned char **p, const unsigned char *end, __u32 *v)
{
	unsigned int shift;
	__u32 x = 0;

	for (shift = 0; shift < 35 && *p < end; shift += 7) {
		unsigned char b = *(*p)++;

		x |= (__u32)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * One (value delta, pc delta) pair of a pc-value table: false at the end
 * (a zero value delta after the first pair) or when malformed (*err set).
 */
static bool step(const unsigned char **p, const unsigned char *end, __u64 *pc, __s32 *val,
		 bool first, unsigned int quantum, int *err)
{
	__u32 uv, dpc;

	*err = -EINVAL;
	if (*p < end && !**p && !first)
		*err = -ENOENT; /* the end: pc is past the range the table covers */
	if (*p >= end || (!**p && !first) || uvarint(p, end, &uv) || uvarint(p, end, &dpc))
		return false;
	/* A zig-zag delta; int32 arithmetic wraps in Go, so it does here. */
	*val = (__s32)((__u32)*val + (-(uv & 1) ^ (uv >> 1)));
	*pc += (__u64)dpc * quantum;
	return true;
}

int pclntab__pcvalue(const struct pclntab *pt, const struct pclntab_func *fn, __u32 off, __u64 pc,
		     __s32 *val)
{
	const unsigned char *p, *end = pt->data + pt->len;
	__u64 at = fn->entry;
	__s32 v = -1;
	int err = -ENOENT;

	if (!off || !pt->pctab || off >= pt->len - pt->pctab || pc < fn->entry)
		return -ENOENT;
	p = pt->data + pt->pctab + off;
	/* Every pair takes two bytes at least: the loop ends within the table. */
	while (step(&p, end, &at, &v, at == fn->entry, pt->quantum ? pt->quantum : 1, &err)) {
		if (pc < at) {
			*val = v;
			return 0;
		}
	}
	return err;
}

int pclntab__pcdata(const struct pclntab *pt, const struct pclntab_func *fn, __u32 table, __u64 pc,
		    __s32 *val)
{
	__u64 off;

	if (table >= fn->npcdata || pclntab__word(pt, fn->pcdata + 4ull * table, 4, &off))
		return -ENOENT;
	return pclntab__pcvalue(pt, fn, off, pc, val);
}

const char *pclntab__file(const struct pclntab *pt, const struct pclntab_func *fn, __s32 fileno)
{
	__u64 fileoff, name;

	if (fileno < 0 || !pt->cutab ||
	    pclntab__word(pt, pt->cutab + 4 * ((__u64)fn->cu + fileno), 4, &fileoff) ||
	    fileoff == 0xffffffffu)
		return NULL;
	name = pt->filetab + fileoff;
	if (name >= pt->len || !memchr(pt->data + name, '\0', pt->len - name))
		return NULL;
	return (const char *)pt->data + name;
}

int pclntab__funcdata(const struct pclntab *pt, const struct pclntab_func *fn, unsigned int idx,
		      __u64 gofunc, __u64 *addr)
{
	unsigned int size = fn->funcdata_size;
	__u64 v;

	if (idx >= fn->nfuncdata || !size ||
	    pclntab__word(pt, fn->funcdata + (__u64)idx * size, size, &v))
		return -ENOENT;
	if (size == 8) { /* a link address, 0 when absent */
		*addr = v;
		return v ? 0 : -ENOENT;
	}
	if (v == 0xffffffffu || !gofunc)
		return -ENOENT;
	*addr = gofunc + v;
	return 0;
}
