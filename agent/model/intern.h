/* intern.h - interning table: byte strings to dense ids 0, 1, 2... in first-seen order. */
#ifndef CGOSCOPE_INTERN_H
#define CGOSCOPE_INTERN_H

#include <stddef.h>

/*
 * Keys are copied into the table (each followed by a NUL, so string keys
 * read back as C strings); memory grows with the keys added and nothing
 * else. Zero-initialize, or use intern__init(); release with intern__free().
 */
struct intern {
	char *bytes; /* every key, NUL-terminated, back to back */
	size_t bytes_len, bytes_cap;
	size_t *offs; /* per id: where its key starts in bytes */
	size_t n, offs_cap; /* ids given */
	size_t *slots; /* open addressing: id + 1, 0 empty */
	size_t slots_cap; /* 0 or a power of 2, kept over twice n */
};

void intern__init(struct intern *t);

/* Frees what t holds and leaves it empty, ready for reuse. */
void intern__free(struct intern *t);

/*
 * Finds the key of len bytes, adding it when new. On success *id is its id
 * and *added (when not NULL) says whether this call added it. Returns 0,
 * -EINVAL on a NULL t or id (key may be NULL when len is 0) or -ENOMEM (t
 * is unchanged then).
 */
int intern__id(struct intern *t, const void *key, size_t len, size_t *id, int *added);

/* Convenience for C strings: intern__id(t, s, strlen(s), id, added). */
int intern__str(struct intern *t, const char *s, size_t *id, int *added);

/* The key of id, NUL-terminated, valid until the next add or free; NULL if id >= t->n. */
const char *intern__key(const struct intern *t, size_t id, size_t *len);

#endif /* CGOSCOPE_INTERN_H */
