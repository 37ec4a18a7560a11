/*
 * aws: paced, signed AWS calls with the SDKs' standard retry behaviour
 * (include/aws.h). The loop is shared by the JSON 1.1 protocol (CloudWatch
 * Logs, KMS) and the query protocol (STS).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws.h"
#include "backoff.h"
#include "clock.h"
#include "log.h"
#include "sigv4.h"

#define AWS_JSON_TYPE	"application/x-amz-json-1.1"
#define AWS_FORM_TYPE	"application/x-www-form-urlencoded; charset=utf-8"
#define AWS_SLEEP_SLICE	0.2	/* seconds between looks at *stop */
#define AWS_MAX_HEADERS	(3 + SIGV4_MAX_ADD_HEADERS)

/* One call as the retry loop sees it. */
struct aws_call {
	const char	*content_type;
	const char	*target;	/* X-Amz-Target, or NULL */
	const char	*body;
	int		 sign;
	char		 op[64];	/* for the logs: "FilterLogEvents" */
};

/* Where the retry loop stands. */
struct aws_retry {
	struct backoff	 transient;
	struct backoff	 throttle;
	unsigned	 failures;	/* throttling/transient, in a row */
	unsigned	 expired;	/* credential refreshes */
	int		 skew_fixed;
};

void
aws_client_init(struct aws_client *c, struct creds_chain *creds,
    double max_rps, volatile int *stop)
{
	memset(c, 0, sizeof(*c));
	c->creds = creds;
	c->stop = stop;
	ratelimit_init(&c->pacing, max_rps, max_rps > 1 ? max_rps : 1,
	    clock_mono_s());
}

static int
stopped(const struct aws_client *c)
{
	return c->stop != NULL && *c->stop;
}

/*
 * Sleep on the monotonic clock in short slices, looking at *stop between
 * them (a signal may land just before a slice). Returns -1 when stopped.
 */
static int
sleep_for(const struct aws_client *c, double seconds)
{
	double deadline = clock_mono_s() + seconds, left;
	struct timespec ts;

	while (!stopped(c)) {
		if ((left = deadline - clock_mono_s()) <= 0)
			return 0;
		if (left > AWS_SLEEP_SLICE)
			left = AWS_SLEEP_SLICE;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
		if (c->wait_cb != NULL)
			c->wait_cb(c->wait_arg);
	}
	return -1;
}

/* Wait for a token of the bucket. Returns -1 when stopped. */
static int
pace(struct aws_client *c)
{
	double wait;

	while ((wait = ratelimit_take(&c->pacing, clock_mono_s())) > 0)
		if (sleep_for(c, wait) == -1)
			return -1;
	return stopped(c) ? -1 : 0;
}

static void
set_error(struct aws_error *err, enum aws_error_class cls, const char *name,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Fill err for a failure that has no AWS response. */
static void
set_error(struct aws_error *err, enum aws_error_class cls, const char *name,
    const char *fmt, ...)
{
	va_list ap;

	memset(err, 0, sizeof(*err));
	err->cls = cls;
	snprintf(err->name, sizeof(err->name), "%s", name);
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

/* The port of an URL authority (digits at s, n bytes): 1..65535, else -1. */
static long
parse_port(const char *s, size_t n)
{
	long port = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		port = port * 10 + (s[i] - '0');
	}
	return port >= 1 && port <= 65535 ? port : -1;
}

/*
 * Split the authority a[0..n) into host (lowercased, brackets kept for
 * IPv6) and port, appended to hostport as host[:port], the port left out
 * when it is the scheme's default. Returns 0 or -1.
 */
static int
parse_authority(const char *a, size_t n, long default_port,
    struct buf *hostport)
{
	const char *end = a + n, *host_end, *p;
	long port = 0;

	if (n > 0 && a[0] == '[') {
		if ((host_end = memchr(a, ']', n)) == NULL || host_end == a + 1)
			return -1;
		for (p = a + 1; p < host_end; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':' &&
			    *p != '.')
				return -1;
		host_end++;
	} else {
		if ((host_end = memchr(a, ':', n)) == NULL)
			host_end = end;
		for (p = a; p < host_end; p++)
			if (!isalnum((unsigned char)*p) && *p != '-' &&
			    *p != '.')
				return -1;
	}
	if (host_end == a)
		return -1;
	if (host_end < end && (*host_end != ':' || (port = parse_port(
	    host_end + 1, (size_t)(end - host_end - 1))) == -1))
		return -1;
	for (p = a; p < host_end; p++)
		buf_addch(hostport, (char)tolower((unsigned char)*p));
	if (port != 0 && port != default_port)
		buf_printf(hostport, ":%ld", port);
	return 0;
}

int
aws_endpoint_init(struct aws_endpoint *ep, const char *url,
    const char *region, const char *service, const char *ca_file,
    long timeout_ms)
{
	struct http_client_opts opts = { ca_file, AWS_CONNECT_TIMEOUT_MS,
	    timeout_ms > 0 ? timeout_ms : AWS_TIMEOUT_MS, 0 };
	struct buf host = BUF_INIT, u = BUF_INIT;
	const char *scheme, *a, *rest;
	long default_port;

	memset(ep, 0, sizeof(*ep));
	if (strncasecmp(url, "https://", 8) == 0) {
		scheme = "https";
		default_port = 443;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		scheme = "http";
		default_port = 80;
	} else {
		log_warnx("endpoint \"%s\": not an http:// or https:// URL",
		    url);
		return -1;
	}
	a = url + strlen(scheme) + 3;
	rest = a + strcspn(a, "/?#");
	if (strcmp(rest, "") != 0 && strcmp(rest, "/") != 0) {
		log_warnx("endpoint \"%s\": a path, query or fragment is not "
		    "supported (give scheme://host[:port])", url);
		return -1;
	}
	if (parse_authority(a, (size_t)(rest - a), default_port, &host) == -1) {
		log_warnx("endpoint \"%s\": bad host or port", url);
		buf_free(&host);
		return -1;
	}
	if (opts.connect_timeout_ms > opts.timeout_ms)
		opts.connect_timeout_ms = opts.timeout_ms;
	if ((ep->http = http_client_new(&opts)) == NULL) {
		buf_free(&host);
		return -1;
	}
	buf_printf(&u, "%s://%s", scheme, host.data);
	ep->url = buf_detach(&u);
	ep->host = buf_detach(&host);
	ep->region = buf_strdup(region);
	ep->service = buf_strdup(service);
	return 0;
}

void
aws_endpoint_free(struct aws_endpoint *ep)
{
	http_client_free(ep->http);
	buf_free(&ep->spare);
	free(ep->url);
	free(ep->host);
	free(ep->region);
	free(ep->service);
	memset(ep, 0, sizeof(*ep));
}

/* The operation's name for the logs: after the target's '.', or Action=. */
static void
call_op(struct aws_call *call)
{
	const char *s, *end;

	if (call->target != NULL) {
		s = strrchr(call->target, '.');
		s = s != NULL ? s + 1 : call->target;
		end = s + strlen(s);
	} else if ((s = strstr(call->body, "Action=")) != NULL &&
	    (s == call->body || s[-1] == '&')) {
		s += 7;
		end = s + strcspn(s, "&");
	} else {
		s = "request";
		end = s + 7;
	}
	snprintf(call->op, sizeof(call->op), "%.*s", (int)(end - s), s);
}

/* The canonical request for -vvv, the session token's value left out. */
static void
trace_signing(const struct aws_endpoint *ep, const struct aws_call *call,
    const struct sigv4_result *res)
{
	static const char tok[] = "\nx-amz-security-token:";
	struct buf cr = BUF_INIT;
	const char *s = res->canonical_request.data, *t, *eol;

	if ((t = strstr(s, tok)) != NULL) {
		t += sizeof(tok) - 1;
		eol = t + strcspn(t, "\n");
		buf_add(&cr, s, (size_t)(t - s));
		buf_addstr(&cr, "<redacted>");
		buf_addstr(&cr, eol);
	} else
		buf_addstr(&cr, s);
	log_trace("%s %s: canonical request:\n%s", ep->host, call->op,
	    cr.data);
	log_trace("%s %s: string to sign:\n%s", ep->host, call->op,
	    res->string_to_sign.data);
	buf_free(&cr);
}

/*
 * Sign (when asked) and send one request. Returns 0 when something came
 * back (a response or a transport error, in *resp), -1 with err filled when
 * the request could not even be made (no credentials, signing failed).
 */
static int
send_once(struct aws_client *c, struct aws_endpoint *ep,
    const struct aws_call *call, struct http_response *resp,
    struct aws_error *err)
{
	struct http_header h[AWS_MAX_HEADERS];
	struct sigv4_header sh[3];
	struct sigv4_request req;
	struct sigv4_result res;
	const struct aws_creds *creds;
	struct buf cerr = BUF_INIT;
	time_t now = time(NULL) + c->clock_skew;
	size_t n = 0, i;

	sh[n++] = (struct sigv4_header){ "host", ep->host };
	sh[n++] = (struct sigv4_header){ "content-type", call->content_type };
	if (call->target != NULL)
		sh[n++] = (struct sigv4_header){ "x-amz-target", call->target };
	for (i = 0; i < n; i++)
		h[i] = (struct http_header){ sh[i].name, sh[i].value };
	memset(&res, 0, sizeof(res));
	if (call->sign) {
		if (c->creds == NULL ||
		    (creds = creds_get(c->creds, now, &cerr)) == NULL) {
			set_error(err, AWSERR_FATAL, "NoCredentials",
			    "no usable AWS credentials: %s", cerr.data != NULL ?
			    cerr.data : "no credential chain");
			buf_free(&cerr);
			return -1;
		}
		req = (struct sigv4_request){ "POST", "/", NULL, sh, n,
		    call->body, strlen(call->body), NULL };
		if (sigv4_sign(&req, creds, ep->region, ep->service, now,
		    &res) == -1) {
			set_error(err, AWSERR_FATAL, "SigningFailed",
			    "cannot sign the request: %s", strerror(errno));
			return -1;
		}
		if (log_enabled(LOG_LEVEL_TRACE))
			trace_signing(ep, call, &res);
		for (i = 0; i < res.nheaders; i++)
			h[n++] = (struct http_header){ res.headers[i].name,
			    res.headers[i].value };
	}
	http_request(ep->http, "POST", ep->url, h, n, call->body,
	    strlen(call->body), resp);
	sigv4_result_free(&res);
	if (resp->transport_error)
		log_trace("%s %s: no response: %s", ep->host, call->op,
		    resp->error);
	else
		log_trace("%s %s: HTTP %ld, %zu bytes", ep->host, call->op,
		    resp->status, resp->body.len);
	return 0;
}

/* Retry-After in seconds (the delta form only), else -1. */
static double
retry_after(const struct http_response *resp)
{
	const char *s = resp->retry_after;
	char *end;
	long v;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno == 0 && *end == '\0' ? (double)v : -1;
}

/*
 * Wait before retrying a throttling or transient error: debug for each,
 * a warning when they pile up. Returns -1 when stopped or out of attempts.
 */
static int
backoff_wait(struct aws_client *c, const struct aws_endpoint *ep,
    const struct aws_call *call, struct aws_retry *st,
    const struct http_response *resp, const struct aws_error *err,
    unsigned attempt)
{
	int throttled = err->cls == AWSERR_THROTTLE;
	double delay, cap, ra;

	st->failures++;
	if (c->max_attempts > 0 && attempt >= (unsigned)c->max_attempts) {
		log_warnx("%s %s: %s%s%s, giving up after %u attempts",
		    ep->host, call->op, err->name, err->name[0] ? ": " : "",
		    err->message, attempt);
		return -1;
	}
	delay = backoff_next(throttled ? &st->throttle : &st->transient);
	cap = throttled ? st->throttle.cap : st->transient.cap;
	if (throttled && (ra = retry_after(resp)) > delay)
		delay = ra < cap ? ra : cap;
	if (st->failures == AWS_WARN_AFTER ||
	    (st->failures > AWS_WARN_AFTER &&
	    st->failures % (4 * AWS_WARN_AFTER) == 0))
		log_warnx("%s %s: %u failures in a row, last %s%s%s; retrying "
		    "in %.1f s (%s)", ep->host, call->op, st->failures,
		    err->name, err->name[0] ? ": " : "", err->message, delay,
		    awserr_advice(err));
	else
		log_debug("%s %s: %s%s%s; retry %u in %.2f s", ep->host,
		    call->op, err->name, err->name[0] ? ": " : "",
		    err->message, st->failures, delay);
	c->retries++;
	return sleep_for(c, delay);
}

/*
 * Correct the clock from the response's Date header, once per call.
 * Returns -1 when it was done already or cannot be done.
 */
static int
fix_clock(struct aws_client *c, const struct aws_endpoint *ep,
    const struct aws_call *call, struct aws_retry *st,
    const struct http_response *resp, const struct aws_error *err)
{
	time_t server = awserr_parse_http_date(resp->date), local;

	if (st->skew_fixed) {
		log_warnx("%s %s: %s again after correcting the clock: %s",
		    ep->host, call->op, err->name, err->message);
		return -1;
	}
	if (server == -1) {
		log_warnx("%s %s: %s (%s) without a usable Date header: cannot "
		    "correct the clock", ep->host, call->op, err->name,
		    err->message);
		return -1;
	}
	local = time(NULL);
	log_warnx("%s %s: AWS says %s: the local clock is %lld s %s AWS's "
	    "(Date: %s); signing with AWS's time from now on; %s", ep->host,
	    call->op, err->name, llabs((long long)(local - server)),
	    local > server ? "ahead of" : "behind", resp->date,
	    awserr_advice(err));
	c->clock_skew = (long)(server - local);
	st->skew_fixed = 1;
	c->retries++;
	return 0;
}

/* Forget the credentials after ExpiredToken; -1 when that cannot help. */
static int
refresh_creds(struct aws_client *c, const struct aws_endpoint *ep,
    const struct aws_call *call, struct aws_retry *st, struct aws_error *err)
{
	if (!call->sign || c->creds == NULL ||
	    ++st->expired > AWS_EXPIRED_RETRIES) {
		err->cls = AWSERR_FATAL;
		return -1;
	}
	log_info("%s %s: %s: refreshing the credentials (from %s)", ep->host,
	    call->op, err->name, creds_source(c->creds) != NULL ?
	    creds_source(c->creds) : "the chain");
	creds_invalidate(c->creds);
	c->retries++;
	return 0;
}

/*
 * The abort hook of an endpoint's requests, called by libcurl at least
 * once a second: the wait callback runs there too (a watchdog is fed
 * inside a long request), and SIGTERM ends the request.
 */
static int
request_going_on(void *arg)
{
	struct aws_client *c = arg;

	if (c->wait_cb != NULL)
		c->wait_cb(c->wait_arg);
	return stopped(c);
}

/* The retry loop shared by both protocols. */
static int
aws_call(struct aws_client *c, struct aws_endpoint *ep,
    struct aws_call *call, struct buf *out, struct aws_error *err)
{
	struct http_response resp;
	struct buf swap;
	struct aws_retry st;
	uint64_t seed;
	unsigned attempt;
	int rc = -1, again;

	call_op(call);
	seed = backoff_seed() ^ (uint64_t)(uintptr_t)err;
	memset(&st, 0, sizeof(st));
	backoff_init(&st.transient, c->retry_base > 0 ? c->retry_base :
	    AWS_RETRY_BASE, c->retry_cap > 0 ? c->retry_cap : AWS_RETRY_CAP,
	    seed);
	backoff_init(&st.throttle, c->throttle_base > 0 ? c->throttle_base :
	    AWS_THROTTLE_BASE, c->throttle_cap > 0 ? c->throttle_cap :
	    AWS_THROTTLE_CAP, seed * 0x9e3779b97f4a7c15ULL);
	set_error(err, AWSERR_TRANSIENT, "Stopped",
	    "stopped before the request was sent");
	http_response_init(&resp);
	/*
	 * The response grows in storage kept by the endpoint; a 2xx body is
	 * swapped into out (no copy of a 1 MB page, no regrowth).
	 */
	resp.body = ep->spare;
	buf_init(&ep->spare);
	http_client_set_abort(ep->http, c->stop != NULL || c->wait_cb != NULL ?
	    request_going_on : NULL, c);
	for (attempt = 1, again = 1; again; attempt++) {
		if (pace(c) == -1 || send_once(c, ep, call, &resp, err) == -1)
			break;
		if (resp.transport_error && resp.aborted) {
			set_error(err, AWSERR_TRANSIENT, "Stopped",
			    "stopped while the request was in flight");
			break;
		} else if (resp.transport_error)
			set_error(err, AWSERR_TRANSIENT, resp.timed_out ?
			    "Timeout" : "ConnectionError", "%s", resp.error);
		else if (resp.status >= 200 && resp.status < 300) {
			if (st.failures >= AWS_WARN_AFTER)
				log_info("%s %s: succeeded after %u failures",
				    ep->host, call->op, st.failures);
			swap = *out;
			*out = resp.body;
			resp.body = swap;
			memset(err, 0, sizeof(*err));
			err->status = resp.status;
			rc = 0;
			break;
		} else
			awserr_classify(err, resp.status, resp.amzn_error_type,
			    resp.body.data, resp.body.len);
		switch (err->cls) {
		case AWSERR_THROTTLE:
		case AWSERR_TRANSIENT:
			again = backoff_wait(c, ep, call, &st, &resp, err,
			    attempt) == 0;
			break;
		case AWSERR_EXPIRED_TOKEN:
			again = refresh_creds(c, ep, call, &st, err) == 0;
			break;
		case AWSERR_CLOCK_SKEW:
			again = fix_clock(c, ep, call, &st, &resp, err) == 0;
			break;
		default:
			again = 0;
			break;
		}
	}
	ep->spare = resp.body;
	buf_reset(&ep->spare);
	buf_init(&resp.body);
	http_response_free(&resp);
	return rc;
}

int
aws_json_call(struct aws_client *c, struct aws_endpoint *ep,
    const char *target, const char *body, struct buf *out,
    struct aws_error *err)
{
	struct aws_call call = { AWS_JSON_TYPE, target, body, 1, "" };

	return aws_call(c, ep, &call, out, err);
}

int
aws_query_call(struct aws_client *c, struct aws_endpoint *ep,
    const char *form_body, int unsigned_request, struct buf *out,
    struct aws_error *err)
{
	struct aws_call call = { AWS_FORM_TYPE, NULL, form_body,
	    !unsigned_request, "" };

	return aws_call(c, ep, &call, out, err);
}
