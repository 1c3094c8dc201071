/* cnames.c - names the C functions cgo calls: demangling and decoding of stripped Go wrappers. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cnames.h"
#include "gobin.h"
#include "x86.h"

#define WRAPPER_MAX_BYTES 1024 /* runtime.main calls runtime.cgocall 0x220 bytes in */

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

/* Past the "_Cfunc_" or "_C2func_" that p starts with, or NULL. */
static const char *skip_mark(const char *p)
{
	if (!strncmp(p, "_Cfunc_", 7))
		return p + 7;
	return strncmp(p, "_C2func_", 8) ? NULL : p + 8;
}

/* NAME in "_cgo_<hex>_Cfunc_NAME" or "_cgo_<hex>_C2func_NAME" (a pointer into sym), or NULL. */
static const char *cgo_suffix(const char *sym)
{
	const char *p = sym + 5, *name;

	if (strncmp(sym, "_cgo_", 5))
		return NULL;
	while (isxdigit((unsigned char)*p))
		p++;
	name = p > sym + 5 ? skip_mark(p) : NULL;
	return name && *name ? name : NULL;
}

int cnames__demangle(const char *sym, char *buf, size_t len)
{
	const char *name = cgo_suffix(sym);

	snprintf(buf, len, "%s", name ? name : sym);
	return name != NULL;
}

/*
 * What users see for the C function of _cgo_<hex>_Cfunc_NAME. cgo's own C
 * helpers are named for what they are: C.CString, C.CBytes and C.malloc call
 * pkg._cgo_cmalloc, which hands _cgo_<hex>_Cfunc__Cmalloc (malloc, never NULL)
 * to runtime.cgocall. No other helper goes through runtime.cgocall (cmd/cgo
 * out.go, Go 1.19 to 1.26): GoString, GoStringN and GoBytes are Go code,
 * _Cfunc__CMalloc is gccgo's (no runtime.cgocall there), C.free is libc's.
 */
static const char *shown_name(const char *name)
{
	return strcmp(name, "_Cmalloc") ? name : CNAMES_CGO_MALLOC;
}

/*
 * Go functions other than cgo's wrappers that call runtime.cgocall, and the
 * C function they hand it. A pattern starting with '.' is a package's
 * function (any package), else a full name.
 */
static const struct {
	const char *gofunc, *cname;
} fixed_callers[] = {
	{ "._cgo_cmalloc", "_Cmalloc" }, /* cgo's C.CString, C.CBytes, C.malloc */
	{ "runtime.main", "x_cgo_notify_runtime_init_done" }, /* once, at start */
};

/* True when the first n bytes of gofunc are pattern, or end with it when it starts with '.'. */
static bool is_caller(const char *gofunc, size_t n, const char *pattern)
{
	size_t m = strlen(pattern);

	return (n == m || (pattern[0] == '.' && n > m)) && !memcmp(gofunc + n - m, pattern, m);
}

/*
 * The C name handed to runtime.cgocall by the Go function gofunc, from its
 * name: "net._C2func_getaddrinfo.abi0" gives "getaddrinfo" (the NAME of
 * _cgo_<hex>_C2func_NAME), "main._cgo_cmalloc" gives "_Cmalloc". Returns 0,
 * or -ENOENT for other functions.
 */
static int wrapper_name(const char *gofunc, char *buf, size_t len)
{
	const char *p, *name = NULL;
	size_t i, n = strlen(gofunc);
	char *dot;

	for (p = strstr(gofunc, "._"); p && !name; p = strstr(p + 1, "._"))
		name = skip_mark(p + 1);
	if (n > 5 && !strcmp(gofunc + n - 5, ".abi0"))
		n -= 5;
	for (i = 0; !name && i < sizeof(fixed_callers) / sizeof(fixed_callers[0]); i++)
		if (is_caller(gofunc, n, fixed_callers[i].gofunc))
			name = fixed_callers[i].cname;
	if (!name || !*name || *name == '.')
		return -ENOENT;
	snprintf(buf, len, "%s", name);
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

/* The symbols that start at one address: the first cgo C function, the first other one. */
struct syms_at {
	const char *cgo, *other;
};

static int pick_sym(const struct gobin_func *fn, void *ctx)
{
	struct syms_at *at = ctx;

	at->cgo = cgo_suffix(fn->name);
	if (!at->other && !at->cgo)
		at->other = fn->name;
	return at->cgo != NULL;
}

void cnames__name(const struct cnames *cn, __u64 addr, char *buf, size_t len)
{
	struct cname key = { .addr = addr }, *hit = NULL;
	struct syms_at at = { 0 };

	gobin__for_each_func_at(cn->gb, addr, pick_sym, &at);
	if (!at.cgo && cn->n)
		hit = bsearch(&key, cn->v, cn->n, sizeof(*cn->v), cmp_cname);
	if (at.cgo)
		snprintf(buf, len, "%s", shown_name(at.cgo));
	else if (hit)
		snprintf(buf, len, "%s", shown_name(hit->name));
	else if (at.other)
		snprintf(buf, len, "%s", at.other);
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)addr);
}
