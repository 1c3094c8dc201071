/* cnames.h - names of the C functions that cgo calls, from .symtab or from the Go wrappers. */
#ifndef CGOSCOPE_CNAMES_H
#define CGOSCOPE_CNAMES_H

#include <stddef.h>
#include <linux/types.h>

struct gobin;
struct cnames;

/*
 * Indexes the C functions of gb: symtab names when present, and for every
 * Go wrapper pkg._Cfunc_NAME the address of the C function it passes to
 * runtime.cgocall (works in stripped binaries). gb must outlive the result.
 * Returns NULL and sets errno on allocation failure.
 */
struct cnames *cnames__new(const struct gobin *gb);

/* Releases cn. NULL is allowed. */
void cnames__free(struct cnames *cn);

/* Number of C functions named through Go wrappers (stripped-binary path). */
size_t cnames__wrapped(const struct cnames *cn);

/*
 * Writes the name of the C function at link address addr into buf:
 * demangled ("sqlite3_step" for _cgo_0a1b_Cfunc_sqlite3_step), the plain
 * symbol for runtime-internal C code ("x_cgo_getstackbound"), or "0x4a02c0"
 * when nothing names it.
 */
void cnames__name(const struct cnames *cn, __u64 addr, char *buf, size_t len);

/*
 * Removes cgo's mangling: "_cgo_<hex>_Cfunc_NAME" and "_cgo_<hex>_C2func_NAME"
 * give NAME. Returns 1 when sym was mangled, 0 when copied unchanged.
 */
int cnames__demangle(const char *sym, char *buf, size_t len);

#endif /* CGOSCOPE_CNAMES_H */
