/* kfloor.c - the oldest kernel cgoscope runs on: its BPF features probed at start, the missing one
 * named. */
#include <errno.h>
#include <stdio.h>
#include <sys/utsname.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include "kfloor.h"

/* What the BPF object uses that old kernels lack, oldest first. */
static const struct kfloor_feature needed[] = {
	{ "BPF attach cookies (bpf_get_attach_cookie)", "5.15", BPF_FUNC_get_attach_cookie },
	{ "bpf_loop", "5.17", BPF_FUNC_loop },
};

int kfloor__probe(int helper)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, helper, NULL);
}

int kfloor__check(kfloor_probe_fn probe, char *msg, size_t len)
{
	struct utsname u;

	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (probe(needed[i].helper) != 0)
			continue; /* present, or unknown: the load will tell */
		if (uname(&u))
			snprintf(u.release, sizeof(u.release), "unknown");
		snprintf(msg, len,
			 "this kernel (%s) lacks %s: cgoscope needs Linux %s or newer "
			 "(docs/support-matrix.md: kernels)",
			 u.release, needed[i].name, needed[i].since);
		return -ENOTSUP;
	}
	return 0;
}
