/*
 * xml.c - reading AWS XML answers with libxml2: a safe parse and small
 * path helpers over local names.
 *
 * Namespaces are ignored on purpose: IAM, STS, EC2 and S3 each put their
 * elements in a namespace of their own (and emulators sometimes none),
 * and a path like "GetRoleResult/Role/Arn" should read them all. The
 * parser never touches the network and never loads a DTD or substitutes
 * external entities.
 */
#include "util/common.h"
#include "providers/aws/internal.h"

#include <limits.h>
#include <libxml/parser.h>

xmlDoc *ms_aws_xml_parse(const char *body, size_t len)
{
	if (!body || !len || len > INT_MAX)
		return NULL;
	/* no XML_PARSE_NOENT, XML_PARSE_DTDLOAD or XML_PARSE_HUGE */
	return xmlReadMemory(body, (int)len, NULL, NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR |
				     XML_PARSE_NOWARNING);
}

static xmlNode *child_named(xmlNode *node, const char *name, size_t len)
{
	xmlNode *c;

	for (c = node->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE &&
		    strlen((const char *)c->name) == len &&
		    !memcmp(c->name, name, len))
			return c;
	return NULL;
}

xmlNode *ms_xml_find(xmlNode *node, const char *path)
{
	const char *p = path ? path : "";

	while (node && *p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (len)
			node = child_named(node, p, len);
		p += len;
		if (*p == '/')
			p++;
	}
	return node;
}

char *ms_xml_text(xmlNode *node, const char *path)
{
	xmlNode *n = ms_xml_find(node, path);
	xmlChar *content;
	char *s;

	if (!n)
		return NULL;
	content = xmlNodeGetContent(n);
	s = ms_strdup(content ? (const char *)content : "");
	xmlFree(content);
	return s;
}

xmlNode *ms_xml_next(xmlNode *node, const char *name)
{
	xmlNode *n;

	if (!node)
		return NULL;
	for (n = node->next; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    (!name || !strcmp((const char *)n->name, name)))
			return n;
	return NULL;
}

static bool is_element(const xmlNode *n)
{
	return n->type == XML_ELEMENT_NODE;
}

/* Whether another element child of parent has the name of c. */
static bool repeated(xmlNode *parent, xmlNode *c)
{
	xmlNode *o;

	for (o = parent->children; o; o = o->next)
		if (o != c && is_element(o) &&
		    !strcmp((const char *)o->name, (const char *)c->name))
			return true;
	return false;
}

json_t *ms_xml_json(xmlNode *node)
{
	xmlNode *c;
	xmlChar *text;
	json_t *o, *v, *had;
	bool elements = false, members = true;

	for (c = node->children; c; c = c->next)
		if (is_element(c)) {
			elements = true;
			if (strcmp((const char *)c->name, "member") &&
			    strcmp((const char *)c->name, "item"))
				members = false;
		}
	if (!elements) {
		text = xmlNodeGetContent(node);
		v = json_string(text ? (const char *)text : "");
		xmlFree(text);
		return v ? v : json_string("");
	}
	if (members) {
		o = json_array();
		for (c = node->children; c; c = c->next)
			if (is_element(c))
				json_array_append_new(o, ms_xml_json(c));
		return o;
	}
	/* a name seen twice is a flattened list: every one goes in it */
	o = json_object();
	for (c = node->children; c; c = c->next) {
		if (!is_element(c))
			continue;
		v = ms_xml_json(c);
		had = json_object_get(o, (const char *)c->name);
		if (!had && repeated(node, c))
			json_object_set_new(o, (const char *)c->name,
					    json_pack("[o]", v));
		else if (had && repeated(node, c))
			json_array_append_new(had, v);
		else
			json_object_set_new(o, (const char *)c->name, v);
	}
	return o;
}
