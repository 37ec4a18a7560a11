/*
 * Unit tests for http: a loopback server in a child process (127.0.0.1,
 * port 0, plain HTTP) whose answers depend on the path; "/echo" sends the
 * request back, prefixed by the connection's number, so the tests see what
 * went on the wire and whether the connection was kept.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* strcasestr */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "http.h"
#include "log.h"

#define BIG_BODY	5000

static pid_t server_pid;
static int server_port;

/* Read one request (head and Content-Length body) into req; -1 on EOF. */
static int
read_request(int fd, struct buf *req)
{
	char chunk[4096], *end;
	size_t head = 0, want = 0;
	ssize_t n;

	buf_reset(req);
	for (;;) {
		if (head == 0 && req->data != NULL &&
		    (end = strstr(req->data, "\r\n\r\n")) != NULL) {
			const char *cl = strcasestr(req->data, "\r\nContent-Length:");

			head = (size_t)(end + 4 - req->data);
			if (cl != NULL && cl < end)
				want = strtoul(cl + 17, NULL, 10);
		}
		if (head != 0 && req->len >= head + want)
			return 0;
		if ((n = read(fd, chunk, sizeof(chunk))) <= 0)
			return -1;
		if (req->len == 0 && chunk[0] == 0x16)
			return -1;	/* a TLS ClientHello: hang up at once */
		buf_add(req, chunk, (size_t)n);
	}
}

static void
send_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0 && (w = write(fd, p, n)) > 0) {
		p += w;
		n -= (size_t)w;
	}
}

/* Send a complete response with a body; 1 if the connection must close. */
static int
respond(int fd, const char *status, const char *headers, const char *body,
    size_t len)
{
	struct buf r = BUF_INIT;

	buf_printf(&r, "HTTP/1.1 %s\r\nContent-Length: %zu\r\n%s\r\n", status,
	    len, headers);
	buf_add(&r, body, len);
	send_all(fd, r.data, r.len);
	buf_free(&r);
	return strstr(headers, "Connection: close") != NULL;
}

/* Answer one request according to its path; 1: close the connection. */
static int
answer(int fd, int conn, const struct buf *req)
{
	char path[256] = "", big[BIG_BODY];
	struct buf echo = BUF_INIT;
	const char *p;
	int rc;

	/* Origin form "/x" or, through a proxy, absolute form "http://h/x". */
	if ((p = strchr(req->data, ' ')) != NULL) {
		p++;
		if (strncmp(p, "http://", 7) == 0 && (p = strchr(p + 7, '/')) == NULL)
			p = "/";
		sscanf(p, "%255[^ ?]", path);
	}
	if (strcmp(path, "/drop") == 0)
		return 1;
	if (strcmp(path, "/slow") == 0) {
		sleep(3);
		return 1;
	}
	if (strcmp(path, "/headers") == 0)
		return respond(fd, "503 Service Unavailable",
		    "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		    "x-amzn-errortype:   ThrottlingException:http://internal/ \r\n"
		    "Retry-After: 3\r\n", "{\"message\":\"slow down\"}", 23);
	if (strcmp(path, "/continue") == 0) {
		send_all(fd, "HTTP/1.1 100 Continue\r\n"
		    "X-Amzn-ErrorType: Stale\r\n\r\n", 50);
		return respond(fd, "200 OK", "Retry-After: 1\r\n", "ok", 2);
	}
	if (strcmp(path, "/redirect") == 0)
		return respond(fd, "302 Found", "Location: /echo\r\n", "moved", 5);
	if (strcmp(path, "/big") == 0) {
		memset(big, 'b', sizeof(big));
		return respond(fd, "200 OK", "", big, sizeof(big));
	}
	buf_printf(&echo, "conn=%d\n", conn);
	buf_add(&echo, req->data, req->len);
	rc = respond(fd, "200 OK", strcmp(path, "/close") == 0 ?
	    "Connection: close\r\n" : "", echo.data, echo.len);
	buf_free(&echo);
	return rc;
}

/* One connection: requests until the client or answer() closes it. */
static void
serve_connection(int fd, int conn)
{
	struct buf req = BUF_INIT;

	while (read_request(fd, &req) == 0 && !answer(fd, conn, &req))
		;
	buf_free(&req);
	close(fd);
}

static int
group_setup(void **state)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int lfd, fd, conn = 0;

	(void)state;
	/* Nothing of the environment may send our loopback traffic elsewhere. */
	unsetenv("http_proxy");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	log_init(-1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 16) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) == -1)
		return -1;
	server_port = ntohs(sin.sin_port);
	if ((server_pid = fork()) == -1)
		return -1;
	if (server_pid == 0) {
		alarm(30);	/* never outlive a broken test run */
		signal(SIGCHLD, SIG_IGN);
		for (;;) {
			if ((fd = accept(lfd, NULL, NULL)) == -1)
				continue;
			conn++;
			if (fork() == 0) {
				close(lfd);
				alarm(10);
				serve_connection(fd, conn);
				_exit(0);
			}
			close(fd);
		}
	}
	close(lfd);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
	}
	return 0;
}

static struct http_client *
client(long timeout_ms, size_t max_body)
{
	struct http_client_opts o = { NULL, 2000, timeout_ms, max_body };
	struct http_client *c = http_client_new(&o);

	assert_non_null(c);
	return c;
}

static const char *
url(const char *path)
{
	static char u[128];

	snprintf(u, sizeof(u), "http://127.0.0.1:%d%s", server_port, path);
	return u;
}

/* The connection number the echo server put first in the body. */
static int
echo_conn(const struct http_response *r)
{
	assert_int_equal(r->status, 200);
	assert_non_null(r->body.data);
	return atoi(r->body.data + 5);
}

static void
test_post_keepalive_and_headers(void **state)
{
	const struct http_header h[] = {
		{ "Content-Type", "application/x-amz-json-1.1" },
		{ "X-Amz-Target", "Logs_20140328.FilterLogEvents" },
		{ "X-Empty", "" },
	};
	const char body[] = "{\"logGroupName\":\"/vpc/x\"}";
	struct http_client *c = client(5000, 0);
	struct http_response r;
	int conn;

	(void)state;
	http_response_init(&r);
	assert_int_equal(http_request(c, "POST", url("/echo"), h, 3, body,
	    strlen(body), &r), 0);
	conn = echo_conn(&r);
	assert_non_null(strstr(r.body.data, "\nPOST /echo HTTP/1.1\r\n"));
	assert_non_null(strstr(r.body.data,
	    "\r\nUser-Agent: vpcflowd/" VPCFLOWD_VERSION "\r\n"));
	assert_non_null(strstr(r.body.data,
	    "\r\nContent-Type: application/x-amz-json-1.1\r\n"));
	assert_non_null(strstr(r.body.data,
	    "\r\nX-Amz-Target: Logs_20140328.FilterLogEvents\r\n"));
	assert_non_null(strstr(r.body.data, "\r\nX-Empty:"));
	assert_non_null(strstr(r.body.data, "\r\nContent-Length: 25\r\n"));
	assert_null(strcasestr(r.body.data, "\r\nExpect:"));
	assert_null(strcasestr(r.body.data, "\r\nAccept-Encoding:"));
	assert_string_equal(r.body.data + r.body.len - strlen(body), body);
	assert_false(r.transport_error);

	/* The same connection for the next requests, whatever the method. */
	assert_int_equal(http_request(c, "GET", url("/echo?a=1"), NULL, 0,
	    NULL, 0, &r), 0);
	assert_int_equal(echo_conn(&r), conn);
	assert_non_null(strstr(r.body.data, "\nGET /echo?a=1 HTTP/1.1\r\n"));
	assert_null(strcasestr(r.body.data, "\r\nContent-Length:"));
	assert_null(strstr(r.body.data, "X-Amz-Target"));	/* not sticky */
	assert_int_equal(http_request(c, "PUT", url("/echo"), NULL, 0, NULL,
	    0, &r), 0);
	assert_int_equal(echo_conn(&r), conn);
	assert_non_null(strstr(r.body.data, "\nPUT /echo HTTP/1.1\r\n"));
	assert_non_null(strstr(r.body.data, "\r\nContent-Length: 0\r\n"));
	http_response_free(&r);
	http_client_free(c);
}

static void
test_host_header_is_ours(void **state)
{
	const struct http_header h[] = { { "Host", "example.test:9999" } };
	struct http_client *c = client(5000, 0);
	struct http_response r;

	(void)state;
	http_response_init(&r);
	assert_int_equal(http_request(c, "POST", url("/echo"), h, 1, "x", 1,
	    &r), 0);
	assert_non_null(strstr(r.body.data, "\r\nHost: example.test:9999\r\n"));
	assert_null(strstr(r.body.data, "Host: 127.0.0.1"));
	http_response_free(&r);
	http_client_free(c);
}

static void
test_captured_headers(void **state)
{
	struct http_client *c = client(5000, 0);
	struct http_response r;

	(void)state;
	http_response_init(&r);
	assert_int_equal(http_request(c, "POST", url("/headers"), NULL, 0,
	    "{}", 2, &r), 0);
	assert_int_equal(r.status, 503);
	assert_string_equal(r.date, "Sun, 06 Nov 1994 08:49:37 GMT");
	assert_string_equal(r.amzn_error_type,
	    "ThrottlingException:http://internal/");
	assert_string_equal(r.retry_after, "3");
	assert_string_equal(r.body.data, "{\"message\":\"slow down\"}");
	/* A later response without them leaves nothing behind. */
	assert_int_equal(http_request(c, "GET", url("/echo"), NULL, 0, NULL,
	    0, &r), 0);
	assert_null(r.amzn_error_type);
	assert_null(r.retry_after);
	http_response_free(&r);
	http_client_free(c);
}

static void
test_interim_response_forgotten(void **state)
{
	struct http_client *c = client(5000, 0);
	struct http_response r;

	(void)state;
	http_response_init(&r);
	assert_int_equal(http_request(c, "GET", url("/continue"), NULL, 0,
	    NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_null(r.amzn_error_type);
	assert_string_equal(r.retry_after, "1");
	assert_string_equal(r.body.data, "ok");
	http_response_free(&r);
	http_client_free(c);
}

static void
test_connection_close_reconnects(void **state)
{
	struct http_client *c = client(5000, 0);
	struct http_response r;
	int first;

	(void)state;
	http_response_init(&r);
	assert_int_equal(http_request(c, "GET", url("/close"), NULL, 0, NULL,
	    0, &r), 0);
	first = echo_conn(&r);
	assert_int_equal(http_request(c, "GET", url("/echo"), NULL, 0, NULL,
	    0, &r), 0);
	assert_int_not_equal(echo_conn(&r), first);
	http_response_free(&r);
	http_client_free(c);
}

static void
test_dropped_connection(void **state)
{
	struct http_client *c = client(5000, 0);
	struct http_response r;

	(void)state;
	http_response_init(&r);
	assert_int_equal(http_request(c, "POST", url("/drop"), NULL, 0, "x",
	    1, &r), -1);
	assert_true(r.transport_error);
	assert_false(r.timed_out);
	assert_int_equal(r.status, 0);
	assert_true(r.error[0] != '\0');
	/* The client is still usable. */
	assert_int_equal(http_request(c, "GET", url("/echo"), NULL, 0, NULL,
	    0, &r), 0);
	assert_false(r.transport_error);
	assert_string_equal(r.error, "");
	http_response_free(&r);
	http_client_free(c);
}

static void
test_timeout(void **state)
{
	struct http_client *c = client(300, 0);
	struct http_response r;

	(void)state;
	http_response_init(&r);
	assert_int_equal(http_request(c, "GET", url("/slow"), NULL, 0, NULL,
	    0, &r), -1);
	assert_true(r.transport_error);
	assert_true(r.timed_out);
	assert_int_equal(r.status, 0);
	http_response_free(&r);
	http_client_free(c);
}

/* The abort hook: go on for the first `allow` calls, then stop. */
struct abort_state {
	int	calls, allow;
};

static int
abort_after(void *arg)
{
	struct abort_state *a = arg;

	return ++a->calls > a->allow;
}

/*
 * A request in flight ends when the hook says so (SIGTERM does not wait for
 * the 3-second /slow answer), as an abort, not a timeout; a hook that says
 * go on changes nothing, and the client works after an abort.
 */
static void
test_abort_hook(void **state)
{
	struct http_client *c = client(10000, 0);
	struct abort_state a = { 0, 3 };
	struct http_response r;

	(void)state;
	http_response_init(&r);
	http_client_set_abort(c, abort_after, &a);
	assert_int_equal(http_request(c, "GET", url("/slow"), NULL, 0, NULL,
	    0, &r), -1);
	assert_true(r.transport_error);
	assert_true(r.aborted);
	assert_false(r.timed_out);
	assert_int_equal(a.calls, a.allow + 1);
	assert_non_null(strstr(r.error, "stopping"));

	a = (struct abort_state){ 0, 1 << 30 };
	assert_int_equal(http_request(c, "GET", url("/echo"), NULL, 0, NULL,
	    0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_false(r.aborted);
	assert_true(a.calls > 0);

	http_client_set_abort(c, NULL, NULL);
	assert_int_equal(http_request(c, "GET", url("/echo"), NULL, 0, NULL,
	    0, &r), 0);
	assert_int_equal(r.status, 200);
	http_response_free(&r);
	http_client_free(c);
}

static void
test_redirect_not_followed(void **state)
{
	struct http_client *c = client(5000, 0);
	struct http_response r;

	(void)state;
	http_response_init(&r);
	assert_int_equal(http_request(c, "GET", url("/redirect"), NULL, 0,
	    NULL, 0, &r), 0);
	assert_int_equal(r.status, 302);
	assert_string_equal(r.body.data, "moved");
	http_response_free(&r);
	http_client_free(c);
}

static void
test_body_limit(void **state)
{
	struct http_client *small = client(5000, 1000);
	struct http_client *c = client(5000, 0);
	struct http_response r;

	(void)state;
	http_response_init(&r);
	assert_int_equal(http_request(small, "GET", url("/big"), NULL, 0,
	    NULL, 0, &r), -1);
	assert_true(r.transport_error);
	assert_non_null(strstr(r.error, "larger than 1000 bytes"));
	assert_int_equal(http_request(c, "GET", url("/big"), NULL, 0, NULL, 0,
	    &r), 0);
	assert_int_equal(r.body.len, BIG_BODY);
	http_response_free(&r);
	http_client_free(small);
	http_client_free(c);
}

static void
test_error_text_has_no_url(void **state)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct http_client *c = client(2000, 0);
	struct http_response r;
	char u[128];
	int fd;

	(void)state;
	/* A port nobody listens on: bind one, note it, close it. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/?token=s3cr3tT0ken&type=x",
	    ntohs(sin.sin_port));
	http_response_init(&r);
	assert_int_equal(http_request(c, "POST", u, NULL, 0, "x", 1, &r), -1);
	assert_true(r.transport_error);
	assert_true(r.error[0] != '\0');
	assert_null(strstr(r.error, "s3cr3t"));
	assert_null(strstr(r.error, "token"));
	/* Other schemes are refused. */
	assert_int_equal(http_request(c, "GET", "file:///etc/passwd", NULL, 0,
	    NULL, 0, &r), -1);
	assert_true(r.transport_error);
	http_response_free(&r);
	http_client_free(c);
}

static void
test_tls_is_verified(void **state)
{
	struct http_client_opts o = { "/nonexistent/ca.pem", 2000, 2000, 0 };
	struct http_client *c = http_client_new(&o), *d = client(2000, 0);
	struct http_response r;
	char u[128];

	(void)state;
	assert_non_null(c);
	snprintf(u, sizeof(u), "https://127.0.0.1:%d/echo", server_port);
	http_response_init(&r);
	/* A missing CA file is an error, never "verification off". */
	assert_int_equal(http_request(c, "GET", u, NULL, 0, NULL, 0, &r), -1);
	assert_true(r.transport_error);
	/* Our server speaks no TLS: the handshake fails, cleanly. */
	assert_int_equal(http_request(d, "GET", u, NULL, 0, NULL, 0, &r), -1);
	assert_true(r.transport_error);
	assert_true(r.error[0] != '\0');
	http_response_free(&r);
	http_client_free(c);
	http_client_free(d);
}

static void
test_bad_headers_refused(void **state)
{
	const struct http_header smuggle[] = {
		{ "X-Ok", "a\r\nX-Injected: 1" },
	};
	const struct http_header badname[] = { { "X:Bad", "v" } };
	struct http_client *c = client(2000, 0);
	struct http_response r;

	(void)state;
	http_response_init(&r);
	assert_int_equal(http_request(c, "POST", url("/echo"), smuggle, 1, "x",
	    1, &r), -1);
	assert_true(r.transport_error);
	assert_non_null(strstr(r.error, "X-Ok"));
	assert_int_equal(http_request(c, "POST", url("/echo"), badname, 1, "x",
	    1, &r), -1);
	/* Refusing sent nothing and broke nothing. */
	assert_int_equal(http_request(c, "GET", url("/echo"), NULL, 0, NULL, 0,
	    &r), 0);
	assert_null(strstr(r.body.data, "Injected"));
	http_response_free(&r);
	http_client_free(c);
}

static void
test_proxy_from_environment(void **state)
{
	struct http_client *c = client(5000, 0);
	struct http_response r;
	char proxy[64];

	(void)state;
	/* Our server plays the proxy: it sees the absolute-form request. */
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", server_port);
	setenv("http_proxy", proxy, 1);
	http_response_init(&r);
	assert_int_equal(http_request(c, "GET",
	    "http://vpcflowd-proxy-test.invalid/echo?x=1", NULL, 0, NULL, 0,
	    &r), 0);
	unsetenv("http_proxy");
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data,
	    "\nGET http://vpcflowd-proxy-test.invalid/echo?x=1 HTTP/1.1\r\n"));
	http_response_free(&r);
	http_client_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_post_keepalive_and_headers),
		cmocka_unit_test(test_host_header_is_ours),
		cmocka_unit_test(test_captured_headers),
		cmocka_unit_test(test_interim_response_forgotten),
		cmocka_unit_test(test_connection_close_reconnects),
		cmocka_unit_test(test_dropped_connection),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_redirect_not_followed),
		cmocka_unit_test(test_body_limit),
		cmocka_unit_test(test_error_text_has_no_url),
		cmocka_unit_test(test_abort_hook),
		cmocka_unit_test(test_tls_is_verified),
		cmocka_unit_test(test_bad_headers_refused),
		cmocka_unit_test(test_proxy_from_environment),
	};

	alarm(60);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
