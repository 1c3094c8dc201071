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

int pclntab__word(const struct pclntab *pt, __u64 off, unsigned int n, __u64 *v)
{
	if (off > pt->len || pt->len - off < n)
		return -ERANGE;
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
	return pclntab__word(pt, 8 + (__u64)idx * pt->ptrsize, pt->ptrsize, v);
}

/* Go 1.16+: the cutab, filetab and pctab offsets, from header word first on. */
static int file_tables(struct pclntab *pt, unsigned int first)
{
	__u64 cu, files, pcs;

	if (hdr_word(pt, first, &cu) || hdr_word(pt, first + 1, &files) ||
	    hdr_word(pt, first + 2, &pcs) || cu >= pt->len || files >= pt->len || pcs >= pt->len)
		return -ENOEXEC;
	pt->cutab = cu;
	pt->filetab = files;
	pt->pctab = pcs;
	return 0;
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
	pt->quantum = p[6];
	pt->ptrsize = p[7];
	if (hdr_word(pt, 0, &nfunc))
		return -ENOEXEC;

	switch (pt->magic) {
	case PCLNTAB_MAGIC_12:
		tab = 8 + pt->ptrsize;
		pt->funcdata = 0;
		break;
	case PCLNTAB_MAGIC_116:
		if (hdr_word(pt, 2, &names) || hdr_word(pt, 6, &tab) || file_tables(pt, 3))
			return -ENOEXEC;
		pt->funcdata = tab;
		break;
	case PCLNTAB_MAGIC_118:
	case PCLNTAB_MAGIC_120:
		if (hdr_word(pt, 2, &pt->text_start) || hdr_word(pt, 3, &names) ||
		    hdr_word(pt, 7, &tab) || file_tables(pt, 4))
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
		pclntab__word(pt, pt->functab, 4, &v);
	return v;
}

const char *pclntab__name(const struct pclntab *pt, __u64 nameoff)
{
	if (nameoff & 0x80000000u) /* negative int32 */
		return NULL;
	nameoff += pt->funcnametab;
	if (nameoff >= pt->len || !pt->data[nameoff])
		return NULL;
	if (!memchr(pt->data + nameoff, '\0', pt->len - nameoff))
		return NULL;
	return (const char *)pt->data + nameoff;
}

/* Name of the function whose _func struct is at funcoff, or NULL when malformed. */
static const char *func_name(const struct pclntab *pt, __u64 funcoff)
{
	__u64 fn = pt->funcdata + funcoff, nameoff;

	if (funcoff > pt->len || pclntab__word(pt, fn + field_size(pt), 4, &nameoff))
		return NULL;
	return pclntab__name(pt, nameoff);
}

/* abi.FuncFlagAsm in the _func flag byte, which moved when 1.20 added startLine. */
static unsigned int func_flags(const struct pclntab *pt, __u64 funcoff)
{
	__u64 off = pt->magic == PCLNTAB_MAGIC_118 ? 37 : 41, flag;

	if (!uses_offsets(pt) || pclntab__word(pt, pt->funcdata + funcoff + off, 1, &flag))
		return 0;
	return flag & 0x4 ? PCLNTAB_FUNC_ASM : 0;
}

/* Word i of the functab: entry of function i / 2 for even i, its funcoff for odd i. */
static int slot(const struct pclntab *pt, __u64 i, __u64 *v)
{
	unsigned int fs = field_size(pt);

	/* init() checked that all 2 * nfunc + 1 slots are in bounds. */
	return pclntab__word(pt, pt->functab + i * fs, fs, v);
}

int pclntab__for_each_func(const struct pclntab *pt, __u64 text_start,
			   int (*cb)(const char *name, __u64 entry, __u64 end, unsigned int flags,
				     void *ctx),
			   void *ctx)
{
	__u64 i, entry, funcoff, end, base = uses_offsets(pt) ? text_start : 0;
	const char *name;
	int err;

	for (i = 0; i < pt->nfunc; i++) {
		if (slot(pt, 2 * i, &entry) || slot(pt, 2 * i + 1, &funcoff) ||
		    slot(pt, 2 * i + 2, &end))
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

/* Index of the last function whose entry is at most key (an entry word), or -1. */
static __s64 last_at_or_below(const struct pclntab *pt, __u64 key)
{
	__u64 lo = 0, hi = pt->nfunc, mid, entry;

	while (lo < hi) { /* first function above key */
		mid = lo + (hi - lo) / 2;
		if (slot(pt, 2 * mid, &entry))
			return -1;
		if (entry <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (__s64)lo - 1;
}

/*
 * Fills the table fields of fn from the _func struct at data offset at. Its
 * fields after the entry word (uintptr before 1.18, then uint32): nameOff,
 * args, deferreturn, pcsp, pcfile, pcln, npcdata, cuOffset, startLine (1.20+),
 * funcID, flag, pad, nfuncdata; then the pcdata and funcdata arrays.
 */
static int func_tables(const struct pclntab *pt, __u64 at, struct pclntab_func *fn)
{
	unsigned int fs = field_size(pt), size = pt->magic == PCLNTAB_MAGIC_118 ? 40 : 44;
	__u64 pcfile, pcln, npcdata, cu, nfuncdata, fd;

	if (pt->magic == PCLNTAB_MAGIC_12)
		return 0; /* no file tables: cgoscope reads their names only */
	if (pclntab__word(pt, at + fs + 16, 4, &pcfile) ||
	    pclntab__word(pt, at + fs + 20, 4, &pcln) ||
	    pclntab__word(pt, at + fs + 24, 4, &npcdata) ||
	    pclntab__word(pt, at + fs + 28, 4, &cu) ||
	    pclntab__word(pt, at + size - 1, 1, &nfuncdata) || npcdata > (pt->len - at - size) / 4)
		return -ENOENT;
	fd = at + size + npcdata * 4;
	fn->funcdata_size = 4;
	if (!uses_offsets(pt)) { /* pointers, aligned from the start of the func table */
		fd = pt->funcdata + ((fd - pt->funcdata + 7) & ~7ull);
		fn->funcdata_size = 8;
	}
	fn->pcfile = pcfile;
	fn->pcln = pcln;
	fn->npcdata = npcdata;
	fn->cu = cu;
	fn->nfuncdata = nfuncdata;
	fn->pcdata = at + size;
	fn->funcdata = fd;
	return 0;
}

int pclntab__func_at(const struct pclntab *pt, __u64 text_start, __u64 pc, struct pclntab_func *fn)
{
	__u64 base = uses_offsets(pt) ? text_start : 0, key = pc - base, entry, funcoff, end;
	__s64 i;

	memset(fn, 0, sizeof(*fn));
	if (pc < base || (uses_offsets(pt) && key > 0xffffffffu))
		return -ENOENT;
	i = last_at_or_below(pt, key);
	if (i < 0 || slot(pt, 2 * i, &entry) || slot(pt, 2 * i + 1, &funcoff) ||
	    slot(pt, 2 * i + 2, &end) || key >= end || funcoff >= pt->len - pt->funcdata)
		return -ENOENT;
	fn->name = func_name(pt, funcoff);
	if (!fn->name)
		return -ENOENT;
	fn->entry = base + entry;
	fn->end = base + end;
	fn->off = pt->funcdata + funcoff;
	return func_tables(pt, fn->off, fn);
}
