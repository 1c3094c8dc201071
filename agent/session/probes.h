/* probes.h - the cgo probes of a plan (probeplan.h), attached as BPF links and detached. */
#ifndef CGOSCOPE_PROBES_H
#define CGOSCOPE_PROBES_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include "probeplan.h"

struct gobin;
struct bpf_program;
struct bpf_link;
struct cgoscope_bpf;

#define PROBES_MAX_LINKS (1 + PROBES_MAX_LEAVE)

/* Probe links of one binary (or of calibration): libbpf's, and uprobe_multi links' fds. */
struct probe_links {
	struct bpf_link *links[PROBES_MAX_LINKS];
	size_t n;
	int fds[PROBES_MAX_LINKS];
	size_t nfds;
};

/* The BPF programs of placement p in skel: enter and leave. */
void probes__programs(struct cgoscope_bpf *skel, enum placement p, struct bpf_program **enter,
		      struct bpf_program **leave);

/*
 * Attaches plan's enter/leave programs (from skel) at its sites of the
 * binary at path (file offsets from gb), for process pid or for every
 * process (-1), their cookies marked with generation gen (cgoscope.h:
 * CGOSCOPE_COOKIE; the handlers act only while it is the process's). On
 * failure detaches what it attached and returns -errno; on success fills
 * links.
 */
int probes__attach(const struct gobin *gb, const char *path, pid_t pid,
		   const struct probe_plan *plan, __u32 gen, struct cgoscope_bpf *skel,
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
