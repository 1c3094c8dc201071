/* probes.c - attaches the cgo probes at a plan's sites (uprobe_multi or perf-event links) and detaches them. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "cgoscope.h"
#include "cgoscope.skel.h"
#include "gobin.h"
#include "probes.h"
#include "umulti.h"

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
		   const struct probe_plan *plan, __u32 gen, struct cgoscope_bpf *skel,
		   struct probe_links *links)
{
	struct bpf_program *enter, *leave;
	__u64 enter_off, leave_off[PROBES_MAX_LEAVE], leave_ck[PROBES_MAX_LEAVE];
	__u64 enter_ck = CGOSCOPE_COOKIE(gen, plan->enter_cookie);
	int err;

	memset(links, 0, sizeof(*links));
	probes__programs(skel, plan->placement, &enter, &leave);
	if (gobin__addr_to_offset(gb, plan->enter, &enter_off))
		return -ENOENT;
	for (size_t i = 0; i < plan->nleave; i++) {
		if (gobin__addr_to_offset(gb, plan->leave[i], &leave_off[i]))
			return -ENOENT;
		leave_ck[i] = CGOSCOPE_COOKIE(gen, 0);
	}
	err = probes__attach_offsets(path, pid, enter, &enter_off, &enter_ck, 1, links);
	if (!err)
		err = probes__attach_offsets(path, pid, leave, leave_off, leave_ck, plan->nleave,
					     links);
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
