/* folded.h - folded-stack text of the profile model, for flamegraph.pl, speedscope, inferno. */
#ifndef CGOSCOPE_FOLDED_H
#define CGOSCOPE_FOLDED_H

#include <stdio.h>
#include "pprof.h"

#define FOLDED_LINES   (1u << 0) /* frames as function@file:line where the file is known */
#define FOLDED_UNKNOWN "[unknown]" /* a frame without function name, a sample without frames */

/*
 * Writes p to f as folded stacks: one line per distinct stack, frames root
 * first separated by ';', a space and the sum of values[value] of the
 * samples with that stack, in decimal; lines in the order their stacks are
 * first seen, stacks whose sum is 0 or less left out. A frame is its
 * function name ("main.(*Store).Get"), with flags FOLDED_LINES followed by
 * "@file" and ":line" when known. In names ';' becomes ':' and spaces and
 * control characters '_', so every line parses. Memory grows with the
 * distinct stacks. Returns 0, -EINVAL on NULL f, a model pprof__check()
 * refuses or value >= p->n_types, -EOVERFLOW when a sum overflows, -ENOMEM,
 * or -EIO when writing to f failed (f may then hold some of the lines).
 */
int folded__write(FILE *f, const struct pprof_profile *p, unsigned int value, unsigned int flags);

#endif /* CGOSCOPE_FOLDED_H */
