/*
 * endpoint.c - where each service's requests go, and how it is signed.
 *
 * The public AWS endpoints by default; AWS_ENDPOINT_URL_<SERVICE_ID> and
 * AWS_ENDPOINT_URL override them, as in every SDK (that is how the tests
 * and the demo reach a local emulator). The service id in the variable
 * is the SDK's, not the signing name: application-autoscaling is
 * APPLICATION_AUTO_SCALING. S3 is always addressed path style
 * (https://s3.<region>.amazonaws.com/<bucket>), which works for every
 * bucket name and for every emulator.
 */
#include "util/common.h"
#include "providers/aws/internal.h"

#include <strings.h>

struct service {
	const char *name;     /* signing name */
	const char *env;      /* AWS_ENDPOINT_URL_<env> */
	const char *host;     /* host prefix before .<region>.<dns suffix> */
	const char *protocol; /* wire protocol */
	int global;           /* one endpoint for the partition (IAM) */
};

static const struct service services[] = {
	{ "s3", "S3", "s3", "rest-xml", 0 },
	{ "iam", "IAM", "iam", "query", 1 },
	{ "sts", "STS", "sts", "query", 0 },
	{ "sagemaker", "SAGEMAKER", "api.sagemaker", "json", 0 },
	{ "lambda", "LAMBDA", "lambda", "rest-json", 0 },
	{ "application-autoscaling", "APPLICATION_AUTO_SCALING",
	  "application-autoscaling", "json", 0 },
	{ "ec2", "EC2", "ec2", "ec2", 0 },
	/* the Resource Groups Tagging API */
	{ "tagging", "RESOURCE_GROUPS_TAGGING_API", "tagging", "json", 0 },
};

static const struct service *find_service(const char *name)
{
	size_t i;

	for (i = 0; i < MS_ARRAY_SIZE(services); i++)
		if (!strcmp(services[i].name, name))
			return &services[i];
	return NULL;
}

const char *ms_aws_service_protocol(const char *service)
{
	const struct service *s = find_service(service);

	return s ? s->protocol : "json";
}

const char *ms_aws_endpoint_env(const char *service, char *buf, size_t size)
{
	const struct service *s = find_service(service);
	size_t i, n;

	if (s) {
		snprintf(buf, size, "AWS_ENDPOINT_URL_%s", s->env);
		return buf;
	}
	/* unknown: the signing name upper-cased, '-' and ' ' to '_' */
	snprintf(buf, size, "AWS_ENDPOINT_URL_%s", service);
	n = strlen(buf);
	for (i = strlen("AWS_ENDPOINT_URL_"); i < n; i++) {
		if (buf[i] >= 'a' && buf[i] <= 'z')
			buf[i] = (char)(buf[i] - 'a' + 'A');
		else if (buf[i] == '-' || buf[i] == ' ')
			buf[i] = '_';
	}
	return buf;
}

void ms_aws_endpoint_release(struct ms_aws_endpoint *ep)
{
	if (!ep)
		return;
	free(ep->url);
	free(ep->base_path);
	free(ep->host);
	free(ep->signing_region);
	memset(ep, 0, sizeof(*ep));
}

/* Split a custom endpoint URL into url, host and base path. */
static int parse_url(struct ms_aws_endpoint *ep, const char *var,
		     const char *value)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	int err = 0, https;
	size_t n;

	if (!u)
		ms_die_oom();
	if (curl_url_set(u, CURLUPART_URL, value, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		err = ms_error("%s: '%s' is not a URL", var, value);
		goto done;
	}
	if (strcasecmp(scheme, "https") && strcasecmp(scheme, "http")) {
		err = ms_error("%s: '%s' is not an http or https URL", var,
			       value);
		goto done;
	}
	{
		char *q = NULL;

		if (curl_url_get(u, CURLUPART_QUERY, &q, 0) == CURLUE_OK) {
			curl_free(q);
			err = ms_error("%s: '%s' must not have a query", var,
				       value);
			goto done;
		}
	}
	https = !strcasecmp(scheme, "https");
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
		port = NULL;
	if (port && !strcmp(port, https ? "443" : "80")) {
		curl_free(port);
		port = NULL;
	}
	ep->host = port ? ms_asprintf("%s:%s", host, port) : ms_strdup(host);
	ep->url = ms_asprintf("%s://%s", https ? "https" : "http", ep->host);
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		path = NULL;
	n = path ? strlen(path) : 0;
	while (n && path[n - 1] == '/')
		n--;
	ep->base_path = ms_strndup(path ? path : "", n);
	ep->custom = 1;
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return err;
}

static const char *dns_suffix(const char *region)
{
	if (!strncmp(region, "cn-", 3))
		return "amazonaws.com.cn";
	return "amazonaws.com";
}

int ms_aws_endpoint_resolve(struct ms_aws_endpoint *out, const char *service,
			    const char *region)
{
	const struct service *s = find_service(service);
	const char *ignore = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	const char *host = s ? s->host : service;
	const char *v = NULL, *var = NULL;
	char envname[96];
	int err;

	memset(out, 0, sizeof(*out));
	if (!region || !*region)
		return ms_error("%s: no region to send the request to",
				service);
	if (!ignore || strcasecmp(ignore, "true")) {
		var = ms_aws_endpoint_env(service, envname, sizeof(envname));
		v = getenv(var);
		if (!v || !*v) {
			var = "AWS_ENDPOINT_URL";
			v = getenv(var);
		}
	}
	if (v && *v) {
		err = parse_url(out, var, v);
		if (err) {
			ms_aws_endpoint_release(out);
			return err;
		}
	} else if (s && s->global) {
		/* IAM: one endpoint per partition */
		if (!strncmp(region, "cn-", 3))
			out->host = ms_asprintf("%s.cn-north-1.%s", host,
						dns_suffix(region));
		else if (!strncmp(region, "us-gov-", 7))
			out->host =
				ms_asprintf("%s.us-gov.amazonaws.com", host);
		else
			out->host = ms_asprintf("%s.amazonaws.com", host);
		out->url = ms_asprintf("https://%s", out->host);
		out->base_path = ms_strdup("");
	} else {
		out->host = ms_asprintf("%s.%s.%s", host, region,
					dns_suffix(region));
		out->url = ms_asprintf("https://%s", out->host);
		out->base_path = ms_strdup("");
	}
	/* IAM is signed for the partition's home region, even via an
	 * emulator: that is what the SDKs send and what proxies check. */
	if (s && s->global) {
		if (!strncmp(region, "cn-", 3))
			out->signing_region = ms_strdup("cn-north-1");
		else if (!strncmp(region, "us-gov-", 7))
			out->signing_region = ms_strdup("us-gov-west-1");
		else
			out->signing_region = ms_strdup("us-east-1");
	} else {
		out->signing_region = ms_strdup(region);
	}
	return 0;
}
