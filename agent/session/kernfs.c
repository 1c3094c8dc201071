/* kernfs.c - mounts tracefs when no one has, so tracepoints can be attached. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include "kernfs.h"

#define TRACEFS		"/sys/kernel/tracing"
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"

int kernfs__need_tracefs(void)
{
	if (!access(TRACEFS "/events", F_OK) || !access(DEBUGFS_TRACING "/events", F_OK))
		return 0;
	if (!mount("nodev", TRACEFS, "tracefs", 0, NULL))
		return 0;
	int err = -errno;

	fprintf(stderr,
		"cgoscope: tracefs is not mounted and mounting it failed (%s): "
		"mount -t tracefs nodev " TRACEFS "\n",
		strerror(-err));
	return err;
}
