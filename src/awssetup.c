/* awssetup: region, endpoints and credential options from the configuration (include/awssetup.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "awssetup.h"
#include "creds_provider.h"
#include "sts.h"

/* Take a region found in an environment variable. */
static int
region_from_env(const char *var, enum region_source which, char **region,
    enum region_source *src, struct buf *from)
{
	const char *v = creds_getenv(var);

	if (v == NULL)
		return 0;
	*region = buf_strdup(v);
	*src = which;
	buf_addstr(from, var);
	return 1;
}

/* The profile and IMDS sources, once the configuration and environment had none. */
static int
region_from_outside(const char *profile, char **region,
    enum region_source *src, struct buf *from, struct buf *err)
{
	struct buf why = BUF_INIT;
	int r;

	if ((r = creds_profile_region(profile, region, from, &why)) == 0) {
		*src = REGION_FROM_PROFILE;
		buf_free(&why);
		return 0;
	}
	if (r == -1)
		buf_addstr(&why, "; ");
	if ((r = creds_imds_region(region, &why)) == 0) {
		*src = REGION_FROM_IMDS;
		buf_addstr(from, region_source_name(REGION_FROM_IMDS));
		buf_free(&why);
		return 0;
	}
	buf_printf(err, "no AWS region: set region in the configuration "
	    "file or AWS_REGION%s%s", why.len > 0 ? " (" : "",
	    why.len > 0 ? why.data : "");
	if (why.len > 0)
		buf_addch(err, ')');
	buf_free(&why);
	return -1;
}

int
aws_region_resolve(const char *cfg_region, const char *profile,
    char **region, enum region_source *src, struct buf *from,
    struct buf *err)
{
	*region = NULL;
	*src = REGION_FROM_NONE;
	if (cfg_region != NULL && *cfg_region != '\0') {
		*region = buf_strdup(cfg_region);
		*src = REGION_FROM_CONFIG;
		buf_addstr(from, region_source_name(REGION_FROM_CONFIG));
	} else if (!region_from_env("AWS_REGION", REGION_FROM_AWS_REGION,
	    region, src, from) && !region_from_env("AWS_DEFAULT_REGION",
	    REGION_FROM_AWS_DEFAULT_REGION, region, src, from) &&
	    region_from_outside(profile, region, src, from, err) == -1)
		return -1;
	if (!region_valid(*region)) {
		buf_printf(err, "the region from %s is not a valid AWS region "
		    "name", from->data);
		free(*region);
		*region = NULL;
		return -1;
	}
	return 0;
}

int
aws_setup_init(struct aws_setup *s, const struct config *cfg, struct buf *err)
{
	struct buf from = BUF_INIT, url = BUF_INIT;
	const char *signing;

	memset(s, 0, sizeof(*s));
	if (aws_region_resolve(cfg->region, cfg->aws.profile, &s->region,
	    &s->region_source, &from, err) == -1) {
		buf_free(&from);
		return -1;
	}
	s->region_from = buf_detach(&from);
	region_endpoint_or(&url, cfg->endpoint, "logs", s->region,
	    cfg->aws.fips);
	s->logs_url = buf_detach(&url);
	region_endpoint_or(&url, cfg->aws.kms_endpoint, "kms", s->region,
	    cfg->aws.fips);
	s->kms_url = buf_detach(&url);
	sts_endpoint_url(&url, s->region, cfg->aws.fips, cfg->aws.sts_endpoint,
	    &signing);
	s->sts_url = buf_detach(&url);
	s->creds.profile = cfg->aws.profile;
	s->creds.region = s->region;
	s->creds.sts_endpoint = cfg->aws.sts_endpoint;
	s->creds.role_arn = cfg->aws.role_arn;
	s->creds.external_id = cfg->aws.external_id;
	s->creds.ca_file = cfg->ca_file;
	s->creds.fips = cfg->aws.fips;
	return 0;
}

void
aws_setup_free(struct aws_setup *s)
{
	free(s->region);
	free(s->region_from);
	free(s->logs_url);
	free(s->kms_url);
	free(s->sts_url);
	memset(s, 0, sizeof(*s));
}

int
aws_describe_setup(const struct config *cfg, FILE *fp, struct buf *err)
{
	struct aws_setup s;
	struct creds_chain *chain;
	const char *source = "none";
	int r = -1;

	if (aws_setup_init(&s, cfg, err) == -1) {
		fprintf(fp, "credentials: none, region: none\n");
		aws_setup_free(&s);
		return -1;
	}
	chain = creds_chain_new(&s.creds);
	if (creds_get(chain, time(NULL), err) != NULL) {
		source = creds_source(chain);
		r = 0;
	}
	fprintf(fp, "credentials: %s, region: %s (from %s), endpoint: %s\n",
	    source, s.region, s.region_from, s.logs_url);
	creds_chain_free(chain);
	aws_setup_free(&s);
	return r;
}
