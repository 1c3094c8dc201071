/* sample_snapshot.h - a fixed snapshot shared by the unit tests and prom_dump. */
#ifndef CGOSCOPE_SAMPLE_SNAPSHOT_H
#define CGOSCOPE_SAMPLE_SNAPSHOT_H

#include "snapshot.h"
#include "prom.h"

/* Awkward label value used by the sample: quote, backslash and newline. */
#define SAMPLE_AWKWARD "a\"b\\c\n"

/*
 * Fills snap (heap arrays; release with snapshot__free) with two processes:
 * [0] pid 4242 "cgoload": getaddrinfo (5 calls), sqlite3_step (1000), 0x4a02c0 (2),
 *     GOMAXPROCS 4, verdict warning, no drops; a C-time profile (sqlite3_step from one
 *     stack, snap->stacks[0], its caller inlined; getaddrinfo without a stack);
 * [1] pid 777 comm SAMPLE_AWKWARD: one function "sleep" (3 calls), one blocked call,
 *     container, exited, GOMAXPROCS unknown (-1), thread limit assumed, verdict critical.
 * Returns 0 or -ENOMEM.
 */
int sample_snapshot__fill(struct snapshot *snap);

/* cmocka group setup: *state becomes a heap snapshot filled by sample_snapshot__fill(). */
int sample_snapshot__setup(void **state);

/* cmocka group teardown: frees what sample_snapshot__setup() made. */
int sample_snapshot__teardown(void **state);

/* A cmocka test that gets the sample snapshot as *state (include <cmocka.h> first). */
#define SAMPLE_TEST(f) cmocka_unit_test_setup_teardown(f, sample_snapshot__setup, sample_snapshot__teardown)

/* The prom_opts the golden Prometheus text was rendered with. */
struct prom_opts sample_snapshot__prom_opts(void);

#endif /* CGOSCOPE_SAMPLE_SNAPSHOT_H */
