/*
 * bucket.c - aws_s3_bucket: an S3 bucket, its versioning, its public access
 * block (on by default) and its tags, over REST-XML.
 *
 * create and update return the settings they asked S3 to hold instead of
 * reading them back: S3 bucket configuration is eventually consistent, so
 * a read right after a write may show the old value. The next refresh reads
 * the truth. force_destroy is ours alone; S3 never hears of it.
 *
 * Refresh reads many buckets at once (bucket_read_many): ListBuckets and
 * the tagging API stand for HeadBucket and GetBucketTagging, and each
 * bucket's versioning and public access block are read beside them
 * (docs/refresh.md).
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/aws/aws.h"
#include "providers/s3/s3.h"
#include "providers/kit.h"

static const struct ms_attr schema[] = {
	{ "bucket", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL,
	  NULL, "the bucket's name (globally unique)" },
	{ "force_destroy", MS_ATTR_BOOL, 0, "false", NULL,
	  "empty the bucket (all objects and versions) before deleting it" },
	{ "versioning", MS_ATTR_BOOL, 0, "false", NULL,
	  "keep every version of every object" },
	{ "block_public_access", MS_ATTR_BOOL, 0, "true", NULL,
	  "turn on all four settings of the public access block" },
	{ "tags", MS_ATTR_MAP, MS_ATTR_TAGS, "{}", NULL,
	  "tags (with the stack's default tags and its owner mark)" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the bucket name" },
	{ "name", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the bucket name" },
	{ "region", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "its region" },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

/* BucketExists waiter (botocore): HeadBucket every 5 s, 20 times. */
#define PROPAGATION_DELAY    5.0
#define PROPAGATION_ATTEMPTS 20

/* One bucket being worked on, and the response its calls reuse. */
struct bucket {
	struct ms_call *call;
	const char *name;
	char *region;
	bool fresh; /* just created: it may not be visible everywhere yet */
	struct ms_aws_response res;
	struct ms_aws_error error; /* of the last call that failed */
};

/* The settings S3 holds for a bucket, defaults filled in. */
struct settings {
	bool versioning;
	bool block;
	json_t *tags; /* owned */
};

static bool attr_bool(const json_t *attrs, const char *key, bool dflt)
{
	const json_t *v = json_object_get(attrs, key);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static void settings_init(struct settings *s, const json_t *attrs)
{
	const json_t *tags = json_object_get(attrs, "tags");

	s->versioning = attr_bool(attrs, "versioning", false);
	s->block = attr_bool(attrs, "block_public_access", true);
	s->tags = json_is_object(tags) ? json_incref((json_t *)tags) :
					 json_object();
}

static void settings_release(struct settings *s)
{
	json_decref(s->tags);
	s->tags = NULL;
}

static const char *client_region(struct ms_call *call)
{
	const char *r = ms_aws_region(call->aws);

	return r && *r ? r : "us-east-1";
}

static void bucket_init(struct bucket *b, struct ms_call *call,
			const char *name, const char *region)
{
	b->call = call;
	b->name = name;
	b->region = ms_strdup(region ? region : client_region(call));
	b->fresh = false;
	ms_aws_response_init(&b->res);
	memset(&b->error, 0, sizeof(b->error));
}

static void bucket_release(struct bucket *b)
{
	free(b->region);
	b->region = NULL;
	ms_aws_response_release(&b->res);
	ms_aws_error_release(&b->error);
}

static bool failed_with(const struct bucket *b, const char *code)
{
	return ms_aws_error_is(&b->error, code, NULL);
}

/*
 * One call on the bucket. Right after CreateBucket, S3 may still answer
 * NoSuchBucket for a while; those answers are waited out as the
 * BucketExists waiter does.
 */
static int bucket_send(struct bucket *b, const char *operation,
		       const char *method, const char *query,
		       const struct ms_buf *body)
{
	int attempt, err;

	for (attempt = 1;; attempt++) {
		err = ms_s3_send(&b->res, b->call->aws, b->region, operation,
				 method, b->name, query, body);
		if (err)
			ms_aws_error_from(&b->error, &b->res);
		else
			ms_aws_error_release(&b->error);
		if (!err || !b->fresh || !failed_with(b, "NoSuchBucket") ||
		    attempt >= PROPAGATION_ATTEMPTS)
			return err;
		ms_call_progress(b->call, "waiting for bucket '%s' to appear",
				 b->name);
		ms_sleep(PROPAGATION_DELAY);
	}
}

/* A call with an XML body built by one of s3.h's builders. */
static int bucket_send_xml(struct bucket *b, const char *operation,
			   const char *query, struct ms_buf *body,
			   int build_err)
{
	int err = build_err;

	if (!err)
		err = bucket_send(b, operation, "PUT", query, body);
	ms_buf_release(body);
	return err;
}

static int put_versioning(struct bucket *b, bool enabled)
{
	struct ms_buf body = MS_BUF_INIT;

	return bucket_send_xml(b, "PutBucketVersioning", "versioning", &body,
			       ms_s3_versioning_xml(&body, enabled));
}

static int set_public_access_block(struct bucket *b, bool on)
{
	struct ms_buf body = MS_BUF_INIT;

	int err;

	if (!on) {
		err = bucket_send(b, "DeletePublicAccessBlock", "DELETE",
				  "publicAccessBlock", NULL);
		if (err &&
		    failed_with(b, "NoSuchPublicAccessBlockConfiguration")) {
			ms_error_clear();
			err = 0;
		}
		return err;
	}
	return bucket_send_xml(b, "PutPublicAccessBlock", "publicAccessBlock",
			       &body,
			       ms_s3_public_access_block_xml(&body, true));
}

static int set_tags(struct bucket *b, const json_t *tags)
{
	struct ms_buf body = MS_BUF_INIT;

	if (!json_object_size(tags))
		return bucket_send(b, "DeleteBucketTagging", "DELETE",
				   "tagging", NULL);
	return bucket_send_xml(b, "PutBucketTagging", "tagging", &body,
			       ms_s3_tagging_xml(&body, tags));
}

/*
 * Bring the bucket's settings from have to want, the public access block
 * first so that a bucket never stays open longer than it must.
 */
static int apply_changes(struct bucket *b, const struct settings *have,
			 const struct settings *want)
{
	int err = 0;

	if (have->block != want->block)
		err = set_public_access_block(b, want->block);
	/* never enabled and not wanted: leave it, Suspended is not "off" */
	if (!err && have->versioning != want->versioning)
		err = put_versioning(b, want->versioning);
	if (!err && !json_equal(have->tags, want->tags))
		err = set_tags(b, want->tags);
	return err;
}

/* The attributes of bucket name in region, as s has its settings. */
static json_t *bucket_attrs(const char *name, const char *region,
			    const struct settings *s, bool force_destroy)
{
	json_t *o = json_object();

	json_object_set_new(o, "bucket", json_string(name));
	json_object_set_new(o, "id", json_string(name));
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "arn", json_sprintf("arn:aws:s3:::%s", name));
	json_object_set_new(o, "region", json_string(region));
	json_object_set_new(o, "force_destroy", json_boolean(force_destroy));
	json_object_set_new(o, "versioning", json_boolean(s->versioning));
	json_object_set_new(o, "block_public_access", json_boolean(s->block));
	json_object_set(o, "tags", s->tags);
	return o;
}

/*
 * The text of path below the root element of the last answer, or of the
 * root element itself when path is NULL; NULL when absent.
 */
static char *answer_text(struct bucket *b, const char *operation,
			 const char *path, int *err)
{
	xmlDoc *doc = NULL;
	xmlChar *content;
	char *text = NULL;

	*err = ms_s3_parse(&doc, &b->res, operation);
	if (*err)
		return NULL;
	if (path) {
		text = ms_xml_text(xmlDocGetRootElement(doc), path);
	} else {
		content = xmlNodeGetContent(xmlDocGetRootElement(doc));
		if (content)
			text = ms_strdup((const char *)content);
		xmlFree(content);
	}
	xmlFreeDoc(doc);
	return text;
}

/*
 * HeadBucket, following a 301 to the bucket's own region once. *exists is
 * false on 404. b->region becomes the bucket's region.
 */
static int head(struct bucket *b, bool *exists)
{
	char *region = NULL, *loc;
	int err, redirects = 0;

	*exists = false;
	for (;;) {
		err = bucket_send(b, "HeadBucket", "HEAD", NULL, NULL);
		if (err && b->res.status == 404) {
			ms_error_clear();
			return 0;
		}
		/* any other failure (AccessDenied, an unreachable endpoint)
		 * keeps its own message: looking for a header that is not
		 * there would replace it */
		if (err && b->res.status != 301)
			goto done;
		if (ms_aws_response_header(&b->res, "x-amz-bucket-region",
					   &region) &&
		    err) {
			err = ms_error("bucket '%s': HeadBucket: moved (301) "
				       "to a region S3 does not name",
				       b->name);
			goto done;
		}
		if (err && !redirects++ && strcmp(region, b->region)) {
			free(b->region);
			b->region = region;
			region = NULL;
			continue;
		}
		break;
	}
	if (err)
		goto done;
	*exists = true;
	if (region && *region) {
		free(b->region);
		b->region = region;
		region = NULL;
		goto done;
	}
	/* no header: ask GetBucketLocation ("" is us-east-1, "EU" eu-west-1) */
	err = bucket_send(b, "GetBucketLocation", "GET", "location", NULL);
	if (err)
		goto done;
	loc = answer_text(b, "GetBucketLocation", NULL, &err);
	if (err)
		goto done;
	free(b->region);
	if (!loc || !*loc)
		b->region = ms_strdup("us-east-1");
	else if (!strcmp(loc, "EU"))
		b->region = ms_strdup("eu-west-1");
	else
		b->region = ms_strdup(loc);
	free(loc);
done:
	free(region);
	return err;
}

/* GetBucketVersioning: whether versioning is Enabled. */
static int read_versioning(struct bucket *b, bool *on)
{
	char *status;
	int err;

	*on = false;
	err = bucket_send(b, "GetBucketVersioning", "GET", "versioning", NULL);
	if (err)
		return err;
	status = answer_text(b, "GetBucketVersioning", "Status", &err);
	*on = !err && status && !strcmp(status, "Enabled");
	free(status);
	return err;
}

/* GetPublicAccessBlock: whether all four settings are on (none: off). */
static int read_block(struct bucket *b, bool *on)
{
	static const char *const flags[] = {
		"BlockPublicAcls",
		"IgnorePublicAcls",
		"BlockPublicPolicy",
		"RestrictPublicBuckets",
	};
	xmlDoc *doc = NULL;
	xmlNode *root;
	char *flag;
	size_t i;
	int err;

	*on = false;
	err = bucket_send(b, "GetPublicAccessBlock", "GET", "publicAccessBlock",
			  NULL);
	if (err && failed_with(b, "NoSuchPublicAccessBlockConfiguration")) {
		ms_error_clear();
		return 0;
	}
	if (!err)
		err = ms_s3_parse(&doc, &b->res, "GetPublicAccessBlock");
	if (err)
		return err;
	root = xmlDocGetRootElement(doc);
	*on = true;
	for (i = 0; i < MS_ARRAY_SIZE(flags); i++) {
		flag = ms_xml_text(root, flags[i]);
		if (!flag || strcmp(flag, "true"))
			*on = false;
		free(flag);
	}
	xmlFreeDoc(doc);
	return 0;
}

/* GetBucketTagging: the bucket's tags (none: {}) into *tags (new). */
static int read_tags(struct bucket *b, json_t **tags)
{
	xmlDoc *doc = NULL;
	int err;

	*tags = NULL;
	err = bucket_send(b, "GetBucketTagging", "GET", "tagging", NULL);
	if (err && failed_with(b, "NoSuchTagSet")) {
		ms_error_clear();
		*tags = json_object();
		return 0;
	}
	if (!err)
		err = ms_s3_parse(&doc, &b->res, "GetBucketTagging");
	if (!err)
		err = ms_s3_tagging_parse(tags, doc);
	if (doc)
		xmlFreeDoc(doc);
	return err;
}

/* The settings S3 holds now; *exists false when the bucket is gone. */
static int read_settings(struct settings *out, bool *exists, struct bucket *b)
{
	int err;

	out->versioning = false;
	out->block = false;
	out->tags = NULL;
	err = head(b, exists);
	if (err || !*exists)
		return err;

	err = read_versioning(b, &out->versioning);
	if (!err)
		err = read_block(b, &out->block);
	if (!err)
		err = read_tags(b, &out->tags);
	if (err && failed_with(b, "NoSuchBucket")) {
		/* deleted between the calls */
		ms_error_clear();
		*exists = false;
		err = 0;
	}
	if (err || !*exists)
		settings_release(out);
	return err;
}

static int bucket_read(struct ms_call *call, const json_t *prior, json_t **out)
{
	const char *name = ms_kit_str(prior, "id", NULL);
	struct settings live = { false, false, NULL };
	struct bucket b;
	bool exists;
	int err;

	*out = NULL;
	if (!name)
		name = ms_kit_str(prior, "bucket", NULL);
	if (!name)
		return ms_error("aws_s3_bucket: no bucket name in the prior "
				"state");
	bucket_init(&b, call, name, ms_kit_str(prior, "region", NULL));
	err = read_settings(&live, &exists, &b);
	if (!err && exists)
		*out = bucket_attrs(b.name, b.region, &live,
				    attr_bool(prior, "force_destroy", false));
	settings_release(&live);
	bucket_release(&b);
	return err;
}

/* ListBuckets' page size: the largest S3 takes. */
#define LIST_PAGE 10000

/* One bucket a refresh of many may settle. */
struct listed_bucket {
	const char *name; /* the resource's */
	const char *bucket;
	const json_t *prior;
	struct settings live;
	/* its versioning, public access block and tags: unread */
	bool missed[3];
	bool ask_tags; /* the tagging API's are not the recorded ones */
};

/* A refresh of many buckets (bucket_read_many). */
struct many {
	struct ms_call *call;
	const char *region; /* the client's */
	json_t *listed;     /* bucket -> its BucketRegion ("" when not told) */
	json_t *tagged;     /* ARN -> tags (the tagging API) */
	bool tags_cut;      /* the tagging API's pages were not all read */
	struct listed_bucket *list;
	size_t n;
	size_t *asked; /* the buckets whose tags are read one by one */
};

/*
 * Every page of ListBuckets in the client's region (bucket-region), by
 * its ContinuationToken, up to the call's list_pages: each bucket's name
 * and region into m->listed.
 */
static int list_buckets(struct many *m)
{
	struct ms_aws_response res;
	struct ms_buf query = MS_BUF_INIT;
	char *token = NULL, *last = NULL, *name, *region;
	xmlDoc *doc = NULL;
	xmlNode *n;
	size_t pages = 0;
	int err = 0;

	ms_aws_response_init(&res);
	m->listed = json_object();
	do {
		ms_buf_reset(&query);
		ms_buf_adds(&query, "bucket-region=");
		ms_aws_uri_encode(&query, m->region, strlen(m->region), 0);
		if (token) {
			ms_buf_adds(&query, "&continuation-token=");
			ms_aws_uri_encode(&query, token, strlen(token), 0);
		}
		ms_buf_addf(&query, "&max-buckets=%d",
			    ms_kit_page_size(LIST_PAGE));
		free(last);
		last = token;
		token = NULL;
		err = ms_s3_send(&res, m->call->aws, m->region, "ListBuckets",
				 "GET", "", query.ptr, NULL);
		if (!err)
			err = ms_s3_parse(&doc, &res, "ListBuckets");
		if (err)
			break;
		for (n = ms_xml_find(xmlDocGetRootElement(doc),
				     "Buckets/Bucket");
		     n; n = ms_xml_next(n, "Bucket")) {
			name = ms_xml_text(n, "Name");
			region = ms_xml_text(n, "BucketRegion");
			if (name)
				json_object_set_new(
					m->listed, name,
					json_string(region ? region : ""));
			free(name);
			free(region);
		}
		token = ms_xml_text(xmlDocGetRootElement(doc),
				    "ContinuationToken");
		xmlFreeDoc(doc);
		doc = NULL;
		if (token && !*token) {
			free(token);
			token = NULL;
		}
		if (token && last && !strcmp(token, last))
			err = ms_error("ListBuckets: the same continuation "
				       "token twice");
	} while (!err && token && ++pages != m->call->list_pages);
	free(token);
	free(last);
	ms_buf_release(&query);
	ms_aws_response_release(&res);
	return err;
}

/* Read part (0 versioning, 1 public access block, 2 tags) of bucket o. */
static void read_one(struct many *m, struct listed_bucket *o, int part)
{
	struct bucket b;
	int err;

	bucket_init(&b, m->call, o->bucket, m->region);
	if (part == 2)
		err = read_tags(&b, &o->live.tags);
	else if (part)
		err = read_block(&b, &o->live.block);
	else
		err = read_versioning(&b, &o->live.versioning);
	/* gone, moved or refused: its own read says which */
	if (err) {
		ms_error_clear();
		o->missed[part] = true;
	}
	bucket_release(&b);
}

/*
 * Part i of a refresh of many: ListBuckets, the tagging API, then each
 * bucket's versioning and public access block. None needs another, so
 * all run at once.
 */
static int read_part(size_t i, void *payload)
{
	struct many *m = payload;

	if (i == 0)
		return list_buckets(m);
	if (i == 1)
		return ms_kit_tagged(&m->tagged, m->call->aws, "s3",
				     m->call->list_pages, &m->tags_cut);
	read_one(m, &m->list[(i - 2) / 2], (int)((i - 2) % 2));
	return 0;
}

/* The tags of the i-th bucket the tagging API did not show as recorded. */
static int read_asked(size_t i, void *payload)
{
	struct many *m = payload;

	read_one(m, &m->list[m->asked[i]], 2);
	return 0;
}

/*
 * Whether the lists show o as the state recorded it: listed in the region,
 * its two reads answered; o->ask_tags when all but its tags are.
 */
static bool listed_as_recorded(struct many *m, struct listed_bucket *o)
{
	const json_t *region = json_object_get(m->listed, o->bucket);
	const json_t *had = json_object_get(o->prior, "tags");
	json_t *tags;
	char *arn;

	if (o->missed[0] || o->missed[1] || !region ||
	    (*json_string_value(region) &&
	     strcmp(json_string_value(region), m->region)))
		return false;
	arn = ms_asprintf("arn:aws:s3:::%s", o->bucket);
	tags = json_object_get(m->tagged, arn);
	free(arn);
	/*
	 * Tags the tagging API does not show as recorded may be it lagging
	 * behind an apply, or on a page not read: GetBucketTagging decides.
	 */
	o->ask_tags = tags ? !json_equal(tags, had) :
			     m->tags_cut || json_object_size(had);
	if (!o->ask_tags)
		o->live.tags = tags ? json_incref(tags) : json_object();
	return true;
}

/*
 * Refresh of many buckets (docs/refresh.md): ListBuckets proves which
 * exist in the client's region, the tagging API gives their tags, and
 * each still takes GetBucketVersioning and GetPublicAccessBlock, which no
 * list gives: two calls a bucket instead of four. A bucket whose tags the
 * tagging API does not show as recorded takes GetBucketTagging too. One
 * recorded in another region, not listed, or read with an error is read
 * alone.
 */
static int bucket_read_many(struct ms_call *call, const json_t *priors,
			    json_t **out)
{
	struct many m = { call, client_region(call), NULL, NULL, false, NULL, 0,
			  NULL };
	struct listed_bucket *o;
	const char *name, *bucket;
	json_t *prior;
	size_t i, asked = 0;
	int err;

	*out = NULL;
	m.list = ms_calloc(json_object_size(priors) + 1, sizeof(*m.list));
	m.asked = ms_calloc(json_object_size(priors) + 1, sizeof(*m.asked));
	json_object_foreach((json_t *)priors, name, prior) {
		bucket = ms_kit_str(prior, "id", NULL);
		if (!bucket)
			bucket = ms_kit_str(prior, "bucket", NULL);
		if (!bucket ||
		    strcmp(ms_kit_str(prior, "region", ""), m.region))
			continue;
		m.list[m.n].name = name;
		m.list[m.n].bucket = bucket;
		m.list[m.n].prior = prior;
		m.n++;
	}
	err = m.n ? ms_kit_parallel(2 + 2 * m.n, call->parallelism, read_part,
				    &m) :
		    0;
	for (i = 0; !err && i < m.n; i++)
		if (listed_as_recorded(&m, &m.list[i]) && m.list[i].ask_tags)
			m.asked[asked++] = i;
	if (!err && asked)
		err = ms_kit_parallel(asked, call->parallelism, read_asked, &m);
	if (!err) {
		*out = json_object();
		for (i = 0; i < m.n; i++) {
			o = &m.list[i];
			if (!o->live.tags || o->missed[2])
				continue;
			json_object_set_new(
				*out, o->name,
				bucket_attrs(o->bucket, m.region, &o->live,
					     attr_bool(o->prior,
						       "force_destroy",
						       false)));
		}
	}
	for (i = 0; i < m.n; i++)
		settings_release(&m.list[i].live);
	free(m.list);
	free(m.asked);
	json_decref(m.listed);
	json_decref(m.tagged);
	return err;
}

/*
 * The bucket exists already: ours when it carries this resource's owner
 * mark, or when it carries no tags at all and fresh is set (S3 said no
 * such bucket just before our CreateBucket, so that create, retried after
 * its answer was lost, made it). Anyone else's is refused.
 */
static int adopt(struct settings *have, struct bucket *b, bool fresh)
{
	char what[300];
	bool exists;
	int err;

	err = read_settings(have, &exists, b);
	if (!err && !exists)
		err = ms_error("bucket '%s': S3 says it is ours, but it cannot "
			       "be read",
			       b->name);
	if (err)
		return err;
	if (!ms_call_owns(b->call, have->tags) &&
	    !(fresh && !json_object_size(have->tags))) {
		snprintf(what, sizeof(what), "bucket '%s'", b->name);
		return ms_call_taken(b->call, what, b->name);
	}
	ms_log(MS_LOG_INFO, "s3", "bucket '%s' is ours already: adopting it",
	       b->name);
	return 0;
}

static int bucket_create(struct ms_call *call, const json_t *desired,
			 json_t **out)
{
	const char *name = ms_kit_str(desired, "bucket", NULL);
	struct settings want, have = { false, false, NULL };
	struct ms_buf body = MS_BUF_INIT;
	struct bucket b;
	bool exists;
	int err;

	*out = NULL;
	if (!name)
		return ms_error("aws_s3_bucket: no bucket name");
	settings_init(&want, desired);
	bucket_init(&b, call, name, NULL);

	/*
	 * Look first: in us-east-1, CreateBucket on a bucket the account
	 * owns already answers 200, as if it had made it.
	 */
	err = head(&b, &exists);
	if (err && b.error.status == 403) {
		err = ms_error("bucket '%s': the name is taken by another "
			       "account (bucket names are global across all "
			       "of AWS); choose another",
			       name);
		goto done;
	}
	if (err)
		goto done;
	if (exists) {
		err = adopt(&have, &b, false);
		if (err)
			goto done;
		goto settle;
	}

	/* us-east-1 takes no LocationConstraint, every other region needs it */
	if (strcmp(b.region, "us-east-1")) {
		err = ms_s3_location_xml(&body, b.region);
		if (err)
			goto done;
	}
	err = bucket_send(&b, "CreateBucket", "PUT", NULL,
			  body.len ? &body : NULL);
	b.fresh = true;
	if (err && failed_with(&b, "BucketAlreadyOwnedByYou")) {
		ms_error_clear();
		err = adopt(&have, &b, true);
	} else if (err && failed_with(&b, "BucketAlreadyExists")) {
		err = ms_error("bucket '%s': the name is taken by another "
			       "account (bucket names are global across all of "
			       "AWS); choose another",
			       name);
	} else if (!err) {
		/*
		 * A new bucket has no versioning and no tags. Its public
		 * access block depends on the account's defaults, so set it
		 * either way. The owner mark goes on first.
		 */
		have.tags = json_object();
		have.block = !want.block;
		err = set_tags(&b, want.tags);
		if (!err) {
			json_decref(have.tags);
			have.tags = json_incref(want.tags);
		}
	}
	if (err)
		goto done;
settle:
	err = apply_changes(&b, &have, &want);
	if (err)
		goto done;
	*out = bucket_attrs(b.name, b.region, &want,
			    attr_bool(desired, "force_destroy", false));
done:
	ms_buf_release(&body);
	settings_release(&want);
	settings_release(&have);
	bucket_release(&b);
	return err;
}

static int bucket_update(struct ms_call *call, const json_t *prior,
			 const json_t *desired, json_t **out)
{
	const char *name = ms_kit_str(prior, "id", NULL);
	struct settings have, want;
	struct bucket b;
	int err;

	*out = NULL;
	if (!name)
		name = ms_kit_str(desired, "bucket", NULL);
	if (!name)
		return ms_error("aws_s3_bucket: no bucket name");
	settings_init(&have, prior);
	settings_init(&want, desired);
	bucket_init(&b, call, name, ms_kit_str(prior, "region", NULL));
	err = apply_changes(&b, &have, &want);
	if (!err)
		*out = bucket_attrs(b.name, b.region, &want,
				    attr_bool(desired, "force_destroy", false));
	settings_release(&have);
	settings_release(&want);
	bucket_release(&b);
	return err;
}

static int bucket_delete(struct ms_call *call, const json_t *prior)
{
	const char *name = ms_kit_str(prior, "id", NULL);
	struct bucket b;
	int err = 0;

	if (!name)
		name = ms_kit_str(prior, "bucket", NULL);
	if (!name)
		return ms_error("aws_s3_bucket: no bucket name in the prior "
				"state");
	bucket_init(&b, call, name, ms_kit_str(prior, "region", NULL));
	if (attr_bool(prior, "force_destroy", false))
		err = ms_s3_empty(call, b.region, name);
	if (!err)
		err = bucket_send(&b, "DeleteBucket", "DELETE", NULL, NULL);
	if (err && (failed_with(&b, "NoSuchBucket") || b.error.status == 404)) {
		ms_error_clear();
		err = 0;
	} else if (err && failed_with(&b, "BucketNotEmpty")) {
		err = ms_error("bucket '%s' is not empty: set force_destroy: "
			       "true (and apply) to delete it with all its "
			       "objects",
			       name);
	}
	bucket_release(&b);
	return err;
}

/* Tag values are strings in S3: "version: 1" in YAML must not diff. */
static int bucket_normalize(json_t *attrs)
{
	ms_kit_strings(json_object_get(attrs, "tags"));
	return 0;
}

/* Seconds a bucket's CreationDate may precede the intent (clock skew). */
#define CLAIM_SKEW 60

/*
 * An unmarked bucket found by the recovery of an interrupted create: the
 * mark goes on by a call after CreateBucket, and the run may have died in
 * between. It is that create's when it has no tags at all and S3 says it
 * was made after the create was journaled.
 */
static int bucket_claim(struct ms_call *call, const json_t *live, double since,
			bool *ours)
{
	const char *name = ms_kit_str(live, "bucket", NULL);
	double created = -1;
	int err;

	*ours = false;
	if (!name || json_object_size(json_object_get(live, "tags")))
		return 0;
	err = ms_s3_creation_time(&created, call->aws, name);
	*ours = !err && created >= since - CLAIM_SKEW;
	return err;
}

/* Four groups of digits between dots, "192.168.5.4". */
static bool ip_form(const char *name)
{
	size_t groups = 0, digits = 0;
	const char *p;

	for (p = name;; p++) {
		if (*p >= '0' && *p <= '9') {
			digits++;
			continue;
		}
		if ((*p != '.' && *p) || !digits || digits > 3)
			return false;
		groups++;
		digits = 0;
		if (!*p)
			return groups == 4;
	}
}

/*
 * What S3's naming rules refuse beyond the length and the characters:
 * two periods in a row, the form of an IP address, and the prefixes and
 * suffixes S3 keeps for its own (access point aliases, directory and
 * table buckets, examples).
 */
static int bucket_name_rule(const char *name)
{
	static const char *const prefixes[] = { "xn--", "sthree-",
						"amzn-s3-demo-", NULL };
	static const char *const suffixes[] = { "-s3alias",   "--ol-s3",
						".mrap",      "--x-s3",
						"--table-s3", NULL };
	size_t i, n = strlen(name), m;

	if (strstr(name, ".."))
		return ms_error("bucket \"%s\": two periods in a row are not "
				"allowed",
				name);
	if (ip_form(name))
		return ms_error("bucket \"%s\": a bucket name cannot be in "
				"the form of an IP address",
				name);
	for (i = 0; prefixes[i]; i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return ms_error("bucket \"%s\": the prefix \"%s\" is "
					"reserved by S3",
					name, prefixes[i]);
	for (i = 0; suffixes[i]; i++) {
		m = strlen(suffixes[i]);
		if (n >= m && !strcmp(name + n - m, suffixes[i]))
			return ms_error("bucket \"%s\": the suffix \"%s\" is "
					"reserved by S3",
					name, suffixes[i]);
	}
	return 0;
}

/*
 * Terraform's aws_s3_bucket holds neither setting: its public access block
 * and its versioning are resources of their own, which tools (Checkov's
 * CKV2_AWS_6, CKV_AWS_21) look for beside the bucket.
 */
static json_t *tf_public_access_block(const json_t *attrs)
{
	if (!json_is_true(json_object_get(attrs, "block_public_access")))
		return NULL;
	return json_pack("{sOsbsbsbsb}", "bucket",
			 json_object_get(attrs, "bucket"), "block_public_acls",
			 1, "block_public_policy", 1, "ignore_public_acls", 1,
			 "restrict_public_buckets", 1);
}

static json_t *tf_versioning(const json_t *attrs)
{
	if (!json_is_true(json_object_get(attrs, "versioning")))
		return NULL;
	return json_pack("{sOsnsns[{snss}]}", "bucket",
			 json_object_get(attrs, "bucket"),
			 "expected_bucket_owner", "mfa",
			 "versioning_configuration", "mfa_delete", "status",
			 "Enabled");
}

static const struct ms_tf_attr tf_attrs[] = {
	{ "versioning", NULL, MS_TF_OMIT },
	{ "block_public_access", NULL, MS_TF_OMIT },
	{ NULL },
};

static const struct ms_tf_part tf_parts[] = {
	{ "aws_s3_bucket_public_access_block", "bucket",
	  tf_public_access_block },
	{ "aws_s3_bucket_versioning", "bucket", tf_versioning },
	{ NULL },
};

static const struct ms_tf_type tf = {
	.attrs = tf_attrs,
	.parts = tf_parts,
};

const struct ms_resource_type ms_aws_s3_bucket = {
	.name = "aws_s3_bucket",
	.data_note =
		"its objects are deleted with it when force_destroy is set (else the delete fails while it holds any)",
	.schema = schema,
	.id_attr = "bucket",
	.name_min = 3,
	.name_max = 63,
	.name_chars = "a-z0-9.-",
	.name_ends = "a-z0-9",
	.name_rule = bucket_name_rule,
	.read_many = bucket_read_many,
	.read = bucket_read,
	.create = bucket_create,
	.update = bucket_update,
	.delete = bucket_delete,
	.normalize = bucket_normalize,
	.claim = bucket_claim,
	.terraform = &tf,
	/*
	 * free: the objects the stack uploads are priced where they are
	 * (aws_s3_objects, aws_s3_object)
	 */
	.cost = ms_cost_free,
};
