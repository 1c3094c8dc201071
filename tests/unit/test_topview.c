/* test_topview.c - unit tests of top's screen (topview.c) on the sample snapshot. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sample_snapshot.h"
#include "topview.h"

/* One screen of snap (since start: no earlier snapshot), malloc'd. */
static char *render(const struct snapshot *snap)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(topview__render(f, snap, NULL, NULL), 0);
	fclose(f);
	return text;
}

/* The function's row of process pid's table, from its name to its end (malloc'd), or NULL. */
static char *row(const char *text, unsigned int pid, const char *func)
{
	char head[64];
	const char *t, *end;

	snprintf(head, sizeof(head), "\n  PID %u: ", pid);
	t = strstr(text, head);
	if (!t || !(t = strstr(t, func)) || !(end = strchr(t, '\n')))
		return NULL;
	return strndup(t, end + 1 - t);
}

/*
 * A function whose calls are all still in C has no latency yet (P99 "-",
 * not "0ns"); its C time per second is the census's threads in C when the
 * completed calls had less.
 */
static void test_blocked_function(void **state)
{
	struct snapshot *snap = *state;
	struct proc_snap *p = &snap->procs[0]; /* 10.0 s long */
	struct func_snap *f = &p->funcs[1]; /* sqlite3_step, 3.8 ms completed; the census 2.5 s */
	char *text = render(snap);
	char *r = row(text, p->pid, "sqlite3_step");

	assert_non_null(r);
	assert_memory_equal(r, "sqlite3_step", 12);
	assert_non_null(strstr(r, "   0.25 ")); /* 2.5 s in C over 10 s, not 0.0004 */
	free(r);
	free(text);
	f->traced_calls = f->calls = 0;
	f->total_ns = f->traced_ns = 0;
	memset(f->buckets, 0, sizeof(f->buckets));
	text = render(snap);
	r = row(text, p->pid, "sqlite3_step");
	assert_non_null(r);
	assert_null(strstr(r, "0ns"));
	assert_non_null(strstr(r, "       -         -     1\n")); /* AVG, P99, IN C */
	free(r);
	free(text);
}

/* A comm with a newline (any bytes may be one) does not break its row. */
static void test_awkward_comm(void **state)
{
	char *text = render(*state);

	assert_non_null(strstr(text, "\n    777 a\"b\\c?          go1.19.8 "));
	free(text);
}

/* A process with no cgo call seen yet gets its row but no empty function table. */
static void test_no_functions(void **state)
{
	struct snapshot *snap = *state;
	char *text;

	snap->procs[1].nfuncs = 0;
	text = render(snap);
	assert_non_null(strstr(text, "\n    777 "));
	assert_null(strstr(text, "PID 777:"));
	assert_non_null(strstr(text, "PID 4242:"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		SAMPLE_TEST(test_blocked_function),
		SAMPLE_TEST(test_awkward_comm),
		SAMPLE_TEST(test_no_functions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
