/*
 * sensitive.h - secrets in resource values: which parts are sensitive
 * (a Terraform-style *_sensitive mask) and copies with them hidden.
 */
#ifndef MS_SENSITIVE_H
#define MS_SENSITIVE_H

#include <jansson.h>
#include <stdbool.h>

/* The marker a hidden value becomes: {"__mlstack_sensitive__": true}. */
#define MS_SENSITIVE_KEY "__mlstack_sensitive__"

/* Whether a map key reads like a secret (DB_PASSWORD, api_token ...). */
bool ms_sensitive_name(const char *key);
/*
 * Whether value (raw stack text) refers to a variable named in sensitive
 * (an object of names), anywhere in it.
 */
bool ms_sensitive_var_in(const json_t *value, const json_t *sensitive);
/* A new marker value, and whether v is one. */
json_t *ms_sensitive_marker(void);
bool ms_is_sensitive_marker(const json_t *v);
/*
 * The mask of attrs, a resource of type: an object of attribute -> true
 * or a nested mask, holding only what is sensitive ({} when nothing is;
 * false when attrs is not an object). marked: an array of attribute names
 * sensitive by origin, or NULL. A new value.
 */
json_t *ms_sensitive_mask(const char *type, const json_t *attrs,
			  const json_t *marked);
/* A copy of v with every part mask marks replaced by the marker. */
json_t *ms_sensitive_hide(const json_t *v, const json_t *mask);
/* Both at once: attrs with its sensitive parts hidden (null for NULL). */
json_t *ms_sensitive_hidden(const char *type, const json_t *attrs,
			    const json_t *marked);

#endif
