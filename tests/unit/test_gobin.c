/* test_gobin.c - checks gobin against Go binaries from make_testbins.sh and `go tool nm`. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gobin.h"
#include "testbin.h"

struct testbin {
	const char *name;
	const char *twin; /* unstripped build with the same text, for .nm */
	const char *module;
	bool cgo, stripped, pie;
};

static const struct testbin bins[] = {
	{ "go126-cgo", "go126-cgo", "example.com/cgohello", true, false, false },
	{ "go126-cgo-stripped", "go126-cgo", "example.com/cgohello", true, true, false },
	{ "go126-cgo-pie", "go126-cgo-pie", "example.com/cgohello", true, false, true },
	{ "go126-cgo-pie-stripped", "go126-cgo-pie", "example.com/cgohello", true, true, true },
	{ "go126-nocgo", "go126-nocgo", "example.com/nocgo", false, false, false },
	{ "go119-cgo", "go119-cgo", "example.com/cgohello", true, false, false },
	{ "go119-cgo-stripped", "go119-cgo", "example.com/cgohello", true, true, false },
	{ "go126-std", "go126-std", "example.com/stdcgo", true, false, false },
	{ "go126-std-stripped", "go126-std", "example.com/stdcgo", true, true, false },
	{ "go126-std-ext", "go126-std-ext", "example.com/stdcgo", true, false, false },
	{ "go126-std-ext-stripped", "go126-std-ext", "example.com/stdcgo", true, true, false },
	{ "go126-std-pie", "go126-std-pie", "example.com/stdcgo", true, false, true },
	{ "go126-std-pie-stripped", "go126-std-pie", "example.com/stdcgo", true, true, true },
	{ "go119-std", "go119-std", "example.com/stdcgo", true, false, false },
	{ "go119-std-stripped", "go119-std", "example.com/stdcgo", true, true, false },
};

#define NBINS (sizeof(bins) / sizeof(bins[0]))

/* pclntab names may hold U+00B7 where the symbol table has '.' (type:.eq.T·7). */
static void dot_name(char *dst, const char *src, size_t size)
{
	size_t n = 0;

	for (; *src && n + 1 < size; src++) {
		if (!strncmp(src, "\xc2\xb7", 2)) {
			dst[n++] = '.';
			src++;
		} else {
			dst[n++] = *src;
		}
	}
	dst[n] = '\0';
}

/* Compares a pclntab name with a symbol: Go 1.19 writes "[...]" for array lengths. */
static bool same_name(const char *pcln, const char *sym, size_t len)
{
	const char *end = pcln + len;

	while (pcln < end) {
		if (!strncmp(pcln, "[...]", 5) && *sym == '[') {
			sym += strspn(sym + 1, "0123456789") + 1;
			pcln += 4;
		}
		if (*pcln++ != *sym++)
			return false;
	}
	return !*sym || !strcmp(sym, ".abi0");
}

/* True when nm has name (or name.abi0: pclntab drops the ABI suffix) at addr. */
static bool nm_has(const struct nm *nm, const char *name, __u64 addr)
{
	const struct nm_sym *s;
	char want[4096];
	size_t i, n = testbin__nm_at(nm, addr, &s);

	dot_name(want, name, sizeof(want));
	for (i = 0; i < n; i++) {
		if (same_name(want, s[i].name, strlen(want)))
			return true;
	}
	return false;
}

static void test_parse_release(void **state)
{
	int major = -1, minor = -1;

	assert_int_equal(gobin__parse_release("go1.26.8", &major, &minor), 0);
	assert_int_equal(major, 1);
	assert_int_equal(minor, 26);
	assert_int_equal(gobin__parse_release("go1.19", &major, &minor), 0);
	assert_int_equal(minor, 19);
	assert_int_equal(
	    gobin__parse_release("devel go1.27-3b3d6b4 Tue Jan 6 2026", &major, &minor), 0);
	assert_int_equal(major, 1);
	assert_int_equal(minor, 27);
	assert_int_equal(gobin__parse_release("go1.21rc2", &major, &minor), 0);
	assert_int_equal(minor, 21);
	assert_int_equal(gobin__parse_release("go1.26.8 X:boringcrypto", &major, &minor), 0);
	assert_int_equal(minor, 26);
	assert_int_equal(gobin__parse_release("go2", &major, &minor), 0);
	assert_int_equal(major, 2);
	assert_int_equal(minor, 0);
	assert_int_equal(gobin__parse_release(NULL, &major, &minor), -ENOENT);
	assert_int_equal(gobin__parse_release("", &major, &minor), -ENOENT);
	assert_int_equal(gobin__parse_release("gox", &major, &minor), -ENOENT);
	assert_int_equal(gobin__parse_release("devel +b7a1b3e Thu", &major, &minor), -ENOENT);
}

/* Version, module, release and flags of every build. */
static void test_build_info(void **state)
{
	int major, minor, want_minor;
	struct gobin *gb;
	size_t i, len;
	char *want, *p;

	for (i = 0; i < NBINS; i++) {
		const struct testbin *b = &bins[i];

		if (!testbin__present(b->name))
			continue;
		p = testbin__path(b->name, ".version");
		want = testbin__slurp(p, &len);
		free(p);
		want[strcspn(want, "\n")] = '\0';
		gb = testbin__open(b->name);
		assert_non_null(gobin__go_version(gb));
		assert_string_equal(gobin__go_version(gb), want);
		assert_string_equal(gobin__go_module(gb), b->module);
		assert_int_equal(gobin__go_release(gb, &major, &minor), 0);
		assert_int_equal(major, 1);
		want_minor = strncmp(b->name, "go119", 5) ? 26 : 19;
		assert_int_equal(minor, want_minor);
		assert_int_equal(gobin__has_cgo(gb), b->cgo);
		assert_int_equal(gobin__stripped(gb), b->stripped);
		assert_int_equal(gobin__is_pie(gb), b->pie);
		gobin__close(gb);
		free(want);
	}
}

/* runtime.cgocall where `go tool nm` of the (unstripped twin) build says; func_at maps back. */
static void test_cgocall(void **state)
{
	struct gobin_func fn, at;
	__u64 want;
	struct nm nm;
	size_t i;
	struct gobin *gb;

	for (i = 0; i < NBINS; i++) {
		const struct testbin *b = &bins[i];

		if (!testbin__present(b->name))
			continue;
		testbin__nm_load(&nm, b->twin);
		assert_true(testbin__nm_find(&nm, "runtime.cgocall", &want));
		gb = testbin__open(b->name);
		assert_int_equal(gobin__find_func(gb, "runtime.cgocall", &fn), 0);
		assert_int_equal(fn.addr, want);
		assert_true(fn.size > 16);
		assert_int_equal(gobin__func_at(gb, fn.addr + fn.size / 2, &at), 0);
		assert_string_equal(at.name, "runtime.cgocall");
		assert_int_equal(at.addr, want);
		assert_int_equal(gobin__func_at(gb, fn.addr, &at), 0);
		assert_string_equal(at.name, "runtime.cgocall");
		assert_int_equal(gobin__func_at(gb, 0, &at), -ENOENT);
		/* The assembly body, not its ABI wrapper of the same name in .gopclntab. */
		assert_true(testbin__nm_find(&nm, "runtime.asmcgocall.abi0", &want));
		assert_int_equal(gobin__find_func(gb, "runtime.asmcgocall", &fn), 0);
		assert_int_equal(fn.addr, want);
		assert_int_equal(gobin__find_func(gb, "no.such.function", &fn), -ENOENT);
		gobin__close(gb);
		testbin__nm_free(&nm);
	}
}

struct check_ctx {
	const struct nm *nm;
	size_t n, bad;
};

static int check_func(const struct gobin_func *fn, void *ctx)
{
	struct check_ctx *c = ctx;

	c->n++;
	if (!nm_has(c->nm, fn->name, fn->addr)) {
		if (c->bad++ < 10)
			print_message("not in go tool nm: %s at %#llx\n", fn->name, fn->addr);
	}
	return 0;
}

/* Every function gobin lists (symtab or pclntab, stripped or not) is in `go tool nm`. */
static void test_all_funcs_match_nm(void **state)
{
	struct check_ctx c;
	struct nm nm;
	struct gobin *gb;
	size_t i;

	for (i = 0; i < NBINS; i++) {
		const struct testbin *b = &bins[i];

		if (!testbin__present(b->name))
			continue;
		testbin__nm_load(&nm, b->twin);
		gb = testbin__open(b->name);
		c = (struct check_ctx){ &nm, 0, 0 };
		assert_int_equal(gobin__for_each_func(gb, check_func, &c), 0);
		print_message("%s: %zu functions\n", b->name, c.n);
		assert_true(c.n > 1000);
		assert_int_equal(c.bad, 0);
		gobin__close(gb);
		testbin__nm_free(&nm);
	}
}

static int stop_at_3(const struct gobin_func *fn, void *ctx)
{
	return ++*(int *)ctx == 3 ? 42 : 0;
}

static void test_for_each_stops(void **state)
{
	struct gobin *gb = testbin__open("go126-cgo");
	int n = 0;

	assert_int_equal(gobin__for_each_func(gb, stop_at_3, &n), 42);
	assert_int_equal(n, 3);
	gobin__close(gb);
}

/* cgo's wrapper for the C function survives stripping (pclntab). */
static void test_cfunc_stripped(void **state)
{
	const char *names[] = { "go126-cgo-stripped", "go126-cgo-pie-stripped",
				"go119-cgo-stripped" };
	struct gobin_func fn;
	struct gobin *gb;
	size_t i;

	for (i = 0; i < 3; i++) {
		if (!testbin__exists(names[i], "")) {
			print_message("SKIP %s\n", names[i]);
			continue;
		}
		gb = testbin__open(names[i]);
		assert_true(gobin__stripped(gb));
		assert_int_equal(gobin__find_func(gb, "main._Cfunc_cgohello_add", &fn), 0);
		assert_true(fn.addr && fn.size);
		gobin__close(gb);
	}
}

/* Expected file offset of addr from the program headers, computed independently. */
static __u64 expected_offset(const char *name, __u64 addr)
{
	char *p = testbin__path(name, "");
	int fd = open(p, O_RDONLY);
	__u64 off = (__u64)-1;
	GElf_Phdr ph;
	size_t i, n;
	Elf *e;

	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(e);
	assert_int_equal(elf_getphdrnum(e, &n), 0);
	for (i = 0; i < n; i++) {
		assert_non_null(gelf_getphdr(e, i, &ph));
		if (ph.p_type == PT_LOAD && addr >= ph.p_vaddr && addr < ph.p_vaddr + ph.p_filesz)
			off = addr - ph.p_vaddr + ph.p_offset;
	}
	elf_end(e);
	close(fd);
	free(p);
	return off;
}

static void test_addr_to_offset(void **state)
{
	unsigned char code[16], *file;
	struct gobin_func fn;
	struct gobin *gb;
	size_t i, len;
	__u64 off;
	char *p;

	for (i = 0; i < NBINS; i++) {
		const struct testbin *b = &bins[i];

		if (!testbin__present(b->name))
			continue;
		gb = testbin__open(b->name);
		assert_int_equal(gobin__find_func(gb, "runtime.cgocall", &fn), 0);
		assert_int_equal(gobin__addr_to_offset(gb, fn.addr, &off), 0);
		assert_int_equal(off, expected_offset(b->name, fn.addr));
		/* The bytes at that offset are the ones gobin__read returns. */
		p = testbin__path(b->name, "");
		file = testbin__slurp(p, &len);
		assert_int_equal(gobin__read(gb, fn.addr, code, sizeof(code)), 0);
		assert_memory_equal(code, file + off, sizeof(code));
		assert_int_equal(gobin__addr_to_offset(gb, ~0ULL, &off), -ENOENT);
		assert_int_equal(gobin__read(gb, ~0ULL - 4, code, sizeof(code)), -ENOENT);
		free(file);
		free(p);
		gobin__close(gb);
	}
}

static __u64 section_addr(const char *name, const char *section)
{
	char *p = testbin__path(name, "");
	int fd = open(p, O_RDONLY);
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	__u64 addr = 0;
	GElf_Shdr sh;
	Elf *e;

	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(e);
	assert_int_equal(elf_getshdrstrndx(e, &shstrndx), 0);
	while ((scn = elf_nextscn(e, scn))) {
		assert_non_null(gelf_getshdr(scn, &sh));
		if (!strcmp(elf_strptr(e, shstrndx, sh.sh_name), section))
			addr = sh.sh_addr;
	}
	elf_end(e);
	close(fd);
	free(p);
	return addr;
}

/* Data symbols; in PIE the moduledata's first word exists only as a relocation. */
static void test_find_data(void **state)
{
	const char *names[] = { "go126-cgo", "go126-cgo-pie", "go126-nocgo", "go119-cgo" };
	__u64 addr, want, word;
	struct gobin *gb;
	struct nm nm;
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!testbin__exists(names[i], "")) {
			print_message("SKIP %s\n", names[i]);
			continue;
		}
		testbin__nm_load(&nm, names[i]);
		gb = testbin__open(names[i]);
		assert_int_equal(gobin__find_data(gb, "runtime.gomaxprocs", &addr), 0);
		assert_true(testbin__nm_find(&nm, "runtime.gomaxprocs", &want));
		assert_int_equal(addr, want);
		/* Every Go binary has runtime.iscgo, cgo or not. */
		assert_int_equal(gobin__find_data(gb, "runtime.iscgo", &addr), 0);
		assert_int_equal(gobin__find_data(gb, "runtime.firstmoduledata", &addr), 0);
		assert_int_equal(gobin__read(gb, addr, &word, sizeof(word)), 0);
		assert_int_equal(word, section_addr(names[i], ".gopclntab"));
		assert_int_equal(gobin__find_data(gb, "no.such.var", &addr), -ENOENT);
		gobin__close(gb);
		testbin__nm_free(&nm);
	}
	gb = testbin__open("go126-cgo-stripped");
	assert_int_equal(gobin__find_data(gb, "runtime.gomaxprocs", &addr), -ENOENT);
	gobin__close(gb);
}

static void test_not_go(void **state)
{
	struct gobin *gb = testbin__open("notgo");
	struct gobin_func fn;
	int major, minor;

	assert_null(gobin__go_version(gb));
	assert_null(gobin__go_module(gb));
	assert_int_equal(gobin__go_release(gb, &major, &minor), -ENOENT);
	assert_false(gobin__has_cgo(gb));
	assert_int_equal(gobin__find_func(gb, "runtime.cgocall", &fn), -ENOENT);
	gobin__close(gb);
	gobin__close(NULL);
}

/* Opens buf in memory and through a file; either fails with ENOEXEC or opens without a version. */
static void expect_rejected(const void *buf, size_t len, bool may_open)
{
	char tmp[] = "/tmp/test_gobin.XXXXXX";
	struct gobin *gb;
	int fd;

	errno = 0;
	gb = gobin__open_mem(buf, len);
	if (gb) {
		assert_true(may_open);
		assert_null(gobin__go_version(gb));
		gobin__close(gb);
	} else {
		assert_int_equal(errno, ENOEXEC);
	}

	fd = mkstemp(tmp);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	errno = 0;
	gb = gobin__open(tmp);
	unlink(tmp);
	if (gb) {
		assert_true(may_open);
		gobin__close(gb);
	} else {
		assert_int_equal(errno, ENOEXEC);
	}
}

static void test_malformed(void **state)
{
	size_t len, cuts[4], i;
	unsigned char *file, *junk;
	char *p = testbin__path("go126-cgo", "");
	unsigned int seed = 1;

	file = testbin__slurp(p, &len);
	free(p);
	cuts[0] = 100;
	cuts[1] = 4096;
	cuts[2] = len / 2;
	cuts[3] = len - 1;
	for (i = 0; i < 4; i++)
		expect_rejected(file, cuts[i], true);

	junk = malloc(len);
	assert_non_null(junk);
	for (i = 0; i < len; i++)
		junk[i] = rand_r(&seed);
	expect_rejected(junk, 65536, false);
	memcpy(junk, "\x7f\x45\x4c\x46\x02\x01\x01", 7); /* a valid ident over garbage */
	expect_rejected(junk, 65536, false);
	expect_rejected(junk, 16, false);
	free(junk);
	free(file);

	errno = 0;
	assert_null(gobin__open_mem("", 0));
	assert_int_equal(errno, ENOEXEC);
	expect_rejected("x", 0, false);
	errno = 0;
	assert_null(gobin__open("/nonexistent/cgoscope/test"));
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_null(gobin__open("/"));
	assert_int_equal(errno, ENOEXEC);
}

/* Overwrites every occurrence of the NUL-terminated section name so the section is "missing". */
static void hide_section(unsigned char *buf, size_t len, const char *name)
{
	size_t n = strlen(name) + 1;
	unsigned char *p = buf;
	int hits = 0;

	while ((p = memmem(p, len - (p - buf), name, n))) {
		*p = 'X';
		hits++;
	}
	assert_true(hits > 0);
}

/* Without .gopclntab and .go.buildinfo sections gobin finds both by their magic. */
static void test_magic_search(void **state)
{
	const char *names[] = { "go126-cgo-stripped", "go126-cgo-pie-stripped",
				"go119-cgo-stripped" };
	struct gobin *gb, *ref;
	struct gobin_func fn, want;
	unsigned char *file;
	size_t i, len;
	char *p;

	for (i = 0; i < 3; i++) {
		if (!testbin__exists(names[i], "")) {
			print_message("SKIP %s\n", names[i]);
			continue;
		}
		p = testbin__path(names[i], "");
		file = testbin__slurp(p, &len);
		free(p);
		hide_section(file, len, ".gopclntab");
		hide_section(file, len, ".go.buildinfo");
		gb = gobin__open_mem(file, len);
		assert_non_null(gb);
		ref = testbin__open(names[i]);
		assert_non_null(gobin__go_version(gb));
		assert_string_equal(gobin__go_version(gb), gobin__go_version(ref));
		assert_int_equal(gobin__find_func(ref, "runtime.cgocall", &want), 0);
		assert_int_equal(gobin__find_func(gb, "runtime.cgocall", &fn), 0);
		assert_int_equal(fn.addr, want.addr);
		assert_int_equal(gobin__find_func(gb, "main._Cfunc_cgohello_add", &fn), 0);
		assert_true(gobin__has_cgo(gb));
		gobin__close(ref);
		gobin__close(gb);
		free(file);
	}
}

/* The nm symbol at the address of the C function getaddrinfo's _C2func_ trampoline. */
static const struct nm_sym *getaddrinfo_sym(const struct nm *nm)
{
	size_t i;

	for (i = 0; i < nm->n; i++) {
		const char *n = nm->syms[i].name;

		if (!strncmp(n, "_cgo_", 5) && strstr(n, "_C2func_getaddrinfo"))
			return &nm->syms[i];
	}
	fail_msg("no _cgo_<hash>_C2func_getaddrinfo in go tool nm");
	return NULL;
}

static int no_section_sym(const struct gobin_func *fn, void *ctx)
{
	if (strstr(fn->name, "(.") && fn->name[strlen(fn->name) - 1] == ')')
		fail_msg("section symbol %s listed as a function", fn->name);
	++*(size_t *)ctx;
	return 0;
}

/*
 * Go's internal linking leaves section symbols of host objects (net(.text))
 * where C functions start; gobin lists none, func_at finds the C function.
 */
static void test_section_symbols(void **state)
{
	const char *names[] = { "go126-std", "go126-std-pie", "go119-std" };
	const struct nm_sym *c, *at;
	struct gobin_func fn;
	struct gobin *gb;
	size_t i, n, sections = 0, listed = 0, j;
	struct nm nm;

	for (i = 0; i < 3; i++) {
		if (!testbin__present(names[i]))
			continue;
		testbin__nm_load(&nm, names[i]);
		c = getaddrinfo_sym(&nm);
		n = testbin__nm_at(&nm, c->addr, &at);
		for (j = sections = 0; j < n; j++)
			sections += !strcmp(at[j].name, "net(.text)");
		assert_int_equal(sections, 1);
		gb = testbin__open(names[i]);
		assert_int_equal(gobin__func_at(gb, c->addr, &fn), 0);
		assert_string_equal(fn.name, c->name);
		listed = 0;
		assert_int_equal(gobin__for_each_func_at(gb, c->addr, no_section_sym, &listed), 0);
		assert_int_equal(listed, n - sections);
		assert_int_equal(gobin__for_each_func(gb, no_section_sym, &listed), 0);
		assert_int_equal(gobin__find_data(gb, "runtime/cgo(.bss)", &fn.addr), -ENOENT);
		gobin__close(gb);
		testbin__nm_free(&nm);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_release),  cmocka_unit_test(test_build_info),
		cmocka_unit_test(test_cgocall),	       cmocka_unit_test(test_all_funcs_match_nm),
		cmocka_unit_test(test_for_each_stops), cmocka_unit_test(test_cfunc_stripped),
		cmocka_unit_test(test_addr_to_offset), cmocka_unit_test(test_find_data),
		cmocka_unit_test(test_not_go),	       cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_magic_search),   cmocka_unit_test(test_section_symbols),
	};

	return cmocka_run_group_tests(tests, testbin__setup, NULL);
}
