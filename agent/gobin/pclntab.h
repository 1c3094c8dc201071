/* pclntab.h - parses Go's function table (.gopclntab) in the formats of Go 1.2 through 1.26. */
#ifndef CGOSCOPE_PCLNTAB_H
#define CGOSCOPE_PCLNTAB_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

/* Header magics, little-endian, by the Go releases that write them. */
#define PCLNTAB_MAGIC_12  0xfffffffbu /* Go 1.2-1.15 */
#define PCLNTAB_MAGIC_116 0xfffffffau /* Go 1.16-1.17 */
#define PCLNTAB_MAGIC_118 0xfffffff0u /* Go 1.18-1.19 */
#define PCLNTAB_MAGIC_120 0xfffffff1u /* Go 1.20+ */

/* A parsed header. data is borrowed from the caller and must outlive this. */
struct pclntab {
	const unsigned char *data;
	size_t len;
	__u32 magic;
	unsigned int ptrsize;
	__u64 nfunc;
	size_t funcnametab; /* offset of the function name table in data */
	size_t functab; /* offset of the (entry, funcoff) pairs */
	size_t funcdata; /* offset the funcoffs are relative to */
	__u64 text_start; /* textStart header field (1.18+); 0 when absent or unrelocated */
	/* Go 1.16+, else 0: offsets of the CU file index, the file names, the pc-value tables */
	size_t cutab, filetab, pctab;
	unsigned int quantum; /* PC quantum (minLC): pc-value deltas are in its units */
};

/*
 * Validates the header of the little-endian pclntab in data[0..len) and fills
 * pt. Every table offset is checked against len. Returns 0, or -ENOEXEC.
 */
int pclntab__init(struct pclntab *pt, const void *data, size_t len);

/*
 * Returns the offset of the first valid pclntab header (ptrsize 8, magic of
 * Go 1.2+) in buf[0..len), searching at 8-byte alignment, or -1.
 */
ssize_t pclntab__find(const void *buf, size_t len);

/* Entry offset of the lowest function from textStart (1.18+), or 0. */
__u64 pclntab__first_entry_off(const struct pclntab *pt);

/* Function flags passed to pclntab__for_each_func() callbacks. */
#define PCLNTAB_FUNC_ASM 0x1 /* written in assembly (Go 1.18+ tables only) */

/*
 * Calls cb for every function: NUL-terminated name inside pt->data, entry and
 * end address, PCLNTAB_FUNC_* flags. For Go 1.18+ entries are text_start + offset; older tables
 * hold absolute addresses and ignore text_start. Malformed entries are
 * skipped. Stops and returns cb's value when non-zero; returns 0 at the end.
 */
int pclntab__for_each_func(const struct pclntab *pt, __u64 text_start,
			   int (*cb)(const char *name, __u64 entry, __u64 end, unsigned int flags,
				     void *ctx),
			   void *ctx);

/* One function of the table: what pcfunc.c decodes of its _func struct. */
struct pclntab_func {
	__u64 entry, end; /* addresses: text_start applied for Go 1.18+ */
	size_t off; /* of the _func struct in data */
	const char *name; /* NUL-terminated, inside data */
	__u32 pcfile, pcln; /* offsets of its pc-value tables in the pctab; 0: none */
	__u32 npcdata, cu; /* pcdata tables; index of its compilation unit's files in the cutab */
	unsigned int nfuncdata;
	size_t pcdata; /* offset in data of the npcdata table offsets (uint32) */
	size_t funcdata; /* offset in data of the nfuncdata funcdata words */
	unsigned int funcdata_size; /* 8: link addresses, 0 none (1.16-1.17); 4: gofunc offsets */
};

/* Reads the n-byte (1 to 8) little-endian word at off of pt. Returns 0, or -ERANGE. */
int pclntab__word(const struct pclntab *pt, __u64 off, unsigned int n, __u64 *v);

/* The NUL-terminated function name at nameoff in the name table, or NULL when out of bounds. */
const char *pclntab__name(const struct pclntab *pt, __u64 nameoff);

/*
 * Finds the function whose [entry, next entry) holds pc (text_start as for
 * pclntab__for_each_func) and fills fn: only entry, end, off and name for
 * tables older than Go 1.16 (pcfile, pcln 0). Returns 0, or -ENOENT when no
 * function holds pc or its entry is malformed.
 */
int pclntab__func_at(const struct pclntab *pt, __u64 text_start, __u64 pc, struct pclntab_func *fn);

/*
 * Decodes fn's pc-value table at off (pcfile, pcln, or a pcdata table) and
 * stores in *val the value at pc. Every byte read is bounded by the table.
 * Returns 0; -ENOENT when there is no table (off 0, Go before 1.16) or pc is
 * outside the range it covers (code that is not fn's: C code, padding);
 * -EINVAL when the table is malformed.
 */
int pclntab__pcvalue(const struct pclntab *pt, const struct pclntab_func *fn, __u32 off, __u64 pc,
		     __s32 *val);

/* pcdata table PCDATA_InlTreeIndex: the inline tree entry at a PC, -1 outside inlined code. */
#define PCLNTAB_PCDATA_INLTREE 2
/* funcdata FUNCDATA_InlTree: the function's inline tree. */
#define PCLNTAB_FUNCDATA_INLTREE 3

/* pclntab__pcvalue() of fn's pcdata table number table. Returns as it does. */
int pclntab__pcdata(const struct pclntab *pt, const struct pclntab_func *fn, __u32 table, __u64 pc,
		    __s32 *val);

/*
 * The name of file number fileno (a pcfile value) of fn's compilation unit:
 * a NUL-terminated string inside pt's data, or NULL when it is out of bounds.
 */
const char *pclntab__file(const struct pclntab *pt, const struct pclntab_func *fn, __s32 fileno);

/*
 * The address of fn's funcdata number idx: Go 1.18+ tables hold offsets
 * from moduledata.gofunc (pass it; 0 when unknown fails), older ones link
 * addresses (gofunc ignored). Returns 0; -ENOENT when fn has none or gofunc
 * is unknown.
 */
int pclntab__funcdata(const struct pclntab *pt, const struct pclntab_func *fn, unsigned int idx,
		      __u64 gofunc, __u64 *addr);

#endif /* CGOSCOPE_PCLNTAB_H */
