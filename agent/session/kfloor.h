/* kfloor.h - the oldest kernel cgoscope runs on: its BPF features probed at start, the missing one
 * named. */
#ifndef CGOSCOPE_KFLOOR_H
#define CGOSCOPE_KFLOOR_H

#include <stddef.h>

/* A kernel feature the BPF object needs. */
struct kfloor_feature {
	const char *name; /* as the message names it */
	const char *since; /* the first Linux release that has it */
	int helper; /* the BPF helper (enum bpf_func_id) that shows it */
};

/*
 * Whether the kernel has helper for uprobe programs: 1 yes, 0 no, -errno
 * when it cannot tell. kfloor__probe asks the kernel (libbpf's probe).
 */
typedef int (*kfloor_probe_fn)(int helper);
int kfloor__probe(int helper);

/*
 * Checks the features every run needs, in order: BPF attach cookies (5.15)
 * and bpf_loop (5.17); uprobe_multi links (6.6) are optional (bpfobj.h).
 * Returns 0 when probe finds them all (or cannot tell: the load then says
 * why); -ENOTSUP with msg set to one line naming the first missing feature,
 * the release that brought it and this kernel's (uname).
 */
int kfloor__check(kfloor_probe_fn probe, char *msg, size_t len);

#endif /* CGOSCOPE_KFLOOR_H */
