/* test_json.c - unit tests of the JSON view: schema, types and exact numbers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "hist.h"
#include "json.h"
#include "sample_snapshot.h"

/* A key of an object and the jansson type its value must have. */
struct key {
	const char *name;
	json_type type;
};

static const struct key root_keys[] = {
	{ "cgoscope_version", JSON_STRING }, { "time", JSON_REAL },
	{ "duration_s", JSON_REAL },	     { "long_threshold_ns", JSON_INTEGER },
	{ "drops", JSON_OBJECT },	     { "processes", JSON_ARRAY },
};

static const struct key proc_keys[] = {
	{ "pid", JSON_INTEGER },
	{ "nspid", JSON_INTEGER },
	{ "comm", JSON_STRING },
	{ "exe", JSON_STRING },
	{ "go_version", JSON_STRING },
	{ "placement", JSON_STRING },
	{ "probe_cost_ns", JSON_INTEGER },
	{ "span_floor_ns", JSON_INTEGER },
	{ "calls", JSON_INTEGER },
	{ "inflight", JSON_INTEGER },
	{ "inflight_peak", JSON_INTEGER },
	{ "long_calls", JSON_INTEGER },
	{ "threads", JSON_OBJECT },
	{ "max_threads", JSON_INTEGER },
	{ "verdict", JSON_STRING },
	{ "reasons", JSON_ARRAY },
	{ "blocked", JSON_ARRAY },
	{ "functions_folded", JSON_INTEGER },
	{ "functions", JSON_ARRAY },
};

static const struct key thread_keys[] = {
	{ "current", JSON_INTEGER }, { "peak", JSON_INTEGER },	 { "created", JSON_INTEGER },
	{ "created_by_c", JSON_INTEGER }, { "exited", JSON_INTEGER }, { "growth_per_s", JSON_REAL },
};

static const struct key func_keys[] = {
	{ "name", JSON_STRING },      { "addr", JSON_STRING },	    { "calls", JSON_INTEGER },
	{ "total_ns", JSON_INTEGER }, { "avg_ns", JSON_INTEGER },  { "p50_ns", JSON_INTEGER },
	{ "p99_ns", JSON_INTEGER },   { "max_ns", JSON_INTEGER },  { "inflight", JSON_INTEGER },
	{ "histogram", JSON_ARRAY },
};

static const struct key blocked_keys[] = {
	{ "tid", JSON_INTEGER },
	{ "function", JSON_STRING },
	{ "elapsed_ns", JSON_INTEGER },
};

static const struct key bucket_keys[] = {
	{ "lo_ns", JSON_INTEGER },
	{ "hi_ns", JSON_INTEGER },
	{ "count", JSON_INTEGER },
};

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

static void check_keys(const json_t *o, const struct key *keys, size_t n)
{
	size_t i;

	assert_true(json_is_object(o));
	for (i = 0; i < n; i++) {
		json_t *v = json_object_get(o, keys[i].name);

		if (!v || json_typeof(v) != keys[i].type)
			fail_msg("key %s: missing or of type %d, want %d", keys[i].name,
				 v ? (int)json_typeof(v) : -1, (int)keys[i].type);
	}
}

static json_int_t geti(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char *gets(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void check_func(const json_t *jf, const struct func_snap *f)
{
	const json_t *hist = json_object_get(jf, "histogram");
	json_int_t prev_hi = -1;
	size_t i, n = 0;
	json_t *b;

	check_keys(jf, func_keys, NKEYS(func_keys));
	assert_string_equal(gets(jf, "name"), f->name);
	assert_int_equal(geti(jf, "calls"), f->calls);
	assert_int_equal(geti(jf, "total_ns"), f->total_ns);
	assert_int_equal(geti(jf, "max_ns"), f->max_ns);
	assert_int_equal(geti(jf, "inflight"), f->inflight);
	/* only the non-empty slots, ascending, with their bounds */
	json_array_foreach(hist, i, b) {
		unsigned int slot = hist__slot(geti(b, "lo_ns"));

		check_keys(b, bucket_keys, NKEYS(bucket_keys));
		assert_true(geti(b, "count") > 0);
		assert_true(geti(b, "lo_ns") >= prev_hi);
		assert_int_equal(geti(b, "lo_ns"), hist__lower_ns(slot));
		assert_int_equal(geti(b, "hi_ns"), hist__upper_ns(slot));
		assert_int_equal(geti(b, "count"), f->buckets[slot]);
		prev_hi = geti(b, "hi_ns");
	}
	for (i = 0; i < CGOSCOPE_NBUCKETS; i++)
		n += f->buckets[i] != 0;
	assert_int_equal(json_array_size(hist), n);
}

static void test_schema(void **state)
{
	const struct snapshot *snap = *state;
	json_t *root = json__snapshot(snap), *jp, *drops;
	size_t i, j;

	assert_non_null(root);
	check_keys(root, root_keys, NKEYS(root_keys));
	assert_string_equal(gets(root, "cgoscope_version"), CGOSCOPE_VERSION);
	drops = json_object_get(root, "drops");
	assert_int_equal(json_object_size(drops), CGOSCOPE_DROP__MAX);
	for (i = 0; i < CGOSCOPE_DROP__MAX; i++)
		assert_true(json_is_integer(json_object_get(drops, snapshot__drop_name(i))));
	assert_int_equal(json_array_size(json_object_get(root, "processes")), snap->nprocs);
	json_array_foreach(json_object_get(root, "processes"), i, jp) {
		const struct proc_snap *p = &snap->procs[i];
		json_t *jf, *jb;

		check_keys(jp, proc_keys, NKEYS(proc_keys));
		check_keys(json_object_get(jp, "threads"), thread_keys, NKEYS(thread_keys));
		assert_true(json_is_boolean(json_object_get(jp, "exited")));
		assert_true(json_is_boolean(json_object_get(jp, "max_threads_assumed")));
		assert_non_null(json_object_get(jp, "container_id"));
		assert_non_null(json_object_get(jp, "gomaxprocs"));
		assert_int_equal(json_array_size(json_object_get(jp, "functions")), p->nfuncs);
		json_array_foreach(json_object_get(jp, "functions"), j, jf)
			check_func(jf, &p->funcs[j]);
		json_array_foreach(json_object_get(jp, "blocked"), j, jb)
			check_keys(jb, blocked_keys, NKEYS(blocked_keys));
	}
	json_decref(root);
}

static void test_values(void **state)
{
	json_t *root = json__snapshot(*state);
	json_t *procs = json_object_get(root, "processes");
	json_t *p0 = json_array_get(procs, 0), *p1 = json_array_get(procs, 1);
	json_t *f = json_array_get(json_object_get(p0, "functions"), 1);
	json_t *b = json_array_get(json_object_get(p1, "blocked"), 0);

	assert_true(json_real_value(json_object_get(root, "time")) == 1700000000.5);
	assert_true(json_real_value(json_object_get(root, "duration_s")) == 10);
	assert_int_equal(geti(root, "long_threshold_ns"), 1000000000);
	/* process 0: known GOMAXPROCS, no container */
	assert_int_equal(geti(p0, "pid"), 4242);
	assert_int_equal(geti(p0, "gomaxprocs"), 4);
	assert_true(json_is_null(json_object_get(p0, "container_id")));
	assert_string_equal(gets(p0, "verdict"), "warning");
	assert_int_equal(geti(p0, "probe_cost_ns"), 13000);
	assert_true(json_is_false(json_object_get(p0, "max_threads_assumed")));
	/* sqlite3_step: avg 3800, p50 1024 + 1024 * 500/600 rounded, p99 clamped to max */
	assert_string_equal(gets(f, "name"), "sqlite3_step");
	assert_string_equal(gets(f, "addr"), "0x4a1000");
	assert_int_equal(geti(f, "avg_ns"), 3800);
	assert_int_equal(geti(f, "p50_ns"), 1877);
	assert_int_equal(geti(f, "p99_ns"), 30000);
	/* its Go callers: traced calls by stack, shares of the function's */
	{
		json_t *cs = json_object_get(f, "callers"), *c0 = json_array_get(cs, 0);

		assert_int_equal(json_array_size(cs), 2);
		assert_int_equal(geti(c0, "calls"), 700);
		assert_string_equal(gets(c0, "called_from"), "main.(*Store).Get");
		assert_true(json_real_value(json_object_get(c0, "share")) == 0.7);
		assert_true(json_is_false(json_object_get(json_array_get(cs, 1), "exact")));
		assert_true(json_is_null(json_object_get(json_array_get(cs, 1), "stack")));
	}
	/* process 1: awkward strings survive, unknown GOMAXPROCS is null */
	assert_string_equal(gets(p1, "comm"), SAMPLE_AWKWARD);
	assert_true(json_is_null(json_object_get(p1, "gomaxprocs")));
	assert_int_equal(strlen(gets(p1, "container_id")), 64);
	assert_true(json_is_true(json_object_get(p1, "exited")));
	assert_true(json_is_true(json_object_get(p1, "max_threads_assumed")));
	assert_string_equal(gets(p1, "verdict"), "critical");
	assert_int_equal(json_array_size(json_object_get(p1, "reasons")), 2);
	assert_int_equal(geti(json_object_get(p1, "threads"), "created"), 7);
	assert_true(json_real_value(json_object_get(json_object_get(p1, "threads"),
						    "growth_per_s")) == -1.5);
	assert_int_equal(geti(b, "tid"), 780);
	assert_string_equal(gets(b, "function"), "sleep");
	assert_int_equal(geti(b, "elapsed_ns"), 3200000000LL);
	assert_true(json_is_null(json_object_get(b, "stack")));
	assert_string_equal(gets(b, "called_from"), "");
	json_decref(root);
}

/* The C-time profile and the stacks table it points into. */
static void test_ctime_stacks(void **state)
{
	json_t *root = json__snapshot(*state);
	json_t *p0 = json_array_get(json_object_get(root, "processes"), 0);
	json_t *ct = json_object_get(p0, "c_time"), *e = json_array_get(json_object_get(ct, "entries"), 0);
	json_t *stacks = json_object_get(root, "stacks"), *st, *fr;

	assert_int_equal(geti(ct, "census_ns"), 10000000000LL);
	assert_int_equal(geti(ct, "censuses"), 500);
	assert_true(json_is_false(json_object_get(ct, "paced")));
	assert_int_equal(geti(json_object_get(ct, "threads"), "seen_in_c"), 160);
	assert_int_equal(geti(json_object_get(ct, "threads"), "torn"), 9);
	assert_int_equal(geti(json_object_get(ct, "threads"), "stack_torn"), 1);
	assert_int_equal(geti(ct, "other_ns"), 20000000);
	assert_int_equal(json_array_size(json_object_get(ct, "entries")), 2);
	assert_string_equal(gets(e, "function"), "sqlite3_step");
	assert_int_equal(geti(e, "ns"), 2500000000LL);
	assert_int_equal(geti(e, "samples"), 125);
	assert_string_equal(gets(e, "called_from"), "main.(*Store).Get");
	assert_int_equal(json_array_size(stacks), 1);
	assert_int_equal(geti(e, "stack"), 0);
	st = json_array_get(stacks, 0);
	assert_string_equal(gets(st, "called_from"), "main.(*Store).Get");
	assert_true(json_is_false(json_object_get(st, "truncated")));
	assert_int_equal(json_array_size(json_object_get(st, "frames")), 3);
	fr = json_array_get(json_object_get(st, "frames"), 1);
	assert_string_equal(gets(fr, "function"), "main.(*Store).Get");
	assert_string_equal(gets(fr, "file"), "/src/app/store.go");
	assert_int_equal(geti(fr, "line"), 42);
	assert_true(json_is_true(json_object_get(fr, "inlined")));
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(ct, "entries"), 1),
						 "stack")));
	json_decref(root);
}

static void test_invalid_utf8(void **state)
{
	struct snapshot *snap = *state;
	json_t *root, *f;

	strcpy(snap->procs[0].funcs[0].name, "bad\xff\xfe");
	root = json__snapshot(snap);
	assert_non_null(root);
	f = json_array_get(json_object_get(json_array_get(json_object_get(root, "processes"), 0),
					   "functions"),
			   0);
	assert_string_equal(gets(f, "name"), "bad??");
	json_decref(root);
}

static void test_print(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	json_error_t err;
	json_t *back;

	assert_int_equal(json__print(f, *state), 0);
	assert_int_equal(fclose(f), 0);
	assert_true(len > 2 && text[len - 1] == '\n');
	assert_non_null(strstr(text, "\n  \"processes\": [\n")); /* indent 2 */
	back = json_loads(text, 0, &err);
	assert_non_null(back);
	assert_int_equal(json_array_size(json_object_get(back, "processes")), 2);
	json_decref(back);
	free(text);
}

static void test_null(void **state)
{
	errno = 0;
	assert_null(json__snapshot(NULL));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(json__print(stdout, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		SAMPLE_TEST(test_schema),
		SAMPLE_TEST(test_values),
		SAMPLE_TEST(test_ctime_stacks),
		SAMPLE_TEST(test_invalid_utf8),
		SAMPLE_TEST(test_print),
		cmocka_unit_test(test_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
