/* umulti.h - uprobe_multi links (kernel 6.6+) through the bpf syscall: the libbpf we build on (1.1)
 * has no API for them. */
#ifndef CGOSCOPE_UMULTI_H
#define CGOSCOPE_UMULTI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

/* BPF_TRACE_UPROBE_MULTI: the expected attach type of programs umulti__attach takes. */
#define UMULTI_ATTACH_TYPE 48

/*
 * Whether this kernel attaches prog_fd, a uprobe program loaded with
 * expected attach type UMULTI_ATTACH_TYPE, through uprobe_multi links: it
 * asks for a link on "/" and tells the kernel's "not a regular file" from
 * "unknown attach type".
 */
bool umulti__supported(int prog_fd);

/*
 * Attaches prog_fd at the n file offsets of the binary at path, each with
 * its cookie (cookies may be NULL: all 0), for process pid (-1: every
 * process). One link for all of them: closing its fd takes every breakpoint
 * out before it waits for running handlers. Returns the link's fd or -errno.
 */
int umulti__attach(int prog_fd, const char *path, pid_t pid, const __u64 *offsets,
		   const __u64 *cookies, size_t n);

#endif /* CGOSCOPE_UMULTI_H */
