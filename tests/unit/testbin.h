/* testbin.h - the Go test binaries of make_testbins.sh and their `go tool nm` ground truth. */
#ifndef CGOSCOPE_TESTBIN_H
#define CGOSCOPE_TESTBIN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct gobin;

/* One line of `go tool nm`: "  479620 t runtime.cgocall". */
struct nm_sym {
	__u64 addr;
	char type;
	char *name;
};

/* A binary's `go tool nm` output, sorted by address. */
struct nm {
	struct nm_sym *syms;
	size_t n;
};

/* The directory of the test binaries: $CGOSCOPE_TESTBIN_DIR or .output/testbin. */
const char *testbin__dir(void);

/* "DIR/NAMESUFFIX" on the heap (the caller frees it); fails the test on ENOMEM. */
char *testbin__path(const char *name, const char *suffix);

/* True when DIR/NAMESUFFIX is readable. */
bool testbin__exists(const char *name, const char *suffix);

/* The whole file at path, NUL-terminated, on the heap (the caller frees it); *len its size. */
void *testbin__slurp(const char *path, size_t *len);

/* gobin__open() of DIR/NAME; fails the test when it cannot be opened. The caller closes it. */
struct gobin *testbin__open(const char *name);

/*
 * Whether the binary name should be tested: true when it exists. A missing
 * Go 1.19 build (no Go 1.19 installed) prints SKIP and returns false; any
 * other missing build fails the test.
 */
bool testbin__present(const char *name);

/* Loads DIR/NAME.nm into nm (release with testbin__nm_free); fails the test on errors. */
void testbin__nm_load(struct nm *nm, const char *name);

/* Releases what testbin__nm_load() allocated. */
void testbin__nm_free(struct nm *nm);

/* Sets *addr to the address of the first symbol called name; returns false when there is none. */
bool testbin__nm_find(const struct nm *nm, const char *name, __u64 *addr);

/* The symbols at addr: *first is the first of them; returns how many (0 when none). */
size_t testbin__nm_at(const struct nm *nm, __u64 addr, const struct nm_sym **first);

/* PCs in a binary's functions. */
struct testbin_pcs {
	__u64 *v;
	size_t n, cap;
};

/*
 * Appends to pcs, for every function of gb with a size, its entry, 7 PCs
 * spread inside and its last byte (release pcs->v with free()).
 */
void testbin__func_pcs(const struct gobin *gb, struct testbin_pcs *pcs);

/* cmocka group setup: fails (-1) with a hint when make_testbins.sh has not run. */
int testbin__setup(void **state);

#endif /* CGOSCOPE_TESTBIN_H */
