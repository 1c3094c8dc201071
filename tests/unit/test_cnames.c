/* test_cnames.c - checks cnames__name() on the cgo C functions of real Go binaries and `go tool
 * nm`. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnames.h"
#include "gobin.h"
#include "testbin.h"

#define MAX_WANT 4

struct cbin {
	const char *name;
	const char *twin; /* unstripped build with the same text, for .nm */
	bool internal; /* linked by Go itself: .symtab has section symbols like net(.text) */
	const char *const *want; /* names that C functions handed to runtime.cgocall must get */
};

static const char *const std_want[MAX_WANT] = { "getaddrinfo", "getnameinfo", "mygetpwuid_r" };
static const char *const std119_want[MAX_WANT] = { "getaddrinfo", "getnameinfo", "mygetpwuid_r",
						   CNAMES_CGO_MALLOC }; /* os/user's C.malloc */
static const char *const hello_want[MAX_WANT] = { "cgohello_add", CNAMES_CGO_MALLOC, "free" };

/* A build, then its stripped twin (the same flags plus -s -w: the same text). */
/* clang-format off */
#define TWINS(n, internal, want) { n, n, internal, want }, { n "-stripped", n, internal, want }
/* clang-format on */

static const struct cbin bins[] = {
	TWINS("go126-std", true, std_want),	TWINS("go126-std-ext", false, std_want),
	TWINS("go126-std-pie", true, std_want), TWINS("go119-std", true, std119_want),
	TWINS("go126-cgo", false, hello_want),	TWINS("go126-cgo-pie", false, hello_want),
	TWINS("go119-cgo", false, hello_want),
};

#define NBINS (sizeof(bins) / sizeof(bins[0]))

static bool stripped(const struct cbin *b)
{
	return strcmp(b->name, b->twin) != 0;
}

/* What one binary's check found. */
struct seen {
	bool want[MAX_WANT];
	size_t handed, cfuncs, shared;
};

/*
 * The C name in a cgo symbol, worked out here independently of cnames:
 * "_cgo_<hex>_Cfunc_X" or "_cgo_<hex>_C2func_X" give X, anything else NULL.
 */
static const char *cgo_cname(const char *sym)
{
	size_t hex;
	const char *p;

	if (strncmp(sym, "_cgo_", 5))
		return NULL;
	hex = strspn(sym + 5, "0123456789abcdef");
	p = sym + 5 + hex;
	if (!hex || (strncmp(p, "_Cfunc_", 7) && strncmp(p, "_C2func_", 8)))
		return NULL;
	p = strchr(p + 2, '_') + 1;
	return *p ? p : NULL;
}

/* The name cnames must give the C function of cgo symbol sym: cgo's malloc is not C's. */
static const char *expected(const char *sym)
{
	const char *c = cgo_cname(sym);

	return strcmp(c, "_Cmalloc") ? c : CNAMES_CGO_MALLOC;
}

/* True for the section symbols Go's internal linker makes: "net(.text)". */
static bool section_sym(const char *name)
{
	return strstr(name, "(.") && name[strlen(name) - 1] == ')';
}

static void name_of(const struct cnames *cn, __u64 addr, char *buf, size_t len)
{
	memset(buf, 'X', len);
	cnames__name(cn, addr, buf, len);
	assert_non_null(memchr(buf, '\0', len));
	assert_true(buf[0]);
	if (strstr(buf, "(."))
		fail_msg("a section symbol names %#llx: %s", (unsigned long long)addr, buf);
}

/*
 * A C function that a Go wrapper hands to runtime.cgocall: the wrapper loads
 * it from the variable pkg._cgo_<hex>_Cfunc_X (a data symbol), whose value
 * is the text symbol _cgo_<hex>_Cfunc_X. Stripped or not, cnames must name it.
 */
static void check_handed(const struct cbin *b, const struct nm *nm, const struct cnames *cn,
			 const char *var, struct seen *s)
{
	const char *csym = strstr(var, "._cgo_") + 1;
	char got[256];
	__u64 addr;
	size_t i;

	if (!testbin__nm_find(nm, csym, &addr))
		fail_msg("%s: %s has no text symbol %s", b->twin, var, csym);
	name_of(cn, addr, got, sizeof(got));
	print_message("%s: %s -> %s\n", b->name, csym, got);
	assert_string_equal(got, expected(csym));
	for (i = 0; i < MAX_WANT; i++)
		s->want[i] |= b->want[i] && !strcmp(got, b->want[i]);
	s->handed++;
}

/*
 * Any cgo C function (a text symbol _cgo_<hex>_C[2]func_X), handed to
 * runtime.cgocall or not: never empty, never a section symbol; exactly its
 * name when the binary has .symtab, else its name or its address.
 */
static void check_cfunc(const struct cbin *b, const struct nm *nm, const struct cnames *cn,
			const struct nm_sym *sym, struct seen *s)
{
	const struct nm_sym *at;
	char got[256];
	size_t i, n = testbin__nm_at(nm, sym->addr, &at);

	for (i = 0; i < n; i++)
		s->shared += section_sym(at[i].name);
	name_of(cn, sym->addr, got, sizeof(got));
	if (strcmp(got, expected(sym->name)) && (!stripped(b) || strncmp(got, "0x", 2)))
		fail_msg("%s: %s at %#llx named %s", b->name, sym->name,
			 (unsigned long long)sym->addr, got);
	s->cfuncs++;
}

static void check_bin(const struct cbin *b, const struct nm *nm, const struct cnames *cn)
{
	struct seen s = { 0 };
	const struct nm_sym *sym;
	char got[256];
	__u64 addr;
	size_t i;

	for (sym = nm->syms; sym < nm->syms + nm->n; sym++) {
		const char *var = strstr(sym->name, "._cgo_");

		if ((sym->type == 'd' || sym->type == 'D') && var && cgo_cname(var + 1))
			check_handed(b, nm, cn, sym->name, &s);
		else if ((sym->type == 't' || sym->type == 'T') && cgo_cname(sym->name))
			check_cfunc(b, nm, cn, sym, &s);
	}
	print_message("%s: %zu C functions handed to runtime.cgocall, %zu cgo C functions, "
		      "%zu section symbols among them\n",
		      b->name, s.handed, s.cfuncs, s.shared);
	for (i = 0; i < MAX_WANT; i++)
		if (b->want[i] && !s.want[i])
			fail_msg("%s: no C function handed to runtime.cgocall is named %s", b->name,
				 b->want[i]);
	/* The runtime's own use: runtime.main hands it to runtime.cgocall once, at start. */
	assert_true(testbin__nm_find(nm, "x_cgo_notify_runtime_init_done", &addr));
	name_of(cn, addr, got, sizeof(got));
	assert_string_equal(got, "x_cgo_notify_runtime_init_done");
	/* Internal linking puts section symbols where the C functions are: the bug's setting. */
	assert_int_equal(s.shared > 0, b->internal);
}

static void test_bin(void **state)
{
	const struct cbin *b = *state;
	struct cnames *cn;
	struct gobin *gb;
	struct nm nm;

	if (!testbin__exists(b->name, "")) {
		if (strncmp(b->name, "go119", 5))
			fail_msg("%s/%s missing: run tests/unit/make_testbins.sh", testbin__dir(),
				 b->name);
		print_message("**** SKIP %s: Go 1.19 not installed (make_testbins.sh said so)\n",
			      b->name);
		skip();
	}
	testbin__nm_load(&nm, b->twin);
	gb = testbin__open(b->name);
	assert_int_equal(gobin__stripped(gb), stripped(b));
	cn = cnames__new(gb);
	assert_non_null(cn);
	check_bin(b, &nm, cn);
	cnames__free(cn);
	gobin__close(gb);
	testbin__nm_free(&nm);
}

/* cnames__demangle only strips cgo's mangling; helpers are named by cnames__name. */
static void test_demangle(void **state)
{
	static const char *const cases[][2] = {
		{ "_cgo_0a1b_Cfunc_sqlite3_step", "sqlite3_step" },
		{ "_cgo_77133bf98b3a_C2func_getaddrinfo", "getaddrinfo" },
		{ "_cgo_8101bbdcc8c7_Cfunc__Cmalloc", "_Cmalloc" },
		{ "net(.text)", NULL },
		{ "_cgo_Cfunc_x", NULL },
		{ "_cgo_12_Cfunc_", NULL },
		{ "x_cgo_getstackbound", NULL },
		{ "", NULL },
	};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int mangled = cnames__demangle(cases[i][0], buf, sizeof(buf));

		assert_int_equal(mangled, cases[i][1] != NULL);
		assert_string_equal(buf, cases[i][1] ? cases[i][1] : cases[i][0]);
	}
}

/* An address nothing names is written as such. */
static void test_unnamed(void **state)
{
	struct gobin *gb = testbin__open("go126-std-stripped");
	struct cnames *cn = cnames__new(gb);
	char buf[32];

	assert_non_null(cn);
	cnames__name(cn, 0x10, buf, sizeof(buf));
	assert_string_equal(buf, "0x10");
	cnames__free(cn);
	gobin__close(gb);
}

int main(void)
{
	struct CMUnitTest tests[NBINS + 2];
	size_t i;

	for (i = 0; i < NBINS; i++) /* one test per binary, named after it */
		tests[i] = (struct CMUnitTest){ .name = bins[i].name,
						.test_func = test_bin,
						.initial_state = (void *)&bins[i] };
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_demangle);
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_unnamed);
	return cmocka_run_group_tests_name("test_cnames", tests, testbin__setup, NULL);
}
