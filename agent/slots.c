/* slots.c - the BPF side's per-process slots: tgid -> slot, settings and counters by slot. */
#include <errno.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cgoscope.skel.h"
#include "slots.h"

int slots__claim(struct cgoscope_bpf *skel, __u32 slot, __u32 tgid, struct cgoscope_cfg *cfg,
		 __u64 cookie)
{
	struct cgoscope_proc proc = { .cookie = cookie };
	int err;

	cfg->tgid = tgid;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.procs), &slot, &proc, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.cfgs), &slot, cfg, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.slots), &tgid, &slot, BPF_ANY)) {
		err = errno == E2BIG ? -ENOSPC : -errno;
		slots__release(skel, slot, tgid);
		return err;
	}
	return 0;
}

void slots__release(struct cgoscope_bpf *skel, __u32 slot, __u32 tgid)
{
	struct cgoscope_cfg cfg = { 0 };
	struct cgoscope_proc proc = { 0 };

	bpf_map_delete_elem(bpf_map__fd(skel->maps.slots), &tgid);
	bpf_map_update_elem(bpf_map__fd(skel->maps.cfgs), &slot, &cfg, BPF_ANY);
	bpf_map_update_elem(bpf_map__fd(skel->maps.procs), &slot, &proc, BPF_ANY);
}

int slots__set_cfg(struct cgoscope_bpf *skel, __u32 slot, const struct cgoscope_cfg *cfg)
{
	return bpf_map_update_elem(bpf_map__fd(skel->maps.cfgs), &slot, cfg, BPF_ANY) ? -errno : 0;
}

int slots__read(struct cgoscope_bpf *skel, __u32 slot, struct cgoscope_proc *out)
{
	return bpf_map_lookup_elem(bpf_map__fd(skel->maps.procs), &slot, out) ? -errno : 0;
}
