/*
 * Unit tests for aws: the retry loop against a scripted loopback server in
 * a child process (127.0.0.1, port 0, plain HTTP) that answers each request
 * with the next step of a script (a response, or hanging up) and appends
 * every request it got to a file the test reads afterwards.
 *
 * Credentials: the fake chain below is weak, so this file links alone
 * (cc ... src/aws.c ...) and also with the real creds.c (make unit); then
 * the real chain reads the same keys from the environment, and checks
 * that only the fake can make (refresh counts) are skipped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "aws.h"
#include "buf.h"
#include "creds.h"
#include "log.h"
#include "sigv4.h"

#define KEY_ID		"AKIDTEST0"
#define KEY_ID_NEXT	"AKIDTEST1"
#define SECRET		"wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY"
#define TOKEN		"FakeSessionToken0123456789abcdefXYZ"
#define TARGET		"Logs_20140328.FilterLogEvents"
#define REQ_MARK	"=== request\n"
#define MAX_STEPS	16

/* The fake credential chain (weak: the real one wins when linked). */
struct creds_chain {
	int	gets;
	int	invalidations;
};

static int fake_creds;

__attribute__((weak)) struct creds_chain *
creds_chain_new(const struct creds_opts *opts)
{
	(void)opts;
	fake_creds = 1;
	return calloc(1, sizeof(struct creds_chain));
}

__attribute__((weak)) void
creds_chain_free(struct creds_chain *chain)
{
	free(chain);
}

__attribute__((weak)) const struct aws_creds *
creds_get(struct creds_chain *chain, time_t now, struct buf *err)
{
	static char key[16], secret[] = SECRET, token[] = TOKEN;
	static struct aws_creds c = { key, secret, token, 0 };

	(void)now;
	if (getenv("AWS_ACCESS_KEY_ID") == NULL) {
		buf_addstr(err, "environment: AWS_ACCESS_KEY_ID is not set; "
		    "EC2 instance metadata: disabled");
		return NULL;
	}
	chain->gets++;
	snprintf(key, sizeof(key), "AKIDTEST%d", chain->invalidations);
	return &c;
}

__attribute__((weak)) void
creds_invalidate(struct creds_chain *chain)
{
	chain->invalidations++;
}

__attribute__((weak)) const char *
creds_source(const struct creds_chain *chain)
{
	(void)chain;
	return "fake";
}

/* The script: what the server answers, request after request. */
struct step {
	char	*text;	/* the whole response, or NULL: hang up without one */
};

static struct step script[MAX_STEPS];
static size_t nsteps;
static pid_t server_pid;
static int server_port;
static char record_path[] = "/tmp/vpcflowd-test-aws-XXXXXX";
static struct creds_chain *chain;

static void
step_reply(int status, const char *headers, const char *body)
{
	struct buf t = BUF_INIT;

	assert_true(nsteps < MAX_STEPS);
	buf_printf(&t, "HTTP/1.1 %d Whatever\r\nContent-Type: "
	    "application/x-amz-json-1.1\r\nContent-Length: %zu\r\n%s\r\n%s",
	    status, strlen(body), headers, body);
	script[nsteps++].text = buf_detach(&t);
}

static void
step_error(int status, const char *type, const char *message)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "{\"__type\":\"com.amazonaws.logs#%s\",\"message\":"
	    "\"%s\"}", type, message);
	step_reply(status, "", b.data);
	buf_free(&b);
}

/* Read the request, then answer nothing for 8 s (past the 5 s timeout). */
#define HANG	"\001hang"

static void
step_hang(void)
{
	assert_true(nsteps < MAX_STEPS);
	script[nsteps++].text = strdup(HANG);
}

static void
step_drop(void)
{
	assert_true(nsteps < MAX_STEPS);
	script[nsteps++].text = NULL;
}

/* Read one request from in (head lines, then Content-Length bytes). */
static int
read_request(FILE *in, struct buf *req)
{
	char *line = NULL, *body;
	size_t cap = 0, want = 0;
	ssize_t n;

	buf_reset(req);
	while ((n = getline(&line, &cap, in)) > 0) {
		buf_add(req, line, (size_t)n);
		if (strncasecmp(line, "Content-Length:", 15) == 0)
			want = strtoul(line + 15, NULL, 10);
		if (strcmp(line, "\r\n") == 0)
			break;
	}
	free(line);
	if (n <= 0)
		return -1;
	if (want > 0) {
		if ((body = malloc(want)) == NULL ||
		    fread(body, 1, want, in) != want) {
			free(body);
			return -1;
		}
		buf_add(req, body, want);
		free(body);
	}
	return 0;
}

/* The child: answer requests from the script, record them, forever. */
static void
serve(int lfd)
{
	static const char exhausted[] = "HTTP/1.1 400 Bad\r\nContent-Length: "
	    "32\r\n\r\n{\"__type\":\"ScriptExhaustedTest\"}";
	struct buf req = BUF_INIT;
	FILE *in = NULL, *rec;
	const char *text;
	size_t i = 0;
	int fd = -1;

	alarm(10);
	if ((rec = fopen(record_path, "a")) == NULL)
		_exit(1);
	for (;;) {
		if (in == NULL) {
			if ((fd = accept(lfd, NULL, NULL)) == -1 ||
			    (in = fdopen(fd, "r")) == NULL)
				_exit(1);
		}
		if (read_request(in, &req) == -1) {
			fclose(in);
			in = NULL;
			continue;
		}
		fprintf(rec, "%s%s", REQ_MARK, req.data);
		fflush(rec);
		text = i < nsteps ? script[i].text : exhausted;
		i++;
		if (text != NULL && strcmp(text, HANG) == 0) {
			sleep(8);
			continue;
		}
		if (text != NULL && write(fd, text, strlen(text)) < 0)
			_exit(1);
		/* Hang up; also before a drop, so it happens on a fresh connection. */
		if (text == NULL || (i < nsteps && script[i].text == NULL)) {
			fclose(in);
			in = NULL;
		}
	}
}

static void
server_start(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int lfd, fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((lfd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	server_port = ntohs(sin.sin_port);
	strcpy(record_path + strlen(record_path) - 6, "XXXXXX");
	assert_true((fd = mkstemp(record_path)) != -1);
	close(fd);
	assert_true((server_pid = fork()) != -1);
	if (server_pid == 0)
		serve(lfd);
	close(lfd);
}

/* What every test uses; set up and torn down by cmocka, also on failure. */
struct fx {
	struct aws_client	 c;
	struct aws_endpoint	 ep;
	struct aws_error	 err;
	struct buf		 out;	/* a call's result */
	struct buf		 rec;	/* what the server recorded */
	struct buf		 req;	/* one recorded request */
	struct buf		 v;	/* one header value */
};

/* Kill the server if it runs and forget the script. */
static void
server_cleanup(void)
{
	size_t i;

	if (server_pid > 0) {
		kill(server_pid, SIGKILL);
		waitpid(server_pid, NULL, 0);
		unlink(record_path);
		server_pid = 0;
	}
	for (i = 0; i < nsteps; i++)
		free(script[i].text);
	nsteps = 0;
}

static int
fx_setup(void **state)
{
	struct fx *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	server_cleanup();
	if (f->ep.http != NULL)
		aws_endpoint_free(&f->ep);
	buf_free(&f->out);
	buf_free(&f->rec);
	buf_free(&f->req);
	buf_free(&f->v);
	free(f);
	return 0;
}

/* Stop the server; rec gets what it recorded. Returns the request count. */
static int
server_stop(struct buf *rec)
{
	const char *p;
	int n = 0;

	kill(server_pid, SIGKILL);
	waitpid(server_pid, NULL, 0);
	server_pid = 0;
	buf_reset(rec);
	assert_int_equal(buf_read_file(rec, record_path), 0);
	unlink(record_path);
	server_cleanup();
	for (p = rec->data; p != NULL && (p = strstr(p, REQ_MARK)) != NULL;
	    p += strlen(REQ_MARK))
		n++;
	return n;
}

/* The n-th recorded request (from 0) into one. */
static void
request_n(const struct buf *rec, int n, struct buf *one)
{
	const char *p = rec->data, *end;

	for (; n >= 0; n--) {
		assert_non_null(p = strstr(p, REQ_MARK));
		p += strlen(REQ_MARK);
	}
	if ((end = strstr(p, REQ_MARK)) == NULL)
		end = p + strlen(p);
	buf_reset(one);
	buf_add(one, p, (size_t)(end - p));
}

/* The value of header name in a recorded request into v; 0, or -1. */
static int
header(const struct buf *req, const char *name, struct buf *v)
{
	const char *p = req->data, *eol;
	size_t n = strlen(name);

	buf_reset(v);
	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			p += strspn(p, " ");
			eol = strstr(p, "\r\n");
			buf_add(v, p, (size_t)(eol - p));
			return 0;
		}
	}
	return -1;
}

static const char *
body_of(const struct buf *req)
{
	const char *p = strstr(req->data, "\r\n\r\n");

	assert_non_null(p);
	return p + 4;
}

/* A client with tiny backoff delays, and an endpoint on the server. */
static void
client(struct fx *f, const char *service)
{
	char url[64];

	aws_client_init(&f->c, chain, 0, NULL);
	f->c.retry_base = 0.001;
	f->c.retry_cap = 0.004;
	f->c.throttle_base = 0.002;
	f->c.throttle_cap = 0.008;
	f->c.max_attempts = 20;	/* a broken test fails, never spins */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", server_port);
	assert_int_equal(aws_endpoint_init(&f->ep, url, "us-east-1", service,
	    NULL, 5000), 0);
}

/* One JSON call of the usual target. */
static int
call(struct fx *f, const char *body)
{
	return aws_json_call(&f->c, &f->ep, TARGET, body, &f->out, &f->err);
}

/* The value of header name in recorded request n (-1: absent). */
static int
req_header(struct fx *f, int n, const char *name)
{
	request_n(&f->rec, n, &f->req);
	return header(&f->req, name, &f->v);
}

/*
 * Sign the recorded request again: the same Authorization comes out only if
 * we signed what went on the wire (Host above all).
 */
static void
assert_signed_as_sent(const struct buf *req, const char *service)
{
	static char secret[] = SECRET, token[] = TOKEN;
	struct buf host = BUF_INIT, ct = BUF_INIT, tgt = BUF_INIT,
	    date = BUF_INIT, auth = BUF_INIT, key = BUF_INIT;
	struct aws_creds creds = { NULL, secret, token, 0 };
	struct sigv4_header h[3];
	struct sigv4_request sr;
	struct sigv4_result res;
	struct tm tm;
	const char *body = body_of(req), *k;
	size_t n = 0;

	assert_int_equal(header(req, "Host", &host), 0);
	assert_int_equal(header(req, "Content-Type", &ct), 0);
	assert_int_equal(header(req, "X-Amz-Date", &date), 0);
	assert_int_equal(header(req, "Authorization", &auth), 0);
	assert_non_null(k = strstr(auth.data, "Credential="));
	buf_add(&key, k + 11, strcspn(k + 11, "/"));
	creds.access_key_id = key.data;
	h[n++] = (struct sigv4_header){ "host", host.data };
	h[n++] = (struct sigv4_header){ "content-type", ct.data };
	if (header(req, "X-Amz-Target", &tgt) == 0)
		h[n++] = (struct sigv4_header){ "x-amz-target", tgt.data };
	memset(&tm, 0, sizeof(tm));
	assert_int_equal(sscanf(date.data, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec), 6);
	tm.tm_year -= 1900;
	tm.tm_mon--;
	sr = (struct sigv4_request){ "POST", "/", NULL, h, n, body,
	    strlen(body), NULL };
	assert_int_equal(sigv4_sign(&sr, &creds, "us-east-1", service,
	    timegm(&tm), &res), 0);
	assert_string_equal(res.authorization.data, auth.data);
	sigv4_result_free(&res);
	buf_free(&host);
	buf_free(&ct);
	buf_free(&tgt);
	buf_free(&date);
	buf_free(&auth);
	buf_free(&key);
}

/* Run fn with stderr going to a file, then read it into out. */
static int
with_stderr_captured(int (*fn)(void *), void *arg, struct buf *out)
{
	char path[] = "/tmp/vpcflowd-test-stderr-XXXXXX";
	int fd, saved, rc;

	assert_true((fd = mkstemp(path)) != -1);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	rc = fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	buf_reset(out);
	assert_int_equal(buf_read_file(out, path), 0);
	unlink(path);
	return rc;
}

static int
run_call(void *arg)
{
	return call(arg, "{\"logGroupName\":\"/vpc/flowlogs\",\"limit\":100}");
}

static void
test_retries_then_success(void **state)
{
	const char body[] = "{\"logGroupName\":\"/vpc/flowlogs\",\"limit\":100}";
	struct fx *f = *state;
	struct buf logs = BUF_INIT;
	char host[32];
	int i, rc;

	step_error(503, "ServiceUnavailableException", "try later");
	step_reply(503, "", "");
	step_error(400, "ThrottlingException", "Rate exceeded");
	step_reply(200, "", "{\"events\":[],\"searchedLogStreams\":[]}");
	server_start();
	client(f, "logs");
	log_init(2);
	rc = with_stderr_captured(run_call, f, &logs);
	log_init(-1);
	assert_int_equal(rc, 0);
	assert_string_equal(f->out.data,
	    "{\"events\":[],\"searchedLogStreams\":[]}");
	assert_int_equal(f->err.cls, AWSERR_NONE);
	assert_int_equal(f->c.retries, 3);
	assert_int_equal(server_stop(&f->rec), 4);
	snprintf(host, sizeof(host), "127.0.0.1:%d", server_port);
	for (i = 0; i < 4; i++) {
		assert_int_equal(req_header(f, i, "Host"), 0);
		assert_string_equal(f->v.data, host);
		assert_int_equal(strncmp(f->req.data, "POST / HTTP/1.1\r\n", 17),
		    0);
		assert_string_equal(body_of(&f->req), body);
		assert_signed_as_sent(&f->req, "logs");
		assert_int_equal(header(&f->req, "Authorization", &f->v), 0);
		assert_int_equal(strncmp(f->v.data, "AWS4-HMAC-SHA256 "
		    "Credential=" KEY_ID "/", 38), 0);
		assert_non_null(strstr(f->v.data, "/us-east-1/logs/aws4_request, "
		    "SignedHeaders=content-type;host;x-amz-date;"
		    "x-amz-security-token;x-amz-target, Signature="));
		assert_int_equal(header(&f->req, "X-Amz-Date", &f->v), 0);
		assert_int_equal(f->v.len, 16);
		assert_int_equal(header(&f->req, "X-Amz-Target", &f->v), 0);
		assert_string_equal(f->v.data, TARGET);
		assert_int_equal(header(&f->req, "X-Amz-Security-Token", &f->v), 0);
		assert_string_equal(f->v.data, TOKEN);
		assert_int_equal(header(&f->req, "Content-Type", &f->v), 0);
		assert_string_equal(f->v.data, "application/x-amz-json-1.1");
		assert_int_equal(header(&f->req, "User-Agent", &f->v), 0);
		assert_string_equal(f->v.data, "vpcflowd/" VPCFLOWD_VERSION);
	}
	/* -vvv shows the signing steps, never the secret, token or signature. */
	assert_non_null(strstr(logs.data, "canonical request:\nPOST\n/\n"));
	assert_non_null(strstr(logs.data, "x-amz-security-token:<redacted>"));
	assert_non_null(strstr(logs.data, "string to sign:\nAWS4-HMAC-SHA256\n"));
	assert_non_null(strstr(logs.data, "FilterLogEvents: HTTP 503"));
	assert_non_null(strstr(logs.data,
	    "ThrottlingException: Rate exceeded; retry 3"));
	assert_null(strstr(logs.data, SECRET));
	assert_null(strstr(logs.data, TOKEN));
	assert_null(strstr(logs.data, "Signature="));
	buf_free(&logs);
}

static void
test_fatal_errors_not_retried(void **state)
{
	struct fx *f = *state;

	step_error(400, "AccessDeniedException", "User: x is not authorized "
	    "to perform: logs:FilterLogEvents");
	step_error(400, "InvalidParameterException",
	    "The specified nextToken is invalid.");
	step_error(400, "ResourceNotFoundException",
	    "The specified log group does not exist.");
	server_start();
	client(f, "logs");
	buf_addstr(&f->out, "untouched");
	assert_int_equal(call(f, "{}"), -1);
	assert_int_equal(f->err.cls, AWSERR_FATAL);
	assert_int_equal(f->err.status, 400);
	assert_string_equal(f->err.name, "AccessDeniedException");
	assert_non_null(strstr(f->err.message, "logs:FilterLogEvents"));
	assert_non_null(strstr(awserr_advice(&f->err), "IAM policy"));
	assert_string_equal(f->out.data, "untouched");
	assert_int_equal(call(f, "{}"), -1);
	assert_int_equal(f->err.cls, AWSERR_BAD_NEXT_TOKEN);
	assert_int_equal(call(f, "{}"), -1);
	assert_int_equal(f->err.cls, AWSERR_FATAL);
	assert_string_equal(f->err.name, "ResourceNotFoundException");
	assert_int_equal(f->c.retries, 0);
	assert_int_equal(server_stop(&f->rec), 3);
}

static void
test_max_attempts(void **state)
{
	struct fx *f = *state;
	int i;

	for (i = 0; i < 5; i++)
		step_error(503, "ServiceUnavailableException", "down");
	server_start();
	client(f, "logs");
	f->c.max_attempts = 3;
	assert_int_equal(call(f, "{}"), -1);
	assert_int_equal(f->err.cls, AWSERR_TRANSIENT);
	assert_string_equal(f->err.name, "ServiceUnavailableException");
	assert_int_equal(f->c.retries, 2);
	assert_int_equal(server_stop(&f->rec), 3);
}

static void
test_dropped_connection(void **state)
{
	struct fx *f = *state;

	step_reply(200, "", "{\"n\":1}");
	step_drop();
	step_reply(200, "", "{\"n\":2}");
	server_start();
	client(f, "logs");
	assert_int_equal(call(f, "{}"), 0);
	assert_string_equal(f->out.data, "{\"n\":1}");
	assert_int_equal(call(f, "{}"), 0);
	assert_string_equal(f->out.data, "{\"n\":2}");
	assert_int_equal(f->c.retries, 1);
	assert_int_equal(server_stop(&f->rec), 3);
}

/* A Date header line the given number of seconds ahead of the local clock. */
static void
date_ahead(char *hdr, size_t size, time_t ahead)
{
	time_t t = time(NULL) + ahead;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(hdr, size, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
}

static void
test_clock_skew(void **state)
{
	const char msg[] = "{\"__type\":\"InvalidSignatureException\","
	    "\"message\":\"Signature expired: 20240101T000000Z is now earlier "
	    "than 20240101T010000Z (20240101T011500Z - 15 min.)\"}";
	struct fx *f = *state;
	char date[64], expect[SIGV4_AMZ_DATE_LEN + 1];

	date_ahead(date, sizeof(date), 3600);
	step_reply(400, date, msg);
	step_reply(200, "", "{}");
	step_reply(400, date, msg);	/* the next call: corrected once, */
	step_reply(400, date, msg);	/* then given up */
	step_reply(400, "", msg);	/* no Date: nothing to correct with */
	server_start();
	client(f, "logs");
	assert_int_equal(call(f, "{}"), 0);
	assert_true(f->c.clock_skew > 3500 && f->c.clock_skew < 3700);
	assert_int_equal(call(f, "{}"), -1);
	assert_int_equal(f->err.cls, AWSERR_CLOCK_SKEW);
	assert_int_equal(call(f, "{}"), -1);
	assert_int_equal(f->err.cls, AWSERR_CLOCK_SKEW);
	assert_string_equal(f->err.name, "InvalidSignatureException");
	assert_int_equal(f->c.retries, 2);
	assert_int_equal(server_stop(&f->rec), 5);
	/* The retried request was signed with AWS's time, not ours. */
	assert_int_equal(req_header(f, 1, "X-Amz-Date"), 0);
	assert_int_equal(sigv4_amz_date(time(NULL) + 3600, expect), 0);
	assert_int_equal(strncmp(f->v.data, expect, 11), 0);	/* same hour */
}

static void
test_expired_token(void **state)
{
	struct fx *f = *state;
	int i;

	if (fake_creds)
		chain->invalidations = 0;	/* the key id follows this count */
	step_error(400, "ExpiredTokenException", "The security token "
	    "included in the request is expired");
	step_reply(200, "", "{\"ok\":1}");
	for (i = 0; i < 5; i++)
		step_error(400, "ExpiredTokenException", "expired");
	server_start();
	client(f, "logs");
	assert_int_equal(call(f, "{}"), 0);
	assert_string_equal(f->out.data, "{\"ok\":1}");
	/* It keeps happening: fatal after AWS_EXPIRED_RETRIES refreshes. */
	assert_int_equal(call(f, "{}"), -1);
	assert_int_equal(f->err.cls, AWSERR_FATAL);
	assert_string_equal(f->err.name, "ExpiredTokenException");
	assert_non_null(strstr(awserr_advice(&f->err), "keep expiring"));
	assert_int_equal(server_stop(&f->rec), 2 + 1 + AWS_EXPIRED_RETRIES);
	if (fake_creds) {
		assert_int_equal(chain->invalidations, 1 + AWS_EXPIRED_RETRIES);
		/* The retry went out with the fresh credentials. */
		assert_int_equal(req_header(f, 1, "Authorization"), 0);
		assert_non_null(strstr(f->v.data, "Credential=" KEY_ID_NEXT "/"));
		chain->invalidations = 0;
	}
}

static void
test_query_calls(void **state)
{
	const char sts_ok[] = "<AssumeRoleWithWebIdentityResponse><Result/>"
	    "</AssumeRoleWithWebIdentityResponse>";
	const char sts_expired[] = "<ErrorResponse><Error><Type>Sender</Type>"
	    "<Code>ExpiredTokenException</Code><Message>Token expired: "
	    "current date/time 1700000000 must be before the expiration "
	    "date/time 1690000000</Message></Error></ErrorResponse>";
	const char form[] = "Action=AssumeRoleWithWebIdentity&Version="
	    "2011-06-15&WebIdentityToken=eyJsecret";
	struct fx *f = *state;

	step_reply(200, "", sts_ok);
	step_reply(200, "", sts_ok);
	step_reply(400, "", sts_expired);
	server_start();
	client(f, "sts");
	f->c.creds = NULL;	/* unsigned calls need none */
	assert_int_equal(aws_query_call(&f->c, &f->ep, form, 1, &f->out,
	    &f->err), 0);
	assert_string_equal(f->out.data, sts_ok);
	f->c.creds = chain;
	assert_int_equal(aws_query_call(&f->c, &f->ep, "Action=AssumeRole&"
	    "Version=2011-06-15", 0, &f->out, &f->err), 0);
	/* Unsigned: an expired web identity token is fatal at once. */
	assert_int_equal(aws_query_call(&f->c, &f->ep, form, 1, &f->out,
	    &f->err), -1);
	assert_int_equal(f->err.cls, AWSERR_FATAL);
	assert_string_equal(f->err.name, "ExpiredTokenException");
	assert_non_null(strstr(f->err.message, "must be before"));
	assert_int_equal(server_stop(&f->rec), 3);
	assert_int_equal(req_header(f, 0, "Content-Type"), 0);
	assert_string_equal(f->v.data,
	    "application/x-www-form-urlencoded; charset=utf-8");
	assert_int_equal(header(&f->req, "Authorization", &f->v), -1);
	assert_int_equal(header(&f->req, "X-Amz-Date", &f->v), -1);
	assert_int_equal(header(&f->req, "X-Amz-Target", &f->v), -1);
	assert_string_equal(body_of(&f->req), form);
	assert_int_equal(req_header(f, 1, "Authorization"), 0);
	assert_non_null(strstr(f->v.data, "/us-east-1/sts/aws4_request, "
	    "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,"));
	assert_int_equal(header(&f->req, "X-Amz-Target", &f->v), -1);
	assert_signed_as_sent(&f->req, "sts");
}

static void
test_no_credentials(void **state)
{
	struct fx *f = *state;

	server_start();
	client(f, "logs");
	/* Nothing in the chain has any (the real one too: see group_setup). */
	unsetenv("AWS_ACCESS_KEY_ID");
	creds_invalidate(chain);
	assert_int_equal(call(f, "{}"), -1);
	setenv("AWS_ACCESS_KEY_ID", KEY_ID, 1);
	creds_invalidate(chain);
	if (fake_creds)
		chain->invalidations = 0;
	assert_int_equal(f->err.cls, AWSERR_FATAL);
	assert_string_equal(f->err.name, "NoCredentials");
	assert_non_null(strstr(f->err.message, "AWS_ACCESS_KEY_ID"));
	assert_non_null(strstr(awserr_advice(&f->err), "credentials"));
	f->c.creds = NULL;
	assert_int_equal(call(f, "{}"), -1);
	assert_string_equal(f->err.name, "NoCredentials");
	assert_int_equal(server_stop(&f->rec), 0);
}

static void *
stop_soon(void *arg)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	*(volatile int *)arg = 1;
	return NULL;
}

static void
test_stop(void **state)
{
	struct fx *f = *state;
	volatile int stop = 1;
	pthread_t t;
	int i;

	for (i = 0; i < 3; i++)
		step_error(500, "InternalFailure", "boom");
	server_start();
	client(f, "logs");
	f->c.stop = &stop;
	/* Stopped already: nothing is sent. */
	assert_int_equal(call(f, "{}"), -1);
	assert_string_equal(f->err.name, "Stopped");
	/* Stopped while waiting to retry: given up with the last error. */
	stop = 0;
	f->c.retry_base = f->c.retry_cap = 30;
	assert_int_equal(pthread_create(&t, NULL, stop_soon, (void *)&stop), 0);
	assert_int_equal(call(f, "{}"), -1);
	pthread_join(t, NULL);
	assert_int_equal(f->err.cls, AWSERR_TRANSIENT);
	assert_string_equal(f->err.name, "InternalFailure");
	assert_true(server_stop(&f->rec) >= 1);
}

static void
count_wait(void *arg)
{
	(*(int *)arg)++;
}

/*
 * Stopped while a request is in flight: it is abandoned at once (not after
 * the 5 s timeout, which would read "Timeout" and be retried), one request.
 */
static void
test_stop_in_flight(void **state)
{
	struct fx *f = *state;
	volatile int stop = 0;
	pthread_t t;
	int waits = 0;

	step_hang();
	server_start();
	client(f, "logs");
	f->c.stop = &stop;
	f->c.wait_cb = count_wait;
	f->c.wait_arg = &waits;
	assert_int_equal(pthread_create(&t, NULL, stop_soon, (void *)&stop), 0);
	assert_int_equal(call(f, "{}"), -1);
	pthread_join(t, NULL);
	assert_int_equal(f->err.cls, AWSERR_TRANSIENT);
	assert_string_equal(f->err.name, "Stopped");
	assert_non_null(strstr(f->err.message, "in flight"));
	/* The wait callback (a watchdog) ran inside the request too. */
	assert_true(waits >= 1);
	assert_int_equal(server_stop(&f->rec), 1);
}

static void
test_pacing(void **state)
{
	struct fx *f = *state;
	int i;

	aws_client_init(&f->c, NULL, 0.5, NULL);
	assert_true(f->c.pacing.rate == 0.5 && f->c.pacing.burst == 1);
	aws_client_init(&f->c, NULL, 4, NULL);
	assert_true(f->c.pacing.rate == 4 && f->c.pacing.burst == 4);
	assert_int_equal(f->c.max_attempts, 0);
	assert_null(f->c.stop);
	for (i = 0; i < 3; i++)
		step_reply(200, "", "{}");
	server_start();
	client(f, "logs");
	ratelimit_init(&f->c.pacing, 50, 1, 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(call(f, "{}"), 0);
	/* Every call took its token (the bucket holds less than one). */
	assert_true(f->c.pacing.tokens < 1);
	assert_int_equal(server_stop(&f->rec), 3);
}

static void
test_endpoint_init(void **state)
{
	static const struct {
		const char	*url;
		const char	*host;	/* NULL: refused */
		const char	*normalized;
	} cases[] = {
		{ "https://logs.eu-west-1.amazonaws.com",
		    "logs.eu-west-1.amazonaws.com",
		    "https://logs.eu-west-1.amazonaws.com" },
		{ "https://logs.eu-west-1.amazonaws.com/",
		    "logs.eu-west-1.amazonaws.com",
		    "https://logs.eu-west-1.amazonaws.com" },
		{ "HTTPS://Logs.US-East-1.AmazonAWS.com:443",
		    "logs.us-east-1.amazonaws.com",
		    "https://logs.us-east-1.amazonaws.com" },
		{ "https://vpce-1.logs.eu-west-1.vpce.amazonaws.com:8443",
		    "vpce-1.logs.eu-west-1.vpce.amazonaws.com:8443",
		    "https://vpce-1.logs.eu-west-1.vpce.amazonaws.com:8443" },
		{ "http://127.0.0.1:8080", "127.0.0.1:8080",
		    "http://127.0.0.1:8080" },
		{ "http://localhost:80/", "localhost", "http://localhost" },
		{ "http://[::1]:9000", "[::1]:9000", "http://[::1]:9000" },
		{ "https://[FD00:EC2::254]", "[fd00:ec2::254]",
		    "https://[fd00:ec2::254]" },
		{ "ftp://logs.amazonaws.com", NULL, NULL },
		{ "logs.amazonaws.com", NULL, NULL },
		{ "https://", NULL, NULL },
		{ "https:///", NULL, NULL },
		{ "https://logs.amazonaws.com/path", NULL, NULL },
		{ "https://logs.amazonaws.com?x=1", NULL, NULL },
		{ "https://logs.amazonaws.com#f", NULL, NULL },
		{ "https://user@logs.amazonaws.com", NULL, NULL },
		{ "https://logs.amazonaws.com:", NULL, NULL },
		{ "https://logs.amazonaws.com:0", NULL, NULL },
		{ "https://logs.amazonaws.com:65536", NULL, NULL },
		{ "https://logs.amazonaws.com:12a", NULL, NULL },
		{ "https://logs.amazonaws.com:443:1", NULL, NULL },
		{ "https://logs amazonaws.com", NULL, NULL },
		{ "https://:443", NULL, NULL },
		{ "http://[::1", NULL, NULL },
		{ "http://[]:80", NULL, NULL },
		{ "http://[::1]x", NULL, NULL },
		{ "http://[::g]", NULL, NULL },
	};
	struct aws_endpoint ep;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = aws_endpoint_init(&ep, cases[i].url, "eu-west-1", "logs",
		    NULL, 0);
		if (cases[i].host == NULL) {
			if (rc != -1)
				fail_msg("accepted: %s", cases[i].url);
			continue;
		}
		if (rc != 0)
			fail_msg("refused: %s", cases[i].url);
		assert_string_equal(ep.host, cases[i].host);
		assert_string_equal(ep.url, cases[i].normalized);
		assert_string_equal(ep.region, "eu-west-1");
		assert_string_equal(ep.service, "logs");
		assert_non_null(ep.http);
		aws_endpoint_free(&ep);
		assert_null(ep.url);
	}
}

static int
group_setup(void **state)
{
	struct creds_opts o;

	(void)state;
	/* Loopback only, whatever the environment says about proxies. */
	unsetenv("http_proxy");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	/* For the real chain (make unit): keys from the environment only. */
	setenv("AWS_ACCESS_KEY_ID", KEY_ID, 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	setenv("AWS_SESSION_TOKEN", TOKEN, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
	unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	log_init(-1);
	memset(&o, 0, sizeof(o));
	o.region = "us-east-1";
	return (chain = creds_chain_new(&o)) != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	creds_chain_free(chain);
	return 0;
}

#define FX(test)	cmocka_unit_test_setup_teardown(test, fx_setup, fx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FX(test_retries_then_success),
		FX(test_fatal_errors_not_retried),
		FX(test_max_attempts),
		FX(test_dropped_connection),
		FX(test_clock_skew),
		FX(test_expired_token),
		FX(test_query_calls),
		FX(test_no_credentials),
		FX(test_stop),
		FX(test_stop_in_flight),
		FX(test_pacing),
		cmocka_unit_test(test_endpoint_init),
	};

	alarm(60);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
