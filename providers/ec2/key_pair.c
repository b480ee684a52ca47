/*
 * key_pair.c - aws_key_pair: an EC2 key pair whose public half is
 * imported: given inline or in a file, or made here.
 *
 * With no public key given, mlstack makes an Ed25519 key pair locally,
 * writes the private half to private_key_file (mode 0600, never over a
 * file already there) and imports the public half only. The private key
 * reaches neither AWS nor the state, a plan or a log; a private key file
 * already there (an earlier apply, or one interrupted after it wrote the
 * file) is used again, its public half read from it. The public key held
 * in the state is compared like a setting: another key replaces the pair.
 */
#include "util/common.h"
#include "util/file.h"
#include "providers/files.h"
#include "providers/provider.h"
#include "providers/ec2/ec2.h"
#include "providers/ec2/sshkey.h"

#include <errno.h>
#include <openssl/evp.h>
#include <sys/stat.h>

static const struct ms_attr schema[] = {
	{ "key_name", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW,
	  NULL, NULL, "the key pair's name", "KeyName" },
	{ "public_key", MS_ATTR_STRING, MS_ATTR_INPUT, NULL, NULL,
	  "the public key (\"ssh-ed25519 AAAA...\"), inline" },
	{ "public_key_file", MS_ATTR_STRING, MS_ATTR_INPUT, NULL, NULL,
	  "or a file holding it, relative to the stack file" },
	{ "private_key_file", MS_ATTR_STRING, MS_ATTR_INPUT, NULL, NULL,
	  "or where to write a private key made here (mode 0600)" },
	{ "tags", MS_ATTR_MAP, MS_ATTR_TAGS, "{}", NULL,
	  "tags (with the stack's default tags and its owner mark)" },
	{ "key_material", MS_ATTR_STRING,
	  MS_ATTR_COMPUTED | MS_ATTR_LOCAL | MS_ATTR_FORCE_NEW, NULL, NULL,
	  "the public key imported (known in the plan but for a new key)" },
	{ "fingerprint", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "AWS's fingerprint of it", "|keyFingerprint" },
	{ "key_pair_id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the id (key-...)", "|keyPairId" },
	{ "key_type", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "ed25519 or rsa", "|keyType" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the key pair's name" },
	{ NULL },
};

/*
 * "ssh-ed25519 AAAA... comment" as AWS keeps it: the type and the key,
 * no comment (the state compares what AWS holds).
 */
static char *key_line(const char *text)
{
	const char *s = text;
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	n = strcspn(s, " \t\n\r");
	if (s[n] == ' ' || s[n] == '\t')
		n += 1 + strcspn(s + n + 1, " \t\n\r");
	return ms_strndup(s, n);
}

static int read_text(char **out, const char *path)
{
	struct ms_buf b = MS_BUF_INIT;

	*out = NULL;
	if (ms_file_read(&b, path, 0)) {
		ms_buf_release(&b);
		return ms_error("public_key_file %s", ms_error_last());
	}
	*out = key_line(b.ptr);
	ms_buf_release(&b);
	return 0;
}

/*
 * The public key the pair imports, as far as the files tell at plan time:
 * given, in its file, or the public half of a private key file already
 * there. A key still to be made stays unknown.
 */
static int key_local(const char *dir, json_t *desired, const json_t *stored)
{
	const char *inline_key = ms_kit_str(desired, "public_key", NULL);
	const char *pub_file = ms_kit_str(desired, "public_key_file", NULL);
	const char *priv_file = ms_kit_str(desired, "private_key_file", NULL);
	char *path = NULL, *line = NULL;
	struct stat st;
	int err = 0, given = !!inline_key + !!pub_file + !!priv_file;

	if (given != 1)
		return ms_error("give one of public_key, public_key_file and "
				"private_key_file (a key made here)");
	if (inline_key) {
		line = key_line(inline_key);
	} else if (pub_file) {
		path = ms_files_path(dir, desired, "public_key_file", NULL);
		err = read_text(&line, path);
	} else {
		path = ms_files_path(dir, desired, "private_key_file", NULL);
		if (!stat(path, &st)) {
			char *full = NULL;

			err = ms_sshkey_public_of(&full, path, NULL);
			line = full ? key_line(full) : NULL;
			free(full);
		}
	}
	if (!err && line)
		json_object_set_new(desired, "key_material", json_string(line));
	free(line);
	free(path);
	return err;
}

/* The attributes of a DescribeKeyPairs item; prior gives what AWS lacks. */
static json_t *key_attrs(const json_t *k, const json_t *prior)
{
	json_t *o = json_object();

	json_object_set_new(o, "key_name",
			    json_string(ms_kit_str(k, "keyName", "")));
	json_object_set_new(o, "id", json_string(ms_kit_str(k, "keyName", "")));
	json_object_set(o, "fingerprint", json_object_get(k, "keyFingerprint"));
	json_object_set(o, "key_pair_id", json_object_get(k, "keyPairId"));
	json_object_set(o, "key_type", json_object_get(k, "keyType"));
	json_object_set_new(o, "tags",
			    ms_ec2_tags(json_object_get(k, "tagSet")));
	/* AWS's copy of the public key, else what was imported */
	if (ms_kit_str(k, "publicKey", NULL)) {
		char *line = key_line(ms_kit_str(k, "publicKey", ""));

		json_object_set_new(o, "key_material", json_string(line));
		free(line);
	} else if (json_object_get(prior, "key_material")) {
		json_object_set(o, "key_material",
				json_object_get(prior, "key_material"));
	}
	json_object_set(o, "public_key", json_object_get(prior, "public_key"));
	json_object_set(o, "public_key_file",
			json_object_get(prior, "public_key_file"));
	json_object_set(o, "private_key_file",
			json_object_get(prior, "private_key_file"));
	return o;
}

/* The live attributes of key pair name, or NULL when there is none. */
static int read_key(json_t **out, struct ms_call *call, const char *name,
		    const json_t *prior)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *p = json_pack("{s:s, s:b}", "KeyName.1", name,
			      "IncludePublicKey", 1);
	json_t *answer = NULL, *items, *k;
	int err =
		ms_ec2_call(&answer, &error, call->aws, "DescribeKeyPairs", p);

	*out = NULL;
	items = err ? NULL : ms_ec2_items(json_object_get(answer, "keySet"));
	k = json_array_get(items, 0);
	if (!err && k)
		*out = key_attrs(k, prior);
	if (err && ms_aws_error_is(&error, "InvalidKeyPair.NotFound", NULL)) {
		ms_error_clear();
		err = 0;
	}
	ms_aws_error_release(&error);
	json_decref(answer);
	json_decref(items);
	json_decref(p);
	return err;
}

static int key_read(struct ms_call *call, const json_t *prior, json_t **out)
{
	return read_key(out, call, ms_kit_name(call, prior), prior);
}

static json_t *listed_attrs(struct ms_call *call, const json_t *k,
			    const json_t *prior)
{
	return key_attrs(k, prior);
}

/*
 * A refresh of many key pairs: DescribeKeyPairs filtered by their names
 * (the call has no pages). One not listed is left to its own read.
 */
static int key_read_many(struct ms_call *call, const json_t *priors,
			 json_t **out)
{
	json_t *params = json_pack("{s:b}", "IncludePublicKey", 1);
	const struct ms_ec2_many many = {
		.action = "DescribeKeyPairs",
		.params = params,
		.filter = "key-name",
		.set = "keySet",
		.item_key = "keyName",
		.attrs = listed_attrs,
	};
	int err = ms_ec2_read_many(call, priors, &many, out);

	json_decref(params);
	return err;
}

/* Only the two words AWS compares: it keeps no comment. */
static bool same_key(const char *a, const char *b)
{
	size_t n = strcspn(a, " "), m;

	if (strncmp(a, b, n) || b[n] != ' ')
		return false;
	a += n + 1;
	b += n + 1;
	n = strcspn(a, " ");
	m = strcspn(b, " ");
	return n == m && !strncmp(a, b, n);
}

static int key_create(struct ms_call *call, const json_t *desired, json_t **out)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	const char *name = ms_kit_str(desired, "key_name", "");
	const char *material = ms_kit_str(desired, "key_material", NULL);
	char *made = NULL, *line = NULL, *path = NULL, *b64 = NULL, what[300];
	json_t *p = NULL, *have = NULL;
	int err = 0;

	*out = NULL;
	if (!material) {
		/* a new key, made now: the private half stays here */
		path = ms_files_path(call->dir, desired, "private_key_file",
				     "");
		err = ms_sshkey_generate(&made, path, name);
		if (!err) {
			ms_call_progress(call,
					 "made an Ed25519 key; its "
					 "private half is in %s",
					 path);
			line = key_line(made);
		}
		material = line;
	}
	if (!err) {
		b64 = ms_malloc(4 * (strlen(material) / 3 + 1) + 1);
		EVP_EncodeBlock((unsigned char *)b64,
				(const unsigned char *)material,
				(int)strlen(material));
		p = json_pack("{s:s, s:s}", "KeyName", name,
			      "PublicKeyMaterial", b64);
		ms_ec2_tag_spec(p, 1, "key-pair",
				json_object_get(desired, "tags"));
		err = ms_ec2_call(NULL, &error, call->aws, "ImportKeyPair", p);
	}
	if (err && ms_aws_error_is(&error, "InvalidKeyPair.Duplicate", NULL)) {
		ms_error_clear();
		err = read_key(&have, call, name, desired);
		snprintf(what, sizeof(what), "key pair '%s'", name);
		if (!err &&
		    (!have ||
		     !ms_call_owns(call, json_object_get(have, "tags")) ||
		     (ms_kit_str(have, "key_material", NULL) &&
		      !same_key(ms_kit_str(have, "key_material", ""),
				material))))
			err = ms_call_taken(call, what, name);
	}
	if (!err)
		err = read_key(out, call, name, desired);
	if (!err && !*out)
		err = ms_error("key pair '%s': imported, but it cannot be read",
			       name);
	if (!err && !json_object_get(*out, "key_material"))
		json_object_set_new(*out, "key_material",
				    json_string(material));
	ms_aws_error_release(&error);
	json_decref(p);
	json_decref(have);
	free(made);
	free(line);
	free(path);
	free(b64);
	return err;
}

static int key_update(struct ms_call *call, const json_t *prior,
		      const json_t *desired, json_t **out)
{
	const char *name = ms_kit_name(call, prior);
	int err = ms_ec2_tags_update(call->aws,
				     ms_kit_str(prior, "key_pair_id", name),
				     json_object_get(prior, "tags"),
				     json_object_get(desired, "tags"));

	*out = NULL;
	if (!err)
		err = read_key(out, call, name, desired);
	if (!err && !*out)
		err = ms_error("key pair '%s' vanished", name);
	return err;
}

/* The pair goes; a private key file made here stays, the user's. */
static int key_delete(struct ms_call *call, const json_t *prior)
{
	json_t *p = json_pack("{s:s}", "KeyName", ms_kit_name(call, prior));
	int err = ms_ec2_call(NULL, NULL, call->aws, "DeleteKeyPair", p);

	json_decref(p);
	return err;
}

static int key_normalize(json_t *attrs)
{
	ms_kit_strings(json_object_get(attrs, "tags"));
	return 0;
}

static const struct ms_tf_type tf = { .schema_version = 1 };

const struct ms_resource_type ms_aws_key_pair = {
	.name = "aws_key_pair",
	.schema = schema,
	.id_attr = "key_name",
	.name_min = 1,
	.name_max = 255,
	.name_chars = " -~", /* printable ASCII */
	.read = key_read,
	.read_many = key_read_many,
	.create = key_create,
	.update = key_update,
	.delete = key_delete,
	.normalize = key_normalize,
	.local = key_local,
	.terraform = &tf,
	.cost = ms_cost_free,
};
