/* test_gosym.c - checks gosym against the Go runtime's own frames and `go tool addr2line`. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gobin.h"
#include "gosym.h"
#include "pclntab.h"
#include "testbin.h"

#define MAX_FRAMES 64

/* One line "PC\t<pc>\t<function>\t<file>\t<line>" of NAME.frames: a frame of runtime.Callers. */
struct want_frame {
	__u64 pc; /* runtime address, a return address as runtime.Callers gives it */
	char func[256], file[256];
	unsigned int line;
};

/* NAME.frames: the runtime entry address of main.record, the stacks' frames in order. */
struct frames_file {
	__u64 entry;
	struct want_frame *f;
	size_t n;
	size_t stack_start[8]; /* index in f of each STACK's first frame */
	size_t nstacks;
};

static void frames_load(const char *name, struct frames_file *ff)
{
	char *p = testbin__path(name, ".frames"), line[1024];
	unsigned long long v;
	FILE *f = fopen(p, "r");
	struct want_frame *w;

	if (!f)
		fail_msg("%s: %s (run tests/unit/make_testbins.sh)", p, strerror(errno));
	memset(ff, 0, sizeof(*ff));
	ff->f = calloc(256, sizeof(*ff->f));
	assert_non_null(ff->f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "ENTRY main.record %llx", &v) == 1) {
			ff->entry = v;
		} else if (!strncmp(line, "STACK ", 6)) {
			assert_true(ff->nstacks < 8);
			ff->stack_start[ff->nstacks++] = ff->n;
		} else {
			assert_true(ff->n < 256);
			w = &ff->f[ff->n++];
			assert_int_equal(sscanf(line, "PC\t%llx\t%255[^\t]\t%255[^\t]\t%u", &v,
						w->func, w->file, &w->line),
					 4);
			w->pc = v;
		}
	}
	fclose(f);
	free(p);
	assert_true(ff->entry && ff->nstacks >= 4 && ff->n > 20);
}

static void expect_frame(const char *bin, const struct gosym_frame *got,
			 const struct want_frame *want, __u64 bias)
{
	if (strcmp(got->func, want->func) || strcmp(got->file, want->file) ||
	    got->line != want->line)
		fail_msg("%s at %#llx (link %#llx): got %s %s:%u, want %s %s:%u", bin,
			 (unsigned long long)want->pc, (unsigned long long)(want->pc - bias),
			 got->func, got->file, got->line, want->func, want->file, want->line);
}

/*
 * Symbolizes the return PCs of frames [from, to) as the runtime's unwinder
 * finds them on a stack, and compares with the runtime's own frames: each
 * lookup yields the inlined frames at the PC and the physical one, which
 * runtime.Callers lists as one PC per frame (entry + parentPc + 1 for the
 * callers of inlined calls). Returns the number of inlined frames seen.
 */
static size_t check_stack(const char *bin, struct gosym *gs, const struct frames_file *ff,
			  size_t from, size_t to, __u64 bias)
{
	struct gosym_frame out[MAX_FRAMES];
	size_t i = from, inlined = 0;
	int n, k;

	while (i < to) {
		n = gosym__lookup(gs, ff->f[i].pc - bias, 0, out, MAX_FRAMES);
		if (n < 1 || i + n > to)
			fail_msg("%s: %d frames at %#llx", bin, n, (unsigned long long)ff->f[i].pc);
		for (k = 0; k < n; k++) {
			expect_frame(bin, &out[k], &ff->f[i + k], bias);
			assert_int_equal(out[k].inlined, k + 1 < n);
			if (k)
				assert_int_equal(out[k].pc + 1, ff->f[i + k].pc - bias);
		}
		inlined += n - 1;
		i += n;
	}
	return inlined;
}

/* Builds of tests/unit/testdata/inlframes; the first ones must exist. */
static const char *const inl_bins[] = {
	"go126-inl",
	"go126-inl-stripped",
	"go126-inl-pie",
	"go126-inl-pie-stripped",
	"go119-inl",
	"go119-inl-stripped",
	"go119-inl-pie-stripped",
	"go116-inl",
	"go116-inl-pie",
	"go117-inl",
	"go117-inl-pie",
	"go118-inl",
	"go120-inl",
	"go121-inl",
	"go122-inl",
	"go123-inl",
	"go124-inl",
	"go125-inl",
};
#define INL_REQUIRED 7 /* go126 and go119 (testbin__present() skips go119) */
#define NINL	     (sizeof(inl_bins) / sizeof(inl_bins[0]))

/* Whether to test build i of inl_bins; prints SKIP for absent optional ones. */
static bool inl_present(size_t i)
{
	if (i < INL_REQUIRED)
		return testbin__present(inl_bins[i]);
	if (testbin__exists(inl_bins[i], ""))
		return true;
	print_message("SKIP %s: that Go toolchain is not in the module cache\n", inl_bins[i]);
	return false;
}

/* The frames of inlframes' stacks, inlined ones included, exactly as runtime.CallersFrames. */
static void test_inline_frames(void **state)
{
	struct frames_file ff;
	struct gobin_func rec;
	struct gobin *gb;
	struct gosym *gs;
	size_t i, s, inlined, end;
	__u64 bias;

	for (i = 0; i < NINL; i++) {
		if (!inl_present(i))
			continue;
		frames_load(inl_bins[i], &ff);
		gb = testbin__open(inl_bins[i]);
		gs = gosym__new(gb);
		assert_non_null(gs);
		assert_int_equal(gobin__find_func(gb, "main.record", &rec), 0);
		bias = ff.entry - rec.addr;
		if (!gobin__is_pie(gb))
			assert_int_equal(bias, 0);
		for (s = inlined = 0; s < ff.nstacks; s++) {
			end = s + 1 < ff.nstacks ? ff.stack_start[s + 1] : ff.n;
			inlined += check_stack(inl_bins[i], gs, &ff, ff.stack_start[s], end, bias);
		}
		print_message("%-22s %s: %zu frames, %zu of them inlined: all match\n", inl_bins[i],
			      gobin__go_version(gb), ff.n, inlined);
		assert_true(inlined >= 8);
		gosym__free(gs);
		gobin__close(gb);
		free(ff.f);
	}
}

/* addr2line's answer for one PC: the physical function, the innermost file:line. */
struct a2l {
	char func[512], file[512];
	int line;
};

static const char *go_tool(void)
{
	const char *go = getenv("GO");

	return go && *go ? go : "/usr/local/go/bin/go";
}

/* Runs `go tool addr2line bin` on pcs; returns its n answers (the caller frees them). */
static struct a2l *addr2line(const char *bin, const struct testbin_pcs *pcs)
{
	char in[] = "/tmp/test_gosym.XXXXXX", out[64], *cmd, line[512], *colon;
	struct a2l *a = calloc(pcs->n, sizeof(*a));
	FILE *f;
	size_t i;
	int fd = mkstemp(in);

	assert_true(fd >= 0 && a);
	f = fdopen(fd, "w");
	for (i = 0; i < pcs->n; i++)
		fprintf(f, "%#llx\n", (unsigned long long)pcs->v[i]);
	fclose(f);
	snprintf(out, sizeof(out), "%s.out", in);
	assert_true(asprintf(&cmd, "GOTOOLCHAIN=local %s tool addr2line %s <%s >%s", go_tool(), bin,
			     in, out) > 0);
	assert_int_equal(system(cmd), 0);
	f = fopen(out, "r");
	assert_non_null(f);
	for (i = 0; i < pcs->n; i++) {
		assert_non_null(fgets(a[i].func, sizeof(a[i].func), f));
		assert_non_null(fgets(line, sizeof(line), f));
		a[i].func[strcspn(a[i].func, "\n")] = '\0';
		colon = strrchr(line, ':');
		assert_non_null(colon);
		*colon = '\0';
		snprintf(a[i].file, sizeof(a[i].file), "%s", line);
		a[i].line = atoi(colon + 1);
	}
	fclose(f);
	unlink(in);
	unlink(out);
	free(cmd);
	return a;
}

/* True when the .gopclntab function at pc has no line table: C code, a marker. */
static bool no_line_table(const struct gobin *gb, __u64 pc)
{
	struct pclntab_func fn;
	struct gobin_pcln pcln;

	assert_int_equal(gobin__pcln(gb, &pcln), 0);
	return !pclntab__func_at(pcln.pt, pcln.text, pc, &fn) && !fn.pcln;
}

/*
 * Compares gosym on bin at every PC with addr2line's answer: the innermost
 * frame's file:line and the physical function; no frame where addr2line has
 * no line (markers such as go:textfipsstart) or there is no line table
 * (C functions of internally linked host objects, which addr2line gives
 * garbage lines). Returns the number of PCs in inlined code.
 */
static size_t check_addr2line(const char *bin, const struct testbin_pcs *pcs, const struct a2l *a)
{
	struct gosym_frame out[MAX_FRAMES];
	struct gobin *gb = gobin__open(bin);
	struct gosym *gs;
	size_t i, inlined = 0;
	int n;

	if (!gb)
		fail_msg("gobin__open(%s): %s", bin, strerror(errno));
	gs = gosym__new(gb);
	assert_non_null(gs);
	for (i = 0; i < pcs->n; i++) {
		n = gosym__lookup(gs, pcs->v[i], GOSYM_EXACT, out, MAX_FRAMES);
		if (!n && (a[i].line <= 0 || no_line_table(gb, pcs->v[i])))
			continue;
		if (n < 1 || strcmp(out[0].file, a[i].file) || (int)out[0].line != a[i].line ||
		    strcmp(out[n - 1].func, a[i].func))
			fail_msg("%s at %#llx: %d frames (%s %s:%u), addr2line: %s %s:%d", bin,
				 (unsigned long long)pcs->v[i], n, n ? out[n - 1].func : "",
				 n ? out[0].file : "", n ? out[0].line : 0, a[i].func, a[i].file,
				 a[i].line);
		inlined += n > 1;
	}
	gosym__free(gs);
	gobin__close(gb);
	return inlined;
}

/*
 * bin and its unstripped twin (the same text): the PCs come from bin's
 * functions (only those of .gopclntab when bin is stripped: no C code,
 * which addr2line attributes to the Go function before it), addr2line
 * answers from the twin (without runtime.text it misplaces cgo binaries'
 * text), and gosym must agree on both.
 */
static void compare_addr2line(const char *bin, const char *twin)
{
	struct testbin_pcs pcs = { 0 };
	struct gobin *gb = gobin__open(bin);
	struct a2l *a;
	size_t inlined;

	if (!gb)
		fail_msg("gobin__open(%s): %s", bin, strerror(errno));
	testbin__func_pcs(gb, &pcs);
	gobin__close(gb);
	a = addr2line(twin, &pcs);
	inlined = check_addr2line(bin, &pcs, a);
	if (strcmp(bin, twin))
		assert_int_equal(check_addr2line(twin, &pcs, a), inlined);
	print_message("%-40s %6zu PCs, %5zu in inlined code: as addr2line\n", bin, pcs.n, inlined);
	assert_true(inlined > 50);
	free(a);
	free(pcs.v);
}

/* Stripped builds and their twins from make_testbins.sh; unstripped pure Go ones are their own. */
static const char *const a2l_bins[][2] = {
	{ "go126-cgo-stripped", "go126-cgo" },
	{ "go126-cgo-pie-stripped", "go126-cgo-pie" },
	{ "go126-std-stripped", "go126-std" },
	{ "go126-std-ext-stripped", "go126-std-ext" },
	{ "go126-std-pie-stripped", "go126-std-pie" },
	{ "go126-inl-stripped", "go126-inl" },
	{ "go119-cgo-stripped", "go119-cgo" },
	{ "go119-std-stripped", "go119-std" },
	{ "go119-inl-stripped", "go119-inl" },
	{ "go116-inl", "go116-inl" },
	{ "go116-inl-pie", "go116-inl-pie" },
	{ "go117-inl", "go117-inl" },
	{ "go117-inl-pie", "go117-inl-pie" },
};

/* Cells of the e2e matrix (make matrix) with a stripped twin. */
static const char *const matrix_cells[] = {
	"go1.17", "go1.18", "go1.19", "go1.20", "go1.21",     "go1.22",
	"go1.23", "go1.24", "go1.25", "go1.26", "go1.26-pie", "go1.26-static",
};

static bool have_go(void)
{
	if (!access(go_tool(), X_OK))
		return true;
	print_message("****************************************************\n"
		      "SKIP: %s not found (set GO): no addr2line ground truth\n"
		      "****************************************************\n",
		      go_tool());
	return false;
}

/* Function and file:line at every function's entry and 8 PCs inside, as `go tool addr2line`. */
static void test_addr2line(void **state)
{
	char *bin, *twin;
	size_t i;

	if (!have_go())
		skip();
	for (i = 0; i < sizeof(a2l_bins) / sizeof(a2l_bins[0]); i++) {
		if (i < 9 ? !testbin__present(a2l_bins[i][0]) : !inl_present(i - 9 + 7))
			continue;
		bin = testbin__path(a2l_bins[i][0], "");
		twin = testbin__path(a2l_bins[i][1], "");
		compare_addr2line(bin, twin);
		free(bin);
		free(twin);
	}
}

static const char *gobin_dir(void)
{
	const char *d = getenv("CGOSCOPE_GOBIN");

	return d && *d ? d : ".output/go";
}

/* The same on the e2e matrix's cgoload builds (Go 1.17-1.26), when make matrix built them. */
static void test_addr2line_matrix(void **state)
{
	char bin[4096], twin[4096];
	size_t i;

	if (!have_go())
		skip();
	for (i = 0; i < sizeof(matrix_cells) / sizeof(matrix_cells[0]); i++) {
		snprintf(twin, sizeof(twin), "%s/matrix/%s/cgoload", gobin_dir(), matrix_cells[i]);
		snprintf(bin, sizeof(bin), "%s/matrix/%s-stripped/cgoload", gobin_dir(),
			 matrix_cells[i]);
		if (access(bin, R_OK) || access(twin, R_OK)) {
			print_message("SKIP %s: not built (make matrix)\n", bin);
			continue;
		}
		compare_addr2line(bin, twin);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inline_frames),
		cmocka_unit_test(test_addr2line),
		cmocka_unit_test(test_addr2line_matrix),
	};

	return cmocka_run_group_tests(tests, testbin__setup, NULL);
}
