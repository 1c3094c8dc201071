/* test_slotpool.c - unit tests of the slot pool: no slot goes to a new owner before a grace period.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "slotpool.h"

#define NSLOTS (CGOSCOPE_MAX_PROCS - 1) /* slot 0 is the calibration's */

/* A fake grace period: counts the calls, fails when told to. */
struct fake_sync {
	int calls;
	int err;
};

static int fake_sync(void *ctx)
{
	struct fake_sync *f = ctx;

	f->calls++;
	return f->err;
}

static void test_fresh_slots_no_wait(void **state)
{
	struct fake_sync f = { 0 };
	static struct slotpool p;

	(void)state;
	slotpool__init(&p, fake_sync, &f);
	for (int i = 1; i <= NSLOTS; i++)
		assert_int_equal(slotpool__alloc(&p), i);
	assert_int_equal(f.calls, 0);
	assert_int_equal(slotpool__alloc(&p), -ENOSPC);
	assert_int_equal(f.calls, 0); /* nothing free: no point waiting */
}

/* A slot released and allocated again at once must not be the same one: round-robin first. */
static void test_released_slot_not_reused_at_once(void **state)
{
	struct fake_sync f = { 0 };
	static struct slotpool p;
	int a, b;

	(void)state;
	slotpool__init(&p, fake_sync, &f);
	a = slotpool__alloc(&p);
	slotpool__free(&p, a);
	b = slotpool__alloc(&p);
	assert_int_not_equal(a, b);
	assert_int_equal(f.calls, 0);
}

/*
 * Every slot used once, one released: it is handed out again only after a
 * grace period that began after its release, and one grace period serves
 * every slot released before it.
 */
static void test_reuse_waits_for_grace_period(void **state)
{
	struct fake_sync f = { 0 };
	static struct slotpool p;

	(void)state;
	slotpool__init(&p, fake_sync, &f);
	for (int i = 1; i <= NSLOTS; i++)
		slotpool__alloc(&p);
	slotpool__free(&p, 7);
	slotpool__free(&p, 9);
	assert_int_equal(slotpool__alloc(&p), 7);
	assert_int_equal(f.calls, 1);
	assert_int_equal(slotpool__alloc(&p), 9); /* released before that grace period */
	assert_int_equal(f.calls, 1);
	slotpool__free(&p, 7);
	assert_int_equal(slotpool__alloc(&p), 7);
	assert_int_equal(f.calls, 2); /* released after it: another one */
	assert_int_equal(p.syncs, 2);
}

/* A grace period that fails hands nothing out (and the slot stays free for later). */
static void test_sync_failure(void **state)
{
	struct fake_sync f = { .err = -EINTR };
	static struct slotpool p;

	(void)state;
	slotpool__init(&p, fake_sync, &f);
	for (int i = 1; i <= NSLOTS; i++)
		slotpool__alloc(&p);
	slotpool__free(&p, 5);
	assert_int_equal(slotpool__alloc(&p), -EINTR);
	f.err = 0;
	assert_int_equal(slotpool__alloc(&p), 5);
}

/* Out of range or the calibration's slot: ignored. */
static void test_free_bad_slot(void **state)
{
	struct fake_sync f = { 0 };
	static struct slotpool p;

	(void)state;
	slotpool__init(&p, fake_sync, &f);
	slotpool__free(&p, 0);
	slotpool__free(&p, CGOSCOPE_MAX_PROCS);
	assert_int_equal(slotpool__alloc(&p), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_slots_no_wait),
		cmocka_unit_test(test_released_slot_not_reused_at_once),
		cmocka_unit_test(test_reuse_waits_for_grace_period),
		cmocka_unit_test(test_sync_failure),
		cmocka_unit_test(test_free_bad_slot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
