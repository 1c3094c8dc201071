/* bpfobj.h - cgoscope's BPF object: opened, loaded (for uprobe_multi links when the kernel has them), tracepoints attached. */
#ifndef CGOSCOPE_BPFOBJ_H
#define CGOSCOPE_BPFOBJ_H

#include <stdbool.h>
#include "topts.h"

struct cgoscope_bpf;

/*
 * Opens and loads the BPF object with opts' settings (exec events, the
 * long-blocking threshold, map sizes) and attaches its thread tracepoints
 * (the exit_group one when the kernel has it; a note on stderr otherwise).
 * The cgo probe programs are loaded for uprobe_multi links when the kernel
 * takes them and CGOSCOPE_NO_UPROBE_MULTI is not set (*uprobe_multi says
 * which). Returns 0 with *out set, or -errno after saying why on stderr
 * (not root, no BTF, a kernel older than the floor (kfloor.h: -ENOTSUP),
 * the load failed) with nothing left behind.
 */
int bpfobj__open(const struct tracer_opts *opts, struct cgoscope_bpf **out, bool *uprobe_multi);

#endif /* CGOSCOPE_BPFOBJ_H */
