/*
 * sagemaker.h - the SageMaker service layer: JSON 1.1 calls, telling "not
 * found" from other failures, tags on an ARN, Describe polls and waits,
 * and the generic read, create, tag update and delete that a type uses
 * as its own when its schema maps the fields (providers/kit.h) and its
 * kind names the object.
 */
#ifndef MS_SAGEMAKER_H
#define MS_SAGEMAKER_H

#include <jansson.h>
#include <stdbool.h>

#include "providers/aws/aws.h"
#include "providers/kit.h"

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
/* Whether a failed Create said the name is in use. */
bool ms_sagemaker_taken(const struct ms_aws_error *error);

/*
 * Describe<Object> {name_key: name}: *out = the answer, or NULL (and 0
 * returned) when the object does not exist.
 */
int ms_sagemaker_describe(json_t **out, struct ms_aws *aws,
			  const char *operation, const char *name_key,
			  const char *name);

/* *out = the tags of arn (ListTags, every page). */
int ms_sagemaker_tags_read(json_t **out, struct ms_aws *aws, const char *arn);
/*
 * Bring the tags of arn from have to want: AddTags for what is new or
 * changed, DeleteTags for what is gone. Either may be NULL (no tags).
 */
int ms_sagemaker_tags_update(struct ms_aws *aws, const char *arn,
			     const json_t *have, const json_t *want);

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

/* Error codes every SageMaker waiter polls through. */
extern const char *const ms_sagemaker_retryable[];

/*
 * One object of call->type being created, changed or deleted, with its
 * Describe poll. what ("endpoint 'x'") names it in messages; started
 * bounds every wait of the action by the call's timeout.
 */
struct ms_sagemaker_object {
	struct ms_call *call;
	const struct ms_sagemaker_kind *kind;
	char name[256];
	char what[300];
	char name_key[64], arn_key[64];
	char describe[64];
	double started;
	struct ms_sagemaker_poll poll;
};

/* What the generic functions need to know of a type (its kind). */
struct ms_sagemaker_kind {
	const char *noun;   /* "endpoint config", in messages */
	const char *object; /* "EndpointConfig": Create-, Describe-, Delete- */
	const char *status; /* "EndpointStatus"; NULL: not waited for */
	/*
	 * After a create (made or adopted): wait until usable. On failure
	 * o->poll.last holds the object as last seen, and it is recorded
	 * tainted. NULL: usable at once.
	 */
	int (*wait)(struct ms_sagemaker_object *o);
	/*
	 * An object of ours under the name (a retried create whose answer
	 * was lost) is adopted only when these attributes read back as
	 * desired (NULL-terminated) and, when adoptable is set, its status
	 * is one of those.
	 */
	const char *const *compared;
	const char *const *adoptable;
	/*
	 * Optional: the attributes of a Describe answer that the schema
	 * cannot map (a list of name/value pairs read as a map, say), set in
	 * attrs after the mapping.
	 */
	void (*answer)(json_t *attrs, const json_t *answer);
	/*
	 * Refresh by listing (ms_sagemaker_read_many): List<Objects>, the
	 * key of its answer's list ("Models"), and the object's type in the
	 * Resource Groups Tagging API ("sagemaker:model"). The type's
	 * MS_SAGEMAKER_LISTED_TIME attribute maps the time the list and
	 * Describe both give, that moves with every change but to tags.
	 */
	const char *list;
	const char *list_key;
	const char *tag_type;
	/*
	 * Optional: settle what neither the list nor the tags tell (an
	 * endpoint's variants that scale) for every object in settled (name
	 * -> attributes, changed in place); an object it cannot settle, it
	 * deletes from settled.
	 */
	int (*many)(struct ms_call *call, json_t *settled);
};

/*
 * The internal attribute (MS_ATTR_INTERNAL) that records the time of an
 * object as its list gives it (LastModifiedTime, or CreationTime for
 * what cannot change), for ms_sagemaker_read_many.
 */
#define MS_SAGEMAKER_LISTED_TIME "listed_time"

/* Set o up for the object name of call->type. */
void ms_sagemaker_object_init(struct ms_sagemaker_object *o,
			      struct ms_call *call, const char *name);
/* Frees the latest answer, o->poll.last. */
void ms_sagemaker_object_release(struct ms_sagemaker_object *o);
/* Describe the object into o->poll.last (NULL: it does not exist). */
int ms_sagemaker_object_describe(struct ms_sagemaker_object *o);
/* Its status in the latest answer, or "". */
const char *ms_sagemaker_object_status(const struct ms_sagemaker_object *o);

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
 * The attributes of o after a create or update: as last described when
 * there is an answer, else base's settable attributes with arn. tags are
 * what the call left in place (a read right after AddTags could miss
 * them).
 */
json_t *ms_sagemaker_object_attrs(const struct ms_sagemaker_object *o,
				  const json_t *base, const json_t *tags,
				  const char *arn);

/*
 * SageMaker refused a call on o with refusal: a retried call whose first
 * answer was lost is refused for the very change it started. o is
 * described: in status (and, with pending, rolling out that config) or
 * gone, the change is under way and 0 is returned for the caller to wait
 * as usual; otherwise the refusal stands. o->poll.last is the answer.
 */
int ms_sagemaker_resume(struct ms_sagemaker_object *o, const char *status,
			const char *pending);

/*
 * The generic type functions, for struct ms_resource_type:
 * read: Describe and ListTags, mapped through the schema.
 * create: Create with the request the schema maps (a name taken by our
 * own object, per the kind, adopts it; anyone else's is refused), then
 * the kind's wait. An object made but not usable is returned with the
 * error.
 * update_tags: for objects that cannot change, tags only.
 * delete: Delete<Object>; an object already gone is success.
 */
int ms_sagemaker_read(struct ms_call *call, const json_t *prior, json_t **out);
int ms_sagemaker_create(struct ms_call *call, const json_t *desired,
			json_t **out);
int ms_sagemaker_update_tags(struct ms_call *call, const json_t *prior,
			     const json_t *desired, json_t **out);
int ms_sagemaker_delete(struct ms_call *call, const json_t *prior);
/*
 * read_many for a type whose kind names its list (docs/refresh.md): one
 * List<Objects> and one GetResources of the tagging API, every page of
 * each. An object settles when it is listed under its ARN with the time
 * (and status) the state recorded, and the tagging API holds for it the
 * tags the state recorded, or none when the state recorded none; every
 * other object (not listed, changed, recorded without the time, tags
 * that differ or are missing) is left to read.
 */
int ms_sagemaker_read_many(struct ms_call *call, const json_t *priors,
			   json_t **out);

/*
 * Jobs (training, tuning), which run once and cannot be deleted:
 * job_settled: whether a job (its "status") has ended;
 * job_update: tags only, after waiting (the kind's wait) for a job still
 * running (adopted after its create was interrupted);
 * job_delete: Stop<Object> a running job and wait until it has stopped;
 * a job that has ended is only forgotten.
 */
bool ms_sagemaker_job_settled(const json_t *live);
int ms_sagemaker_job_update(struct ms_call *call, const json_t *prior,
			    const json_t *desired, json_t **out);
int ms_sagemaker_job_delete(struct ms_call *call, const json_t *prior);

/*
 * The cost of training jobs, for the cost hooks of training and tuning
 * jobs: jobs runs of the job definition at def in attrs ("" for a
 * training job's own attributes, "training_job_definition." in a tuning
 * job's), each on its resource_config's instances and their ML storage
 * volumes, for seconds (< 0: the definition's max runtime, the bound).
 */
void ms_sagemaker_training_cost(struct ms_cost *out,
				const struct ms_cost_env *env,
				const json_t *attrs, const char *def,
				double jobs, double seconds);

/* The blocks of a training job's spec (training_schemas.c). */
extern const struct ms_attr ms_sagemaker_algorithm_schema[];
extern const struct ms_attr ms_sagemaker_channel_schema[];
extern const struct ms_attr ms_sagemaker_output_schema[];
extern const struct ms_attr ms_sagemaker_resource_schema[];
extern const struct ms_attr ms_sagemaker_stopping_schema[];
extern const struct ms_attr ms_sagemaker_checkpoint_schema[];

#endif
