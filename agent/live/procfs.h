/* procfs.h - facts about a process from /proc, and reads of its memory. */
#ifndef CGOSCOPE_PROCFS_H
#define CGOSCOPE_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

/* Process start time in clock ticks after boot (field 22 of /proc/PID/stat). Returns 0 or -errno. */
int procfs__start_time(pid_t pid, __u64 *ticks);

/* State letter of the process (field 3 of /proc/PID/stat: R, S, Z, ...). Returns 0 or -errno. */
int procfs__state(pid_t pid, char *state);

/* The command name (/proc/PID/comm, without newline). Returns 0 or -errno. */
int procfs__comm(pid_t pid, char *buf, size_t len);

/* Target of /proc/PID/exe (may end in " (deleted)"). Returns 0 or -errno. */
int procfs__exe(pid_t pid, char *buf, size_t len);

/* Number of threads: the Threads: line of /proc/PID/status. Returns 0 or -errno. */
int procfs__threads(pid_t pid, long *n);

/* The pid as seen inside the process's own pid namespace (last NSpid). Returns 0 or -errno. */
int procfs__nspid(pid_t pid, pid_t *nspid);

/*
 * Lowest start address of a mapping of the file with inode ino at file
 * offset 0 in /proc/PID/maps. Returns 0, -ENOENT when not mapped, or -errno.
 */
int procfs__map_base(pid_t pid, ino_t ino, __u64 *base);

/*
 * A pidfd of process pid (pidfd_open(2)): it refers to that very process,
 * not to whichever holds the PID later. Returns the fd or -errno (-ENOSYS
 * before Linux 5.3).
 */
int procfs__pidfd(pid_t pid);

/* Whether the process of pidfd has ended (it is readable: poll(2)). */
bool procfs__pidfd_ended(int pidfd);

/* Copies len bytes at addr of process pid into buf (process_vm_readv). Returns 0 or -errno. */
int procfs__read_mem(pid_t pid, __u64 addr, void *buf, size_t len);

/*
 * Container id of a process from /proc/PID/cgroup: the 64-hex-digit id used
 * by docker, containerd, CRI-O and podman scopes. Empty string when none.
 */
int procfs__container_id(pid_t pid, char *buf, size_t len);

#endif /* CGOSCOPE_PROCFS_H */
