/* testbin.c - the Go test binaries of make_testbins.sh and their `go tool nm` ground truth. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gobin.h"
#include "testbin.h"

const char *testbin__dir(void)
{
	const char *d = getenv("CGOSCOPE_TESTBIN_DIR");

	return d && *d ? d : ".output/testbin";
}

char *testbin__path(const char *name, const char *suffix)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s%s", testbin__dir(), name, suffix) > 0);
	return p;
}

bool testbin__exists(const char *name, const char *suffix)
{
	char *p = testbin__path(name, suffix);
	bool ok = !access(p, R_OK);

	free(p);
	return ok;
}

void *testbin__slurp(const char *path, size_t *len)
{
	struct stat st;
	void *buf;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc(st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, st.st_size), st.st_size);
	close(fd);
	((char *)buf)[st.st_size] = '\0';
	*len = st.st_size;
	return buf;
}

struct gobin *testbin__open(const char *name)
{
	char *p = testbin__path(name, "");
	struct gobin *gb = gobin__open(p);

	if (!gb)
		fail_msg("gobin__open(%s): %s", p, strerror(errno));
	free(p);
	return gb;
}

bool testbin__present(const char *name)
{
	if (testbin__exists(name, ""))
		return true;
	if (strncmp(name, "go119", 5))
		fail_msg("%s/%s missing: run tests/unit/make_testbins.sh", testbin__dir(), name);
	print_message("SKIP %s (Go 1.19 not installed)\n", name);
	return false;
}

static int cmp_nm(const void *a, const void *b)
{
	const struct nm_sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

void testbin__nm_load(struct nm *nm, const char *name)
{
	char *p = testbin__path(name, ".nm"), line[4096], sym[4096];
	unsigned long long addr;
	FILE *f = fopen(p, "r");
	size_t cap = 0;
	char type;

	assert_non_null(f);
	memset(nm, 0, sizeof(*nm));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %4095[^\n]", &addr, &type, sym) != 3)
			continue;
		if (nm->n == cap) {
			cap = cap ? 2 * cap : 1024;
			nm->syms = realloc(nm->syms, cap * sizeof(*nm->syms));
			assert_non_null(nm->syms);
		}
		nm->syms[nm->n++] = (struct nm_sym){ addr, type, strdup(sym) };
	}
	fclose(f);
	free(p);
	qsort(nm->syms, nm->n, sizeof(*nm->syms), cmp_nm);
	assert_true(nm->n > 1000);
}

void testbin__nm_free(struct nm *nm)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		free(nm->syms[i].name);
	free(nm->syms);
}

bool testbin__nm_find(const struct nm *nm, const char *name, __u64 *addr)
{
	size_t i;

	for (i = 0; i < nm->n; i++) {
		if (!strcmp(nm->syms[i].name, name)) {
			*addr = nm->syms[i].addr;
			return true;
		}
	}
	return false;
}

size_t testbin__nm_at(const struct nm *nm, __u64 addr, const struct nm_sym **first)
{
	struct nm_sym key = { .addr = addr };
	const struct nm_sym *s = bsearch(&key, nm->syms, nm->n, sizeof(key), cmp_nm), *end;

	if (!s)
		return 0;
	while (s > nm->syms && s[-1].addr == addr)
		s--;
	for (end = s; end < nm->syms + nm->n && end->addr == addr; end++)
		;
	*first = s;
	return end - s;
}

static int add_pcs(const struct gobin_func *fn, void *ctx)
{
	struct testbin_pcs *p = ctx;
	unsigned int k;

	if (!fn->size)
		return 0;
	if (p->n + 9 > p->cap) {
		p->cap = p->cap ? 2 * p->cap : 65536;
		p->v = realloc(p->v, p->cap * sizeof(*p->v));
		assert_non_null(p->v);
	}
	for (k = 0; k < 8; k++)
		p->v[p->n++] = fn->addr + fn->size * k / 8;
	p->v[p->n++] = fn->addr + fn->size - 1;
	return 0;
}

void testbin__func_pcs(const struct gobin *gb, struct testbin_pcs *pcs)
{
	gobin__for_each_func(gb, add_pcs, pcs);
}

int testbin__setup(void **state)
{
	char *stamp = testbin__path(".stamp", "");

	if (access(stamp, R_OK)) {
		fprintf(stderr, "%s missing; run tests/unit/make_testbins.sh %s (or `make unit`)\n",
			stamp, testbin__dir());
		free(stamp);
		return -1;
	}
	free(stamp);
	return 0;
}
