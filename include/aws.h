/*
 * aws: one signed AWS call with the SDKs' standard retry behaviour.
 * Every request is paced by the token bucket (aws.max_rps), signed with
 * SigV4 from the credential chain, sent on the endpoint's kept-alive
 * connection; errors are classified (awserr.h) and retried with exponential
 * backoff and full jitter (backoff.h) when they are transient; an
 * ExpiredToken error refreshes the credentials; a clock-skew error corrects
 * the clock from the response's Date header and retries once.
 */
#ifndef VPCFLOWD_AWS_H
#define VPCFLOWD_AWS_H

#include <time.h>

#include "awserr.h"
#include "buf.h"
#include "creds.h"
#include "http.h"
#include "ratelimit.h"

/* One endpoint: where to send, and how to sign for it. */
struct aws_endpoint {
	char		*url;		/* "https://logs.eu-west-1.amazonaws.com" (no trailing '/') */
	char		*host;		/* host[:port] as signed */
	char		*region;	/* signing region */
	char		*service;	/* signing service: "logs", "kms", "sts" */
	struct http_client *http;	/* its own connection */
};

struct aws_client {
	struct creds_chain	*creds;
	struct ratelimit	 pacing;	/* shared by every endpoint */
	long			 clock_skew;	/* seconds to add to local time when signing */
	int			 max_attempts;	/* 0: retry transient errors without limit */
	volatile int		*stop;		/* non-zero: give up retrying (SIGTERM); may be NULL */
};

/*
 * POST a JSON 1.1 request (X-Amz-Target: target) to ep and wait for a final
 * answer. Returns 0 with the 200 response body in out, or -1 with *err
 * filled (class, name, message: what AWS said, never a secret) for an error
 * that is not worth retrying, or when retries were exhausted or stopped.
 */
int	aws_json_call(struct aws_client *c, struct aws_endpoint *ep,
	    const char *target, const char *body, struct buf *out,
	    struct aws_error *err);

/*
 * POST a form-encoded query-protocol request (STS) to ep, signed unless
 * unsigned_request. Same contract as aws_json_call (the body is XML).
 */
int	aws_query_call(struct aws_client *c, struct aws_endpoint *ep,
	    const char *form_body, int unsigned_request, struct buf *out,
	    struct aws_error *err);

/* Fill ep from a URL; host and signing scope; opens its http client. */
int	aws_endpoint_init(struct aws_endpoint *ep, const char *url,
	    const char *region, const char *service, const char *ca_file,
	    long timeout_ms);
void	aws_endpoint_free(struct aws_endpoint *ep);

#endif
