/*
 * map.h - a hash map from strings to indexes: the name lookups of the
 * stack, the graph and the plan, which a linear search made quadratic.
 *
 * Keys are borrowed: each must stay valid, and unchanged, while the map
 * holds it (the names of the array the map indexes). Open addressing
 * with linear probing, kept at most half full; nothing is ever removed.
 */
#ifndef MS_MAP_H
#define MS_MAP_H

#include <stdbool.h>
#include <stddef.h>

struct ms_map_slot;

struct ms_map {
	struct ms_map_slot *slots;
	size_t n, alloc; /* alloc: 0 or a power of two */
};

#define MS_MAP_INIT        \
	{                  \
		NULL, 0, 0 \
	}

void ms_map_init(struct ms_map *m);
/* Frees the slots, not the keys. */
void ms_map_release(struct ms_map *m);
/*
 * Map key to value unless key is there already: returns true when it was
 * added, false when the map holds key (and its first value) already.
 */
bool ms_map_add(struct ms_map *m, const char *key, size_t value);
/* Whether key is there; *value (when not NULL) gets its value. */
bool ms_map_get(const struct ms_map *m, const char *key, size_t *value);
size_t ms_map_count(const struct ms_map *m);

#endif
