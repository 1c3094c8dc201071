/* profout.c - a snapshot as a profile: C functions as leaves, their Go callers above (pure). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "folded.h"
#include "profout.h"

/* The memory behind one sample: its frames, values and labels. */
struct sample_mem {
	struct pprof_frame *frames;
	size_t nframes;
	__s64 values[PROFOUT__MAX];
	struct pprof_label labels[2];
};

struct profout {
	struct pprof_profile prof;
	struct pprof_mapping map; /* the first process's binary: every address */
	struct pprof_sample *samples;
	struct sample_mem *mem;
	size_t n, cap;
};

static const struct pprof_value_type types[PROFOUT__MAX] = {
	[PROFOUT_CALLS] = { "calls", "count" },
	[PROFOUT_C_TIME] = { "c_time", "nanoseconds" },
	[PROFOUT_CENSUS] = { "census_c_time", "nanoseconds" },
};

/*
 * Appends a sample: the C function fn (named name) as its leaf, the Go
 * frames of stack (an index of snap->stacks, -1: none) above it, the
 * process p's labels. Returns its values to fill, or NULL when out of memory.
 */
static __s64 *add(struct profout *po, const struct snapshot *snap, const struct proc_snap *p,
		  const char *name, __u64 fn, int stack)
{
	const struct snap_stack *st = stack >= 0 && (size_t)stack < snap->nstacks ? &snap->stacks[stack]
										  : NULL;
	unsigned int n = st ? st->n : 0;
	struct sample_mem *m;

	if (po->n == po->cap) {
		size_t cap = po->cap ? po->cap * 2 : 64;
		struct pprof_sample *s = realloc(po->samples, cap * sizeof(*s));
		struct sample_mem *mm = s ? realloc(po->mem, cap * sizeof(*mm)) : NULL;

		if (s)
			po->samples = s;
		if (!mm)
			return NULL;
		po->mem = mm;
		po->cap = cap;
	}
	m = &po->mem[po->n];
	memset(m, 0, sizeof(*m));
	m->frames = calloc(n + 1, sizeof(*m->frames));
	if (!m->frames)
		return NULL;
	m->nframes = n + 1;
	m->frames[0] = (struct pprof_frame){ .function = name, .address = fn };
	for (unsigned int i = 0; i < n; i++)
		m->frames[i + 1] = (struct pprof_frame){ .function = st->frames[i].func,
							 .file = st->frames[i].file,
							 .line = st->frames[i].line };
	m->labels[0] = (struct pprof_label){ .key = "pid", .num = p->pid };
	m->labels[1] = (struct pprof_label){ .key = "comm", .str = p->comm };
	po->n++;
	return m->values;
}

static __s64 share(__u64 part, __u64 whole, __u64 of)
{
	return whole ? (__s64)llround((double)part * (double)of / (double)whole) : 0;
}

/* A function's samples: its calls and time shared out by the traced calls of each stack. */
static int add_func(struct profout *po, const struct snapshot *snap, const struct proc_snap *p,
		    const struct func_snap *f)
{
	__u64 calls = 0, ns = 0;
	__s64 *v;

	for (size_t i = 0; i < f->ncallers; i++) {
		calls += f->callers[i].calls;
		ns += f->callers[i].total_ns;
	}
	if (!calls) {
		v = add(po, snap, p, f->name, f->addr, -1);
		if (!v)
			return -ENOMEM;
		v[PROFOUT_CALLS] = (__s64)f->calls;
		v[PROFOUT_C_TIME] = (__s64)f->total_ns;
		return 0;
	}
	for (size_t i = 0; i < f->ncallers; i++) {
		v = add(po, snap, p, f->name, f->addr, f->callers[i].stack);
		if (!v)
			return -ENOMEM;
		v[PROFOUT_CALLS] = share(f->callers[i].calls, calls, f->calls);
		v[PROFOUT_C_TIME] = share(f->callers[i].total_ns, ns, f->total_ns);
	}
	return 0;
}

static int add_proc(struct profout *po, const struct snapshot *snap, const struct proc_snap *p)
{
	int err = 0;

	for (size_t i = 0; i < p->nfuncs && !err; i++)
		if (p->funcs[i].calls)
			err = add_func(po, snap, p, &p->funcs[i]);
	for (size_t i = 0; i < p->nctime && !err; i++) {
		__s64 *v = add(po, snap, p, p->ctime[i].func, p->ctime[i].fn, p->ctime[i].stack);

		if (!v)
			return -ENOMEM;
		v[PROFOUT_CENSUS] = (__s64)p->ctime[i].ns;
	}
	return err;
}

void profout__free(struct profout *po)
{
	if (!po)
		return;
	for (size_t i = 0; i < po->n; i++)
		free(po->mem[i].frames);
	free(po->mem);
	free(po->samples);
	free(po);
}

int profout__build(const struct snapshot *snap, struct profout **out,
		   const struct pprof_profile **prof)
{
	struct profout *po = calloc(1, sizeof(*po));
	bool census = false;
	int err = po ? 0 : -ENOMEM;

	for (size_t i = 0; !err && i < snap->nprocs; i++) {
		err = add_proc(po, snap, &snap->procs[i]);
		census |= snap->procs[i].census_ns > 0;
	}
	if (err) {
		profout__free(po);
		return err;
	}
	for (size_t i = 0; i < po->n; i++) /* the arrays are final now */
		po->samples[i] = (struct pprof_sample){
			.frames = po->mem[i].frames,
			.n_frames = po->mem[i].nframes,
			.values = po->mem[i].values,
			.labels = po->mem[i].labels,
			.n_labels = 2,
		};
	po->prof = (struct pprof_profile){
		.types = types,
		.n_types = PROFOUT__MAX,
		.samples = po->samples,
		.n_samples = po->n,
		.time_ns = (__s64)(snap->wall_time * 1e9 - snap->duration_s * 1e9),
		.duration_ns = (__s64)(snap->duration_s * 1e9),
		.default_type = census ? types[PROFOUT_CENSUS].type : types[PROFOUT_C_TIME].type,
	};
	if (snap->nprocs) { /* frames are named already: the binary is for the reader's eyes */
		po->map = (struct pprof_mapping){ .path = snap->procs[0].exe, .limit = ~0ULL };
		po->prof.mappings = &po->map;
		po->prof.n_mappings = 1;
	}
	*out = po;
	*prof = &po->prof;
	return 0;
}

int profout__write_pprof(const struct snapshot *snap, const char *path)
{
	const struct pprof_profile *prof;
	struct profout *po;
	int err = profout__build(snap, &po, &prof);

	if (err)
		return err;
	err = pprof__write(prof, path);
	profout__free(po);
	return err;
}

int profout__write_folded(const struct snapshot *snap, const char *path)
{
	const struct pprof_profile *prof;
	struct profout *po;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int err = profout__build(snap, &po, &prof);

	if (err)
		return err;
	f = open_memstream(&text, &len);
	if (!f) {
		err = -errno;
	} else {
		err = folded__write(f, prof,
				    !strcmp(prof->default_type, types[PROFOUT_CENSUS].type) ? PROFOUT_CENSUS
											     : PROFOUT_C_TIME,
				    0);
		if (fclose(f) && !err)
			err = -ENOMEM;
		if (!err)
			err = pprof__replace_file(path, text, len);
	}
	free(text);
	profout__free(po);
	return err;
}
