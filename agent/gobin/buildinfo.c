/* buildinfo.c - the Go version and main module recorded in a Go binary's build info. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include "buildinfo.h"

#define MAX_VERSION_LEN 256
#define MAX_MODINFO_LEN (1 << 20)

/* Reads a uvarint-prefixed string at *pos in blob; advances *pos. */
static char *varint_str(const unsigned char *blob, size_t len, size_t *pos, size_t max)
{
	__u64 n = 0;
	unsigned int shift;
	char *s;

	for (shift = 0; *pos < len && shift < 64; shift += 7) {
		n |= (__u64)(blob[*pos] & 0x7f) << shift;
		if (!(blob[(*pos)++] & 0x80))
			break;
		if (*pos == len)
			return NULL;
	}
	if (!n || n > max || n > len - *pos)
		return NULL;
	s = strndup((const char *)blob + *pos, n);
	*pos += n;
	return s;
}

/* Reads a Go string header (ptr, len) at addr, then the bytes (Go < 1.18 build info). */
static char *go_string(buildinfo_read_fn read, const void *ctx, __u64 addr, size_t max)
{
	__u64 hdr[2];
	char *s;

	if (read(ctx, addr, hdr, sizeof(hdr)) || !hdr[1] || hdr[1] > max)
		return NULL;
	s = calloc(1, hdr[1] + 1);
	if (s && read(ctx, hdr[0], s, hdr[1])) {
		free(s);
		s = NULL;
	}
	return s;
}

static bool plausible_version(const char *v)
{
	const char *p;

	if (!v || (strncmp(v, "go", 2) && strncmp(v, "devel", 5)))
		return false;
	for (p = v; *p; p++)
		if (!isprint((unsigned char)*p))
			return false;
	return true;
}

/* Module path from modinfo: the "mod" line, else the "path" line. */
static char *module_path(const char *mi)
{
	const char *line, *nl, *key[] = { "mod\t", "path\t" };
	size_t k, n, klen;

	if (!mi)
		return NULL;
	n = strlen(mi);
	if (n >= 33 && mi[n - 17] == '\n') /* skip the 16-byte sentinel */
		mi += 16;
	for (k = 0; k < 2; k++) {
		klen = strlen(key[k]);
		for (line = mi; line; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			if (strncmp(line, key[k], klen))
				continue;
			n = strcspn(line + klen, "\t\n");
			return n ? strndup(line + klen, n) : NULL;
		}
	}
	return NULL;
}

int buildinfo__parse(buildinfo_read_fn read, const void *ctx, __u64 vaddr,
		     const unsigned char *blob, size_t len, struct buildinfo *bi)
{
	size_t pos = BUILDINFO_HDR_LEN;
	char *vers, *mi = NULL;
	__u64 ptrs[2];

	memset(bi, 0, sizeof(*bi));
	if (len < BUILDINFO_HDR_LEN || memcmp(blob, BUILDINFO_MAGIC, BUILDINFO_MAGIC_LEN))
		return -ENOENT;
	if (blob[15] & 0x2) { /* Go 1.18+: strings inline */
		vers = varint_str(blob, len, &pos, MAX_VERSION_LEN);
		if (vers)
			mi = varint_str(blob, len, &pos, MAX_MODINFO_LEN);
	} else { /* pointers to Go strings; only 64-bit little-endian */
		if (blob[14] != 8 || (blob[15] & 0x1) || read(ctx, vaddr + 16, ptrs, 16))
			return -ENOENT;
		vers = go_string(read, ctx, ptrs[0], MAX_VERSION_LEN);
		mi = go_string(read, ctx, ptrs[1], MAX_MODINFO_LEN);
	}
	if (!plausible_version(vers)) {
		free(vers);
		free(mi);
		return -ENOENT;
	}
	bi->version = vers;
	bi->module = module_path(mi);
	free(mi);
	return 0;
}

