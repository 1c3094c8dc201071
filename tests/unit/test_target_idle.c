/* test_target_idle.c - unit tests of target__none_in_c(): when the probes prove an M-list read
 * would find nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>
#include "target.h"

/* Probes on since t=100, a reading at t=200 that saw no M in C, nothing in flight since. */
static void idle_target(struct target *tg)
{
	memset(tg, 0, sizeof(*tg));
	tg->on = true;
	tg->on_at_ns = 100;
	tg->mw.known = true;
	tg->mw.at_ns = 200;
}

static void test_proved_idle(void **state)
{
	struct target tg;

	(void)state;
	idle_target(&tg);
	assert_true(target__none_in_c(&tg));
}

/* Each condition of the proof, broken alone, must stop it. */
static void test_each_condition(void **state)
{
	struct target tg;

	(void)state;
	idle_target(&tg);
	tg.on = false; /* the probes would not see a call begin */
	assert_false(target__none_in_c(&tg));
	idle_target(&tg);
	tg.mw.at_ns = 100; /* the reading is not after the probes began recording */
	assert_false(target__none_in_c(&tg));
	idle_target(&tg);
	tg.mw.in_c = 1; /* the reading saw a call in C (it began unseen, maybe) */
	assert_false(target__none_in_c(&tg));
	idle_target(&tg);
	tg.mw.known = false; /* no reading at all */
	assert_false(target__none_in_c(&tg));
	idle_target(&tg);
	tg.seen.inflight = 1; /* the probes saw a call begin since */
	assert_false(target__none_in_c(&tg));
	idle_target(&tg);
	tg.seen.enters_lost = 1; /* an enter without a frame: inflight does not count it */
	assert_false(target__none_in_c(&tg));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proved_idle),
		cmocka_unit_test(test_each_condition),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
