/* probeplan.h - where to put the cgo probes in a Go binary: placements and probe plans (pure, Capstone). */
#ifndef CGOSCOPE_PROBEPLAN_H
#define CGOSCOPE_PROBEPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

struct gobin;

#define PROBES_MAX_LEAVE 16

enum placement {
	/* CALL runtime.asmcgocall and CALL runtime.exitsyscall: emulated, keyed by thread */
	PLACEMENT_CALL_SITES = 0,
	/* runtime.cgocall entry and every RET: keyed by goroutine */
	PLACEMENT_ENTRY_RET = 1,
	/*
	 * runtime.cgocall entry (a PUSH: emulated, fn in a register) and CALL
	 * runtime.exitsyscall: keyed by thread, no stack read at the enter
	 */
	PLACEMENT_ENTRY_SITE = 2,
	PLACEMENT__MAX
};

/* The probe sites chosen for one binary, as link-time virtual addresses. */
struct probe_plan {
	enum placement placement;
	__u64 cgocall;                  /* runtime.cgocall */
	__u64 enter;
	__u64 leave[PROBES_MAX_LEAVE];
	size_t nleave;
	__u64 enter_cookie;             /* ENTRY_SITE: bytes SP drops from enter to leave site */
	bool emulated;                  /* every site is an instruction the kernel emulates */
	char note[160];                 /* why the fallback was used, or "" */
};

/* "call-sites", "entry+ret" or "entry+call-site". */
const char *probes__placement_name(enum placement p);

/*
 * Decodes the function at addr (len bytes of code) up to the instruction at
 * site and sets *drop to how far SP lies below its value at addr there.
 * Returns 0 when the first instruction is one the kernel emulates and SP
 * moves only through PUSHes and SUB RSP, imm before site; -ENOENT otherwise
 * (site not reached, a RET, POP or other SP write on the way).
 */
int probes__sp_drop(const void *code, size_t len, __u64 addr, __u64 site, __u64 *drop);

#define PROBES_AUTO (-1) /* probes__plan(): the best placement the binary allows */

/*
 * Decodes runtime.cgocall of gb and fills plan. With want PROBES_AUTO,
 * prefers its entry with the exitsyscall site (when the entry is emulated),
 * then the call sites, then entry + every RET when they are not found,
 * saying why in plan->note. With want a placement, plans that one, or when
 * the binary does not allow it the next one down that list, saying so in
 * the note. Returns 0, -ENOENT when runtime.cgocall is missing, or -ENOTSUP
 * for Go releases older than 1.17 (no register ABI).
 */
int probes__plan(const struct gobin *gb, int want, struct probe_plan *plan);

/*
 * The placement named name ("entry+call-site", "call-sites", "entry+ret") or
 * PROBES_AUTO for "auto". Returns 0 or -EINVAL.
 */
int probes__parse_placement(const char *name, int *out);

#endif /* CGOSCOPE_PROBEPLAN_H */
