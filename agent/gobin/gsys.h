/* gsys.h - offsets of a goroutine's syscall frame and an M's goroutine, from runtime code. */
#ifndef CGOSCOPE_GSYS_H
#define CGOSCOPE_GSYS_H

struct gobin;
struct gort_addrs;
struct insn;

/*
 * Decodes the first bytes (2 KiB) of the function called name in gb,
 * calling cb for each instruction (see x86__decode). Returns 0, or -ENOENT
 * when gb has no such function or its code is not in the file.
 */
int gsys__decode_func(const struct gobin *gb, const char *name,
		      int (*cb)(const struct insn *in, void *ctx), void *ctx);

/*
 * Fills the census fields of a (m_curg, g_syscallsp, g_syscallpc,
 * g_syscallbp, cgocall_fn, cgocall_bp; see gort.h) from the code of
 * runtime.execute, runtime.reentersyscall, runtime.save and runtime.cgocall.
 * Needs a->g_m for m.curg. A field whose pattern is not found stays 0; all
 * stay 0 before Go 1.17 (no register ABI). Returns 0.
 */
int gsys__locate(const struct gobin *gb, struct gort_addrs *a);

#endif /* CGOSCOPE_GSYS_H */
