/* procfs.c - facts about a process from /proc, and reads of its memory. */
#include <ctype.h>
#include <stdint.h>
#include <errno.h>
#include <poll.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include "procfs.h"

static FILE *proc_open(pid_t pid, const char *what)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	return fopen(path, "re");
}

/*
 * Reads /proc/PID/stat into buf and returns where its fields after comm
 * begin (the last ')': comm may hold spaces and parentheses), or NULL with
 * *err set.
 */
static char *stat_after_comm(pid_t pid, char *buf, size_t size, int *err)
{
	FILE *f = proc_open(pid, "stat");
	char *p;
	size_t n;

	if (!f) {
		*err = -errno;
		return NULL;
	}
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	*err = p ? 0 : -EINVAL;
	return p;
}

int procfs__start_time(pid_t pid, __u64 *ticks)
{
	char buf[1024], *p;
	unsigned long long v;
	int err;

	p = stat_after_comm(pid, buf, sizeof(buf), &err);
	if (!p)
		return err;
	/* after ')': state is field 3, starttime is field 22 */
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &v) != 1)
		return -EINVAL;
	*ticks = v;
	return 0;
}

int procfs__state(pid_t pid, char *state)
{
	char buf[1024], *p;
	int err;

	p = stat_after_comm(pid, buf, sizeof(buf), &err);
	if (!p)
		return err;
	if (p[1] != ' ' || !p[2])
		return -EINVAL;
	*state = p[2];
	return 0;
}

int procfs__comm(pid_t pid, char *buf, size_t len)
{
	FILE *f = proc_open(pid, "comm");

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int procfs__exe(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* Value of a "Key:\tvalue" line of /proc/PID/status; the last number when several. */
static int status_field(pid_t pid, const char *key, long *out)
{
	size_t klen = strlen(key);
	char line[512];
	int err = -ENOENT;
	FILE *f = proc_open(pid, "status");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p, *end;

		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		for (p = line + klen + 1;; p = end) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			*out = v;
			err = 0;
		}
		break;
	}
	fclose(f);
	return err;
}

int procfs__threads(pid_t pid, long *n)
{
	return status_field(pid, "Threads", n);
}

int procfs__nspid(pid_t pid, pid_t *nspid)
{
	long v;
	int err = status_field(pid, "NSpid", &v);

	if (err)
		return err;
	*nspid = (pid_t)v;
	return 0;
}

int procfs__map_base(pid_t pid, ino_t ino, __u64 *base)
{
	unsigned long long start, end, off, inode;
	char line[1024];
	int err = -ENOENT;
	FILE *f = proc_open(pid, "maps");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %*s %llx %*s %llu", &start, &end, &off, &inode) != 4)
			continue;
		if (inode == (unsigned long long)ino && off == 0 && (err || start < *base)) {
			*base = start;
			err = 0;
		}
	}
	fclose(f);
	return err;
}

int procfs__read_mem(pid_t pid, __u64 addr, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* Finds a run of 64 hex digits in s. */
static const char *find_id64(const char *s)
{
	for (size_t run = 0; *s; s++) {
		run = isxdigit((unsigned char)*s) ? run + 1 : 0;
		if (run == 64 && !isxdigit((unsigned char)s[1]))
			return s - 63;
	}
	return NULL;
}

int procfs__container_id(pid_t pid, char *buf, size_t len)
{
	char line[1024];
	const char *id;
	FILE *f = proc_open(pid, "cgroup");

	buf[0] = '\0';
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		id = find_id64(line);
		if (id) {
			snprintf(buf, len, "%.64s", id);
			break;
		}
	}
	fclose(f);
	return 0;
}

int procfs__pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	long fd = syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : (int)fd;
#else
	(void)pid;
	return -ENOSYS;
#endif
}

bool procfs__pidfd_ended(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}
