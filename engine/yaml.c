/*
 * yaml.c - libyaml's event stream folded into jansson values.
 *
 * The event API (not libyaml's document API) so that the limits hold while
 * reading: depth is checked at each open, and an alias is expanded only
 * after its size (counted when its anchor closed) has been added to the
 * running counts of values and of bytes, so a billion-laughs file stops
 * at the limit instead of at the end of memory: by count when it nests
 * many small values, by bytes when it repeats a few big ones. Aliases are
 * deep copies: later stages convert values in place and must not see one
 * change through another name.
 *
 * libyaml's reader refuses a file that is not valid UTF-8 (an invalid
 * octet, an overlong form, a surrogate), so its keys and scalars go into
 * jansson without a second check (the _nocheck calls).
 *
 * In a large file libyaml's parser runs on a thread of its own and hands
 * its events over in batches while this one builds the values: the
 * parser alone was two thirds of the reading (struct feed).
 */
#include "util/common.h"
#include "util/json.h"
#include "engine/yaml.h"
#include "engine/stack.h"
#include "engine/expr.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <yaml.h>

/* Values below this depth always get a mark; deeper ones while in budget. */
#define SHALLOW_DEPTH    4
#define DEEP_MARK_BUDGET 100000
/* ms_yaml_parse_shallow: the root, the sections and their entries */
#define FIRST_LEVELS 2

struct frame {
	json_t *node;    /* object or array being filled */
	size_t path_len; /* the node's own path is path.ptr[0..path_len) */
	char *anchor;
	size_t nodes_at_start, bytes_at_start;
	bool dropped; /* the node is the value of a duplicate key */
	/* mappings: the key whose value comes next, or NULL */
	char *key;
	int key_line, key_col;
	bool key_dup;
	/* sequences: the index of the next element */
	size_t index;
};

struct anchor {
	char *name;
	json_t *node;
	size_t size, bytes; /* values and text bytes it expands to */
};

struct ctx {
	json_t *diags;
	struct ms_yaml_doc *doc;
	struct frame frames[MS_STACK_MAX_DEPTH];
	int depth;
	struct ms_buf path;
	struct anchor *anchors;
	size_t n_anchors, alloc_anchors;
	size_t nodes, bytes, aliases, deep_marks;
	int docs;
	bool failed;
	bool shallow;     /* marks of the first levels only */
	const char *data; /* the text, for the marks of a shallow parse */
	size_t len;
	json_t *all_marks; /* shallow: every mark, once one was wanted */
};

static void problem(struct ctx *c, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void problem(struct ctx *c, int line, int col, const char *fmt, ...)
{
	struct ms_buf b = MS_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	ms_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	json_array_append_new(c->diags, json_pack("[iis]", line, col, b.ptr));
	ms_buf_release(&b);
	c->failed = true;
}

static int int_at(const json_t *array, size_t i)
{
	return (int)json_integer_value(json_array_get(array, i));
}

#define LINE(m) ((int)(m).line + 1)
#define COL(m)  ((int)(m).column + 1)

static bool all_digits(const char *p, const char *end)
{
	if (p == end)
		return false;
	for (; p < end; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

/*
 * The YAML 1.2 core schema for a plain scalar, with one deliberate change:
 * an integer with a leading zero ("0123", an account id) stays a string,
 * and a float needs a "." or an exponent, so that no digit is ever lost.
 */
static json_t *plain_value(const char *s, size_t len)
{
	const char *p = s, *end = s + len, *q;
	bool dot = false, exp = false;
	size_t digits;
	long long ll;
	double d;
	char *stop;

	if (!len || !strcmp(s, "~") || !strcmp(s, "null") ||
	    !strcmp(s, "Null") || !strcmp(s, "NULL"))
		return json_null();
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return json_true();
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return json_false();
	if (*p == '+' || *p == '-')
		p++;
	if (all_digits(p, end)) {
		if (*p == '0' && end - p > 1)
			return NULL;
		errno = 0;
		ll = strtoll(s, &stop, 10);
		if (!errno && stop == end)
			return json_integer(ll);
		d = strtod(s, &stop);
		return stop == end && isfinite(d) ? json_real(d) : NULL;
	}
	/* digits [. digits] [e [+-] digits], with a "." or an exponent */
	for (q = p; q < end && isdigit((unsigned char)*q); q++)
		;
	digits = (size_t)(q - p);
	if (q < end && *q == '.') {
		dot = true;
		for (p = ++q; q < end && isdigit((unsigned char)*q); q++)
			;
		digits += (size_t)(q - p);
	}
	if (!digits)
		return NULL;
	if (q < end && (*q == 'e' || *q == 'E')) {
		exp = true;
		q++;
		if (q < end && (*q == '+' || *q == '-'))
			q++;
		if (!all_digits(q, end))
			return NULL;
		q = end;
	}
	if (q != end || (!dot && !exp))
		return NULL;
	errno = 0;
	d = strtod(s, &stop);
	if (errno || stop != end || !isfinite(d))
		return NULL;
	return json_real(d);
}

static void set_mark(struct ctx *c, int depth, int kl, int kc, int vl, int vc)
{
	if (c->shallow && depth > FIRST_LEVELS)
		return;
	if (depth > SHALLOW_DEPTH && c->deep_marks++ >= DEEP_MARK_BUDGET)
		return;
	json_object_set_new_nocheck(c->doc->marks, c->path.ptr,
				    json_pack("[iiii]", kl, kc, vl, vc));
}

/*
 * Attach v (a new reference, stolen) where the parser is, and leave its
 * path in c->path. Returns whether it was kept (not a duplicate's value).
 */
static bool place(struct ctx *c, json_t *v, yaml_mark_t m)
{
	struct frame *f;
	bool kept = true;

	if (!c->depth) {
		ms_buf_reset(&c->path);
		if (c->doc->root) {
			json_decref(v);
			return false;
		}
		c->doc->root = v;
		set_mark(c, 0, LINE(m), COL(m), LINE(m), COL(m));
		return true;
	}
	f = &c->frames[c->depth - 1];
	ms_buf_truncate(&c->path, f->path_len);
	if (json_is_object(f->node)) {
		if (c->path.len)
			ms_buf_addch(&c->path, '.');
		ms_buf_adds(&c->path, f->key);
		kept = !f->dropped && !f->key_dup;
		if (kept) {
			set_mark(c, c->depth, f->key_line, f->key_col, LINE(m),
				 COL(m));
			json_object_set_new_nocheck(f->node, f->key, v);
		} else {
			json_decref(v);
		}
		free(f->key);
		f->key = NULL;
		f->key_dup = false;
	} else {
		ms_buf_addf(&c->path, "[%zu]", f->index++);
		kept = !f->dropped;
		if (kept) {
			set_mark(c, c->depth, LINE(m), COL(m), LINE(m), COL(m));
			json_array_append_new(f->node, v);
		} else {
			json_decref(v);
		}
	}
	return kept;
}

static void add_anchor(struct ctx *c, const char *name, json_t *node,
		       size_t size, size_t bytes)
{
	struct anchor *a;

	if (c->n_anchors == c->alloc_anchors) {
		c->alloc_anchors = c->alloc_anchors ? 2 * c->alloc_anchors : 16;
		c->anchors = ms_realloc(c->anchors,
					c->alloc_anchors * sizeof(*c->anchors));
	}
	a = &c->anchors[c->n_anchors++];
	a->name = ms_strdup(name);
	a->node = json_incref(node);
	a->size = size;
	a->bytes = bytes;
}

static const struct anchor *find_anchor(struct ctx *c, const char *name)
{
	size_t i;

	/* a redefined anchor names its latest node */
	for (i = c->n_anchors; i > 0; i--)
		if (!strcmp(c->anchors[i - 1].name, name))
			return &c->anchors[i - 1];
	return NULL;
}

/* n values holding bytes bytes of text, counted against the limits */
static int count_node(struct ctx *c, size_t n, size_t bytes, yaml_mark_t m)
{
	if (n > MS_STACK_MAX_NODES - c->nodes) {
		problem(c, LINE(m), COL(m),
			"too many values (more than %d after alias expansion)",
			MS_STACK_MAX_NODES);
		return -1;
	}
	if (bytes > MS_STACK_MAX_VALUE_BYTES - c->bytes) {
		problem(c, LINE(m), COL(m),
			"values too large (more than %d MiB after alias "
			"expansion)",
			MS_STACK_MAX_VALUE_BYTES / (1024 * 1024));
		return -1;
	}
	c->nodes += n;
	c->bytes += bytes;
	return 0;
}

/* Whether a tag is one this reader understands; reports it if not. */
static bool tag_ok(struct ctx *c, const yaml_char_t *tag, yaml_mark_t m)
{
	const char *t = (const char *)tag;

	if (!t || !strcmp(t, "!") || !strncmp(t, "tag:yaml.org,2002:", 18))
		return true;
	problem(c, LINE(m), COL(m), "unsupported tag \"%s\"", t);
	return false;
}

static json_t *scalar_value(struct ctx *c, const yaml_event_t *e, bool *number)
{
	const char *s = (const char *)e->data.scalar.value;
	size_t len = e->data.scalar.length;
	const char *tag = (const char *)e->data.scalar.tag;
	json_t *v = NULL;
	bool plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;

	*number = false;
	if (strlen(s) != len)
		return NULL; /* a "\0" escape: no C string could carry it */
	if (tag && tag_ok(c, e->data.scalar.tag, e->start_mark))
		plain = strncmp(tag, "tag:yaml.org,2002:", 18) == 0 &&
			strcmp(tag + 18, "str") != 0;
	else if (tag)
		plain = false;
	if (plain && (v = plain_value(s, len))) {
		*number = json_is_number(v);
		return v;
	}
	return json_stringn_nocheck(s, len);
}

static void keep_raw(struct ctx *c, const json_t *v, const yaml_event_t *e)
{
	struct ms_buf b = MS_BUF_INIT;

	ms_expr_text(&b, v);
	if (b.len != e->data.scalar.length ||
	    memcmp(b.ptr, e->data.scalar.value, b.len))
		json_object_set_new_nocheck(
			c->doc->raw, c->path.ptr,
			json_stringn_nocheck((const char *)e->data.scalar.value,
					     e->data.scalar.length));
	ms_buf_release(&b);
}

/* A scalar, alias or collection start where a mapping key is expected. */
static int take_key(struct ctx *c, struct frame *f, const yaml_event_t *e)
{
	const char *k;

	if (e->type != YAML_SCALAR_EVENT) {
		problem(c, LINE(e->start_mark), COL(e->start_mark),
			"mapping keys must be plain strings");
		return -1;
	}
	k = (const char *)e->data.scalar.value;
	if (strlen(k) != e->data.scalar.length) {
		problem(c, LINE(e->start_mark), COL(e->start_mark),
			"mapping key holds a NUL character");
		return -1;
	}
	if (e->data.scalar.tag)
		tag_ok(c, e->data.scalar.tag, e->start_mark);
	f->key = ms_strdup(k);
	f->key_line = LINE(e->start_mark);
	f->key_col = COL(e->start_mark);
	f->key_dup = json_object_get(f->node, k) != NULL;
	if (f->key_dup && !f->dropped) {
		struct ms_buf p = MS_BUF_INIT;
		json_t *first;

		ms_buf_add(&p, c->path.ptr, f->path_len);
		if (p.len)
			ms_buf_addch(&p, '.');
		ms_buf_adds(&p, k);
		first = json_object_get(c->doc->marks, p.ptr);
		if (!first && c->shallow) {
			/* a problem: worth reading the file again for */
			if (!c->all_marks)
				c->all_marks = ms_yaml_marks(c->data, c->len);
			first = json_object_get(c->all_marks, p.ptr);
		}
		if (first)
			problem(c, f->key_line, f->key_col,
				"duplicate key \"%s\" (first defined at %d:%d)",
				k, int_at(first, 0), int_at(first, 1));
		else
			problem(c, f->key_line, f->key_col,
				"duplicate key \"%s\"", k);
		ms_buf_release(&p);
	}
	return 0;
}

static int on_scalar(struct ctx *c, const yaml_event_t *e)
{
	json_t *v;
	bool number, kept;

	if (count_node(c, 1, e->data.scalar.length, e->start_mark) < 0)
		return -1;
	if (c->depth && json_is_object(c->frames[c->depth - 1].node) &&
	    !c->frames[c->depth - 1].key)
		return take_key(c, &c->frames[c->depth - 1], e);
	v = scalar_value(c, e, &number);
	if (!v) {
		problem(c, LINE(e->start_mark), COL(e->start_mark),
			"string holds a NUL character");
		return -1;
	}
	if (e->data.scalar.anchor)
		add_anchor(c, (const char *)e->data.scalar.anchor, v, 1,
			   e->data.scalar.length);
	kept = place(c, v, e->start_mark);
	if (kept && number)
		keep_raw(c, v, e);
	return 0;
}

static int on_alias(struct ctx *c, const yaml_event_t *e)
{
	const char *name = (const char *)e->data.alias.anchor;
	const struct anchor *a;

	if (c->depth && json_is_object(c->frames[c->depth - 1].node) &&
	    !c->frames[c->depth - 1].key)
		return take_key(c, &c->frames[c->depth - 1], e);
	a = find_anchor(c, name);
	if (!a) {
		problem(c, LINE(e->start_mark), COL(e->start_mark),
			"unknown anchor \"%s\"", name);
		return -1;
	}
	if (++c->aliases > MS_STACK_MAX_ALIASES) {
		problem(c, LINE(e->start_mark), COL(e->start_mark),
			"too many aliases (more than %d)",
			MS_STACK_MAX_ALIASES);
		return -1;
	}
	if (count_node(c, a->size, a->bytes, e->start_mark) < 0)
		return -1;
	place(c, ms_json_copy(a->node), e->start_mark);
	return 0;
}

static int on_open(struct ctx *c, const yaml_event_t *e)
{
	bool mapping = e->type == YAML_MAPPING_START_EVENT;
	const yaml_char_t *tag = mapping ? e->data.mapping_start.tag :
					   e->data.sequence_start.tag;
	const yaml_char_t *anchor = mapping ? e->data.mapping_start.anchor :
					      e->data.sequence_start.anchor;
	struct frame *f, *parent = c->depth ? &c->frames[c->depth - 1] : NULL;
	json_t *node;
	bool dropped;

	if (parent && json_is_object(parent->node) && !parent->key)
		return take_key(c, parent, e);
	if (c->depth >= MS_STACK_MAX_DEPTH) {
		problem(c, LINE(e->start_mark), COL(e->start_mark),
			"nesting deeper than %d levels", MS_STACK_MAX_DEPTH);
		return -1;
	}
	tag_ok(c, tag, e->start_mark);
	if (count_node(c, 1, 0, e->start_mark) < 0)
		return -1;
	node = mapping ? json_object() : json_array();
	json_incref(node);
	dropped = !place(c, node, e->start_mark) || (parent && parent->dropped);
	f = &c->frames[c->depth++];
	memset(f, 0, sizeof(*f));
	f->node = node;
	f->path_len = c->path.len;
	f->anchor = anchor ? ms_strdup((const char *)anchor) : NULL;
	f->nodes_at_start = c->nodes - 1;
	f->bytes_at_start = c->bytes;
	f->dropped = dropped;
	return 0;
}

static void on_close(struct ctx *c)
{
	struct frame *f = &c->frames[--c->depth];

	if (f->anchor)
		add_anchor(c, f->anchor, f->node, c->nodes - f->nodes_at_start,
			   c->bytes - f->bytes_at_start);
	free(f->anchor);
	free(f->key);
	json_decref(f->node);
	memset(f, 0, sizeof(*f));
}

static void syntax_error(struct ctx *c, const yaml_parser_t *p,
			 const char *data, size_t len)
{
	int line = LINE(p->problem_mark), col = COL(p->problem_mark);
	const char *what = p->problem ? p->problem : "cannot be parsed";
	size_t i;

	if (p->error == YAML_MEMORY_ERROR) {
		problem(c, line, col, "out of memory reading the YAML");
	} else if (p->error == YAML_READER_ERROR) {
		/* the reader reports an offset, not a mark */
		line = col = 1;
		for (i = 0; i < p->problem_offset && i < len; i++) {
			if (data[i] == '\n') {
				line++;
				col = 1;
			} else if (((unsigned char)data[i] & 0xc0) != 0x80) {
				col++;
			}
		}
		problem(c, line, col, "invalid YAML: %s", what);
	} else if (p->context) {
		problem(c, line, col, "invalid YAML: %s (%s started at %d:%d)",
			what, p->context, LINE(p->context_mark),
			COL(p->context_mark));
	} else {
		problem(c, line, col, "invalid YAML: %s", what);
	}
}

/* The events of a file from this size on come from a thread (struct feed) */
#define FEED_MIN     (64 * 1024)
#define FEED_BATCH   256
#define FEED_BATCHES 4

/*
 * The parser's events, made on a thread of their own: the thread fills
 * batches (a ring of FEED_BATCHES) and the reader takes them in order.
 * The batch being read and the ones not yet taken stay the reader's to
 * delete when it stops early. Counts only grow: filled - taken batches
 * are waiting, and filled - read are in use (the one being read too).
 */
struct feed {
	yaml_parser_t *parser;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t more, room;
	yaml_event_t events[FEED_BATCHES][FEED_BATCH];
	size_t n[FEED_BATCHES];     /* events in each filled batch */
	size_t filled, taken, read; /* batches, since the start */
	bool ended;                 /* the stream ended, or the parser failed */
	bool stop;                  /* the reader wants no more */
	/* the reader's: the batch it reads (taken - 1) and where */
	bool reading;
	size_t at;
};

static void *feed_main(void *arg)
{
	struct feed *f = arg;
	yaml_event_t *batch;
	size_t k, slot;
	bool last = false;

	while (!last) {
		pthread_mutex_lock(&f->lock);
		while (f->filled - f->read == FEED_BATCHES && !f->stop)
			pthread_cond_wait(&f->room, &f->lock);
		slot = f->filled % FEED_BATCHES;
		last = f->stop;
		pthread_mutex_unlock(&f->lock);
		if (last)
			break;
		batch = f->events[slot];
		for (k = 0; k < FEED_BATCH && !last; k++) {
			if (!yaml_parser_parse(f->parser, &batch[k]))
				last = true; /* the parser's error says why */
			else if (batch[k].type == YAML_STREAM_END_EVENT)
				last = true, k++;
			if (last)
				break;
		}
		pthread_mutex_lock(&f->lock);
		f->n[slot] = k;
		f->filled++;
		f->ended = last;
		pthread_cond_signal(&f->more);
		pthread_mutex_unlock(&f->lock);
	}
	return NULL;
}

/* The next event: 0, or -1 when the parser failed (its error is set). */
static int feed_next(struct feed *f, yaml_event_t *e)
{
	size_t slot = (f->taken - 1) % FEED_BATCHES;

	while (!f->reading || f->at == f->n[slot]) {
		pthread_mutex_lock(&f->lock);
		if (f->reading) {
			f->reading = false;
			f->read++;
			pthread_cond_signal(&f->room);
		}
		while (f->filled == f->taken && !f->ended)
			pthread_cond_wait(&f->more, &f->lock);
		if (f->filled == f->taken) {
			pthread_mutex_unlock(&f->lock);
			return -1;
		}
		slot = f->taken++ % FEED_BATCHES;
		f->reading = true;
		f->at = 0;
		pthread_mutex_unlock(&f->lock);
	}
	*e = f->events[slot][f->at++];
	return 0;
}

/* Stop the thread and delete the events nobody read. */
static void feed_end(struct feed *f)
{
	size_t b, i;

	pthread_mutex_lock(&f->lock);
	f->stop = true;
	pthread_cond_signal(&f->room);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	if (f->reading)
		for (i = f->at; i < f->n[(f->taken - 1) % FEED_BATCHES]; i++)
			yaml_event_delete(
				&f->events[(f->taken - 1) % FEED_BATCHES][i]);
	for (b = f->taken; b < f->filled; b++)
		for (i = 0; i < f->n[b % FEED_BATCHES]; i++)
			yaml_event_delete(&f->events[b % FEED_BATCHES][i]);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->more);
	pthread_cond_destroy(&f->room);
	free(f);
}

/* A feed for parser, or NULL (a small file, or no thread: read directly). */
static struct feed *feed_start(yaml_parser_t *parser, size_t len)
{
	struct feed *f;

	if (len < FEED_MIN)
		return NULL;
	f = ms_calloc(1, sizeof(*f));
	f->parser = parser;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->more, NULL);
	pthread_cond_init(&f->room, NULL);
	if (pthread_create(&f->thread, NULL, feed_main, f)) {
		pthread_mutex_destroy(&f->lock);
		pthread_cond_destroy(&f->more);
		pthread_cond_destroy(&f->room);
		free(f);
		return NULL;
	}
	return f;
}

static int parse(struct ms_yaml_doc *out, const char *data, size_t len,
		 json_t *diags, bool shallow)
{
	struct ctx c;
	yaml_parser_t parser;
	yaml_event_t e;
	struct feed *feed = NULL;
	bool parser_ok = false, done = false;
	size_t i;

	memset(&c, 0, sizeof(c));
	memset(out, 0, sizeof(*out));
	out->marks = json_object();
	out->raw = json_object();
	c.diags = diags;
	c.doc = out;
	c.shallow = shallow;
	c.data = data;
	c.len = len;
	ms_buf_init(&c.path, 64);

	if (!yaml_parser_initialize(&parser)) {
		problem(&c, 1, 1, "cannot initialize the YAML parser");
		goto done;
	}
	parser_ok = true;
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	feed = feed_start(&parser, len);
	while (!done) {
		int err = 0;

		if (feed ? feed_next(feed, &e) < 0 :
			   !yaml_parser_parse(&parser, &e)) {
			if (feed)
				feed_end(feed); /* the parser is still now */
			feed = NULL;
			syntax_error(&c, &parser, data, len);
			break;
		}
		switch (e.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++c.docs > 1) {
				problem(&c, LINE(e.start_mark),
					COL(e.start_mark),
					"only one YAML document is allowed "
					"in a stack file");
				err = -1;
			}
			break;
		case YAML_SCALAR_EVENT:
			err = on_scalar(&c, &e);
			break;
		case YAML_ALIAS_EVENT:
			err = on_alias(&c, &e);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			err = on_open(&c, &e);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			on_close(&c);
			break;
		default:
			break;
		}
		yaml_event_delete(&e);
		if (err < 0)
			break;
	}
	out->complete = done;
	if (feed)
		feed_end(feed);
done:
	while (c.depth)
		on_close(&c);
	for (i = 0; i < c.n_anchors; i++) {
		free(c.anchors[i].name);
		json_decref(c.anchors[i].node);
	}
	free(c.anchors);
	ms_buf_release(&c.path);
	if (parser_ok)
		yaml_parser_delete(&parser);
	out->shallow = shallow;
	if (c.all_marks) {
		/* read again already: no need to read it a third time */
		json_decref(out->marks);
		out->marks = c.all_marks;
		out->shallow = false;
	}
	return c.failed ? -1 : 0;
}

int ms_yaml_parse(struct ms_yaml_doc *out, const char *data, size_t len,
		  json_t *diags)
{
	return parse(out, data, len, diags, false);
}

int ms_yaml_parse_shallow(struct ms_yaml_doc *out, const char *data, size_t len,
			  json_t *diags)
{
	return parse(out, data, len, diags, true);
}

json_t *ms_yaml_marks(const char *data, size_t len)
{
	struct ms_yaml_doc doc;
	json_t *diags = json_array(), *marks;

	parse(&doc, data, len, diags, false);
	marks = json_incref(doc.marks);
	ms_yaml_doc_release(&doc);
	json_decref(diags);
	return marks;
}

void ms_yaml_doc_release(struct ms_yaml_doc *doc)
{
	json_decref(doc->root);
	json_decref(doc->marks);
	json_decref(doc->raw);
	memset(doc, 0, sizeof(*doc));
}
