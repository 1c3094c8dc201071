/* folded.c - folded-stack text of the profile model, for flamegraph.pl, speedscope, inferno. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "folded.h"
#include "intern.h"

/* A growing text buffer: the stack being rendered. */
struct text {
	char *s;
	size_t len, cap;
	int err;
};

static void put(struct text *t, const char *s, size_t len)
{
	size_t cap;
	char *p;

	if (t->err)
		return;
	if (len > SIZE_MAX / 4 - t->len) {
		t->err = -ENOMEM;
		return;
	}
	if (t->len + len > t->cap) {
		cap = t->cap ? t->cap : 256;
		while (cap < t->len + len)
			cap *= 2;
		p = realloc(t->s, cap);
		if (!p) {
			t->err = -ENOMEM;
			return;
		}
		t->s = p;
		t->cap = cap;
	}
	memcpy(t->s + t->len, s, len);
	t->len += len;
}

/* s with the characters that would break a line of the format replaced. */
static void put_name(struct text *t, const char *s)
{
	size_t start = t->len, i;
	unsigned char c;

	put(t, s, strlen(s));
	for (i = start; !t->err && i < t->len; i++) {
		c = t->s[i];
		if (c == ';')
			t->s[i] = ':';
		else if (c <= ' ' || c == 0x7f)
			t->s[i] = '_';
	}
}

static void put_frame(struct text *t, const struct pprof_frame *f, unsigned int flags)
{
	char num[24];

	put_name(t, f->function && *f->function ? f->function : FOLDED_UNKNOWN);
	if (!(flags & FOLDED_LINES) || !f->file || !*f->file)
		return;
	put(t, "@", 1);
	put_name(t, f->file);
	if (f->line)
		put(t, num, snprintf(num, sizeof(num), ":%" PRId64, (int64_t)f->line));
}

static void put_stack(struct text *t, const struct pprof_sample *s, unsigned int flags)
{
	size_t i;

	t->len = 0;
	if (!s->n_frames)
		put(t, FOLDED_UNKNOWN, strlen(FOLDED_UNKNOWN));
	for (i = s->n_frames; i-- > 0;) {
		put_frame(t, &s->frames[i], flags);
		if (i)
			put(t, ";", 1);
	}
}

/* Adds v to the sum of stack id, growing sums to the stacks seen. */
static int add_sum(int64_t **sums, size_t *cap, size_t id, int64_t v)
{
	size_t n = *cap ? *cap : 64;
	int64_t *p;

	if (id >= *cap) {
		while (n <= id)
			n *= 2;
		p = reallocarray(*sums, n, sizeof(*p));
		if (!p)
			return -ENOMEM;
		memset(p + *cap, 0, (n - *cap) * sizeof(*p));
		*sums = p;
		*cap = n;
	}
	return __builtin_add_overflow((*sums)[id], v, &(*sums)[id]) ? -EOVERFLOW : 0;
}

static int print(FILE *f, const struct intern *stacks, const int64_t *sums)
{
	size_t i;

	for (i = 0; i < stacks->n; i++)
		if (sums[i] > 0)
			fprintf(f, "%s %" PRId64 "\n", intern__key(stacks, i, NULL), sums[i]);
	return fflush(f) || ferror(f) ? -EIO : 0;
}

int folded__write(FILE *f, const struct pprof_profile *p, unsigned int value, unsigned int flags)
{
	struct intern stacks = { 0 };
	struct text t = { 0 };
	int64_t *sums = NULL;
	size_t i, id, cap = 0;
	int err = pprof__check(p);

	if (!err && (!f || value >= p->n_types))
		err = -EINVAL;
	for (i = 0; !err && i < p->n_samples; i++) {
		put_stack(&t, &p->samples[i], flags);
		err = t.err;
		if (!err)
			err = intern__id(&stacks, t.s, t.len, &id, NULL);
		if (!err)
			err = add_sum(&sums, &cap, id, p->samples[i].values[value]);
	}
	if (!err)
		err = print(f, &stacks, sums);
	intern__free(&stacks);
	free(t.s);
	free(sums);
	return err;
}
