/* pprof.h - profile model (stacks of C leaf and Go callers) and its pprof writer. */
#ifndef CGOSCOPE_PPROF_H
#define CGOSCOPE_PPROF_H

#include <stddef.h>
#include <linux/types.h>

/*
 * The model is read only, and the caller owns all of it. Strings may be
 * NULL where "unknown" makes sense (read as ""). The writers deduplicate
 * functions (by name and file) and locations (by address, function and
 * line, in the mapping holding the address).
 */
struct pprof_frame {
	const char *function; /* "main.(*Store).Get", "sqlite3_step"; NULL: unknown */
	const char *file; /* source file; NULL: unknown */
	__s64 line; /* 0: unknown */
	__u64 address; /* PC, return address for callers; 0: unknown */
};

/* A sample label: key=str, or key=num [unit] when str is NULL. */
struct pprof_label {
	const char *key; /* "pid", "comm" */
	const char *str;
	__s64 num;
	const char *unit; /* with num only; NULL: none */
};

struct pprof_sample {
	const struct pprof_frame *frames; /* leaf first: the C function, then its Go callers */
	size_t n_frames;
	const __s64 *values; /* one per pprof_profile.types */
	const struct pprof_label *labels;
	size_t n_labels;
};

/* What a value means: ("calls", "count"), ("c_time", "nanoseconds"). */
struct pprof_value_type {
	const char *type;
	const char *unit;
};

/* An address range of a binary; locations whose address falls in [start, limit) refer to it. */
struct pprof_mapping {
	const char *path;
	__u64 start, limit, offset;
	const char *build_id; /* NULL: unknown */
};

struct pprof_profile {
	const struct pprof_value_type *types; /* at least one */
	size_t n_types;
	const struct pprof_sample *samples;
	size_t n_samples;
	const struct pprof_mapping *mappings; /* [0]: the main binary; may be none */
	size_t n_mappings;
	__s64 time_ns; /* collection start, since the epoch; 0: unknown */
	__s64 duration_ns;
	struct pprof_value_type period_type; /* type NULL: none */
	__s64 period;
	const char *default_type; /* NULL, or one of types[].type */
	const char *const *comments;
	size_t n_comments;
};

/*
 * Checks that p can be written: NULL p, no types, a type without type or
 * unit, a sample with frames, values or labels missing, a label without key
 * or a NULL comment give -EINVAL. Returns 0 or -EINVAL.
 */
int pprof__check(const struct pprof_profile *p);

/*
 * Encodes p as an uncompressed perftools.profiles.Profile protobuf (what
 * pprof__write() gzips). Samples, with their values and labels, stay in the
 * order of p; functions and locations get ids 1, 2... in first-seen order
 * (leaf first, sample by sample); string_table[0] is "". A mapping whose
 * locations all have function names, files or lines says so
 * (has_functions...), so pprof does not symbolize them again. On success
 * *buf is a malloc'd buffer of *len bytes the caller frees. Returns 0,
 * -EINVAL on NULL arguments, a model pprof__check() refuses or a
 * default_type not among the types, or -ENOMEM (then *buf is NULL).
 */
int pprof__encode(const struct pprof_profile *p, void **buf, size_t *len);

/*
 * Writes p to path as a gzip'd profile.proto, the file `go tool pprof`
 * reads: encodes it, writes a temporary file in path's directory, and
 * renames it over path, so readers see the old file or the new one, never
 * part of one. The file is mode 0644. Returns 0, the errors of
 * pprof__encode(), or the -errno of the file operation that failed (e.g.
 * -ENOENT for a missing directory, -EACCES, -ENOSPC); no temporary file is
 * left behind then.
 */
int pprof__write(const struct pprof_profile *p, const char *path);

/*
 * Writes len bytes of buf to a new file beside path (mode 0644), syncs it
 * and renames it over path: readers see the old file or the whole new one,
 * never a part. Returns 0 or -errno (nothing is left behind).
 */
int pprof__replace_file(const char *path, const void *buf, size_t len);

#endif /* CGOSCOPE_PPROF_H */
