/* symstack.h - Go stacks for a snapshot: symbolized once, shared by equal stacks, owned by it. */
#ifndef CGOSCOPE_SYMSTACK_H
#define CGOSCOPE_SYMSTACK_H

#include <stdbool.h>
#include <linux/types.h>

#define SYMSTACK_MAX_FRAMES 64 /* frames kept per stack, inlined ones included */

struct gobin;
struct gosym;
struct snapshot;
struct symstack;

/* A set of stacks going into snap (which must outlive it). NULL with errno when out of memory. */
struct symstack *symstack__new(struct snapshot *snap);

/* Frees the set (not what it put in the snapshot). NULL is allowed. */
void symstack__free(struct symstack *ss);

/*
 * The index in snap->stacks of the Go stack pcs[0..npc) (return addresses,
 * innermost first) of a process running gb loaded at bias: symbolized by gs
 * (function, file, line, inlined frames; gs NULL: function names from gb's
 * symbol table) and added the first time, found again after. Returns the
 * index, or -ENOMEM.
 */
int symstack__get(struct symstack *ss, const struct gobin *gb, struct gosym *gs, __u64 bias,
		  const __u64 *pcs, unsigned int npc, bool truncated);

/*
 * Whether a Go function is cgo's or the runtime's rather than the program's
 * (pkg._Cfunc_X, pkg._C2func_X, _cgo_*, runtime.*): the caller of a C call
 * is the first frame that is not.
 */
bool symstack__is_plumbing(const char *func);

#endif /* CGOSCOPE_SYMSTACK_H */
