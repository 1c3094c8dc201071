/* umulti.c - uprobe_multi links (kernel 6.6+) through the bpf syscall: the libbpf we build on (1.1)
 * has no API for them. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include "umulti.h"

#define LINK_CREATE 28 /* BPF_LINK_CREATE */

/* The BPF_LINK_CREATE attributes of a uprobe_multi link, as the kernel lays them out (6.6+). */
struct umulti_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 multi_flags;
	__u32 pid;
};

static int link_create(int prog_fd, const char *path, pid_t pid, const __u64 *offsets,
		       const __u64 *cookies, size_t n)
{
	union {
		union bpf_attr attr; /* the size the kernel expects, zeroes after ours */
		struct umulti_attr um;
	} u;
	int fd;

	memset(&u, 0, sizeof(u));
	u.um.prog_fd = prog_fd;
	u.um.attach_type = UMULTI_ATTACH_TYPE;
	u.um.path = (__u64)(unsigned long)path;
	u.um.offsets = (__u64)(unsigned long)offsets;
	u.um.cookies = (__u64)(unsigned long)cookies;
	u.um.cnt = n;
	u.um.pid = pid > 0 ? (__u32)pid : 0;
	fd = syscall(__NR_bpf, LINK_CREATE, &u, sizeof(u));
	return fd < 0 ? -errno : fd;
}

bool umulti__supported(int prog_fd)
{
	__u64 off = 0;
	int fd = link_create(prog_fd, "/", -1, &off, NULL, 1);

	if (fd >= 0)
		close(fd);
	return fd == -EBADF; /* known attach type, refused path: a directory */
}

int umulti__attach(int prog_fd, const char *path, pid_t pid, const __u64 *offsets,
		   const __u64 *cookies, size_t n)
{
	return link_create(prog_fd, path, pid, offsets, cookies, n);
}
