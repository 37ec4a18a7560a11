/*
 * http: one reused libcurl easy handle per client (include/http.h).
 * Every request starts from curl_easy_reset(), which keeps the live
 * connection, and sets every option again, so nothing leaks from one
 * request into the next.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "buf.h"
#include "http.h"
#include "log.h"

#ifndef VPCFLOWD_VERSION
#error "VPCFLOWD_VERSION must be defined (the Makefile does)"
#endif

#define HTTP_USER_AGENT	"vpcflowd/" VPCFLOWD_VERSION

struct http_client {
	CURL		*curl;
	char		*ca_file;
	long		 connect_timeout_ms;
	long		 timeout_ms;
	size_t		 max_body;
	http_abort_fn	 abort_fn;
	void		*abort_arg;
	char		 errbuf[CURL_ERROR_SIZE];
};

/* What the callbacks of one request fill in. */
struct http_xfer {
	struct http_response	*resp;
	size_t			 max_body;
	int			 too_large;
	int			 aborted;
	struct http_client	*client;
};

static pthread_once_t http_once = PTHREAD_ONCE_INIT;
static CURLcode http_global_rc = CURLE_FAILED_INIT;

static void
http_global_init(void)
{
	http_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct http_client *
http_client_new(const struct http_client_opts *opts)
{
	struct http_client *c;
	struct buf ca = BUF_INIT;

	pthread_once(&http_once, http_global_init);
	if (http_global_rc != CURLE_OK) {
		log_warnx("libcurl: %s", curl_easy_strerror(http_global_rc));
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("http client");
	if ((c->curl = curl_easy_init()) == NULL) {
		log_warnx("libcurl: cannot create a handle");
		free(c);
		return NULL;
	}
	if (opts->ca_file != NULL) {
		buf_addstr(&ca, opts->ca_file);
		c->ca_file = buf_detach(&ca);
	}
	c->connect_timeout_ms = opts->connect_timeout_ms;
	c->timeout_ms = opts->timeout_ms;
	c->max_body = opts->max_body > 0 ? opts->max_body : HTTP_MAX_BODY;
	return c;
}

void
http_client_free(struct http_client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	free(c->ca_file);
	free(c);
}

void
http_response_init(struct http_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->body);
}

/* Forget the captured headers (a new response starts, or the end). */
static void
clear_headers(struct http_response *resp)
{
	free(resp->date);
	free(resp->amzn_error_type);
	free(resp->retry_after);
	resp->date = resp->amzn_error_type = resp->retry_after = NULL;
}

void
http_response_free(struct http_response *resp)
{
	clear_headers(resp);
	buf_free(&resp->body);
	http_response_init(resp);
}

/* Empty resp for a new request, keeping the body's memory. */
static void
response_reset(struct http_response *resp)
{
	struct buf body = resp->body;

	clear_headers(resp);
	memset(resp, 0, sizeof(*resp));
	resp->body = body;
	buf_reset(&resp->body);
}

/*
 * Keep the value of the header line if its name is one we capture. A status
 * line starts a new response (100 Continue, a proxy's answer before the
 * real one): what the previous one said is forgotten.
 */
static size_t
header_cb(char *data, size_t size, size_t nitems, void *arg)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} wanted[] = {
		{ "date", offsetof(struct http_response, date) },
		{ "x-amzn-errortype",
		    offsetof(struct http_response, amzn_error_type) },
		{ "retry-after", offsetof(struct http_response, retry_after) },
	};
	struct http_xfer *x = arg;
	size_t n = size * nitems, name_len, i;
	const char *colon, *v, *end;
	struct buf val = BUF_INIT;
	char **slot;

	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		clear_headers(x->resp);
		return n;
	}
	if ((colon = memchr(data, ':', n)) == NULL)
		return n;
	name_len = (size_t)(colon - data);
	for (v = colon + 1, end = data + n; v < end && (*v == ' ' ||
	    *v == '\t'); v++)
		;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
	    end[-1] == ' ' || end[-1] == '\t'))
		end--;
	for (i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		if (strlen(wanted[i].name) != name_len ||
		    strncasecmp(data, wanted[i].name, name_len) != 0)
			continue;
		slot = (char **)(void *)((char *)x->resp + wanted[i].off);
		free(*slot);
		buf_add(&val, v, (size_t)(end - v));
		*slot = buf_detach(&val);
		break;
	}
	return n;
}

/* Append the body, refusing to grow past the client's limit. */
static size_t
write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer *x = arg;
	size_t n = size * nmemb;

	if (n > x->max_body - x->resp->body.len) {
		x->too_large = 1;
		return 0;	/* CURLE_WRITE_ERROR */
	}
	buf_add(&x->resp->body, data, n);
	return n;
}

/* libcurl's progress callback: ask the abort hook whether to go on. */
static int
xferinfo_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct http_xfer *x = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (x->client->abort_fn(x->client->abort_arg) == 0)
		return 0;
	x->aborted = 1;
	return 1;	/* CURLE_ABORTED_BY_CALLBACK */
}

void
http_client_set_abort(struct http_client *c, http_abort_fn fn, void *arg)
{
	c->abort_fn = fn;
	c->abort_arg = arg;
}

/*
 * The request headers as curl wants them, or NULL (err set) when a name
 * or a value could smuggle a line break. "Expect:" turns off 100-continue.
 */
static struct curl_slist *
header_list(const struct http_header *headers, size_t n, char *err,
    size_t errlen)
{
	struct curl_slist *list = NULL, *l;
	struct buf line = BUF_INIT;
	size_t i;

	for (i = 0; i <= n; i++) {
		buf_reset(&line);
		if (i == n)
			buf_addstr(&line, "Expect:");
		else if (strpbrk(headers[i].name, "\r\n:") != NULL ||
		    strpbrk(headers[i].value, "\r\n") != NULL ||
		    headers[i].name[0] == '\0') {
			snprintf(err, errlen, "bad request header \"%.64s\"",
			    headers[i].name);
			curl_slist_free_all(list);
			buf_free(&line);
			return NULL;
		} else if (headers[i].value[0] == '\0')
			buf_printf(&line, "%s;", headers[i].name);
		else
			buf_printf(&line, "%s: %s", headers[i].name,
			    headers[i].value);
		if ((l = curl_slist_append(list, line.data)) == NULL)
			fatalx("http: out of memory");
		list = l;
	}
	buf_free(&line);
	return list;
}

/* Options that hold for every request: safety first, then the client's. */
static CURLcode
set_common(struct http_client *c, struct http_xfer *x)
{
	CURL *h = c->curl;
	CURLcode rc = CURLE_OK;

#define SETOPT(opt, val) \
	do { if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val); } while (0)
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_ERRORBUFFER, c->errbuf);
	SETOPT(CURLOPT_USERAGENT, HTTP_USER_AGENT);
	/* Certificates and host names are always verified (2: the name too). */
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file != NULL)
		SETOPT(CURLOPT_CAINFO, c->ca_file);
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	SETOPT(CURLOPT_TIMEOUT_MS, c->timeout_ms);
	SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
	SETOPT(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	SETOPT(CURLOPT_HEADERFUNCTION, header_cb);
	SETOPT(CURLOPT_HEADERDATA, x);
	SETOPT(CURLOPT_WRITEFUNCTION, write_cb);
	SETOPT(CURLOPT_WRITEDATA, x);
	if (c->abort_fn != NULL) {
		SETOPT(CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
		SETOPT(CURLOPT_XFERINFODATA, x);
		SETOPT(CURLOPT_NOPROGRESS, 0L);
	}
#undef SETOPT
	return rc;
}

/*
 * The method: GET and HEAD send no body; anything else sends body (maybe
 * empty), POST as such, the others as a custom request on top of it.
 */
static CURLcode
set_method(CURL *h, const char *method, const void *body, size_t body_len)
{
	CURLcode rc;

	if (strcmp(method, "GET") == 0)
		return curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	if (strcmp(method, "HEAD") == 0)
		return curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	rc = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)body_len);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_POSTFIELDS,
		    body != NULL ? body : "");
	if (rc == CURLE_OK && strcmp(method, "POST") != 0)
		rc = curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	return rc;
}

int
http_request(struct http_client *c, const char *method, const char *url,
    const struct http_header *headers, size_t nheaders,
    const void *body, size_t body_len, struct http_response *resp)
{
	struct http_xfer x = { resp, c->max_body, 0, 0, c };
	struct curl_slist *list;
	CURLcode rc;

	response_reset(resp);
	curl_easy_reset(c->curl);
	c->errbuf[0] = '\0';
	if ((list = header_list(headers, nheaders, resp->error,
	    sizeof(resp->error))) == NULL) {
		resp->transport_error = 1;
		return -1;
	}
	rc = set_common(c, &x);
	if (rc == CURLE_OK)
		rc = set_method(c->curl, method, body, body_len);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, list);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c->curl, CURLOPT_URL, url);
	if (rc == CURLE_OK)
		rc = curl_easy_perform(c->curl);
	/* The handle must not keep pointers to the list or to our stack. */
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(list);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE,
		    &resp->status);
		return 0;
	}
	clear_headers(resp);
	resp->status = 0;
	resp->transport_error = 1;
	resp->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
	resp->aborted = x.aborted;
	if (x.aborted)
		snprintf(resp->error, sizeof(resp->error),
		    "request abandoned: stopping");
	else if (x.too_large)
		snprintf(resp->error, sizeof(resp->error),
		    "response body larger than %zu bytes", c->max_body);
	else
		snprintf(resp->error, sizeof(resp->error), "%s",
		    c->errbuf[0] != '\0' ? c->errbuf : curl_easy_strerror(rc));
	return -1;
}
