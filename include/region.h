/*
 * region: pure helpers about AWS regions and service endpoints. Where the
 * region comes from (configuration, environment, profile, IMDS) is decided
 * by aws_region_resolve() in awssetup.c, which uses these.
 */
#ifndef VPCFLOWD_REGION_H
#define VPCFLOWD_REGION_H

#include "buf.h"

enum region_source {
	REGION_FROM_NONE = 0,
	REGION_FROM_CONFIG,		/* region = "..." */
	REGION_FROM_AWS_REGION,		/* $AWS_REGION */
	REGION_FROM_AWS_DEFAULT_REGION,	/* $AWS_DEFAULT_REGION */
	REGION_FROM_PROFILE,		/* region in the shared config file */
	REGION_FROM_IMDS		/* instance metadata placement/region */
};

/* "configuration file", "AWS_REGION", ..., for -n and errors. */
const char *region_source_name(enum region_source src);

/* 1 when region looks like an AWS region ("eu-west-1": [a-z0-9-], 1..40). */
int	region_valid(const char *region);

/* "amazonaws.com.cn" for cn- regions, else "amazonaws.com". */
const char *region_dns_suffix(const char *region);

/*
 * Append the default endpoint of service in region:
 * https://SERVICE.REGION.amazonaws.com, SERVICE-fips. when fips,
 * .amazonaws.com.cn for cn- regions. A configured endpoint is used
 * verbatim instead (see region_endpoint_or); the signing scope stays
 * REGION/SERVICE whatever the host.
 */
void	region_endpoint_url(struct buf *out, const char *service,
	    const char *region, int fips);
/* override without trailing '/' when set, else region_endpoint_url(). */
void	region_endpoint_or(struct buf *out, const char *override,
	    const char *service, const char *region, int fips);

#endif
