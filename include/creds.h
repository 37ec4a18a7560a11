/*
 * creds: AWS credentials behind one small provider interface (get, free),
 * one file per provider (creds_env.c, creds_webid.c, creds_profile.c,
 * creds_container.c, creds_imds.c, creds_assume.c), chained in the order of
 * DESIGN.md, with an expiry-aware cache in front: temporary credentials are
 * refreshed at least CREDS_REFRESH_MARGIN seconds before they expire, and at
 * once after an ExpiredToken error (creds_invalidate).
 */
#ifndef VPCFLOWD_CREDS_H
#define VPCFLOWD_CREDS_H

#include <time.h>

#include "buf.h"
#include "sigv4.h"

#define CREDS_REFRESH_MARGIN	300	/* seconds before Expiration */

enum creds_result {
	CREDS_OK = 0,
	CREDS_NOT_FOUND = 1,	/* this source is not configured: try the next */
	CREDS_ERROR = -1	/* configured but failed: err says why (no secret) */
};

struct creds_provider {
	const char	*name;	/* "environment", "web identity", "shared files (profile X)", ... */
	/* Fetch fresh credentials into *out (caller clears it with aws_creds_clear). */
	enum creds_result (*get)(struct creds_provider *p, struct aws_creds *out,
	    struct buf *err);
	void		(*free)(struct creds_provider *p);
	void		*ctx;
};

/* What providers need to know besides the environment. */
struct creds_opts {
	const char	*profile;	/* aws.profile or NULL */
	const char	*region;	/* for STS endpoints */
	const char	*sts_endpoint;	/* NULL: from the region */
	const char	*role_arn;	/* aws.role_arn: assume it on top of the chain */
	const char	*external_id;
	const char	*ca_file;
	int		 fips;
};

/* The cached chain. */
struct creds_chain;

struct creds_chain *creds_chain_new(const struct creds_opts *opts);
void	creds_chain_free(struct creds_chain *chain);

/*
 * Credentials valid at now for at least the refresh margin: the cached
 * ones, or fresh ones from the first provider that has some. Returns a
 * pointer owned by the chain (valid until the next call), or NULL after
 * appending to err what every provider said.
 */
const struct aws_creds *creds_get(struct creds_chain *chain, time_t now,
	    struct buf *err);
/* Forget the cached credentials (after ExpiredToken): the next get refetches. */
void	creds_invalidate(struct creds_chain *chain);
/* Name of the provider the cached credentials came from, or NULL. */
const char *creds_source(const struct creds_chain *chain);

#endif
