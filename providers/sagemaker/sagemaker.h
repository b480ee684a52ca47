/*
 * sagemaker.h - what the SageMaker resource types share: JSON 1.1 calls,
 * telling "not found" from other failures, Describe polls for the waiter,
 * create-and-wait, the create and update of immutable types, tags on an
 * ARN, and the canonical form of values diffs compare.
 *
 * The per-type helpers that turn attributes into request bodies and
 * Describe answers into attributes are declared here too: they are pure,
 * and the unit tests call them directly.
 */
#ifndef MS_SAGEMAKER_H
#define MS_SAGEMAKER_H

#include <jansson.h>
#include <stdbool.h>

#include "providers/aws/aws.h"

#define MS_SAGEMAKER_SERVICE "sagemaker"
#define MS_SAGEMAKER_TARGET  "SageMaker"

/*
 * One SageMaker call. *out (when out is not NULL) is the answer, the
 * caller's; error (may be NULL) says which AWS error a failure was.
 * Returns what ms_aws_json_call returns.
 */
int ms_sagemaker_call(json_t **out, struct ms_aws_error *error,
		      struct ms_aws *aws, const char *operation,
		      const json_t *body);

/*
 * Whether a failed Describe or Delete said the object does not exist:
 * ResourceNotFound, or ValidationException saying "Could not find ...",
 * "... does not exist" or "RecordNotFound" (SageMaker reports most
 * missing objects as validation errors). Only for calls that name one
 * object: an UpdateEndpoint naming a missing config says the same words.
 */
bool ms_sagemaker_not_found(const struct ms_aws_error *error);

/*
 * Describe<Object> {name_key: name}: *out = the answer, or NULL (and 0
 * returned) when the object does not exist.
 */
int ms_sagemaker_describe(json_t **out, struct ms_aws *aws,
			  const char *operation, const char *name_key,
			  const char *name);

/*
 * Delete<Object> {name_key: name}; an object already gone is success.
 * *gone (may be NULL) tells whether it was.
 */
int ms_sagemaker_delete(bool *gone, struct ms_aws *aws, const char *operation,
			const char *name_key, const char *name);

/*
 * A Describe poll for ms_aws_wait: payload is a struct ms_sagemaker_poll.
 * status is the answer's status_key, reason its FailureReason; last keeps
 * the latest answer (NULL once the object is gone), so that a caller can
 * record what the object looked like when a wait failed.
 */
struct ms_sagemaker_poll {
	struct ms_aws *aws;
	const char *operation; /* "DescribeEndpoint" */
	const char *name_key;  /* "EndpointName" */
	const char *name;
	const char *status_key; /* "EndpointStatus" */
	json_t *last;           /* owned */
};

int ms_sagemaker_poll(struct ms_aws_wait_poll *out, void *payload);
void ms_sagemaker_poll_release(struct ms_sagemaker_poll *p);

/* Error codes every SageMaker waiter polls through. */
extern const char *const ms_sagemaker_retryable[];

/*
 * One object being created, changed or deleted, with its Describe poll.
 * what ("endpoint 'x'") names it in waiter messages; started bounds every
 * wait of the action by the call's timeout. name is borrowed and must
 * outlive the struct.
 */
struct ms_sagemaker_object {
	struct ms_call *call;
	const char *name;
	char what[128];
	double started;
	struct ms_sagemaker_poll poll;
};

/*
 * Set o up for the object name, a noun ("endpoint") for messages, polled
 * with describe {name_key: name} and read through status_key.
 */
void ms_sagemaker_object_init(struct ms_sagemaker_object *o,
			      struct ms_call *call, const char *noun,
			      const char *name, const char *describe,
			      const char *name_key, const char *status_key);
/* Frees the latest answer, o->poll.last. */
void ms_sagemaker_object_release(struct ms_sagemaker_object *o);

/*
 * ms_aws_wait on o: poll every delay seconds, at most attempts times,
 * until a success or failure status; gone says what an object gone
 * means. o->poll.last is the latest answer. Returns what ms_aws_wait
 * returns (MS_ENOTFOUND when the object vanished and that is a failure).
 */
int ms_sagemaker_wait(struct ms_sagemaker_object *o, const char *const *success,
		      const char *const *failure, enum ms_aws_wait_state gone,
		      double delay, int attempts);

/*
 * How an object that is waited for after its Create is made (an endpoint,
 * a notebook instance).
 */
struct ms_sagemaker_create {
	const char *operation; /* "CreateEndpoint" */
	const char *taken;     /* in the ValidationException of a taken name */
	const char *arn_key;   /* "EndpointArn", in the answers */
	/*
	 * The name is taken: describe it into o->poll.last and return 0
	 * when it is the object desired (made by a retried call whose
	 * first answer was lost), its tags brought in line.
	 */
	int (*adopt)(struct ms_sagemaker_object *o, const json_t *desired);
	/* Wait for the object to become usable. */
	int (*wait)(struct ms_sagemaker_object *o);
	/* New attributes: from o->poll.last, else base's, with tags and arn. */
	json_t *(*result)(const struct ms_sagemaker_object *o,
			  const json_t *base, const json_t *tags,
			  const char *arn);
};

/*
 * Call how->operation with body (adopting what holds the name when it is
 * taken), then how->wait. When the object was made but the wait fails or
 * times out, the error is returned AND *out is set to the attributes read
 * so far, status included: the engine records such an object as tainted
 * and plans its replacement. *out stays NULL when the create call itself
 * failed, or when the object vanished during the wait.
 */
int ms_sagemaker_create_wait(json_t **out, struct ms_sagemaker_object *o,
			     const struct ms_sagemaker_create *how,
			     const json_t *body, const json_t *desired);

/*
 * A type whose objects cannot be changed once made (a model, an endpoint
 * config): everything but tags forces a new object, and an object made by
 * a retried Create whose first answer was lost is adopted when its
 * read-back equals what is desired.
 */
struct ms_sagemaker_immutable {
	const char *noun;     /* "endpoint config", in messages */
	const char *a_noun;   /* "an endpoint config" */
	const char *create;   /* "CreateEndpointConfig" */
	const char *describe; /* "DescribeEndpointConfig" */
	const char *name_key; /* "EndpointConfigName" */
	const char *arn_key;  /* "EndpointConfigArn" */
	/*
	 * The attributes an adopted object must share with the desired
	 * one, each with the verb a message gives it ("differ"), in the
	 * order they are compared.
	 */
	const char *const (*compared)[2];
	size_t n_compared;
	/* The settable attributes, for the attributes of a new object. */
	const char *const *settable;
	size_t n_settable;
	int (*request)(json_t **out, const json_t *attrs);
	int (*attrs)(json_t **out, const json_t *described, const json_t *tags);
	int (*normalize)(json_t *attrs);
};

/*
 * The attributes of an object of type made from desired, with its ARN,
 * normalised (a new reference).
 */
json_t *ms_sagemaker_immutable_from(const struct ms_sagemaker_immutable *type,
				    const json_t *desired, const char *arn);
/*
 * The type's Create; a name taken by an object that reads back as
 * desired adopts that object, any other is an error. *out: the new
 * attributes.
 */
int ms_sagemaker_immutable_create(json_t **out, struct ms_call *call,
				  const struct ms_sagemaker_immutable *type,
				  const json_t *desired);
/* Tags only, in place; *out: the new attributes. */
int ms_sagemaker_immutable_update(json_t **out, struct ms_call *call,
				  const struct ms_sagemaker_immutable *type,
				  const json_t *prior, const json_t *desired);

/*
 * Tags. A map of key -> string as SageMaker's [{Key, Value}] list (keys
 * sorted), and back (a repeated key: the last one wins).
 */
json_t *ms_sagemaker_tags_list(const json_t *tags);
json_t *ms_sagemaker_tags_map(const json_t *list);
/* *out = the tags of arn (ListTags, every page). */
int ms_sagemaker_tags_read(json_t **out, struct ms_aws *aws, const char *arn);
/*
 * Bring the tags of arn from have to want: AddTags for what is new or
 * changed, DeleteTags for what is gone. Either may be NULL (no tags).
 */
int ms_sagemaker_tags_update(struct ms_aws *aws, const char *arn,
			     const json_t *have, const json_t *want);
/*
 * 0 when the object at arn carries call's owner mark; else the error of
 * ms_call_taken for what ("endpoint 'x'"), named name (MS_EEXISTS).
 */
int ms_sagemaker_owned(struct ms_call *call, const char *what, const char *arn,
		       const char *name);
/* The same, reading what arn has first (an object adopted, not made). */
int ms_sagemaker_tags_set(struct ms_aws *aws, const char *arn,
			  const json_t *want);

/*
 * Canonical values. Map values become strings (YAML gives numbers and
 * booleans for "version: 1"); a number that is whole becomes an integer
 * (SageMaker answers 1.0 for a weight of 1). Other values are left alone.
 */
void ms_sagemaker_strings_normalize(json_t *map);
/* A new reference: v, or the integer of a whole real. */
json_t *ms_sagemaker_number(const json_t *v);

/* The string at key, or dflt. */
const char *ms_sagemaker_str(const json_t *attrs, const char *key,
			     const char *dflt);
/* An object's name from its stored attributes: id, else name, else NULL. */
const char *ms_sagemaker_name(const json_t *attrs);
/*
 * The attributes of an object made from desired: the settable ones
 * (n names), tags ({} when none), id (= name) and arn. Not normalised.
 */
json_t *ms_sagemaker_attrs_from(const json_t *desired,
				const char *const *settable, size_t n,
				const char *arn);
/* The boolean at key, or dflt when absent or not a boolean. */
bool ms_sagemaker_bool(const json_t *attrs, const char *key, bool dflt);

/*
 * Per type, pure. *_request: the Create body of desired attributes.
 * *_attrs: attributes of a Describe answer and the object's tags (in
 * canonical form, AWS-only fields dropped). *_normalize: the canonical
 * form of desired or live attributes (the types' normalize). All return
 * 0, or -1 with ms_error() naming the attribute.
 */
int ms_sagemaker_model_request(json_t **out, const json_t *attrs);
int ms_sagemaker_model_attrs(json_t **out, const json_t *described,
			     const json_t *tags);
int ms_sagemaker_model_normalize(json_t *attrs);

int ms_sagemaker_endpoint_config_request(json_t **out, const json_t *attrs);
int ms_sagemaker_endpoint_config_attrs(json_t **out, const json_t *described,
				       const json_t *tags);
int ms_sagemaker_endpoint_config_normalize(json_t *attrs);

int ms_sagemaker_endpoint_request(json_t **out, const json_t *attrs);
int ms_sagemaker_endpoint_attrs(json_t **out, const json_t *described,
				const json_t *tags);

int ms_sagemaker_notebook_request(json_t **out, const json_t *attrs);
/*
 * The UpdateNotebookInstance body that brings prior to desired, and in
 * *changed the names of the attributes it changes (an empty array: no
 * update needed; only tags, or nothing, differ).
 */
int ms_sagemaker_notebook_update_request(json_t **out, json_t **changed,
					 const json_t *prior,
					 const json_t *desired);
int ms_sagemaker_notebook_attrs(json_t **out, const json_t *described,
				const json_t *tags);
int ms_sagemaker_notebook_normalize(json_t *attrs);

#endif
