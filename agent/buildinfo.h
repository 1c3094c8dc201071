/* buildinfo.h - the Go version and main module recorded in a Go binary's build info. */
#ifndef CGOSCOPE_BUILDINFO_H
#define CGOSCOPE_BUILDINFO_H

#include <stddef.h>
#include <linux/types.h>

#define BUILDINFO_MAGIC	    "\xff Go buildinf:"
#define BUILDINFO_MAGIC_LEN 14
#define BUILDINFO_HDR_LEN   32

struct gobin;

/* What the build info says; strings are malloc'd and owned by the caller. */
struct buildinfo {
	char *version; /* "go1.26.8" */
	char *module;  /* main module path, or NULL */
};

/*
 * Parses the build info whose len bytes (from the file) are in blob and which
 * lives at virtual address vaddr of gb: Go 1.18+ inline strings, or (older)
 * pointers to Go strings read through gb. Returns 0 and fills bi, or -ENOENT
 * when blob is not a plausible build info.
 */
int buildinfo__parse(const struct gobin *gb, __u64 vaddr, const unsigned char *blob, size_t len,
		     struct buildinfo *bi);

#endif /* CGOSCOPE_BUILDINFO_H */
