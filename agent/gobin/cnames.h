/* cnames.h - names of the C functions that cgo calls, from .symtab or from the Go wrappers. */
#ifndef CGOSCOPE_CNAMES_H
#define CGOSCOPE_CNAMES_H

#include <stddef.h>
#include <linux/types.h>

/* The name of cgo's malloc helper (_cgo_<hex>_Cfunc__Cmalloc, behind C.CString, C.malloc). */
#define CNAMES_CGO_MALLOC "malloc (cgo)"

struct gobin;
struct cnames;

/*
 * Indexes the C functions of gb: symtab names when present, and for every
 * Go wrapper pkg._Cfunc_NAME (and pkg._C2func_NAME, pkg._cgo_cmalloc) the
 * address of the C function it passes to runtime.cgocall (works in stripped
 * binaries). gb must outlive the result.
 * Returns NULL and sets errno on allocation failure.
 */
struct cnames *cnames__new(const struct gobin *gb);

/* Releases cn. NULL is allowed. */
void cnames__free(struct cnames *cn);

/* Number of C functions named through Go wrappers (stripped-binary path). */
size_t cnames__wrapped(const struct cnames *cn);

/*
 * Writes the name of the C function at link address addr into buf (always
 * NUL-terminated when len > 0, truncated to fit). Of the symbols that start
 * at addr: a cgo C function, demangled ("sqlite3_step" for
 * _cgo_0a1b_Cfunc_sqlite3_step); else NAME of a Go wrapper pkg._Cfunc_NAME
 * that hands addr to runtime.cgocall (stripped binaries); else any other symbol there
 * ("x_cgo_getstackbound"); else "0x4a02c0". Never a section symbol (gobin
 * keeps none), never empty. cgo's malloc helper is CNAMES_CGO_MALLOC.
 */
void cnames__name(const struct cnames *cn, __u64 addr, char *buf, size_t len);

/*
 * Removes cgo's mangling: "_cgo_<hex>_Cfunc_NAME" and "_cgo_<hex>_C2func_NAME"
 * give NAME. Returns 1 when sym was mangled, 0 when copied unchanged.
 */
int cnames__demangle(const char *sym, char *buf, size_t len);

#endif /* CGOSCOPE_CNAMES_H */
