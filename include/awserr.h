/*
 * awserr: classify AWS error responses the way the SDKs' standard retry
 * mode does. Pure: no I/O.
 */
#ifndef VPCFLOWD_AWSERR_H
#define VPCFLOWD_AWSERR_H

#include <stddef.h>
#include <time.h>

enum aws_error_class {
	AWSERR_NONE = 0,
	AWSERR_THROTTLE,	/* ThrottlingException, LimitExceededException, ...: retry, longer */
	AWSERR_TRANSIENT,	/* 5xx, connection errors, timeouts: retry */
	AWSERR_EXPIRED_TOKEN,	/* ExpiredToken(Exception): refresh credentials, retry */
	AWSERR_CLOCK_SKEW,	/* signature expired / not yet current: fix clock, retry once */
	AWSERR_BAD_NEXT_TOKEN,	/* the pagination token was rejected: restart the window */
	AWSERR_FATAL		/* access, validation, not found, bad signature: report */
};

struct aws_error {
	enum aws_error_class	 cls;
	long			 status;	/* HTTP status, 0 for transport errors */
	char			 name[96];	/* e.g. "ThrottlingException" */
	char			 message[512];	/* AWS's message (scrubbed) or the transport error */
};

/*
 * Fill err from an HTTP status, the X-Amzn-ErrorType header (or NULL) and
 * the body (JSON with __type/message, or XML <Code>/<Message>). The name
 * is the text after '#' and before ':'. The message is one line, safe to
 * log: it ends before "The Canonical String for this request should have
 * been" or "The String-to-Sign should have been" (AWS quotes the signed
 * request there, session token included), and any x-amz-security-token
 * value left in it is "<redacted>".
 */
void	awserr_classify(struct aws_error *err, long status,
	    const char *amzn_error_type, const char *body, size_t body_len);

/* What an operator should do about a fatal error (AccessDenied: IAM policy ...). */
const char *awserr_advice(const struct aws_error *err);

/* Parse an HTTP Date header (RFC 7231 IMF-fixdate). Returns -1 if bad. */
time_t	awserr_parse_http_date(const char *date);

#endif
