/*
 * map.c - string -> index hash map (map.h).
 *
 * FNV-1a hashes, linear probing over a power-of-two table kept at most
 * half full, so that a lookup costs a probe or two whatever the size.
 * The hash is stored beside each key: a probe compares strings only when
 * the hashes agree.
 */
#include "util/common.h"
#include "util/map.h"

struct ms_map_slot {
	const char *key; /* NULL: empty */
	uint64_t hash;
	size_t value;
};

static uint64_t hash_of(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

void ms_map_init(struct ms_map *m)
{
	memset(m, 0, sizeof(*m));
}

void ms_map_release(struct ms_map *m)
{
	free(m->slots);
	ms_map_init(m);
}

size_t ms_map_count(const struct ms_map *m)
{
	return m->n;
}

/* The slot of key, or the empty slot where it would go. */
static struct ms_map_slot *probe(const struct ms_map *m, const char *key,
				 uint64_t h)
{
	size_t mask = m->alloc - 1, i = (size_t)h & mask;

	while (m->slots[i].key &&
	       (m->slots[i].hash != h || strcmp(m->slots[i].key, key)))
		i = (i + 1) & mask;
	return &m->slots[i];
}

static void grow(struct ms_map *m)
{
	struct ms_map old = *m;
	size_t i;

	m->alloc = old.alloc ? old.alloc * 2 : 16;
	m->slots = ms_calloc(m->alloc, sizeof(*m->slots));
	for (i = 0; i < old.alloc; i++)
		if (old.slots[i].key)
			*probe(m, old.slots[i].key, old.slots[i].hash) =
				old.slots[i];
	free(old.slots);
}

bool ms_map_add(struct ms_map *m, const char *key, size_t value)
{
	uint64_t h = hash_of(key);
	struct ms_map_slot *s;

	if (2 * (m->n + 1) > m->alloc)
		grow(m);
	s = probe(m, key, h);
	if (s->key)
		return false;
	s->key = key;
	s->hash = h;
	s->value = value;
	m->n++;
	return true;
}

bool ms_map_get(const struct ms_map *m, const char *key, size_t *value)
{
	const struct ms_map_slot *s;

	if (!m->n)
		return false;
	s = probe(m, key, hash_of(key));
	if (!s->key)
		return false;
	if (value)
		*value = s->value;
	return true;
}
