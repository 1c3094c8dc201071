/* calib.c - measures what a cgoscope probe pair costs on this machine, on the agent's own code. */
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "calib.h"
#include "cgoscope.h"
#include "probes.h"
#include "cgoscope.skel.h"
#include "clock.h"
#include "slots.h"

/* The generation calibration records under (its probes' cookies carry it). */
#define CALIB_GEN 1

/*
 * Sites shaped like runtime.cgocall's. calib_calls: R14 holds a fake
 * goroutine, the first stack word is fn (0), then two CALLs stand for
 * asmcgocall and exitsyscall. calib_func: entry and RET, with fn in RAX.
 * calib_site: calib_top's entry (a PUSH, fn in RAX), then its frame, then a
 * CALL for exitsyscall.
 */
__asm__(".text\n"
	".globl cgoscope_calib_calls\n"
	".type cgoscope_calib_calls, @function\n"
	"cgoscope_calib_calls:\n"
	"	push %r14\n"
	"	mov %rdi, %r14\n"
	"	push $0\n"
	".globl cgoscope_calib_enter\n"
	".type cgoscope_calib_enter, @function\n"
	"cgoscope_calib_enter:\n"
	"	call cgoscope_calib_nop\n"
	".globl cgoscope_calib_leave\n"
	".type cgoscope_calib_leave, @function\n"
	"cgoscope_calib_leave:\n"
	"	call cgoscope_calib_nop\n"
	"	add $8, %rsp\n"
	"	pop %r14\n"
	"	ret\n"
	".size cgoscope_calib_calls, .-cgoscope_calib_calls\n"
	".globl cgoscope_calib_nop\n"
	".type cgoscope_calib_nop, @function\n"
	"cgoscope_calib_nop:\n"
	"	ret\n"
	".size cgoscope_calib_nop, .-cgoscope_calib_nop\n"
	".globl cgoscope_calib_func\n"
	".type cgoscope_calib_func, @function\n"
	"cgoscope_calib_func:\n"
	"	push %r14\n"
	"	mov %rdi, %r14\n"
	"	xor %eax, %eax\n"
	"	call cgoscope_calib_entry\n"
	"	pop %r14\n"
	"	ret\n"
	".size cgoscope_calib_func, .-cgoscope_calib_func\n"
	".globl cgoscope_calib_entry\n"
	".type cgoscope_calib_entry, @function\n"
	"cgoscope_calib_entry:\n"
	"	sub $8, %rsp\n"
	"	add $8, %rsp\n"
	".globl cgoscope_calib_ret\n"
	".type cgoscope_calib_ret, @function\n"
	"cgoscope_calib_ret:\n"
	"	ret\n"
	".size cgoscope_calib_entry, .-cgoscope_calib_entry\n"
	".globl cgoscope_calib_site\n"
	".type cgoscope_calib_site, @function\n"
	"cgoscope_calib_site:\n"
	"	push %r14\n"
	"	mov %rdi, %r14\n"
	"	xor %eax, %eax\n"
	"	call cgoscope_calib_top\n"
	"	pop %r14\n"
	"	ret\n"
	".size cgoscope_calib_site, .-cgoscope_calib_site\n"
	".globl cgoscope_calib_top\n"
	".type cgoscope_calib_top, @function\n"
	"cgoscope_calib_top:\n"
	"	push %rbp\n"
	"	sub $0x28, %rsp\n"
	".globl cgoscope_calib_exit\n"
	".type cgoscope_calib_exit, @function\n"
	"cgoscope_calib_exit:\n"
	"	call cgoscope_calib_nop\n"
	"	add $0x28, %rsp\n"
	"	pop %rbp\n"
	"	ret\n"
	".size cgoscope_calib_top, .-cgoscope_calib_top\n");

void cgoscope_calib_calls(void *g);
void cgoscope_calib_func(void *g);
void cgoscope_calib_site(void *g);
void cgoscope_calib_top(void);
void cgoscope_calib_exit(void);

void cgoscope_calib_enter(void);
void cgoscope_calib_leave(void);
void cgoscope_calib_entry(void);
void cgoscope_calib_ret(void);

/* The look-alike of each placement: what runs, where its enter and leave go. */
static const struct shape {
	void (*run)(void *g);
	void (*enter)(void), (*leave)(void);
} shapes[PLACEMENT__MAX] = {
	[PLACEMENT_CALL_SITES] = { cgoscope_calib_calls, cgoscope_calib_enter,
				   cgoscope_calib_leave },
	[PLACEMENT_ENTRY_RET] = { cgoscope_calib_func, cgoscope_calib_entry, cgoscope_calib_ret },
	[PLACEMENT_ENTRY_SITE] = { cgoscope_calib_site, cgoscope_calib_top, cgoscope_calib_exit },
};

/* A goroutine as the probes see it: g.stack.lo, g.stack.hi. */
static struct {
	unsigned long lo, hi;
} fake_g = { 0, ~0UL };

static double run(void (*fn)(void *), unsigned int rounds)
{
	double t0 = (double)clock__mono_ns();

	for (unsigned int i = 0; i < rounds; i++)
		fn(&fake_g);
	return ((double)clock__mono_ns() - t0) / rounds;
}

/* What self_offset() looks for and finds. */
struct self_addr {
	__u64 addr, off;
	bool found;
};

/* dl_iterate_phdr callback: looks in the first object only, the executable (/proc/self/exe). */
static int find_load(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct self_addr *a = ctx;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		__u64 start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && a->addr >= start && a->addr < start + ph->p_filesz) {
			a->off = a->addr - start + ph->p_offset;
			a->found = true;
			break;
		}
	}
	return 1;
}

/* The file offset in /proc/self/exe of code at addr in this process. */
static int self_offset(const void *addr, __u64 *off)
{
	struct self_addr a = { .addr = (__u64)addr };

	dl_iterate_phdr(find_load, &a);
	*off = a.off;
	return a.found ? 0 : -ENOENT;
}

/* Mean span the BPF side measured for our fake calls (fn 0). */
static int read_floor(struct cgoscope_bpf *skel, __u32 tgid, double *floor_ns)
{
	struct cgoscope_func_key key = { .tgid = tgid, .fn = 0 };
	int fd = bpf_map__fd(skel->maps.stats);
	struct cgoscope_func_stats v;

	if (bpf_map_lookup_elem(fd, &key, &v))
		return -errno;
	bpf_map_delete_elem(fd, &key);
	*floor_ns = v.count ? (double)v.sum_ns / v.count : 0;
	return v.count ? 0 : -ENODATA;
}

/* Attaches placement p's programs to its look-alike sites, adding the links to links. */
static int attach_shape(struct cgoscope_bpf *skel, enum placement p, struct probe_links *links)
{
	const struct shape *sh = &shapes[p];
	struct bpf_program *enter, *leave;
	__u64 drop = 0, enter_off, leave_off, cookie, leave_ck = CGOSCOPE_COOKIE(CALIB_GEN, 0);
	int err;

	if (p == PLACEMENT_ENTRY_SITE) {
		__u64 top = (__u64)cgoscope_calib_top, exit = (__u64)cgoscope_calib_exit;

		err = probes__sp_drop((const void *)top, exit - top + 16, top, exit, &drop);
		if (err)
			return err;
	}
	cookie = CGOSCOPE_COOKIE(CALIB_GEN, drop);
	probes__programs(skel, p, &enter, &leave);
	if (self_offset((const void *)sh->enter, &enter_off) ||
	    self_offset((const void *)sh->leave, &leave_off))
		return -ENOENT;
	err = probes__attach_offsets("/proc/self/exe", getpid(), enter, &enter_off, &cookie, 1,
				     links);
	if (!err)
		err = probes__attach_offsets("/proc/self/exe", getpid(), leave, &leave_off,
					     &leave_ck, 1, links);
	return err;
}

/* Times the traced look-alike of p against base, its untraced time per call. */
static int measure(struct cgoscope_bpf *skel, enum placement p, unsigned int rounds, double base,
		   struct probe_cost *cost)
{
	const struct shape *sh = &shapes[p];
	__u32 tgid = getpid();
	struct cgoscope_calls_key calls_key = { .id = gettid(), .tgid = tgid };
	struct cgoscope_cfg cfg = { .gen = CALIB_GEN, .enabled = 1 };
	double traced;
	int err;

	err = slots__claim(skel, SLOTS_CALIB, tgid, &cfg, 0);
	if (err)
		return err;
	run(sh->run, rounds / 10 + 1); /* warm up: pages, caches */
	traced = run(sh->run, rounds);
	cost->per_call_ns = traced > base ? traced - base : 0;
	err = read_floor(skel, tgid, &cost->floor_ns);
	/* the span is part of what a call pays; timing noise must not say otherwise */
	if (cost->per_call_ns < cost->floor_ns)
		cost->per_call_ns = cost->floor_ns;
	slots__release(skel, SLOTS_CALIB, tgid);
	bpf_map_delete_elem(bpf_map__fd(skel->maps.calls), &calls_key);
	return err;
}

int calib__measure(struct cgoscope_bpf *skel, unsigned int rounds,
		   struct probe_cost cost[PLACEMENT__MAX])
{
	struct probe_links links = { .n = 0, .nfds = 0 };
	double base[PLACEMENT__MAX];
	int err = 0;

	memset(cost, 0, PLACEMENT__MAX * sizeof(*cost));
	for (int p = 0; p < PLACEMENT__MAX; p++)
		base[p] = run(shapes[p].run, rounds);
	/* all at once: links are slow to destroy (probes__detach), so they go together */
	for (int p = 0; p < PLACEMENT__MAX && !err; p++)
		err = attach_shape(skel, p, &links);
	for (int p = 0; p < PLACEMENT__MAX && !err; p++)
		err = measure(skel, p, rounds, base[p], &cost[p]);
	probes__detach(&links);
	if (err)
		memset(cost, 0, PLACEMENT__MAX * sizeof(*cost));
	return err;
}
