/*
 * awssetup: everything the daemon needs to talk to AWS, from struct config:
 * the region and where it came from, the endpoint URLs of logs, kms and sts,
 * and the options of the credential chain (include/creds.h). Also the
 * "credentials: ..., region: ..." line of `vpcflowd -c FILE -n`.
 *
 * Region: `region` in the configuration, else $AWS_REGION, else
 * $AWS_DEFAULT_REGION, else the profile's region in the shared files, else
 * the instance's region from IMDSv2. The signing scope of every endpoint is
 * REGION/SERVICE, whatever host `endpoint` (or kms/sts_endpoint) names.
 */
#ifndef VPCFLOWD_AWSSETUP_H
#define VPCFLOWD_AWSSETUP_H

#include <stdio.h>

#include "buf.h"
#include "config.h"
#include "creds.h"
#include "region.h"

struct aws_setup {
	char			*region;
	enum region_source	 region_source;
	char			*region_from;	/* "AWS_REGION", "profile 'x' in FILE", ... */
	char			*logs_url;	/* `endpoint` or https://logs.REGION... */
	char			*kms_url;
	char			*sts_url;
	struct creds_opts	 creds;		/* for creds_chain_new(); points into cfg and here */
};

/*
 * Resolve the region (order above) into *region (malloc'ed), its source
 * and a description in from. Returns 0, or -1 with err when no source
 * has one or the one found is not a valid region name.
 */
int	aws_region_resolve(const char *cfg_region, const char *profile,
	    char **region, enum region_source *src, struct buf *from,
	    struct buf *err);

/*
 * Fill s from cfg (the region resolved, the URLs derived). Returns 0, or
 * -1 with err. s refers to cfg's strings: free s before cfg. Call
 * aws_setup_free() in both cases.
 */
int	aws_setup_init(struct aws_setup *s, const struct config *cfg,
	    struct buf *err);
void	aws_setup_free(struct aws_setup *s);

/*
 * For -n: resolve the region, fetch credentials once through the whole
 * chain, and print "credentials: SOURCE, region: R (from WHERE), endpoint:
 * URL" to fp. Returns 0, or -1 with err (the line is still printed, with
 * "none" where something is missing). No secret is printed.
 */
int	aws_describe_setup(const struct config *cfg, FILE *fp, struct buf *err);

#endif
