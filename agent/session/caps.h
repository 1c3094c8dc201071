/* caps.h - checks that cgoscope holds the capabilities it needs before it loads anything. */
#ifndef CGOSCOPE_CAPS_H
#define CGOSCOPE_CAPS_H

#include <stddef.h>

/*
 * Checks the effective capabilities of this process against what tracing
 * needs: CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN, CAP_SYS_PTRACE and
 * CAP_DAC_READ_SEARCH (a capability the running kernel does not know, such as
 * CAP_BPF before 5.8, is covered by CAP_SYS_ADMIN there and not required).
 * Returns 0 when all are held; otherwise -EPERM and msg (if not NULL) holds
 * one line naming every missing capability and what it is for. -errno when
 * capget(2) fails.
 */
int caps__check(char *msg, size_t len);

#endif /* CGOSCOPE_CAPS_H */
