/* pause.h - keeps in-flight call records true across a pause of the probes (sampling). */
#ifndef CGOSCOPE_PAUSE_H
#define CGOSCOPE_PAUSE_H

#include <stdbool.h>
#include <stddef.h>

struct cgoscope_bpf;
struct mwatch_m;
struct target;

/* Which threads were in which cgo call when the probes of a process paused. */
struct pause {
	bool known; /* read from the runtime (else nothing can be kept) */
	struct mwatch_m *v; /* the Ms in C then, with their call counts */
	size_t n;
};

/*
 * Call before the BPF side stops recording tg: notes which threads are in
 * which cgo call (the runtime's m.ncgocall of every M in C).
 */
void pause__begin(struct target *tg);

/*
 * Call after the probes of tg are back and before the BPF side records
 * again. A frame pushed before the pause whose call ended during it would
 * otherwise be paired with the leave of a later call at the same stack
 * depth, giving a call that lasted the whole pause. Deletes the call record
 * of every thread that is not still in the very call it was in at
 * pause__begin (same M, same call count); keeps the others, whose leave
 * then ends a call measured across the pause. A kept call that ends in the
 * moment between this check and the BPF side recording again is still
 * paired with the next leave at its depth (a window of the map walk's
 * length). Returns how many records it deleted, or -errno.
 */
int pause__end(struct cgoscope_bpf *skel, struct target *tg);

/* Frees what p holds. */
void pause__free(struct pause *p);

#endif /* CGOSCOPE_PAUSE_H */
