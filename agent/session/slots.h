/* slots.h - the BPF side's per-process slots: tgid -> slot, settings and counters by slot. */
#ifndef CGOSCOPE_SLOTS_H
#define CGOSCOPE_SLOTS_H

#include <linux/types.h>
#include "cgoscope.h"

struct cgoscope_bpf;

#define SLOTS_CALIB 0 /* the agent's own probe-cost calibration; processes use the others */

/*
 * Gives slot to process tgid: writes its settings (cfg, whose tgid is set to
 * tgid) and zeroed counters carrying cookie, then the tgid -> slot entry, from
 * which moment the BPF side counts the process. Returns 0 or -errno (-ENOSPC:
 * the slots map is full).
 */
int slots__claim(struct cgoscope_bpf *skel, __u32 slot, __u32 tgid, struct cgoscope_cfg *cfg,
		 __u64 cookie);

/*
 * Takes slot back from tgid: the BPF side stops finding the process at once
 * (also through slots cached in call records), its settings and counters are
 * zeroed. Never fails.
 */
void slots__release(struct cgoscope_bpf *skel, __u32 slot, __u32 tgid);

/* Writes the settings of slot (cfg->tgid must be its process). Returns 0 or -errno. */
int slots__set_cfg(struct cgoscope_bpf *skel, __u32 slot, const struct cgoscope_cfg *cfg);

/* Reads the counters of slot into out. Returns 0 or -errno. */
int slots__read(struct cgoscope_bpf *skel, __u32 slot, struct cgoscope_proc *out);

/*
 * The counters of every slot, mapped from the BPF side (procs map, by slot):
 * read as memory, without a syscall, as long as skel lives; NULL with errno
 * set when they cannot be mapped. Undone by slots__unmap().
 */
const volatile struct cgoscope_proc *slots__map(struct cgoscope_bpf *skel);
void slots__unmap(const volatile struct cgoscope_proc *counters);

/* Copies the mapped counters c (of one slot) into out, field by field as the BPF side writes them. */
void slots__copy(const volatile struct cgoscope_proc *c, struct cgoscope_proc *out);

#endif /* CGOSCOPE_SLOTS_H */
