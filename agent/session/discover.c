/* discover.c - finds the processes to trace: a /proc scan, then exec events; forgets those that exit. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "clock.h"
#include "discover.h"
#include "procfs.h"
#include "tracer.h"

#define PENDING_MAX 1024
#define REJECTED_MAX 4096

/* A binary found not to be a traceable Go program: not looked at again. */
struct rejected {
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
};

struct discover {
	struct tracer *t;
	struct discover_opts opts;
	struct stat exe; /* of opts.exe */
	struct {
		pid_t pid;
		__u64 ts_ns;
	} pending[PENDING_MAX];
	size_t npending;
	struct rejected rejected[REJECTED_MAX];
	size_t nrejected, rejected_next;
	struct discover_stats stats;
};

struct discover *discover__new(struct tracer *t, const struct discover_opts *opts)
{
	struct discover *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->t = t;
	d->opts = *opts;
	if (opts->exe && stat(opts->exe, &d->exe)) {
		int err = errno;

		free(d);
		errno = err;
		return NULL;
	}
	return d;
}

void discover__free(struct discover *d)
{
	free(d);
}

struct discover_stats discover__stats(const struct discover *d)
{
	return d->stats;
}

static bool matches(const char *const *globs, int n, const char *exe, const char *comm)
{
	for (int i = 0; i < n; i++)
		if (!fnmatch(globs[i], exe, 0) || !fnmatch(globs[i], comm, 0))
			return true;
	return false;
}

/* Whether the filters let pid be traced; st: of its /proc/PID/exe, or NULL when unknown. */
static bool wanted(const struct discover *d, pid_t pid, const struct stat *st)
{
	const struct discover_opts *o = &d->opts;
	char exe[SNAP_PATH_LEN], comm[CGOSCOPE_COMM_LEN];

	if (pid == getpid())
		return false;
	if (o->exe && (!st || st->st_dev != d->exe.st_dev || st->st_ino != d->exe.st_ino))
		return false;
	if (o->npids) {
		for (int i = 0; i < o->npids; i++)
			if (o->pids[i] == pid)
				return true;
		return false;
	}
	if (procfs__exe(pid, exe, sizeof(exe)) || procfs__comm(pid, comm, sizeof(comm)))
		return false;
	if (o->ninclude && !matches(o->include, o->ninclude, exe, comm))
		return false;
	return !matches(o->exclude, o->nexclude, exe, comm);
}

static bool rejected(const struct discover *d, const struct stat *st)
{
	for (size_t i = 0; i < d->nrejected; i++) {
		const struct rejected *r = &d->rejected[i];

		if (r->dev == st->st_dev && r->ino == st->st_ino &&
		    r->mtime.tv_sec == st->st_mtim.tv_sec && r->mtime.tv_nsec == st->st_mtim.tv_nsec)
			return true;
	}
	return false;
}

static void reject(struct discover *d, const struct stat *st)
{
	struct rejected *r = &d->rejected[d->rejected_next];

	r->dev = st->st_dev;
	r->ino = st->st_ino;
	r->mtime = st->st_mtim;
	d->rejected_next = (d->rejected_next + 1) % REJECTED_MAX;
	if (d->nrejected < REJECTED_MAX)
		d->nrejected++;
}

/* Tries to trace pid; quiet about processes that are not Go programs with cgo. */
static void consider(struct discover *d, pid_t pid, __u64 exec_ns)
{
	char path[64], err[256];
	struct stat st;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if (stat(path, &st)) {
		/* no permission (CAP_SYS_PTRACE missing): a failure to say, not a non-Go process */
		if ((errno == EACCES || errno == EPERM) && wanted(d, pid, NULL)) {
			d->stats.attach_failures++;
			if (d->opts.verbose || d->opts.npids)
				fprintf(stderr, "cgoscope: cannot trace PID %d: %s: %s\n", pid, path,
					strerror(errno));
		}
		return;
	}
	if (rejected(d, &st) || !wanted(d, pid, &st))
		return;
	ret = tracer__add(d->t, pid, err, sizeof(err));
	if (ret == -ENOEXEC || ret == -ENOTSUP) {
		reject(d, &st); /* not Go, no cgo, too old: the binary never will be */
		if (d->opts.verbose)
			fprintf(stderr, "cgoscope: not tracing PID %d: %s\n", pid, err);
		return;
	}
	if (ret == -ESRCH || ret == -EEXIST)
		return;
	if (ret) {
		d->stats.attach_failures++;
		fprintf(stderr, "cgoscope: cannot trace PID %d: %s\n", pid, err);
		return;
	}
	if (exec_ns)
		d->stats.attach_latency_s = (clock__mono_ns() - exec_ns) / 1e9;
	if (d->opts.verbose)
		fprintf(stderr, "cgoscope: tracing PID %d%s\n", pid, exec_ns ? " (just exec'd)" : "");
}

void discover__scan(struct discover *d)
{
	struct dirent *de;
	DIR *dir = opendir("/proc");

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		pid_t pid = (pid_t)strtol(de->d_name, NULL, 10);

		if (pid > 0)
			consider(d, pid, 0);
	}
	closedir(dir);
}

static void on_exec(pid_t pid, __u64 ts_ns, void *ctx)
{
	struct discover *d = ctx;

	if (d->npending == PENDING_MAX) {
		d->stats.dropped++;
		return;
	}
	d->pending[d->npending].pid = pid;
	d->pending[d->npending].ts_ns = ts_ns;
	d->npending++;
}

void discover__poll(struct discover *d)
{
	tracer__poll(d->t, on_exec, d);
	/* the exited first: a new process may have their PID already (reuse) */
	if (!d->opts.keep_exited) {
		if (d->opts.before_remove && tracer__count(d->t, false) > tracer__count(d->t, true))
			d->opts.before_remove(d->opts.ctx);
		tracer__remove_exited(d->t);
	}
	for (size_t i = 0; i < d->npending; i++)
		consider(d, d->pending[i].pid, d->pending[i].ts_ns);
	d->npending = 0;
}
