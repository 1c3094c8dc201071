/* buildinfo.h - the Go version and main module recorded in a Go binary's build info. */
#ifndef CGOSCOPE_BUILDINFO_H
#define CGOSCOPE_BUILDINFO_H

#include <stddef.h>
#include <linux/types.h>

#define BUILDINFO_MAGIC	    "\xff Go buildinf:"
#define BUILDINFO_MAGIC_LEN 14
#define BUILDINFO_HDR_LEN   32

/* Copies len bytes at virtual address addr of the binary; 0 or -errno. */
typedef int (*buildinfo_read_fn)(const void *ctx, __u64 addr, void *buf, size_t len);

/* What the build info says; strings are malloc'd and owned by the caller. */
struct buildinfo {
	char *version; /* "go1.26.8" */
	char *module;  /* main module path, or NULL */
};

/*
 * Parses the build info whose len bytes (from the file) are in blob and which
 * lives at virtual address vaddr: Go 1.18+ inline strings, or (older)
 * pointers to Go strings, read with read(ctx, ...). Returns 0 and fills bi,
 * or -ENOENT when blob is not a plausible build info.
 */
int buildinfo__parse(buildinfo_read_fn read, const void *ctx, __u64 vaddr,
		     const unsigned char *blob, size_t len, struct buildinfo *bi);

#endif /* CGOSCOPE_BUILDINFO_H */
