/* pprof.c - encodes the profile model as perftools.profiles protobuf (protobuf-c). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "intern.h"
#include "pprof.h"
#include "profile.pb-c.h"

/* The message being built and the arrays its pointers point into. */
struct build {
	const struct pprof_profile *p;
	struct intern strs, funcs, locs;
	int err; /* the first error: later additions are skipped */
	Perftools__Profiles__Profile prof;
	Perftools__Profiles__ValueType *types, **types_ptrs, period_type;
	Perftools__Profiles__Sample *samples, **samples_ptrs;
	Perftools__Profiles__Label *labels, **labels_ptrs;
	Perftools__Profiles__Mapping *maps, **maps_ptrs;
	Perftools__Profiles__Location *locations, **locations_ptrs;
	Perftools__Profiles__Line *lines, **lines_ptrs;
	Perftools__Profiles__Function *functions, **functions_ptrs;
	uint64_t *loc_ids;
	int64_t *values, *comments;
	char **strings;
};

/* The keys under which functions and locations are deduplicated. */
struct func_key {
	int64_t name, file;
};

struct loc_key {
	uint64_t mapping, address, function;
	int64_t line;
};

static int valid_sample(const struct pprof_sample *s)
{
	size_t i;

	if ((s->n_frames && !s->frames) || !s->values || (s->n_labels && !s->labels))
		return 0;
	for (i = 0; i < s->n_labels; i++)
		if (!s->labels[i].key)
			return 0;
	return 1;
}

static int valid(const struct pprof_profile *p)
{
	size_t i;

	if (!p->n_types || !p->types || (p->n_samples && !p->samples) ||
	    (p->n_mappings && !p->mappings) || (p->n_comments && !p->comments))
		return 0;
	for (i = 0; i < p->n_types; i++)
		if (!p->types[i].type || !p->types[i].unit)
			return 0;
	for (i = 0; i < p->n_samples; i++)
		if (!valid_sample(&p->samples[i]))
			return 0;
	for (i = 0; i < p->n_comments; i++)
		if (!p->comments[i])
			return 0;
	return 1;
}

int pprof__check(const struct pprof_profile *p)
{
	return p && valid(p) ? 0 : -EINVAL;
}

/* calloc that never returns NULL for success: empty arrays get one zeroed element. */
static void *zalloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

/* n messages of size bytes in *arr and pointers to each in *ptrs. */
static int alloc_msgs(void *arr, void *ptrs, size_t n, size_t size)
{
	char *a = zalloc(n, size);
	void **p = zalloc(n, sizeof(*p));
	size_t i;

	if (!a || !p) {
		free(a);
		free(p);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		p[i] = a + i * size;
	*(void **)arr = a;
	*(void ***)ptrs = p;
	return 0;
}

#define ALLOC_MSGS(b, name, n) alloc_msgs(&(b)->name, &(b)->name##_ptrs, n, sizeof(*(b)->name))

/* Index of s (NULL: "") in the string table; 0 after an error. */
static int64_t str_idx(struct build *b, const char *s)
{
	size_t id = 0;

	if (!b->err)
		b->err = intern__str(&b->strs, s ? s : "", &id, NULL);
	return b->err ? 0 : id;
}

/* The id (from 1) of key in t, and whether it is new; 0 after an error. */
static uint64_t key_id(struct build *b, struct intern *t, const void *key, size_t len, int *added)
{
	size_t id = 0;

	*added = 0;
	if (!b->err)
		b->err = intern__id(t, key, len, &id, added);
	return b->err ? 0 : id + 1;
}

static uint64_t add_function(struct build *b, const struct pprof_frame *f)
{
	struct func_key k = { 0 };
	Perftools__Profiles__Function *fn;
	uint64_t id;
	int added;

	/* In this order, which sets the string table's. */
	k.name = str_idx(b, f->function);
	k.file = str_idx(b, f->file);
	id = key_id(b, &b->funcs, &k, sizeof(k), &added);
	if (!added)
		return id;
	fn = b->functions_ptrs[id - 1];
	perftools__profiles__function__init(fn);
	fn->id = id;
	fn->name = fn->system_name = k.name;
	fn->filename = k.file;
	return id;
}

static uint64_t mapping_of(const struct pprof_profile *p, __u64 address)
{
	size_t i;

	for (i = 0; address && i < p->n_mappings; i++)
		if (address >= p->mappings[i].start && address < p->mappings[i].limit)
			return i + 1;
	return 0;
}

/* A location's mapping says its locations are symbolized only if all of them are. */
static void mark_mapping(struct build *b, uint64_t mapping, const struct pprof_frame *f)
{
	Perftools__Profiles__Mapping *m;

	if (!mapping)
		return;
	m = b->maps_ptrs[mapping - 1];
	m->has_functions = m->has_functions && f->function && *f->function;
	m->has_filenames = m->has_filenames && f->file && *f->file;
	m->has_line_numbers = m->has_line_numbers && f->line;
}

static uint64_t add_location(struct build *b, const struct pprof_frame *f)
{
	struct loc_key k = { .mapping = mapping_of(b->p, f->address),
			     .address = f->address,
			     .line = f->line };
	Perftools__Profiles__Location *loc;
	uint64_t id;
	int added;

	k.function = add_function(b, f);
	id = key_id(b, &b->locs, &k, sizeof(k), &added);
	if (!added)
		return id;
	loc = b->locations_ptrs[id - 1];
	perftools__profiles__location__init(loc);
	loc->id = id;
	loc->mapping_id = k.mapping;
	loc->address = k.address;
	loc->n_line = 1;
	loc->line = &b->lines_ptrs[id - 1];
	perftools__profiles__line__init(loc->line[0]);
	loc->line[0]->function_id = k.function;
	loc->line[0]->line = k.line;
	mark_mapping(b, k.mapping, f);
	return id;
}

static void add_label(struct build *b, const struct pprof_label *l, Perftools__Profiles__Label *out)
{
	perftools__profiles__label__init(out);
	out->key = str_idx(b, l->key);
	if (l->str) {
		out->str = str_idx(b, l->str);
		return;
	}
	out->num = l->num;
	if (l->unit)
		out->num_unit = str_idx(b, l->unit);
}

/* Sample i, its location ids at *loc, labels at *lab (both advanced). */
static void add_sample(struct build *b, size_t i, size_t *loc, size_t *lab)
{
	const struct pprof_sample *s = &b->p->samples[i];
	Perftools__Profiles__Sample *out = b->samples_ptrs[i];
	size_t j;

	perftools__profiles__sample__init(out);
	out->n_location_id = s->n_frames;
	out->location_id = b->loc_ids + *loc;
	for (j = 0; j < s->n_frames; j++)
		b->loc_ids[(*loc)++] = add_location(b, &s->frames[j]);
	out->n_value = b->p->n_types;
	out->value = b->values + i * b->p->n_types;
	for (j = 0; j < b->p->n_types; j++)
		out->value[j] = s->values[j];
	out->n_label = s->n_labels;
	out->label = b->labels_ptrs + *lab;
	for (j = 0; j < s->n_labels; j++)
		add_label(b, &s->labels[j], b->labels_ptrs[(*lab)++]);
}

static void add_mappings(struct build *b)
{
	const struct pprof_mapping *m;
	Perftools__Profiles__Mapping *out;
	size_t i;

	for (i = 0; i < b->p->n_mappings; i++) {
		m = &b->p->mappings[i];
		out = b->maps_ptrs[i];
		perftools__profiles__mapping__init(out);
		out->id = i + 1;
		out->memory_start = m->start;
		out->memory_limit = m->limit;
		out->file_offset = m->offset;
		out->has_functions = out->has_filenames = out->has_line_numbers = 1;
		out->filename = str_idx(b, m->path);
		if (m->build_id)
			out->build_id = str_idx(b, m->build_id);
	}
	b->prof.n_mapping = b->p->n_mappings;
	b->prof.mapping = b->maps_ptrs;
}

static void add_value_type(struct build *b, const struct pprof_value_type *t,
			   Perftools__Profiles__ValueType *out)
{
	perftools__profiles__value_type__init(out);
	out->type = str_idx(b, t->type);
	out->unit = str_idx(b, t->unit);
}

/* Sample types, period type, default type and comments: the profile's header. */
static void add_header(struct build *b)
{
	const struct pprof_profile *p = b->p;
	size_t i;

	for (i = 0; i < p->n_types; i++) {
		add_value_type(b, &p->types[i], b->types_ptrs[i]);
		if (p->default_type && !strcmp(p->default_type, p->types[i].type))
			b->prof.default_sample_type = b->types[i].type;
	}
	if (p->default_type && !b->prof.default_sample_type && !b->err)
		b->err = -EINVAL;
	if (p->period_type.type) {
		add_value_type(b, &p->period_type, &b->period_type);
		b->prof.period_type = &b->period_type;
	}
	for (i = 0; i < p->n_comments; i++)
		b->comments[i] = str_idx(b, p->comments[i]);
	b->prof.n_sample_type = p->n_types;
	b->prof.sample_type = b->types_ptrs;
	b->prof.n_comment = p->n_comments;
	b->prof.comment = b->comments;
	b->prof.time_nanos = p->time_ns;
	b->prof.duration_nanos = p->duration_ns;
	b->prof.period = p->period;
}

static int alloc_build(struct build *b, size_t frames, size_t labels)
{
	const struct pprof_profile *p = b->p;
	size_t values;

	if (__builtin_mul_overflow(p->n_samples, p->n_types, &values))
		return -ENOMEM;
	if (ALLOC_MSGS(b, types, p->n_types) || ALLOC_MSGS(b, samples, p->n_samples) ||
	    ALLOC_MSGS(b, labels, labels) || ALLOC_MSGS(b, maps, p->n_mappings) ||
	    ALLOC_MSGS(b, locations, frames) || ALLOC_MSGS(b, lines, frames) ||
	    ALLOC_MSGS(b, functions, frames))
		return -ENOMEM;
	b->loc_ids = zalloc(frames, sizeof(*b->loc_ids));
	b->values = zalloc(values, sizeof(*b->values));
	b->comments = zalloc(p->n_comments, sizeof(*b->comments));
	return b->loc_ids && b->values && b->comments ? 0 : -ENOMEM;
}

static void free_build(struct build *b)
{
	void *arrays[] = { b->types,	 b->types_ptrs,	    b->samples, b->samples_ptrs,
			   b->labels,	 b->labels_ptrs,    b->maps,	b->maps_ptrs,
			   b->locations, b->locations_ptrs, b->lines,	b->lines_ptrs,
			   b->functions, b->functions_ptrs, b->loc_ids, b->values,
			   b->comments,	 b->strings };
	size_t i;

	for (i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++)
		free(arrays[i]);
	intern__free(&b->strs);
	intern__free(&b->funcs);
	intern__free(&b->locs);
}

/* Points the profile message at the string table, locations and functions built. */
static int finish(struct build *b)
{
	Perftools__Profiles__Profile *prof = &b->prof;
	size_t i;

	b->strings = zalloc(b->strs.n, sizeof(*b->strings));
	if (!b->strings)
		return -ENOMEM;
	for (i = 0; i < b->strs.n; i++)
		b->strings[i] = (char *)intern__key(&b->strs, i, NULL);
	prof->n_string_table = b->strs.n;
	prof->string_table = b->strings;
	prof->n_location = b->locs.n;
	prof->location = b->locations_ptrs;
	prof->n_function = b->funcs.n;
	prof->function = b->functions_ptrs;
	return 0;
}

static int count(const struct pprof_profile *p, size_t *frames, size_t *labels)
{
	size_t i;

	*frames = *labels = 0;
	for (i = 0; i < p->n_samples; i++)
		if (__builtin_add_overflow(*frames, p->samples[i].n_frames, frames) ||
		    __builtin_add_overflow(*labels, p->samples[i].n_labels, labels))
			return -ENOMEM;
	return 0;
}

static int build(struct build *b)
{
	size_t i, frames, labels, loc = 0, lab = 0;

	perftools__profiles__profile__init(&b->prof);
	b->err = count(b->p, &frames, &labels);
	if (!b->err)
		b->err = alloc_build(b, frames, labels);
	if (b->err)
		return b->err;
	str_idx(b, ""); /* string_table[0] */
	add_header(b);
	add_mappings(b);
	for (i = 0; !b->err && i < b->p->n_samples; i++)
		add_sample(b, i, &loc, &lab);
	b->prof.n_sample = b->p->n_samples;
	b->prof.sample = b->samples_ptrs;
	return b->err ? b->err : finish(b);
}

int pprof__encode(const struct pprof_profile *p, void **buf, size_t *len)
{
	struct build b = { .p = p };
	int err;

	if (buf)
		*buf = NULL;
	if (!buf || !len)
		return -EINVAL;
	err = pprof__check(p);
	if (!err)
		err = build(&b);
	if (!err) {
		*len = perftools__profiles__profile__get_packed_size(&b.prof);
		*buf = zalloc(*len, 1);
		if (*buf)
			perftools__profiles__profile__pack(&b.prof, *buf);
		else
			err = -ENOMEM;
	}
	free_build(&b);
	return err;
}
