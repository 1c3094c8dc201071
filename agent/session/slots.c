/* slots.c - the BPF side's per-process slots: tgid -> slot, settings and counters by slot. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
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

/* The mapping's length: the whole array, page-rounded as the kernel maps it. */
static size_t map_len(void)
{
	size_t page = 4096, len = sizeof(struct cgoscope_proc) * CGOSCOPE_MAX_PROCS;

	return (len + page - 1) / page * page;
}

const volatile struct cgoscope_proc *slots__map(struct cgoscope_bpf *skel)
{
	void *p = mmap(NULL, map_len(), PROT_READ, MAP_SHARED, bpf_map__fd(skel->maps.procs), 0);

	return p == MAP_FAILED ? NULL : p;
}

void slots__unmap(const volatile struct cgoscope_proc *counters)
{
	if (counters)
		munmap((void *)counters, map_len());
}

void slots__copy(const volatile struct cgoscope_proc *c, struct cgoscope_proc *out)
{
	/* aligned 8-byte loads: each field whole, as the lookup syscall copies them */
	const volatile __u64 *src = (const volatile __u64 *)c;
	__u64 *dst = (__u64 *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(__u64); i++)
		dst[i] = src[i];
}
