/* intern.c - interning table: byte strings to dense ids 0, 1, 2... in first-seen order. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "intern.h"

#define MIN_SLOTS 16

static uint64_t hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 14695981039346656037ULL; /* FNV-1a */

	while (len--)
		h = (h ^ *p++) * 1099511628211ULL;
	return h;
}

void intern__init(struct intern *t)
{
	memset(t, 0, sizeof(*t));
}

void intern__free(struct intern *t)
{
	if (!t)
		return;
	free(t->bytes);
	free(t->offs);
	free(t->slots);
	intern__init(t);
}

/* The key of id < t->n and its length. */
static const char *key_at(const struct intern *t, size_t id, size_t *len)
{
	size_t end = id + 1 < t->n ? t->offs[id + 1] : t->bytes_len;

	*len = end - t->offs[id] - 1;
	return t->bytes + t->offs[id];
}

const char *intern__key(const struct intern *t, size_t id, size_t *len)
{
	size_t n;

	if (!t || id >= t->n)
		return NULL;
	return key_at(t, id, len ? len : &n);
}

/* Where key belongs in slots: its slot, or the empty one it would take. */
static size_t *slot_of(const struct intern *t, const void *key, size_t len)
{
	size_t mask = t->slots_cap - 1, i = hash(key, len) & mask, klen;
	const char *k;

	for (;; i = (i + 1) & mask) {
		if (!t->slots[i])
			return &t->slots[i];
		k = key_at(t, t->slots[i] - 1, &klen);
		if (klen == len && !memcmp(k, key, len))
			return &t->slots[i];
	}
}

static int grow_slots(struct intern *t)
{
	size_t cap = t->slots_cap ? t->slots_cap * 2 : MIN_SLOTS, old_cap = t->slots_cap, i;
	size_t *old = t->slots, *slots = calloc(cap, sizeof(*slots));
	const char *k;
	size_t klen;

	if (!slots)
		return -ENOMEM;
	t->slots = slots;
	t->slots_cap = cap;
	for (i = 0; i < old_cap; i++) {
		if (!old[i])
			continue;
		k = key_at(t, old[i] - 1, &klen);
		*slot_of(t, k, klen) = old[i];
	}
	free(old);
	return 0;
}

/* Makes room for one more key of len bytes. */
static int reserve(struct intern *t, size_t len)
{
	size_t cap;
	void *p;

	if (len >= SIZE_MAX / 2 - t->bytes_len)
		return -ENOMEM;
	if (t->bytes_len + len + 1 > t->bytes_cap) {
		cap = t->bytes_cap ? t->bytes_cap : 256;
		while (cap < t->bytes_len + len + 1)
			cap *= 2;
		p = realloc(t->bytes, cap);
		if (!p)
			return -ENOMEM;
		t->bytes = p;
		t->bytes_cap = cap;
	}
	if (t->n == t->offs_cap) {
		cap = t->offs_cap ? t->offs_cap * 2 : MIN_SLOTS;
		p = reallocarray(t->offs, cap, sizeof(*t->offs));
		if (!p)
			return -ENOMEM;
		t->offs = p;
		t->offs_cap = cap;
	}
	if ((t->n + 1) * 2 >= t->slots_cap)
		return grow_slots(t);
	return 0;
}

int intern__id(struct intern *t, const void *key, size_t len, size_t *id, int *added)
{
	size_t *slot;
	int err;

	if (!t || !id || (!key && len))
		return -EINVAL;
	if (!key)
		key = "";
	if (t->slots_cap) {
		slot = slot_of(t, key, len);
		if (*slot) {
			*id = *slot - 1;
			if (added)
				*added = 0;
			return 0;
		}
	}
	err = reserve(t, len);
	if (err)
		return err;
	slot = slot_of(t, key, len);
	t->offs[t->n] = t->bytes_len;
	memcpy(t->bytes + t->bytes_len, key, len);
	t->bytes[t->bytes_len + len] = '\0';
	t->bytes_len += len + 1;
	*slot = ++t->n;
	*id = t->n - 1;
	if (added)
		*added = 1;
	return 0;
}

int intern__str(struct intern *t, const char *s, size_t *id, int *added)
{
	if (!s)
		return -EINVAL;
	return intern__id(t, s, strlen(s), id, added);
}
