/* gobin.h - reads Go binaries with libelf: version, functions (.symtab or .gopclntab), addresses. */
#ifndef CGOSCOPE_GOBIN_H
#define CGOSCOPE_GOBIN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct gobin;

/* A function symbol. name points into memory owned by the gobin. */
struct gobin_func {
	const char *name;
	__u64 addr; /* link-time virtual address */
	__u64 size; /* 0 when unknown */
};

/*
 * Functions and data symbols never include the section symbols that Go's
 * internal linker makes for host objects ("net(.text)", "runtime/cgo(.bss)"):
 * they span a whole section and would hide the C function at their start.
 */

/*
 * Opens the ELF file at path (use /proc/PID/exe for a running process) and
 * indexes its functions. Returns NULL and sets errno: ENOENT/EACCES from
 * open(2), ENOEXEC when the file is not a well-formed 64-bit ELF. A non-Go
 * ELF opens fine: check gobin__go_version().
 */
struct gobin *gobin__open(const char *path);

/*
 * Like gobin__open() on an in-memory copy of a file: buf[0..len) is copied,
 * the caller keeps ownership of buf. Never reads outside it; meant for tests
 * and fuzzers. Returns NULL and sets errno (ENOEXEC, ENOMEM).
 */
struct gobin *gobin__open_mem(const void *buf, size_t len);

/* Releases everything gobin__open() allocated. NULL is allowed. */
void gobin__close(struct gobin *gb);

/* The Go version from .go.buildinfo ("go1.26.8"), or NULL when the file is not a Go binary. */
const char *gobin__go_version(const struct gobin *gb);

/* Major/minor of the Go version (1, 26); returns -ENOENT when unknown. */
int gobin__go_release(const struct gobin *gb, int *major, int *minor);

/*
 * Parses "go1.26.8", "go1.19", "go1.21rc2" or "devel go1.27-abc Tue ..." into
 * major/minor (minor 0 when absent). Returns 0, or -ENOENT (also for NULL).
 */
int gobin__parse_release(const char *version, int *major, int *minor);

/* The main module path from the build info ("example.com/app"), or NULL. */
const char *gobin__go_module(const struct gobin *gb);

/*
 * True when the binary was linked with cgo. Evidence (works when stripped):
 * x_cgo_init, crosscall2, runtime/cgo.* or *._Cfunc_* functions, or
 * runtime.iscgo initialised to true. Every Go binary has runtime.iscgo,
 * _cgo_init and runtime.cgocall, so their presence alone proves nothing.
 */
bool gobin__has_cgo(const struct gobin *gb);

/* True when functions come from .gopclntab because there is no .symtab (stripped). */
bool gobin__stripped(const struct gobin *gb);

/* True for ET_DYN (PIE) binaries: runtime addresses = link addresses + load bias. */
bool gobin__is_pie(const struct gobin *gb);

/* Finds a function by exact name. Returns 0, or -ENOENT. */
int gobin__find_func(const struct gobin *gb, const char *name, struct gobin_func *fn);

/*
 * Finds the function containing addr; of several that start at one address,
 * the largest (symtab before pclntab). Returns 0, or -ENOENT.
 */
int gobin__func_at(const struct gobin *gb, __u64 addr, struct gobin_func *fn);

/*
 * Calls cb for every function that starts exactly at addr (symbols may share
 * an address: aliases, runtime.text), in gobin's order. Stops early and
 * returns cb's value when it is non-zero; returns 0 after the last one, and
 * when no function starts at addr.
 */
int gobin__for_each_func_at(const struct gobin *gb, __u64 addr,
			    int (*cb)(const struct gobin_func *fn, void *ctx), void *ctx);

/*
 * Calls cb for every function (symtab functions when present, plus Go
 * functions from .gopclntab that symtab lacks). Stops early and returns cb's
 * value when it is non-zero; returns 0 after the last function.
 */
int gobin__for_each_func(const struct gobin *gb, int (*cb)(const struct gobin_func *fn, void *ctx),
			 void *ctx);

/* Converts a link-time virtual address to an offset in the file. Returns 0, or -ENOENT. */
int gobin__addr_to_offset(const struct gobin *gb, __u64 addr, __u64 *offset);

/*
 * Copies len bytes of the file image at virtual address addr into buf, applying
 * R_X86_64_RELATIVE relocations for PIE data words. Returns 0, or -ENOENT when
 * the range is not backed by the file.
 */
int gobin__read(const struct gobin *gb, __u64 addr, void *buf, size_t len);

/*
 * Copies the code of fn (at most max bytes; max when its size is unknown)
 * into buf, shortening the read when it would run past the file-backed
 * text. Returns the number of bytes copied, 0 when nothing could be read.
 */
size_t gobin__read_code(const struct gobin *gb, const struct gobin_func *fn, void *buf, size_t max);

/* Address of a data symbol (a Go global such as runtime.gomaxprocs). Returns 0, or -ENOENT. */
int gobin__find_data(const struct gobin *gb, const char *name, __u64 *addr);

struct pclntab;

/* What symbolizing PCs needs of a binary's function table. */
struct gobin_pcln {
	const struct pclntab *pt; /* the parsed .gopclntab, inside gb */
	__u64 text; /* runtime.text, base of Go 1.18+ entry offsets; 0 before 1.18 */
	__u64 gofunc; /* moduledata.gofunc, base of Go 1.18+ funcdata offsets; 0 unknown */
};

/*
 * Fills out with gb's .gopclntab (found as gobin__open() found it, stripped
 * binaries too; a PIE's table older than Go 1.18 is a relocated copy: link
 * addresses). Looks for the moduledata at each call: call it once. Returns
 * 0, or -ENOENT when gb has no valid table.
 */
int gobin__pcln(const struct gobin *gb, struct gobin_pcln *out);

#endif /* CGOSCOPE_GOBIN_H */
