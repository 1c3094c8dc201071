/* caps.c - checks that cgoscope holds the capabilities it needs before it loads anything. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include "caps.h"

/* What tracing needs, and why (the README's Deployment table says the same). */
static const struct {
	int cap;
	const char *name, *why;
} needed[] = {
	{ 39 /* CAP_BPF */, "CAP_BPF", "load the BPF programs and read their maps" },
	{ 38 /* CAP_PERFMON */, "CAP_PERFMON", "perf events for tracepoints, reading user memory" },
	{ CAP_SYS_ADMIN, "CAP_SYS_ADMIN", "attach uprobes" },
	{ CAP_SYS_PTRACE, "CAP_SYS_PTRACE", "open other processes' /proc/PID/exe and read their memory" },
	{ CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH", "tracepoint ids in tracefs, unreadable binaries" },
};

/* The highest capability the running kernel knows; CAP_LAST_CAP of the headers if unreadable. */
static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int v = CAP_LAST_CAP;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = CAP_LAST_CAP;
		fclose(f);
	}
	return v;
}

int caps__check(char *msg, size_t len)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	int last = last_cap(), missing = 0;
	size_t off = 0;

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		int c = needed[i].cap;

		if (c > last || (data[c / 32].effective & (1U << (c % 32))))
			continue;
		if (msg && off < len)
			off += snprintf(msg + off, len - off, "%s%s (%s)", missing ? ", " : "",
					needed[i].name, needed[i].why);
		missing++;
	}
	return missing ? -EPERM : 0;
}
