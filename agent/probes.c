/* probes.c - finds the cgo probe sites in runtime.cgocall and attaches uprobes there. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "cgoscope.skel.h"
#include "gobin.h"
#include "probes.h"
#include "umulti.h"
#include "x86.h"

#define CGOCALL_MAX_BYTES 4096

const char *probes__placement_name(enum placement p)
{
	static const char *const names[] = { [PLACEMENT_CALL_SITES] = "call-sites",
					     [PLACEMENT_ENTRY_RET] = "entry+ret",
					     [PLACEMENT_ENTRY_SITE] = "entry+call-site" };

	return p < PLACEMENT__MAX ? names[p] : "?";
}

void probes__programs(struct cgoscope_bpf *skel, enum placement p, struct bpf_program **enter,
		      struct bpf_program **leave)
{
	switch (p) {
	case PLACEMENT_ENTRY_SITE:
		*enter = skel->progs.cgo_enter_top;
		*leave = skel->progs.cgo_leave_call;
		break;
	case PLACEMENT_ENTRY_RET:
		*enter = skel->progs.cgo_enter_entry;
		*leave = skel->progs.cgo_leave_ret;
		break;
	default:
		*enter = skel->progs.cgo_enter_call;
		*leave = skel->progs.cgo_leave_call;
	}
}

/* Walk of probes__sp_drop(). */
struct sp_walk {
	__u64 entry, site;
	__u64 drop;
	int err; /* -ENOENT until site is reached the right way */
};

static int sp_walk_insn(const struct insn *in, void *ctx)
{
	struct sp_walk *w = ctx;

	if (in->addr == w->entry && !in->emulated)
		return 1;
	if (in->addr == w->site) {
		w->err = 0;
		return 1;
	}
	if (in->sp_other || in->kind == INSN_RET)
		return 1;
	w->drop += in->sp_drop;
	return 0;
}

int probes__sp_drop(const void *code, size_t len, __u64 addr, __u64 site, __u64 *drop)
{
	struct sp_walk w = { .entry = addr, .site = site, .err = -ENOENT };
	int err = x86__decode(code, len, addr, sp_walk_insn, &w);

	if (err < 0)
		return err == -ENOEXEC ? -ENOENT : err;
	if (!w.err)
		*drop = w.drop;
	return w.err;
}

/* Address of the first function found among names, or 0. */
static __u64 func_addr(const struct gobin *gb, const char *const *names)
{
	struct gobin_func fn;

	for (; *names; names++)
		if (!gobin__find_func(gb, *names, &fn))
			return fn.addr;
	return 0;
}

struct scan {
	__u64 asmcgocall, exitsyscall;
	__u64 call_asm, call_exit; /* the call sites, 0 until found */
	bool call_asm_emulated, call_exit_emulated;
	__u64 rets[PROBES_MAX_LEAVE];
	size_t nrets;
	bool too_many_rets, rets_emulated;
	bool entry_ok; /* the entry can pair with call_exit (probes__sp_drop) */
};

static int scan_insn(const struct insn *in, void *ctx)
{
	struct scan *s = ctx;

	if (in->kind == INSN_CALL && in->target == s->asmcgocall && !s->call_asm) {
		s->call_asm = in->addr;
		s->call_asm_emulated = in->emulated;
	} else if (in->kind == INSN_CALL && in->target == s->exitsyscall && s->call_asm &&
		   !s->call_exit) {
		s->call_exit = in->addr;
		s->call_exit_emulated = in->emulated;
	} else if (in->kind == INSN_RET) {
		if (s->nrets == PROBES_MAX_LEAVE)
			s->too_many_rets = true;
		else
			s->rets[s->nrets++] = in->addr;
	}
	return 0;
}

static void plan_entry_ret(struct probe_plan *plan, const struct scan *s)
{
	plan->placement = PLACEMENT_ENTRY_RET;
	plan->enter = plan->cgocall;
	plan->enter_cookie = 0;
	plan->nleave = s->nrets;
	memcpy(plan->leave, s->rets, s->nrets * sizeof(s->rets[0]));
	plan->emulated = false; /* entry and RET are single-stepped */
}

/* The sites runtime.cgocall of gb offers (s), decoded; *cookie: the entry's SP drop. */
static int scan_cgocall(const struct gobin *gb, struct probe_plan *plan, struct scan *s)
{
	static const char *const asmcgocall[] = { "runtime.asmcgocall.abi0", "runtime.asmcgocall",
						  NULL };
	static const char *const exitsyscall[] = { "runtime.exitsyscall", NULL };
	struct gobin_func fn;
	unsigned char *code;
	size_t len;
	int err;

	if (gobin__find_func(gb, "runtime.cgocall", &fn))
		return -ENOENT;
	plan->cgocall = fn.addr;
	code = malloc(CGOCALL_MAX_BYTES);
	if (!code)
		return -ENOMEM;
	len = gobin__read_code(gb, &fn, code, CGOCALL_MAX_BYTES);
	s->asmcgocall = func_addr(gb, asmcgocall);
	s->exitsyscall = func_addr(gb, exitsyscall);
	err = len ? x86__decode(code, len, fn.addr, scan_insn, s) : -ENOENT;
	if (err && err != -ENOEXEC) {
		free(code);
		return err;
	}
	if (s->call_exit && s->call_exit_emulated &&
	    !probes__sp_drop(code, len, fn.addr, s->call_exit, &plan->enter_cookie))
		s->entry_ok = true;
	free(code);
	if (s->nrets == 0 || s->too_many_rets)
		return -ENOENT; /* cannot even fall back */
	return 0;
}

int probes__plan(const struct gobin *gb, int want, struct probe_plan *plan)
{
	struct scan s = { 0 };
	int major, minor, err;

	memset(plan, 0, sizeof(*plan));
	if (!gobin__go_release(gb, &major, &minor) && major == 1 && minor < 17)
		return -ENOTSUP;
	err = scan_cgocall(gb, plan, &s);
	if (err)
		return err;
	if (want == PLACEMENT_ENTRY_RET) {
		snprintf(plan->note, sizeof(plan->note), "entry+ret asked for");
	} else if (!s.asmcgocall || !s.exitsyscall) {
		snprintf(plan->note, sizeof(plan->note),
			 "runtime.asmcgocall or runtime.exitsyscall not found");
	} else if (!s.call_asm || !s.call_exit) {
		snprintf(plan->note, sizeof(plan->note),
			 "no CALL runtime.asmcgocall followed by CALL runtime.exitsyscall in "
			 "runtime.cgocall");
	} else if (s.entry_ok && want != PLACEMENT_CALL_SITES) {
		plan->placement = PLACEMENT_ENTRY_SITE;
		plan->enter = plan->cgocall;
		plan->leave[0] = s.call_exit;
		plan->nleave = 1;
		plan->emulated = true;
		return 0;
	} else {
		if (want == PLACEMENT_ENTRY_SITE)
			snprintf(plan->note, sizeof(plan->note),
				 "runtime.cgocall's entry is not emulated here (Go < 1.21)");
		plan->placement = PLACEMENT_CALL_SITES;
		plan->enter_cookie = 0;
		plan->enter = s.call_asm;
		plan->leave[0] = s.call_exit;
		plan->nleave = 1;
		plan->emulated = s.call_asm_emulated && s.call_exit_emulated;
		return 0;
	}
	plan_entry_ret(plan, &s);
	return 0;
}

int probes__parse_placement(const char *name, int *out)
{
	if (!strcmp(name, "auto")) {
		*out = PROBES_AUTO;
		return 0;
	}
	for (int p = 0; p < PLACEMENT__MAX; p++) {
		if (!strcmp(name, probes__placement_name(p))) {
			*out = p;
			return 0;
		}
	}
	return -EINVAL;
}

/* Attaches prog at n offsets of path: one uprobe_multi link, or one perf-event link per offset. */
int probes__attach_offsets(const char *path, pid_t pid, struct bpf_program *prog,
			   const __u64 *offsets, const __u64 *cookies, size_t n,
			   struct probe_links *links)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts);
	struct bpf_link *link;
	int fd;

	if (bpf_program__expected_attach_type(prog) == UMULTI_ATTACH_TYPE) {
		if (links->nfds == PROBES_MAX_LINKS)
			return -E2BIG;
		fd = umulti__attach(bpf_program__fd(prog), path, pid, offsets, cookies, n);
		if (fd < 0) {
			fprintf(stderr, "cgoscope: failed to attach uprobes at %s+0x%llx: %s\n",
				path, (unsigned long long)offsets[0], strerror(-fd));
			return fd;
		}
		links->fds[links->nfds++] = fd;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (links->n == PROBES_MAX_LINKS)
			return -E2BIG;
		opts.bpf_cookie = cookies ? cookies[i] : 0;
		link = bpf_program__attach_uprobe_opts(prog, pid, path, offsets[i], &opts);
		if (!link) {
			fd = -errno;
			fprintf(stderr, "cgoscope: failed to attach uprobe at %s+0x%llx: %s\n",
				path, (unsigned long long)offsets[i], strerror(-fd));
			return fd;
		}
		links->links[links->n++] = link;
	}
	return 0;
}

int probes__attach(const struct gobin *gb, const char *path, pid_t pid,
		   const struct probe_plan *plan, struct cgoscope_bpf *skel,
		   struct probe_links *links)
{
	struct bpf_program *enter, *leave;
	__u64 enter_off, leave_off[PROBES_MAX_LEAVE];
	int err;

	memset(links, 0, sizeof(*links));
	probes__programs(skel, plan->placement, &enter, &leave);
	if (gobin__addr_to_offset(gb, plan->enter, &enter_off))
		return -ENOENT;
	for (size_t i = 0; i < plan->nleave; i++)
		if (gobin__addr_to_offset(gb, plan->leave[i], &leave_off[i]))
			return -ENOENT;
	err = probes__attach_offsets(path, pid, enter, &enter_off, &plan->enter_cookie, 1, links);
	if (!err)
		err =
		    probes__attach_offsets(path, pid, leave, leave_off, NULL, plan->nleave, links);
	if (err)
		probes__detach(links);
	return err;
}

/* One link of probes__detach(): a libbpf link or a uprobe_multi link's fd. */
struct doomed {
	struct bpf_link *link;
	int fd;
};

static void *destroy(void *arg)
{
	struct doomed *d = arg;

	if (d->link)
		bpf_link__destroy(d->link);
	else
		close(d->fd);
	return NULL;
}

/*
 * Destroying a uprobe link waits for the probe handlers still running
 * anywhere to finish (RCU tasks trace), ~100 ms here, and a hot loop pays
 * every breakpoint still in place meanwhile. A uprobe_multi link takes its
 * breakpoints out before that wait: destroyed side by side, all of them go
 * at once, where one after the other the last would stay through every
 * wait before its own. (libbpf's perf-event links wait first and the kernel
 * takes them one at a time: ~100 ms per link whatever we do.)
 */
void probes__detach(struct probe_links *links)
{
	struct doomed d[2 * PROBES_MAX_LINKS];
	pthread_t th[2 * PROBES_MAX_LINKS];
	bool started[2 * PROBES_MAX_LINKS];
	size_t n = 0;

	for (size_t i = 0; i < links->n; i++)
		d[n++] = (struct doomed){ .link = links->links[i] };
	for (size_t i = 0; i < links->nfds; i++)
		d[n++] = (struct doomed){ .fd = links->fds[i] };
	for (size_t i = 0; i < n; i++) {
		started[i] = n > 1 && !pthread_create(&th[i], NULL, destroy, &d[i]);
		if (!started[i])
			destroy(&d[i]);
	}
	for (size_t i = 0; i < n; i++)
		if (started[i])
			pthread_join(th[i], NULL);
	links->n = 0;
	links->nfds = 0;
}

/* Detaches run on their own threads; this counts those still running. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t done;
	unsigned int running;
} reaper = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };

static void *detach_job(void *arg)
{
	struct probe_links *links = arg;

	probes__detach(links);
	free(links);
	pthread_mutex_lock(&reaper.lock);
	if (!--reaper.running)
		pthread_cond_broadcast(&reaper.done);
	pthread_mutex_unlock(&reaper.lock);
	return NULL;
}

void probes__detach_async(struct probe_links *links)
{
	struct probe_links *job;
	pthread_attr_t attr;
	pthread_t th;
	int err;

	if (!links->n && !links->nfds)
		return;
	job = malloc(sizeof(*job));
	if (!job || pthread_attr_init(&attr)) {
		free(job);
		probes__detach(links);
		return;
	}
	*job = *links;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&reaper.lock);
	reaper.running++;
	pthread_mutex_unlock(&reaper.lock);
	err = pthread_create(&th, &attr, detach_job, job);
	pthread_attr_destroy(&attr);
	links->n = links->nfds = 0;
	if (err)
		detach_job(job);
}

void probes__detach_wait(void)
{
	pthread_mutex_lock(&reaper.lock);
	while (reaper.running)
		pthread_cond_wait(&reaper.done, &reaper.lock);
	pthread_mutex_unlock(&reaper.lock);
}

int probes__links_add(struct probe_links *links, struct bpf_link *link)
{
	if (!link)
		return 0;
	if (links->n == PROBES_MAX_LINKS)
		return -ENOSPC;
	links->links[links->n++] = link;
	return 0;
}
