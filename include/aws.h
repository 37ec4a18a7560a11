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
	struct buf	 spare;		/* response storage kept between calls */
};

/*
 * Retry timing (full jitter, backoff.h): delay = random(0, min(cap,
 * base * 2^n)) after the n-th failure in a row. Transient errors (5xx,
 * transport) follow the SDKs' standard mode (base 1 s, cap 20 s).
 * Throttling starts at 2 s and goes up to 60 s: the quota is shared by the
 * account, so backing off further than the SDKs leaves room for others,
 * and a daemon that polls every 30 s loses nothing by it. A Retry-After
 * of a few seconds is honoured up to the throttling cap.
 */
#define AWS_RETRY_BASE		1.0
#define AWS_RETRY_CAP		20.0
#define AWS_THROTTLE_BASE	2.0
#define AWS_THROTTLE_CAP	60.0
#define AWS_EXPIRED_RETRIES	3	/* credential refreshes per call */
#define AWS_WARN_AFTER		5	/* failures in a row before a warning */
#define AWS_CONNECT_TIMEOUT_MS	10000	/* at most; never above the request timeout */
#define AWS_TIMEOUT_MS		30000	/* aws_endpoint_init with timeout_ms <= 0 */

/*
 * A zeroed aws_client is usable: no pacing, default backoff, no limit on
 * retries, no credentials (unsigned calls only). aws_client_init is the
 * usual way to fill one.
 */
struct aws_client {
	struct creds_chain	*creds;
	struct ratelimit	 pacing;	/* shared by every endpoint */
	long			 clock_skew;	/* seconds to add to local time when signing */
	int			 max_attempts;	/* 0: retry transient errors without limit */
	volatile int		*stop;		/* non-zero: give up retrying (SIGTERM); may be NULL */
	double			 retry_base;	/* seconds; 0: AWS_RETRY_BASE (tests make it tiny) */
	double			 retry_cap;	/* 0: AWS_RETRY_CAP */
	double			 throttle_base;	/* 0: AWS_THROTTLE_BASE */
	double			 throttle_cap;	/* 0: AWS_THROTTLE_CAP */
	unsigned long		 retries;	/* requests sent again so far (for the summary) */
	/*
	 * Called between the short slices of every wait (pacing, backoff)
	 * and at least once a second during a request, so a caller can feed
	 * a watchdog; may be NULL. It must not use this client.
	 */
	void			(*wait_cb)(void *);
	void			*wait_arg;
};

/*
 * Zero c, then pace at max_rps (burst max(1, max_rps); <= 0: no pacing),
 * sign with creds (may be NULL for unsigned calls only), stop as above.
 */
void	aws_client_init(struct aws_client *c, struct creds_chain *creds,
	    double max_rps, volatile int *stop);

/*
 * POST a JSON 1.1 request (X-Amz-Target: target) to ep and wait for a final
 * answer. Returns 0 with the 2xx response body in out (replacing what out
 * held), or -1 with *err filled (class, name, message: what AWS said, never
 * a secret) for an error that is not worth retrying, or when retries were
 * exhausted or stopped. Retries: throttling and transient errors without
 * limit (or up to max_attempts requests); ExpiredToken refreshes the
 * credentials up to AWS_EXPIRED_RETRIES times, then fails as AWSERR_FATAL;
 * a clock-skew error sets clock_skew from the response's Date header and
 * is retried once. No credentials at all is AWSERR_FATAL "NoCredentials"
 * with the chain's explanation. Stopped (*stop): -1 with the last error,
 * or AWSERR_TRANSIENT "Stopped" when nothing was sent.
 */
int	aws_json_call(struct aws_client *c, struct aws_endpoint *ep,
	    const char *target, const char *body, struct buf *out,
	    struct aws_error *err);

/*
 * POST a form-encoded query-protocol request (STS) to ep, signed unless
 * unsigned_request (AssumeRoleWithWebIdentity: c->creds is not used, and
 * an ExpiredToken error is fatal at once: no refresh can help). Same
 * contract as aws_json_call (the body is XML).
 */
int	aws_query_call(struct aws_client *c, struct aws_endpoint *ep,
	    const char *form_body, int unsigned_request, struct buf *out,
	    struct aws_error *err);

/*
 * Fill ep from a URL "http[s]://host[:port][/]" (a path, query, fragment or
 * user name is refused; an IPv6 address goes in brackets); the host is
 * lowercased and a default port dropped, and ep->host is both signed and
 * sent as the Host header. Opens its http client (connect timeout
 * AWS_CONNECT_TIMEOUT_MS at most). Returns 0, or -1 after logging why.
 */
int	aws_endpoint_init(struct aws_endpoint *ep, const char *url,
	    const char *region, const char *service, const char *ca_file,
	    long timeout_ms);
void	aws_endpoint_free(struct aws_endpoint *ep);

#endif
