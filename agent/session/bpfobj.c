/* bpfobj.c - cgoscope's BPF object: opened, loaded (for uprobe_multi links when the kernel has them), tracepoints attached. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "bpfobj.h"
#include "cgoscope.skel.h"
#include "kernfs.h"
#include "kfloor.h"
#include "probes.h"
#include "umulti.h"

/* Says on stderr why the BPF object could not be loaded; returns err. */
static int explain_open_error(int err)
{
	if (geteuid() != 0)
		fprintf(stderr, "cgoscope: BPF needs root (or CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN for "
				"uprobes, CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH): run with sudo\n");
	else if (access("/sys/kernel/btf/vmlinux", R_OK))
		fprintf(stderr, "cgoscope: this kernel has no BTF (/sys/kernel/btf/vmlinux); "
				"a kernel with CONFIG_DEBUG_INFO_BTF=y is needed\n");
	else
		fprintf(stderr, "cgoscope: failed to load BPF programs: %s\n", strerror(-err));
	return err;
}

/*
 * Loads the cgo probe programs and the thread-start one for uprobe_multi
 * links (umulti.h): a perf-event link takes ~100 ms to destroy, one after
 * another, which at exit is that much per traced process.
 */
static void use_uprobe_multi(struct cgoscope_bpf *skel)
{
	struct bpf_program *enter, *leave;

	bpf_program__set_expected_attach_type(skel->progs.go_thread_start, UMULTI_ATTACH_TYPE);
	for (int p = 0; p < PLACEMENT__MAX; p++) {
		probes__programs(skel, p, &enter, &leave);
		bpf_program__set_expected_attach_type(enter, UMULTI_ATTACH_TYPE);
		bpf_program__set_expected_attach_type(leave, UMULTI_ATTACH_TYPE);
	}
}

/* Attaches the thread (and exec) tracepoints of a loaded skel. */
static int attach_tracepoints(struct cgoscope_bpf *skel, bool watch_exec)
{
	skel->links.handle_newtask = bpf_program__attach(skel->progs.handle_newtask);
	skel->links.handle_exit = bpf_program__attach(skel->progs.handle_exit);
	if (!skel->links.handle_newtask || !skel->links.handle_exit)
		return -errno;
	/* optional (needs CONFIG_FTRACE_SYSCALLS): exact totals of processes that exited */
	skel->links.handle_exit_group = bpf_program__attach(skel->progs.handle_exit_group);
	if (!skel->links.handle_exit_group)
		fprintf(stderr, "cgoscope: note: no syscalls/sys_enter_exit_group tracepoint (%s): "
				"the total of a process that exits is its last reading\n",
			strerror(errno));
	if (watch_exec) {
		skel->links.handle_exec = bpf_program__attach(skel->progs.handle_exec);
		if (!skel->links.handle_exec)
			return -errno;
	}
	return 0;
}

int bpfobj__open(const struct tracer_opts *opts, struct cgoscope_bpf **out, bool *uprobe_multi)
{
	const char *no_multi = getenv("CGOSCOPE_NO_UPROBE_MULTI");
	bool multi = !no_multi || !*no_multi;
	struct cgoscope_bpf *skel;
	char why[256];
	int err;

	if (geteuid() == 0 && (err = kernfs__need_tracefs()))
		return err;
	if (kfloor__check(kfloor__probe, why, sizeof(why))) {
		fprintf(stderr, "cgoscope: %s\n", why);
		return -ENOTSUP;
	}
again:
	skel = cgoscope_bpf__open();
	if (!skel)
		return explain_open_error(-errno);
	skel->rodata->watch_exec = opts->watch_exec;
	skel->rodata->long_ns = opts->long_ns;
	skel->rodata->callers = !opts->no_callers;
	if (opts->map_entries) {
		bpf_map__set_max_entries(skel->maps.calls, opts->map_entries);
		bpf_map__set_max_entries(skel->maps.stats, opts->map_entries);
	}
	if (multi)
		use_uprobe_multi(skel);
	err = cgoscope_bpf__load(skel);
	/* kernels before 6.6: one perf-event link per probe site instead */
	if (multi && (err || !umulti__supported(bpf_program__fd(skel->progs.cgo_leave_call)))) {
		cgoscope_bpf__destroy(skel);
		multi = false;
		goto again;
	}
	if (!err)
		err = attach_tracepoints(skel, opts->watch_exec);
	if (err) {
		cgoscope_bpf__destroy(skel);
		return explain_open_error(err);
	}
	*out = skel;
	*uprobe_multi = multi;
	return 0;
}
