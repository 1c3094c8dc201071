/* test_gsys.c - checks the census offsets decoded from runtime code against the binaries' DWARF. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gobin.h"
#include "gort.h"

/* Offsets from DWARF (dwarfoffs output); -1 for a field the runtime lacks. */
struct dwarf_offs {
	long m_curg, m_incgo, m_ncgocall, g_stack, g_syscallsp, g_syscallpc, g_syscallbp;
};

static const char *testbin_dir(void)
{
	const char *d = getenv("CGOSCOPE_TESTBIN_DIR");

	return d && *d ? d : ".output/testbin";
}

static const char *matrix_dir(void)
{
	const char *d = getenv("CGOSCOPE_MATRIX_DIR");

	return d && *d ? d : ".output/go/matrix";
}

/* Parses "m.curg 0xb8" lines from f into o. */
static void offs_parse(FILE *f, struct dwarf_offs *o)
{
	static const char *const names[] = { "m.curg",	    "m.incgo",	   "m.ncgocall", "g.stack",
					     "g.syscallsp", "g.syscallpc", "g.syscallbp" };
	long *dst[] = { &o->m_curg,	 &o->m_incgo,	  &o->m_ncgocall, &o->g_stack,
			&o->g_syscallsp, &o->g_syscallpc, &o->g_syscallbp };
	char name[64];
	long val;
	int seen = 0;

	while (fscanf(f, "%63s %li", name, &val) == 2)
		for (int i = 0; i < 7; i++)
			if (!strcmp(name, names[i])) {
				*dst[i] = val;
				seen++;
			}
	assert_int_equal(seen, 7);
}

/* Offsets written by make_testbins.sh for testbin name. */
static void offs_file(const char *name, struct dwarf_offs *o)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.offsets", testbin_dir(), name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("%s missing: run tests/unit/make_testbins.sh", path);
	offs_parse(f, o);
	fclose(f);
}

/* Offsets from running dwarfoffs on the binary at path. */
static void offs_run(const char *path, struct dwarf_offs *o)
{
	char cmd[8192];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "'%s/dwarfoffs' '%s'", testbin_dir(), path);
	f = popen(cmd, "r");
	assert_non_null(f);
	offs_parse(f, o);
	assert_int_equal(pclose(f), 0);
}

static __u32 want(long off)
{
	return off < 0 ? 0 : (__u32)off;
}

/* Decodes the binary at path and compares with o; go1.16 and older decode nothing. */
static void check(const char *path, const struct dwarf_offs *o, bool supported)
{
	struct gort_addrs a;
	struct gobin *gb = gobin__open(path);

	if (!gb)
		fail_msg("gobin__open(%s) failed", path);
	assert_int_equal(gort__locate(gb, &a), 0);
	if (supported) { /* the load in runtime.GOMAXPROCS is the symbol where there is one */
		__u64 sym;

		assert_true(a.gomaxprocs != 0);
		if (!gobin__find_data(gb, "runtime.gomaxprocs", &sym))
			assert_int_equal(gort__decode_gomaxprocs(gb), sym);
	}
	print_message("%-48s curg %#x sp %#x pc %#x bp %#x fn +%#x fp +%#x\n", path, a.m_curg,
		      a.g_syscallsp, a.g_syscallpc, a.g_syscallbp, a.cgocall_fn, a.cgocall_bp);
	gobin__close(gb);
	assert_int_equal(o->g_stack, 0);
	if (!supported) {
		assert_int_equal(a.m_curg | a.g_syscallsp | a.g_syscallpc | a.g_syscallbp, 0);
		assert_int_equal(a.cgocall_fn | a.cgocall_bp, 0);
		return;
	}
	assert_int_equal(a.m_curg, want(o->m_curg));
	assert_int_equal(a.m_incgo, want(o->m_incgo));
	assert_int_equal(a.m_ncgocall, want(o->m_ncgocall));
	assert_int_equal(a.g_syscallsp, want(o->g_syscallsp));
	assert_int_equal(a.g_syscallpc, want(o->g_syscallpc));
	assert_int_equal(a.g_syscallbp, want(o->g_syscallbp));
	/* no DWARF for frame slots: the real-process test checks them */
	assert_true(a.cgocall_fn && !(a.cgocall_fn % 8));
	assert_true(a.cgocall_bp && !(a.cgocall_bp % 8));
}

/* The testbins: each build against its unstripped twin's DWARF. */
static void test_testbins(void **state)
{
	static const char *const bins[][2] = {
		{ "go126-cgo", "go126-cgo" },
		{ "go126-cgo-stripped", "go126-cgo" },
		{ "go126-cgo-pie", "go126-cgo-pie" },
		{ "go126-cgo-pie-stripped", "go126-cgo-pie" },
		{ "go126-nocgo", "go126-nocgo" },
		{ "go119-cgo", "go119-cgo" },
		{ "go119-cgo-stripped", "go119-cgo" },
	};
	struct dwarf_offs o;
	char path[4096];

	for (size_t i = 0; i < sizeof(bins) / sizeof(bins[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", testbin_dir(), bins[i][0]);
		if (access(path, R_OK) && !strncmp(bins[i][0], "go119", 5)) {
			print_message("SKIP %s (Go 1.19 not installed)\n", bins[i][0]);
			continue;
		}
		offs_file(bins[i][1], &o);
		check(path, &o, true);
	}
}

/* The unstripped cell whose DWARF stands for cell: CELL minus -stripped, else go1.N. */
static bool twin_of(const char *cell, char *buf, size_t len)
{
	const char *strip = strstr(cell, "-stripped");
	char path[4096];

	snprintf(buf, len, "%.*s", strip ? (int)(strip - cell) : (int)strlen(cell), cell);
	snprintf(path, sizeof(path), "%s/%s/cgoload", matrix_dir(), buf);
	if (!access(path, R_OK))
		return true;
	snprintf(buf, len, "%.*s", (int)strcspn(cell, "-"), cell);
	snprintf(path, sizeof(path), "%s/%s/cgoload", matrix_dir(), buf);
	return !access(path, R_OK);
}

/* Every cgoload of the e2e matrix (Go 1.16-1.26, make matrix), when built. */
static void test_matrix(void **state)
{
	char path[4096], twin[256], twin_path[4096];
	struct dwarf_offs o;
	struct dirent *de;
	int major, minor, n = 0;
	DIR *d = opendir(matrix_dir());

	if (!d) {
		print_message("********************************************************\n"
			      "SKIP: %s missing (make matrix): Go 1.16-1.26 unchecked\n"
			      "********************************************************\n",
			      matrix_dir());
		skip();
	}
	while ((de = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s/cgoload", matrix_dir(), de->d_name);
		if (de->d_name[0] == '.' || access(path, R_OK))
			continue;
		assert_true(twin_of(de->d_name, twin, sizeof(twin)));
		snprintf(twin_path, sizeof(twin_path), "%s/%s/cgoload", matrix_dir(), twin);
		offs_run(twin_path, &o);
		assert_int_equal(gobin__parse_release(de->d_name, &major, &minor), 0);
		check(path, &o, major > 1 || minor >= 17);
		n++;
	}
	closedir(d);
	print_message("%d matrix binaries checked\n", n);
	assert_true(n > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_testbins),
		cmocka_unit_test(test_matrix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
