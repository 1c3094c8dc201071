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

#endif /* CGOSCOPE_PCLNTAB_H */
