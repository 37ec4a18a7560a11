/*
 * http: a thin libcurl wrapper. One client (one reused easy handle, so one
 * kept-alive connection) per endpoint. TLS certificates are always verified
 * (ca_file or the system store); the usual proxy variables apply (libcurl);
 * User-Agent "vpcflowd/VERSION". No retry here: callers classify and retry.
 *
 * URLs may carry secrets (the Logz.io token): this module never logs a URL,
 * and its error texts come from libcurl's error buffer, which holds no query.
 */
#ifndef VPCFLOWD_HTTP_H
#define VPCFLOWD_HTTP_H

#include <stddef.h>

#include "buf.h"

struct http_header {
	const char	*name;
	const char	*value;
};

struct http_response {
	long		 status;	/* HTTP status; 0 when no response arrived */
	struct buf	 body;
	char		*date;		/* "Date" response header or NULL (clock skew) */
	char		*amzn_error_type;	/* "X-Amzn-ErrorType" or NULL */
	char		*retry_after;	/* "Retry-After" or NULL */
	int		 transport_error;	/* 1: connect/TLS/timeout/reset: no usable response */
	int		 timed_out;	/* with transport_error: the timeout fired */
	int		 aborted;	/* with transport_error: the abort hook said so */
	char		 error[256];	/* transport error text (no URL, no secret) */
};

/* Response bodies above this are a transport error (a broken peer). */
#define HTTP_MAX_BODY	(64u << 20)

struct http_client_opts {
	const char	*ca_file;	/* NULL: system store */
	long		 connect_timeout_ms;
	long		 timeout_ms;	/* whole request */
	size_t		 max_body;	/* 0: HTTP_MAX_BODY */
};

struct http_client;

/* NULL (logged) when libcurl cannot be set up. */
struct http_client *http_client_new(const struct http_client_opts *opts);
void	http_client_free(struct http_client *c);

/*
 * An abort hook: during a transfer libcurl calls fn(arg) several times a
 * second (at least once a second while the peer is silent); non-zero ends
 * the request at once as a transport error with resp->aborted set. So a
 * SIGTERM does not wait for a request in flight. NULL fn removes it.
 */
typedef int (*http_abort_fn)(void *arg);
void	http_client_set_abort(struct http_client *c, http_abort_fn fn, void *arg);

/*
 * Perform one request. Returns 0 when a response arrived (whatever its
 * status), -1 on a transport error (resp->transport_error set, resp->error
 * says what). resp is reset first; release it with http_response_free().
 * GET and HEAD send no body; other methods send body (Content-Length 0
 * when NULL), POST as is, others as a custom method (PUT for IMDSv2).
 * A gzip body is the caller's: add "Content-Encoding: gzip" to headers.
 * A header value may be "" (sent empty); a name or value with CR or LF is
 * refused (-1, nothing sent). A Host header replaces curl's. Redirects are
 * not followed: a 3xx is returned as it is.
 */
int	http_request(struct http_client *c, const char *method, const char *url,
	    const struct http_header *headers, size_t nheaders,
	    const void *body, size_t body_len, struct http_response *resp);

void	http_response_init(struct http_response *resp);
void	http_response_free(struct http_response *resp);

#endif
