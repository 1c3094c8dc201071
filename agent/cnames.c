/* cnames.c - names the C functions cgo calls: demangling and decoding of stripped Go wrappers. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cnames.h"
#include "gobin.h"
#include "x86.h"

#define WRAPPER_MAX_BYTES 512

struct cname {
	__u64 addr;
	char *name;
};

struct cnames {
	const struct gobin *gb;
	__u64 cgocall;
	struct cname *v;
	size_t n, cap;
};

int cnames__demangle(const char *sym, char *buf, size_t len)
{
	static const char *const marks[] = { "_Cfunc_", "_C2func_" };
	const char *p;

	if (!strncmp(sym, "_cgo_", 5)) {
		for (p = sym + 5; isxdigit((unsigned char)*p); p++)
			;
		for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
			size_t m = strlen(marks[i]);

			if (p > sym + 5 && *p == '_' && !strncmp(p, marks[i], m) && p[m]) {
				snprintf(buf, len, "%s", p + m);
				return 1;
			}
		}
	}
	snprintf(buf, len, "%s", sym);
	return 0;
}

/* The C name a Go wrapper stands for: "net._C2func_getaddrinfo.abi0" gives "getaddrinfo". */
static int wrapper_name(const char *gofunc, char *buf, size_t len)
{
	const char *p = strstr(gofunc, "._Cfunc_");
	size_t skip = 8;
	char *dot;

	if (!p) {
		p = strstr(gofunc, "._C2func_");
		skip = 9;
	}
	if (!p || !p[skip])
		return -ENOENT;
	snprintf(buf, len, "%s", p + skip);
	dot = strchr(buf, '.'); /* ".abi0" */
	if (dot)
		*dot = '\0';
	return 0;
}

struct wrapper_scan {
	__u64 cgocall;
	__u64 fnvar;   /* address loaded into the first argument register */
	bool fnvar_is_fn; /* LEA: the address is the C function itself */
	__u64 fn;      /* result */
	bool found;
};

static int scan_wrapper(const struct insn *in, void *ctx)
{
	struct wrapper_scan *w = ctx;

	if ((in->kind == INSN_LOAD || in->kind == INSN_LEA) && in->dst_reg == ARCH_REG_ARG0 &&
	    in->rip_rel) {
		w->fnvar = in->target;
		w->fnvar_is_fn = in->kind == INSN_LEA;
	} else if (in->kind == INSN_CALL && in->target == w->cgocall && w->fnvar) {
		w->found = true;
		return 1;
	}
	return 0;
}

static int add(struct cnames *cn, __u64 addr, const char *name)
{
	if (cn->n == cn->cap) {
		size_t cap = cn->cap ? cn->cap * 2 : 64;
		struct cname *v = realloc(cn->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		cn->v = v;
		cn->cap = cap;
	}
	cn->v[cn->n].addr = addr;
	cn->v[cn->n].name = strdup(name);
	if (!cn->v[cn->n].name)
		return -ENOMEM;
	cn->n++;
	return 0;
}

/* For each Go wrapper, finds the C function it hands to runtime.cgocall. */
static int index_wrapper(const struct gobin_func *fn, void *ctx)
{
	struct cnames *cn = ctx;
	struct wrapper_scan w = { .cgocall = cn->cgocall };
	unsigned char code[WRAPPER_MAX_BYTES];
	char name[128];
	size_t len;

	if (wrapper_name(fn->name, name, sizeof(name)))
		return 0;
	len = gobin__read_code(cn->gb, fn, code, sizeof(code));
	if (!len)
		return 0;
	x86__decode(code, len, fn->addr, scan_wrapper, &w);
	if (!w.found)
		return 0;
	w.fn = w.fnvar;
	if (!w.fnvar_is_fn && gobin__read(cn->gb, w.fnvar, &w.fn, sizeof(w.fn)))
		return 0;
	return add(cn, w.fn, name);
}

static int cmp_cname(const void *a, const void *b)
{
	const struct cname *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

struct cnames *cnames__new(const struct gobin *gb)
{
	struct cnames *cn = calloc(1, sizeof(*cn));
	struct gobin_func fn;
	int err;

	if (!cn)
		return NULL;
	cn->gb = gb;
	if (!gobin__find_func(gb, "runtime.cgocall", &fn)) {
		cn->cgocall = fn.addr;
		err = gobin__for_each_func(gb, index_wrapper, cn);
		if (err < 0) {
			cnames__free(cn);
			errno = -err;
			return NULL;
		}
	}
	if (cn->n) /* cn->v is NULL without wrappers: qsort(NULL, 0) is undefined */
		qsort(cn->v, cn->n, sizeof(*cn->v), cmp_cname);
	return cn;
}

void cnames__free(struct cnames *cn)
{
	if (!cn)
		return;
	for (size_t i = 0; i < cn->n; i++)
		free(cn->v[i].name);
	free(cn->v);
	free(cn);
}

size_t cnames__wrapped(const struct cnames *cn)
{
	return cn->n;
}

void cnames__name(const struct cnames *cn, __u64 addr, char *buf, size_t len)
{
	struct cname key = { .addr = addr }, *hit;
	struct gobin_func fn;

	if (!gobin__func_at(cn->gb, addr, &fn) && fn.addr == addr && fn.name &&
	    (cnames__demangle(fn.name, buf, len) || !gobin__stripped(cn->gb)))
		return;
	hit = cn->n ? bsearch(&key, cn->v, cn->n, sizeof(*cn->v), cmp_cname) : NULL;
	if (hit)
		snprintf(buf, len, "%s", hit->name);
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)addr);
}
