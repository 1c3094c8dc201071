/* pclntab.c - parses Go's function table (.gopclntab): header, functab and function names. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "pclntab.h"

static __u64 rd_le(const unsigned char *p, unsigned int n)
{
	__u64 v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* Reads the n-byte word at off; fails when it lies outside the table. */
static int word_at(const struct pclntab *pt, __u64 off, unsigned int n, __u64 *v)
{
	if (off > pt->len || pt->len - off < n)
		return -1;
	*v = rd_le(pt->data + off, n);
	return 0;
}

/* Go 1.18+ tables hold 32-bit offsets from textStart instead of addresses. */
static bool uses_offsets(const struct pclntab *pt)
{
	return pt->magic == PCLNTAB_MAGIC_118 || pt->magic == PCLNTAB_MAGIC_120;
}

static unsigned int field_size(const struct pclntab *pt)
{
	return uses_offsets(pt) ? 4 : pt->ptrsize;
}

/* Header words after the 8-byte prefix: nfunc, then version-specific offsets. */
static int hdr_word(const struct pclntab *pt, unsigned int idx, __u64 *v)
{
	return word_at(pt, 8 + (__u64)idx * pt->ptrsize, pt->ptrsize, v);
}

int pclntab__init(struct pclntab *pt, const void *data, size_t len)
{
	const unsigned char *p = data;
	__u64 nfunc, names = 0, tab, fs, slots;

	memset(pt, 0, sizeof(*pt));
	pt->data = p;
	pt->len = len;
	if (!p || len < 16 || p[4] || p[5] || (p[6] != 1 && p[6] != 2 && p[6] != 4) ||
	    (p[7] != 4 && p[7] != 8))
		return -ENOEXEC;
	pt->magic = rd_le(p, 4);
	pt->ptrsize = p[7];
	if (hdr_word(pt, 0, &nfunc))
		return -ENOEXEC;

	switch (pt->magic) {
	case PCLNTAB_MAGIC_12:
		tab = 8 + pt->ptrsize;
		pt->funcdata = 0;
		break;
	case PCLNTAB_MAGIC_116:
		if (hdr_word(pt, 2, &names) || hdr_word(pt, 6, &tab))
			return -ENOEXEC;
		pt->funcdata = tab;
		break;
	case PCLNTAB_MAGIC_118:
	case PCLNTAB_MAGIC_120:
		if (hdr_word(pt, 2, &pt->text_start) || hdr_word(pt, 3, &names) ||
		    hdr_word(pt, 7, &tab))
			return -ENOEXEC;
		pt->funcdata = tab;
		break;
	default:
		return -ENOEXEC;
	}

	/* The functab is nfunc (entry, funcoff) pairs plus the end PC. */
	fs = field_size(pt);
	if (names >= len || tab >= len)
		return -ENOEXEC;
	slots = (len - tab) / fs;
	if (slots < 1 || nfunc > (slots - 1) / 2)
		return -ENOEXEC;
	pt->nfunc = nfunc;
	pt->funcnametab = names;
	pt->functab = tab;
	return 0;
}

ssize_t pclntab__find(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	struct pclntab pt;
	size_t off;
	__u32 m;

	for (off = 0; len >= 16 && off <= len - 16; off += 4) {
		m = rd_le(p + off, 4);
		if (m != PCLNTAB_MAGIC_12 && m != PCLNTAB_MAGIC_116 && m != PCLNTAB_MAGIC_118 &&
		    m != PCLNTAB_MAGIC_120)
			continue;
		if (p[off + 7] != 8 || pclntab__init(&pt, p + off, len - off) || !pt.nfunc)
			continue;
		return off;
	}
	return -1;
}

__u64 pclntab__first_entry_off(const struct pclntab *pt)
{
	__u64 v = 0;

	if (uses_offsets(pt) && pt->nfunc)
		word_at(pt, pt->functab, 4, &v);
	return v;
}

/* Name of the function whose _func struct is at funcoff, or NULL when malformed. */
static const char *func_name(const struct pclntab *pt, __u64 funcoff)
{
	__u64 fn = pt->funcdata + funcoff, nameoff;

	if (funcoff > pt->len || word_at(pt, fn + field_size(pt), 4, &nameoff))
		return NULL;
	if (nameoff & 0x80000000u) /* negative int32 */
		return NULL;
	nameoff += pt->funcnametab;
	if (nameoff >= pt->len || !pt->data[nameoff])
		return NULL;
	if (!memchr(pt->data + nameoff, '\0', pt->len - nameoff))
		return NULL;
	return (const char *)pt->data + nameoff;
}

/* abi.FuncFlagAsm in the _func flag byte, which moved when 1.20 added startLine. */
static unsigned int func_flags(const struct pclntab *pt, __u64 funcoff)
{
	__u64 off = pt->magic == PCLNTAB_MAGIC_118 ? 37 : 41, flag;

	if (!uses_offsets(pt) || word_at(pt, pt->funcdata + funcoff + off, 1, &flag))
		return 0;
	return flag & 0x4 ? PCLNTAB_FUNC_ASM : 0;
}

int pclntab__for_each_func(const struct pclntab *pt, __u64 text_start,
			   int (*cb)(const char *name, __u64 entry, __u64 end, unsigned int flags,
				     void *ctx),
			   void *ctx)
{
	unsigned int fs = field_size(pt);
	__u64 i, entry, funcoff, end, base = uses_offsets(pt) ? text_start : 0;
	const char *name;
	int err;

	for (i = 0; i < pt->nfunc; i++) {
		/* init() checked that all 2 * nfunc + 1 slots are in bounds. */
		if (word_at(pt, pt->functab + 2 * i * fs, fs, &entry) ||
		    word_at(pt, pt->functab + (2 * i + 1) * fs, fs, &funcoff) ||
		    word_at(pt, pt->functab + (2 * i + 2) * fs, fs, &end))
			return 0;
		name = func_name(pt, funcoff);
		if (!name || end < entry)
			continue;
		err = cb(name, base + entry, base + end, func_flags(pt, funcoff), ctx);
		if (err)
			return err;
	}
	return 0;
}
