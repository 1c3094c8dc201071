/* probes.h - where to put the cgo probes in a Go binary (Capstone) and attaching them. */
#ifndef CGOSCOPE_PROBES_H
#define CGOSCOPE_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

struct gobin;
struct bpf_program;
struct bpf_link;
struct cgoscope_bpf;

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

#define PROBES_MAX_LINKS (1 + PROBES_MAX_LEAVE)

/* Probe links of one binary (or of calibration): libbpf's, and uprobe_multi links' fds. */
struct probe_links {
	struct bpf_link *links[PROBES_MAX_LINKS];
	size_t n;
	int fds[PROBES_MAX_LINKS];
	size_t nfds;
};

/* "call-sites", "entry+ret" or "entry+call-site". */
const char *probes__placement_name(enum placement p);

/* The BPF programs of placement p in skel: enter and leave. */
void probes__programs(struct cgoscope_bpf *skel, enum placement p, struct bpf_program **enter,
		      struct bpf_program **leave);

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

/*
 * Attaches plan's enter/leave programs (from skel) at its sites of the
 * binary at path (file offsets from gb), for process pid or for every
 * process (-1). On failure detaches what it attached and returns -errno; on
 * success fills links.
 */
int probes__attach(const struct gobin *gb, const char *path, pid_t pid,
		   const struct probe_plan *plan, struct cgoscope_bpf *skel,
		   struct probe_links *links);

/*
 * Attaches prog at n file offsets of the binary at path, with cookies (NULL:
 * all 0), for process pid or every process (-1), adding to links: one
 * uprobe_multi link when prog was loaded for them (umulti.h), else one
 * libbpf perf-event link per offset. Returns 0 or -errno (what it attached
 * stays in links).
 */
int probes__attach_offsets(const char *path, pid_t pid, struct bpf_program *prog,
			   const __u64 *offsets, const __u64 *cookies, size_t n,
			   struct probe_links *links);

/* Destroys every link in links, side by side: their breakpoints all go at once. */
void probes__detach(struct probe_links *links);

/*
 * Like probes__detach(), on a thread of its own: returns at once, links
 * emptied. The BPF programs must outlive the destruction: call
 * probes__detach_wait() before the skeleton goes. Falls back to
 * probes__detach() when no thread can be started.
 */
void probes__detach_async(struct probe_links *links);

/* Waits until every probes__detach_async() has finished. */
void probes__detach_wait(void);

/* Adds link (a libbpf link; NULL is ignored) to links. Returns 0 or -ENOSPC. */
int probes__links_add(struct probe_links *links, struct bpf_link *link);

#endif /* CGOSCOPE_PROBES_H */
