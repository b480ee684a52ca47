/*
 * json.h - small jansson helpers shared by the engine and providers.
 */
#ifndef MS_JSON_H
#define MS_JSON_H

#include <jansson.h>

/* A new array of the strings of list, sorted and without duplicates;
 * steals list. Non-string elements are dropped. */
json_t *ms_json_sorted_set(json_t *list);

/* Compact JSON text with sorted keys; the caller frees it. */
char *ms_json_compact(const json_t *v);

#endif
