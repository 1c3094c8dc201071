/* gosym.h - symbolizes Go PCs as frames (function, file:line, inlined calls) from .gopclntab. */
#ifndef CGOSCOPE_GOSYM_H
#define CGOSCOPE_GOSYM_H

#include <stdbool.h>
#include <linux/types.h>

struct gobin;
struct gosym;

/* One frame at a PC. The strings point into the gobin's memory. */
struct gosym_frame {
	const char *func; /* "main.(*Store).Get"; never NULL */
	const char *file; /* "/src/app/store.go"; "?" when unknown */
	__u32 line; /* 0 when unknown */
	bool inlined; /* an inlined call: the next frame is where it was inlined */
	__u64 pc; /* the PC (link address) file:line is of: a call site in the callers */
};

/* pc is the exact address of an instruction, not a return address. */
#define GOSYM_EXACT 0x1

/*
 * A symbolizer of gb's Go functions from its .gopclntab (stripped binaries
 * too) with a cache of recent lookups. gb must outlive it. Returns NULL and
 * sets errno: ENOENT when gb has no function table, EINVAL for NULL, ENOMEM.
 */
struct gosym *gosym__new(const struct gobin *gb);

/* Releases gs. NULL is allowed. */
void gosym__free(struct gosym *gs);

/*
 * Fills frames[0..max) with the frames at pc (a link address: subtract a
 * PIE's load bias), innermost first: the functions inlined at pc, then the
 * function that holds the code, each with its own file:line (an inlined
 * callee's caller at the call site). pc is a return address found on a
 * stack, looked up as pc - 1 so that a call ending its function stays in it,
 * unless flags has GOSYM_EXACT. Returns the number of frames filled, 0 when
 * pc is in no Go function (C code, unknown, a malformed table). Before Go
 * 1.16 (no file tables) there is one frame, without file:line. No
 * allocation; not thread-safe (the cache): one gosym per thread.
 */
int gosym__lookup(struct gosym *gs, __u64 pc, unsigned int flags, struct gosym_frame *frames,
		  unsigned int max);

#endif /* CGOSCOPE_GOSYM_H */
