/* test_rcache.c - unit tests of the render cache: sharing, age, memory budget, gzip. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "rcache.h"

struct fake {
	atomic_int calls;
	atomic_bool hold; /* the render waits while set */
	atomic_bool started;
};

static int fake_render(void *ctx, char **text, size_t *len)
{
	struct fake *f = ctx;
	int n = atomic_fetch_add(&f->calls, 1) + 1;

	atomic_store(&f->started, true);
	while (atomic_load(&f->hold))
		usleep(1000);
	if (asprintf(text, "render %d %0200d\n", n, 0) < 0)
		return -ENOMEM;
	*len = strlen(*text);
	return 0;
}

static struct rcache *new_cache(struct fake *f, double ttl, size_t budget)
{
	struct rcache_opts o = { .ttl_s = ttl, .budget = budget };
	struct rcache *c;

	assert_int_equal(rcache__new(&o, fake_render, f, &c), 0);
	return c;
}

static void test_ttl(void **state)
{
	struct fake f = { 0 };
	struct rcache *c = new_cache(&f, 0, 1 << 20);
	struct rbody *a, *b;

	assert_int_equal(rcache__get(c, false, &a), 0);
	assert_int_equal(rcache__get(c, false, &b), 0);
	assert_int_equal(f.calls, 2); /* ttl 0: sequential requests never share */
	assert_ptr_not_equal(a, b);
	assert_true(!strncmp(b->data, "render 2 ", 9));
	assert_int_equal(rcache__live_bytes(c), a->len + b->len);
	rbody__put(a);
	rbody__put(b);
	rcache__free(c);
	c = new_cache(&f, 3600, 1 << 20);
	assert_int_equal(rcache__get(c, false, &a), 0);
	assert_int_equal(rcache__get(c, false, &b), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(rcache__renders(c), 1);
	rbody__put(a);
	rbody__put(b);
	rcache__free(c);
}

/* Over budget (bodies still being sent), requests get the current render. */
static void test_budget(void **state)
{
	struct fake f = { 0 };
	struct rcache *c = new_cache(&f, 0, 100);
	struct rbody *a, *b;

	assert_int_equal(rcache__get(c, false, &a), 0);
	assert_int_equal(rcache__get(c, false, &b), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(f.calls, 1);
	rbody__put(a);
	rbody__put(b);
	rcache__free(c);
}

static void test_gzip(void **state)
{
	struct fake f = { 0 };
	struct rcache *c = new_cache(&f, 3600, 1 << 20);
	struct rbody *a, *b, *plain;

	assert_int_equal(rcache__get(c, true, &a), 0);
	assert_int_equal(rcache__get(c, true, &b), 0);
	assert_int_equal(rcache__get(c, false, &plain), 0);
	assert_ptr_equal(a, b); /* compressed once */
	assert_true(a->len > 18 && a->len < plain->len);
	assert_int_equal((unsigned char)a->data[0], 0x1f);
	assert_int_equal((unsigned char)a->data[1], 0x8b);
	assert_int_equal(f.calls, 1);
	rbody__put(a);
	rbody__put(b);
	rbody__put(plain);
	rcache__free(c);
}

struct getter {
	struct rcache *c;
	struct rbody *b;
	pthread_t th;
};

static void *get_thread(void *arg)
{
	struct getter *g = arg;

	assert_int_equal(rcache__get(g->c, false, &g->b), 0);
	return NULL;
}

static void wait_for(bool (*cond)(struct rcache *c, struct fake *f), struct rcache *c,
		     struct fake *f, const char *what)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!cond(c, f)) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 5)
			fail_msg("not within 5 s: %s", what);
		usleep(1000);
	}
}

static bool render_started(struct rcache *c, struct fake *f)
{
	return atomic_load(&f->started);
}

static bool three_waiting(struct rcache *c, struct fake *f)
{
	return rcache__waiters(c) == 3;
}

/* Requests that arrive during a render wait for it and share it (even with ttl 0). */
static void test_concurrent(void **state)
{
	struct fake f = { 0 };
	struct rcache *c = new_cache(&f, 0, 1 << 20);
	struct getter g[4];
	int i;

	atomic_store(&f.hold, true);
	for (i = 0; i < 4; i++) {
		g[i].c = c;
		assert_int_equal(pthread_create(&g[i].th, NULL, get_thread, &g[i]), 0);
		if (i == 0)
			wait_for(render_started, c, &f, "the first render starts");
	}
	wait_for(three_waiting, c, &f, "three requests wait for it");
	atomic_store(&f.hold, false);
	for (i = 0; i < 4; i++) {
		pthread_join(g[i].th, NULL);
		assert_ptr_equal(g[i].b, g[0].b);
	}
	assert_int_equal(f.calls, 1);
	for (i = 0; i < 4; i++)
		rbody__put(g[i].b);
	assert_int_equal(rcache__waiters(c), 0);
	rcache__free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ttl),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_concurrent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
