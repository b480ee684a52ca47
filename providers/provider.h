/*
 * provider.h - the resource-type interface: the only thing the engine knows
 * of a provider, and the only thing a provider knows of the engine.
 *
 * Values are jansson objects throughout. A resource's attributes are one
 * JSON object holding what the user set and what AWS computed, with the
 * physical id under "id". A provider never sees the graph, the plan or the
 * state directory.
 */
#ifndef MS_PROVIDER_H
#define MS_PROVIDER_H

#include <jansson.h>
#include <stdbool.h>

struct ms_aws; /* the AWS client, opaque outside providers/ */

enum ms_attr_type {
	MS_ATTR_STRING,
	MS_ATTR_NUMBER,
	MS_ATTR_BOOL,
	MS_ATTR_LIST,   /* of strings, or of objects when nested is set */
	MS_ATTR_MAP,    /* string -> string (tags, environment) */
	MS_ATTR_OBJECT, /* fixed keys given by nested */
	MS_ATTR_JSON,   /* any JSON value (policy documents) */
};

#define MS_ATTR_REQUIRED          0x01 /* must be given */
#define MS_ATTR_COMPUTED          0x02 /* set by AWS only; an output */
#define MS_ATTR_OPTIONAL_COMPUTED 0x04 /* may be given; AWS fills it if not */
#define MS_ATTR_FORCE_NEW         0x08 /* a change replaces the resource */
#define MS_ATTR_SENSITIVE         0x10 /* never printed */
#define MS_ATTR_TAGS              0x20 /* the object's tags: carries the owner mark */
/*
 * With MS_ATTR_COMPUTED: computed from local files by the type's local
 * hook at plan time (a folder's manifest), so compared with the live value
 * like a setting, and known in the plan.
 */
#define MS_ATTR_LOCAL 0x40
/* Kept in the state for the type only (a hash cache): never shown or compared. */
#define MS_ATTR_INTERNAL 0x80
/*
 * A map of object keys to "<etag> <bytes>" (a folder's manifest): plans
 * print it as counts and sizes of what is added, changed and removed, with
 * the first few keys, not as one value.
 */
#define MS_ATTR_MANIFEST 0x100
/*
 * Read by the local hook (a source file): its effect is compared through
 * the MS_ATTR_LOCAL attributes it computes (the file's ETag), not its own
 * value, so a file moved with the same content changes nothing.
 */
#define MS_ATTR_INPUT 0x200
/*
 * An ARN, or a list of ARNs: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE,
 * checked wherever the value is known (validate for literals and
 * variables, plan for the rest).
 */
#define MS_ATTR_ARN 0x400
/*
 * With MS_ATTR_JSON: an IAM policy document, a map or its JSON text,
 * holding "Statement" (MS_ATTR_POLICIES: a map of names to such
 * documents, or its JSON text).
 */
#define MS_ATTR_POLICY   0x800
#define MS_ATTR_POLICIES 0x1000

/*
 * The ownership mark: tags the engine adds to every object it makes of a
 * type that has tags, naming the stack and the resource. An object that
 * already holds the name an apply wants is taken over only when it carries
 * the mark of that very stack and resource (our own create, whose answer
 * was lost); anyone else's is never adopted, changed or deleted.
 */
#define MS_OWNER_STACK_TAG    "mlstack:stack"
#define MS_OWNER_RESOURCE_TAG "mlstack:resource"

/*
 * One attribute. wire names its AWS field, so that generic code builds
 * requests from attributes and attributes from answers (providers/kit.h):
 *
 *   "Field"              the same field in requests and answers
 *   "Field|AnswerField"  the answer calls it otherwise
 *   "Field|"             requests only (the answer does not hold it)
 *   "|AnswerField"       answers only (what AWS computes)
 *   "Field:On/Off"       a boolean sent as one of two words
 *   "Field:text"         a number sent as its text ("0.001")
 *   "A.B.Field"          a field inside nested structures (either side)
 *
 * Nested attributes (objects, lists of objects) name fields of their
 * parent's field. NULL: the type maps the attribute itself.
 *
 * identity, for a list of objects: the nested attribute that names an
 * element (a production variant's "variant_name", a channel's
 * "channel_name"), unique in the list. A plan's diff matches the
 * elements of before and after by it, so a change to one element shows
 * as that element changed, wherever it moved; without it elements are
 * matched by value.
 */
struct ms_attr {
	const char *name;
	enum ms_attr_type type;
	unsigned flags;
	const char *default_json;     /* JSON text of the default, or NULL */
	const struct ms_attr *nested; /* element schema for lists of objects */
	const char *doc;              /* one line, for docs and messages */
	const char *wire;             /* the AWS field, or NULL (above) */
	const char *identity;         /* lists of objects: names an element */
};

/*
 * One provider call. The engine fills it; the provider reads it and may
 * report progress. timeout is in seconds for the waits of this action
 * (0: the waiter's own default).
 */
struct ms_call {
	struct ms_aws *aws;
	const char *name;  /* the resource's name in the stack */
	const char *stack; /* the stack's name (NULL: no owner mark known) */
	const struct ms_resource_type *type; /* the type being called */
	double timeout;
	void (*progress)(struct ms_call *call, const char *message,
			 void *payload);
	void *payload;
	int parallelism; /* requests one action may run at once (0: 1) */
	const char *dir; /* the stack file's directory (local paths) */
	/*
	 * read_many: the most pages one list of the whole account may take
	 * (0: every page). The engine sets it to the resources the bulk
	 * read is for, each of which would cost at least a call read
	 * alone: a stack of a few objects in an account of thousands pays
	 * no more for the lists than for reading each, and what a list did
	 * not reach is read alone (docs/refresh.md).
	 */
	size_t list_pages;
};

/* Report progress ("still creating..."); a no-op without a callback. */
void ms_call_progress(struct ms_call *call, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Whether tags (a map) carry the owner mark of call's stack and resource.
 * A call without a stack matches nothing.
 */
bool ms_call_owns(const struct ms_call *call, const json_t *tags);
/*
 * The error for a name held by an object this stack did not make: what
 * ("role 'x'") is in the way, and the two ways out. Returns MS_EEXISTS.
 */
int ms_call_taken(const struct ms_call *call, const char *what, const char *id);

/*
 * How a type reads in Terraform's JSON plan (plan -json, show -json:
 * engine/render_json.c), which names types and attributes as the
 * Terraform AWS provider does. A type's table lists the attributes whose
 * name or value differs there; any other attribute keeps both, an object
 * with a nested schema becoming a block (a list of one object), as
 * Terraform writes blocks. Tags (MS_ATTR_TAGS) become Terraform's tags
 * (the resource's own) and tags_all (with the stack's default tags and
 * the owner mark) without a table entry.
 */
enum ms_tf_conv {
	MS_TF_SAME, /* the value; objects as blocks, nested maps their keys */
	MS_TF_ENABLED, /* a bool as "Enabled" or "Disabled" */
	MS_TF_JSON,    /* a document as its compact JSON text (policies) */
	MS_TF_WRAP,    /* the block [{arg: value}]; {} or null: no block */
	MS_TF_NAMED,   /* a map as blocks [{"name": key, arg: JSON text}] */
	MS_TF_SHA1,    /* a string as the hex SHA-1 of its text (user_data) */
	MS_TF_OMIT,    /* left out: mlstack's own, or shown in a part */
	MS_TF_VALUE,   /* Terraform's only: name is its name, arg its JSON */
};

struct ms_tf_attr {
	const char *name; /* mlstack's attribute (or nested key) */
	const char *tf;   /* Terraform's name; NULL: the same */
	enum ms_tf_conv conv;
	const char *arg;                 /* MS_TF_WRAP, NAMED, VALUE: above */
	const struct ms_tf_attr *nested; /* a block's own table, or NULL */
};

/*
 * A resource Terraform keeps apart from the one mlstack holds it on (a
 * bucket's versioning is aws_s3_bucket_versioning), at the address
 * TYPE.NAME of the same name. values: its attributes, in Terraform's
 * names, from the mlstack resource's attributes (an object); NULL when
 * they hold no such setting (no part). link names its attribute that
 * refers to the resource's id, so that tools see the two connected.
 */
struct ms_tf_part {
	const char *type;
	const char *link;
	json_t *(*values)(const json_t *attrs);
};

struct ms_tf_type {
	const char *type;     /* Terraform's type; NULL: the type's name */
	const char *provider; /* its provider: NULL "aws", or "mlstack" */
	int schema_version;   /* of the provider's schema for the type */
	const struct ms_tf_attr *attrs; /* ends with an entry with no name */
	const struct ms_tf_part *parts; /* ends with an entry with no type */
};

/*
 * What an object costs (docs/cost.md): on-demand, in US dollars, in the
 * region of env, as a type's cost hook prices it from the object's
 * attributes. hourly is what it costs per hour while it exists, at its
 * least; hourly_max at its most (auto scaling's maximum; equal to hourly
 * without a range). A job (training, tuning) costs by the run instead:
 * run is one run's cost, at most (the instances for the longest the job
 * may run), or, billed set, what AWS billed for the run it made. items
 * says what was priced ([{"what", "count", "count_max", "usd", "unit",
 * "hourly", "hourly_max", "run"}]); unknown why some part has no price
 * (["no price for ml.x9.large (sagemaker.hosting) in eu-west-1"]), never
 * counted as zero. Both arrays belong to the struct (ms_cost_release).
 */
struct ms_cost {
	double hourly, hourly_max;
	double run;
	bool job;
	bool billed;
	json_t *items;
	json_t *unknown;
};

struct ms_prices; /* the price table (providers/prices.c) */

/*
 * What a cost hook is given besides the object's attributes: the price
 * table and the region, and a view of the other resources of the stack
 * as they will be (a plan's after, or the state), through the engine.
 *
 * find: the attributes of the resource of type whose attribute key is
 * value (a string), or NULL.
 * related: the attributes of the resource of type that the priced
 * object's attribute attr names: the one whose key equals its value, or,
 * while the value is unknown, the one the stack's reference in that
 * attribute names (${config.name}). NULL: none in the stack.
 */
struct ms_cost_env {
	const struct ms_prices *prices;
	const char *region;
	const json_t *(*find)(const struct ms_cost_env *env, const char *type,
			      const char *key, const char *value);
	const json_t *(*related)(const struct ms_cost_env *env,
				 const char *attr, const char *type,
				 const char *key);
	void *payload;
};

struct ms_resource_type {
	const char *name;             /* "aws_s3_bucket" */
	const struct ms_attr *schema; /* terminated by an entry with no name */
	/*
	 * The desired attribute that names the object a create will make
	 * ("bucket", "name"): journaled before the create, so that a crashed
	 * apply can find and adopt what it made.
	 */
	const char *id_attr;

	/*
	 * Immutable objects (SageMaker models, endpoint configs). When
	 * auto_name is set and the user leaves that attribute out, the engine
	 * names the object "<stack>-<resource>-<hash>", the hash taken over
	 * its spec (tags excepted): any change to the spec is a new object
	 * under a new name. create_before_destroy makes every replacement
	 * create the new object first, move what refers to it, and only then
	 * delete the old one.
	 */
	const char *auto_name;
	bool create_before_destroy;
	/*
	 * The names AWS takes for the object (the value of id_attr): from
	 * name_min to name_max characters (name_max 0: no rule), each one
	 * of name_chars, a set written as ranges ("a-zA-Z0-9-"; a '-'
	 * first or last is itself), the first and the last one of
	 * name_ends (NULL: no such rule), and name_rule (optional) saying
	 * what else AWS refuses (a bucket name in the form of an IP
	 * address): 0, or -1 with ms_error() set, the message starting
	 * with id_attr and the name as ms_provider_check_name's do.
	 * Checked by validate (where the name is known offline) and plan;
	 * an auto name is cut to fit and spelt in them.
	 */
	unsigned name_min, name_max;
	const char *name_chars;
	const char *name_ends;
	int (*name_rule)(const char *name);
	/*
	 * What the service's generic functions need to know of the type
	 * (its operations, its status field): a struct of the service
	 * layer, reached through call->type.
	 */
	const void *kind;

	/*
	 * read: *out = live attributes, or NULL when the object is gone
	 * (return 0). prior holds at least "id" and id_attr.
	 * create: *out = the new attributes, "id" included. A name already
	 * taken is adopted only when the object there carries the owner mark
	 * (ms_call_owns); otherwise create fails with ms_call_taken's
	 * MS_EEXISTS, and the engine forgets its intent. When the object
	 * was made but could not be finished (a wait failed or timed out),
	 * create returns the error AND sets *out: the engine records the
	 * object as tainted and plans its replacement.
	 * update: in place from prior to desired; *out = the new attributes.
	 * delete: gone afterwards; deleting what is already gone is success.
	 * normalize: optional; brings desired or live attributes to the
	 * canonical form diffs compare (policy JSON, sorted lists).
	 * All return 0 or a negative code with ms_error() set.
	 */
	int (*read)(struct ms_call *call, const json_t *prior, json_t **out);
	/*
	 * Optional: read many objects of the type at once (a list call that
	 * answers for a page of them), before and instead of read. priors
	 * maps each stored resource's name to its stored attributes; *out
	 * (new) maps a name to exactly what read would answer for it, or to
	 * null when the bulk read proves the object gone, and leaves out
	 * every name it cannot settle (those are read one by one). A name
	 * must be left out rather than guessed: a list may lag behind a
	 * create (docs/refresh.md). call->name is NULL.
	 */
	int (*read_many)(struct ms_call *call, const json_t *priors,
			 json_t **out);
	int (*create)(struct ms_call *call, const json_t *desired,
		      json_t **out);
	int (*update)(struct ms_call *call, const json_t *prior,
		      const json_t *desired, json_t **out);
	int (*delete)(struct ms_call *call, const json_t *prior);
	int (*normalize)(json_t *attrs);
	/*
	 * Optional, for types whose owner mark is set by a call after the
	 * create (a bucket's tags): whether live, found unmarked by the
	 * recovery of an interrupted create journaled at time since, was
	 * made by that create. *ours false leaves the object alone.
	 */
	int (*claim)(struct ms_call *call, const json_t *live, double since,
		     bool *ours);
	/*
	 * Optional, for objects whose create waits for them to finish (a
	 * training job): whether live is finished. An object the recovery of
	 * an interrupted create adopts unfinished is planned as an update,
	 * its computed attributes unknown, and update must finish it (wait)
	 * when prior says it is still running; if it ends in failure the
	 * object is recorded tainted.
	 */
	bool (*settled)(const json_t *live);
	/*
	 * Optional: what deleting an object of the type really does, when it
	 * is not a deletion (a job is stopped and forgotten), said in the
	 * plan under "will be destroyed".
	 */
	const char *delete_note;
	/*
	 * Optional, for types that hold data: what deleting an object loses
	 * ("its objects"), said where a plan for review warns of a
	 * replacement or a destroy.
	 */
	const char *data_note;
	/*
	 * Optional, for types whose value comes from local files (a folder
	 * synced to S3): fill desired's MS_ATTR_LOCAL attributes from them.
	 * desired holds only the attributes known at plan time (an unknown
	 * one is absent); a local attribute the hook cannot compute from
	 * them, it leaves out, and the plan shows it unknown. It is not
	 * called while an MS_ATTR_INPUT attribute is unknown. dir is the
	 * stack file's directory, that relative paths are taken from;
	 * stored (may be NULL) the attributes of the last apply, holding the
	 * type's MS_ATTR_INTERNAL cache. Runs at plan time, and at apply only
	 * when the plan could not.
	 */
	int (*local)(const char *dir, json_t *desired, const json_t *stored);
	/*
	 * Optional: what an in-place update from before to after does
	 * besides the change itself (auto scaling taken off and put back),
	 * said in the plan; a malloc'd line, or NULL.
	 */
	char *(*update_note)(const json_t *before, const json_t *after);
	/*
	 * Optional: the computed attributes an in-place update gives new
	 * values (a new published version) when changed (the attributes
	 * that differ) do; a new array of their names, or NULL. The plan
	 * shows them as known after apply.
	 */
	json_t *(*renewed)(const json_t *after, const json_t *changed);
	/*
	 * For objects AWS names itself (an EC2 instance): the attribute
	 * (also id_attr) that holds an idempotency token the engine makes
	 * for each create and journals as the object's name, so that a
	 * create retried after a lost answer, or recovered after a crash,
	 * finds the object it made instead of making a second one.
	 */
	const char *token_attr;
	/*
	 * A create that fails part-way leaves an object the next plan
	 * completes in place (a folder partly uploaded): it is recorded as it
	 * is, not tainted.
	 */
	bool resumable;
	/*
	 * Optional: how the type reads in Terraform's JSON plan (above);
	 * NULL: its own name and attributes, objects as blocks.
	 */
	const struct ms_tf_type *terraform;
	/*
	 * What an object of the type costs (above), from attrs (a plan's
	 * after or before, or the state's attributes; values may be
	 * unknown). out is initialised by the caller (ms_cost_init). A
	 * type that costs nothing by itself says so with ms_cost_free;
	 * NULL: mlstack does not price the type, and its cost is unknown.
	 * Returns 0; a part it cannot price goes in out->unknown.
	 */
	int (*cost)(struct ms_cost *out, const json_t *attrs,
		    const struct ms_cost_env *env);
};

/*
 * Prices (providers/prices.c, docs/cost.md). The table is the one built
 * in (providers/prices/prices.json), or the file MLSTACK_PRICES names.
 * *out is the caller's; -1 with ms_error() when the file cannot be read
 * or is not a price table.
 */
int ms_prices_load(struct ms_prices **out);
/* A table from its JSON text; origin names it in messages. */
int ms_prices_parse(struct ms_prices **out, const char *text,
		    const char *origin);
void ms_prices_free(struct ms_prices *p);
/*
 * What a plan says of the table: {"date", "made", "origin" (built in, or
 * the file), "regions", "sources"}; borrowed.
 */
const json_t *ms_prices_info(const struct ms_prices *p);
/*
 * The price of key ("ml.m5.large") as product ("sagemaker.hosting") in
 * region: {"usd", "unit", "effective", "source"[, "estimate"]}, borrowed,
 * or NULL when the table has none.
 */
const json_t *ms_prices_get(const struct ms_prices *p, const char *region,
			    const char *product, const char *key);
/* Whether the table holds prices of region. */
bool ms_prices_has_region(const struct ms_prices *p, const char *region);

/* A month of AWS's bills, in hours (its price pages' convention). */
#define MS_HOURS_PER_MONTH 730.0

/* The cost hooks' helpers (providers/cost.c). */
void ms_cost_init(struct ms_cost *c);
void ms_cost_release(struct ms_cost *c);
/* The hook of a type that costs nothing by itself. */
int ms_cost_free(struct ms_cost *out, const json_t *attrs,
		 const struct ms_cost_env *env);
/* Say why a part is not priced; printf-like. */
void ms_cost_unknown(struct ms_cost *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * attrs' string attribute name (a path "a.b" into objects), or NULL
 * with a reason in c->unknown ("instance_type is known after apply").
 */
const char *ms_cost_string(struct ms_cost *c, const json_t *attrs,
			   const char *name);
/*
 * attrs' number name (a path), or dflt when absent; -1 with a reason in
 * c->unknown when it is unknown or not a number.
 */
double ms_cost_number(struct ms_cost *c, const json_t *attrs, const char *name,
		      double dflt);
/*
 * Price count (to count_max) of key as product, in the unit the product
 * is sold by, what describing it ("ml.m5.large hosting instance"):
 * per hour (hourly), per GB-month (the quantity in GB, hourly by
 * MS_HOURS_PER_MONTH) or per GB-second (the quantity in GB held,
 * hourly by 3600). Adds to c->hourly and c->hourly_max and to items;
 * without a price, a reason in c->unknown. Returns whether priced.
 */
bool ms_cost_add(struct ms_cost *c, const struct ms_cost_env *env,
		 const char *product, const char *key, const char *what,
		 double count, double count_max);
/*
 * A job's run: count instances of key as product for seconds, what
 * describing it; adds to c->run (c->job set). Returns whether priced.
 */
bool ms_cost_add_run(struct ms_cost *c, const struct ms_cost_env *env,
		     const char *product, const char *key, const char *what,
		     double count, double seconds);

/*
 * Whether name is one AWS takes for an object of t: 0, or -1 with
 * ms_error() saying why ("is 70 characters long; ... at most 63").
 */
int ms_provider_check_name(const struct ms_resource_type *t, const char *name);
/* Whether c is in a set written as ranges ("a-z0-9-"). */
bool ms_provider_char_in(const char *set, char c);

/*
 * Lookups (the stack's data: section): read-only types whose read takes
 * the lookup's evaluated properties as prior and answers what it found
 * (*out), or fails with a message saying why (no match, several where
 * one was meant). Only name, schema and read are used.
 */
const struct ms_resource_type *ms_lookup_find(const char *type);
/* All lookup types, NULL-terminated. */
const struct ms_resource_type *const *ms_lookup_all(void);

/* The registry (providers/registry.c). NULL when no such type. */
const struct ms_resource_type *ms_provider_find(const char *type);
/* All types, NULL-terminated. */
const struct ms_resource_type *const *ms_provider_all(void);
/* The schema entry of an attribute, or NULL. */
const struct ms_attr *ms_provider_attr(const struct ms_resource_type *t,
				       const char *name);
/*
 * a's default as a new value (NULL when it has none): its JSON text is
 * parsed once per process and copied from then on; a plan of thousands
 * of resources parsed the same few defaults tens of thousands of times.
 */
json_t *ms_attr_default(const struct ms_attr *a);

/*
 * A session: the AWS client for one region, shared by all workers.
 * region NULL resolves it as the SDKs do. Returns 0 or -1 with ms_error()
 * (no credentials, bad configuration).
 */
int ms_provider_session_new(struct ms_aws **out, const char *region);
void ms_provider_session_free(struct ms_aws *aws);
/*
 * The region a session would resolve, without opening one: region (the
 * stack's) when set, else AWS_REGION, AWS_DEFAULT_REGION, the profile's.
 * *out is the caller's, NULL when none is set (0 returned); -1 with
 * ms_error() for a malformed one.
 */
int ms_provider_region(char **out, const char *region);
/* The region the session resolved; borrowed. */
const char *ms_provider_session_region(const struct ms_aws *aws);
/* The caller's account id (STS GetCallerIdentity); *out is the caller's. */
int ms_provider_account_id(struct ms_aws *aws, char **out);

#endif
