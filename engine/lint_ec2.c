/*
 * lint_ec2.c - the EC2 rules: SSH open to the internet, instances that
 * answer IMDSv1, unencrypted root volumes.
 *
 * An instance that does not say is judged by what AWS does then: the
 * metadata service answers IMDSv1 unless the image asks for IMDSv2 only,
 * and the root volume is encrypted only when the image's snapshot is or
 * the account encrypts new volumes by default, neither of which the
 * stack shows.
 */
#include "util/common.h"
#include "engine/lint_internal.h"
#include "engine/expr.h"

#include <strings.h>

#define GROUP    "aws_security_group"
#define INSTANCE "aws_instance"

static const struct ms_lint_rule rules[] = {
	{ "MLS-EC2-001", GROUP, MS_LINT_HIGH,
	  "security group admits SSH from anywhere",
	  "port 22 open to 0.0.0.0/0 (or ::/0) is scanned and brute-forced "
	  "within minutes of the instance starting; one weak key or an "
	  "unpatched sshd is then a way in",
	  "cidr_blocks: the addresses you connect from (\"203.0.113.10/32\", "
	  "a variable), or no port 22 and SSM Session Manager",
	  "CKV_AWS_24" },
	{ "MLS-EC2-002", INSTANCE, MS_LINT_MEDIUM, "instance answers IMDSv1",
	  "the instance metadata service without session tokens hands the "
	  "instance role's credentials to anything that can make the "
	  "instance send a GET request (an SSRF in a notebook server, a "
	  "proxy)",
	  "metadata_options: {http_tokens: required}", "CKV_AWS_79" },
	{ "MLS-EC2-003", INSTANCE, MS_LINT_MEDIUM,
	  "instance root volume not encrypted",
	  "the root volume (and its snapshots) holds the dataset copied to "
	  "it, keys and caches in the clear for anyone who can read the "
	  "volume or a snapshot of it",
	  "root_block_device: {encrypted: true}", "CKV_AWS_8" },
	{ NULL },
};

/* Whether ingress rule x admits port (protocol tcp or all); -1: unknown. */
static int admits(const json_t *x, double port)
{
	const char *proto = ms_lint_str(x, "protocol");
	double from, to;

	if (!proto)
		return -1;
	if (!strcmp(proto, "-1") || !strcasecmp(proto, "all"))
		return 1;
	if (strcasecmp(proto, "tcp") && strcmp(proto, "6"))
		return 0;
	if (!ms_lint_number(x, "from_port", &from) ||
	    !ms_lint_number(x, "to_port", &to))
		return -1;
	return from <= port && port <= to;
}

static void check_group(struct ms_lint *L, const struct ms_lint_res *r)
{
	const json_t *ingress = ms_lint_get(r->attrs, "ingress"), *x, *c;
	const json_t *cidrs;
	char *at;
	size_t i, k;

	json_array_foreach(json_is_array(ingress) ? ingress : NULL, i, x) {
		if (admits(x, 22) != 1)
			continue;
		cidrs = ms_lint_get(x, "cidr_blocks");
		json_array_foreach(json_is_array(cidrs) ? cidrs : NULL, k, c) {
			const char *s = json_string_value(c);

			if (!s || (strcmp(s, "0.0.0.0/0") && strcmp(s, "::/0")))
				continue;
			at = ms_asprintf("ingress[%zu].cidr_blocks[%zu]", i, k);
			ms_lint_report(L, r, "MLS-EC2-001", at, NULL, NULL,
				       "ingress[%zu] admits SSH (port 22) from "
				       "anywhere (%s)",
				       i, s);
			free(at);
			break;
		}
	}
}

static void check_instance(struct ms_lint *L, const struct ms_lint_res *r)
{
	const json_t *md = json_object_get(r->attrs, "metadata_options");
	const json_t *disk = json_object_get(r->attrs, "root_block_device");
	const char *tokens, *endpoint;
	int enc;

	if (!md) {
		ms_lint_report(L, r, "MLS-EC2-002", "metadata_options", NULL,
			       NULL,
			       "no metadata_options: the metadata service "
			       "answers IMDSv1 unless the image asks for "
			       "IMDSv2 only");
	} else if ((tokens = ms_lint_str(md, "http_tokens")) &&
		   (endpoint = ms_lint_str(md, "http_endpoint")) &&
		   strcmp(tokens, "required") && strcmp(endpoint, "disabled")) {
		ms_lint_report(L, r, "MLS-EC2-002",
			       "metadata_options.http_tokens", NULL, NULL,
			       "http_tokens: %s: the metadata service answers "
			       "IMDSv1",
			       tokens);
	}
	if (!disk) {
		ms_lint_report(L, r, "MLS-EC2-003", "root_block_device", NULL,
			       NULL,
			       "no root_block_device: the root volume is "
			       "encrypted only if the image's snapshot is, "
			       "or the account encrypts EBS by default");
	} else if ((enc = ms_lint_bool(disk, "encrypted")) == 0 ||
		   (enc < 0 && json_is_object(disk) && !ms_is_unknown(disk) &&
		    !json_object_get(disk, "encrypted"))) {
		ms_lint_report(L, r, "MLS-EC2-003",
			       "root_block_device.encrypted", NULL, NULL,
			       "its root volume is not encrypted%s",
			       enc == 0 ? " (encrypted: false)" :
					  " (no encrypted: true)");
	}
}

static void check(struct ms_lint *L, const struct ms_lint_res *r)
{
	if (!strcmp(r->r->type, GROUP))
		check_group(L, r);
	else if (!strcmp(r->r->type, INSTANCE))
		check_instance(L, r);
}

const struct ms_lint_group ms_lint_ec2 = { rules, check };
