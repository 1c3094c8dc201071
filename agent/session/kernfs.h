/* kernfs.h - the kernel filesystems cgoscope needs mounted (tracefs for tracepoints). */
#ifndef CGOSCOPE_KERNFS_H
#define CGOSCOPE_KERNFS_H

/*
 * Makes sure tracefs is reachable where libbpf looks for tracepoint IDs
 * (/sys/kernel/tracing, or /sys/kernel/debug/tracing): when neither has an
 * events/ directory, mounts tracefs at /sys/kernel/tracing (a fresh host or a
 * container often has none mounted). Returns 0, or -errno with a one-line
 * reason already printed on stderr.
 */
int kernfs__need_tracefs(void);

#endif /* CGOSCOPE_KERNFS_H */
