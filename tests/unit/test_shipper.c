/*
 * Unit tests for shipper: batches, gzip, the classification of answers,
 * and deliveries against a scripted loopback server forked for each test
 * (127.0.0.1, port 0, plain HTTP). The server answers request i with
 * script[i] and records every request in a file, so the tests see what
 * went on the wire; stderr is captured to prove the token never shows.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* strcasestr */
#endif
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <zlib.h>

#include "buf.h"
#include "log.h"
#include "clock.h"
#include "shipper.h"

#define TOKEN		"tok-S3CRET+/=&x y"
#define TOKEN_ENC	"tok-S3CRET%2B%2F%3D%26x%20y"
#define TOKEN2		"second-T0KEN-value"
#define TYPE		"vpc flow"
#define MAX_REQS	512

enum how { ANSWER, DROP, STALL };

/* One scripted answer; repeat: the last one is used for ever after. */
struct act {
	int		 status;
	const char	*body;
	enum how	 how;
	int		 repeat;
};

/* A request as the server saw it (body decompressed when gzip). */
struct req {
	char		 target[512];
	char		 ctype[64];
	int		 gzip;
	struct buf	 body;
};

struct env {
	char		 dir[64];
	char		 rejected[96];
	char		 dump[96];
	pid_t		 pid;
	int		 port;
	int		 saved_err;
	struct shipper	*s;
	struct batch	 b;
	struct buf	 err;		/* what was logged */
	volatile int	 stop;
	int		 calls;		/* of wait_cb */
	const char	*new_token;	/* wait_cb: set at the first call */
	int		 stop_at;	/* wait_cb: set stop at this call */
	int64_t		 last_call_ms, max_gap_ms;	/* between wait_cb calls */
	int		 keepalives;	/* calls of the keepalive callback */
	struct req	 reqs[MAX_REQS];
	size_t		 nreqs;
};

static const struct act unscripted = { 200, "", ANSWER, 0 };

/* -- the scripted server (child process) */

/* One request (head and Content-Length body) appended to req; -1 at EOF. */
static int
read_one(FILE *in, struct buf *req)
{
	char *line = NULL;
	size_t cap = 0, clen = 0;
	ssize_t n;
	int rc = -1;

	buf_reset(req);
	while ((n = getline(&line, &cap, in)) > 0) {
		buf_add(req, line, (size_t)n);
		if (strncasecmp(line, "Content-Length:", 15) == 0)
			clen = strtoul(line + 15, NULL, 10);
		if (strcmp(line, "\r\n") == 0) {
			rc = 0;
			break;
		}
	}
	free(line);
	if (rc == 0 && clen > 0) {
		buf_grow(req, clen);
		if (fread(req->data + req->len, 1, clen, in) != clen)
			return -1;
		req->len += clen;
		req->data[req->len] = '\0';
	}
	return rc;
}

/* Requests of one connection, answered from script[*i] on. */
static void
serve_conn(int fd, const struct act *script, size_t n, size_t *i, int dfd)
{
	static const struct linger rst = { 1, 0 };
	FILE *in = fdopen(fd, "r");
	struct buf req = BUF_INIT, out = BUF_INIT;
	const struct act *a;

	while (read_one(in, &req) == 0) {
		dprintf(dfd, "%zu\n", req.len);
		assert_int_equal(write(dfd, req.data, req.len), (ssize_t)req.len);
		if (*i < n)
			a = &script[(*i)++];
		else
			a = n > 0 && script[n - 1].repeat ? &script[n - 1] :
			    &unscripted;
		if (a->how == DROP) {
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
			break;
		}
		if (a->how == STALL) {
			while (fgetc(in) != EOF)	/* until the client gives up */
				;
			break;
		}
		buf_reset(&out);
		buf_printf(&out, "HTTP/1.1 %d X\r\nContent-Type: application/json"
		    "\r\nContent-Length: %zu\r\n\r\n%s", a->status,
		    strlen(a->body), a->body);
		assert_int_equal(write(fd, out.data, out.len), (ssize_t)out.len);
	}
	buf_free(&req);
	buf_free(&out);
	fclose(in);
}

static void
server_start(struct env *e, const struct act *script, size_t n)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	size_t i = 0;
	int lfd, fd, dfd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((lfd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	e->port = ntohs(sin.sin_port);
	unlink(e->dump);	/* server_stop adds what this server records */
	assert_true((e->pid = fork()) >= 0);
	if (e->pid == 0) {
		alarm(30);	/* never outlive a broken test */
		dfd = open(e->dump, O_WRONLY | O_CREAT | O_APPEND, 0600);
		for (;;)
			if ((fd = accept(lfd, NULL, NULL)) >= 0)
				serve_conn(fd, script, n, &i, dfd);
	}
	close(lfd);
}

/* -- reading what the server recorded */

static void
gunzip(struct buf *out, const char *in, size_t len)
{
	z_stream z;
	char chunk[16384];
	int rc;

	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	do {
		z.next_out = (Bytef *)chunk;
		z.avail_out = sizeof(chunk);
		rc = inflate(&z, Z_NO_FLUSH);
		assert_true(rc == Z_OK || rc == Z_STREAM_END);
		buf_add(out, chunk, sizeof(chunk) - z.avail_out);
	} while (rc != Z_STREAM_END);
	assert_int_equal(z.avail_in, 0);	/* nothing after the stream */
	inflateEnd(&z);
}

/* Stop the server and parse its record of requests into e->reqs. */
static void
server_stop(struct env *e)
{
	struct buf raw = BUF_INIT;
	struct req *r;
	const char *p, *end, *body, *v;
	char *next;
	size_t len;

	if (e->pid <= 0)
		return;
	kill(e->pid, SIGTERM);
	waitpid(e->pid, NULL, 0);
	e->pid = 0;
	if (buf_read_file(&raw, e->dump) == -1 || raw.len == 0) {
		buf_free(&raw);
		return;
	}
	for (p = raw.data, end = p + raw.len; p < end; p += len) {
		len = strtoul(p, &next, 10);
		p = next + 1;
		assert_true(e->nreqs < MAX_REQS);
		r = &e->reqs[e->nreqs++];
		assert_non_null(body = strstr(p, "\r\n\r\n"));
		body += 4;
		assert_int_equal(sscanf(p, "POST %511s HTTP/1.1", r->target), 1);
		v = strcasestr(p, "\r\nContent-Encoding: gzip\r\n");
		r->gzip = v != NULL && v < body;
		if ((v = strcasestr(p, "\r\nContent-Type: ")) != NULL && v < body)
			sscanf(v + 16, "%63[^\r]", r->ctype);
		if (r->gzip)
			gunzip(&r->body, body, (size_t)(p + len - body));
		else
			buf_add(&r->body, body, (size_t)(p + len - body));
	}
	buf_free(&raw);
}

/* The decoded value of name in the query of a request target. */
static void
query_param(const char *target, const char *name, char *out, size_t outlen)
{
	const char *p = strchr(target, '?');
	size_t n = strlen(name), o = 0;
	unsigned hex;

	out[0] = '\0';
	while (p != NULL && *++p != '\0') {
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			for (p += n + 1; *p != '\0' && *p != '&' && o + 1 < outlen;
			    p++) {
				if (*p == '%' && sscanf(p + 1, "%2x", &hex) == 1) {
					out[o++] = (char)hex;
					p += 2;
				} else
					out[o++] = *p;
			}
			out[o] = '\0';
			return;
		}
		p = strchr(p, '&');
	}
}

/* -- fixtures */

static void
err_capture(struct env *e)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/stderr", e->dir);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	fflush(stderr);
	e->saved_err = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

/* Back to the real stderr; what was logged goes to e->err (and is shown). */
static void
err_release(struct env *e)
{
	char path[128];

	if (e->saved_err < 0)
		return;
	fflush(stderr);
	dup2(e->saved_err, STDERR_FILENO);
	close(e->saved_err);
	e->saved_err = -1;
	snprintf(path, sizeof(path), "%s/stderr", e->dir);
	buf_reset(&e->err);
	assert_int_equal(buf_read_file(&e->err, path), 0);
	if (e->err.len > 0)
		fprintf(stderr, "%s", e->err.data);
}

static void
remove_tree(const char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) == -1)
			remove_tree(path);
	}
	closedir(d);
	rmdir(dir);
}

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	strcpy(e->dir, "/tmp/test_shipper.XXXXXX");
	if (mkdtemp(e->dir) == NULL)
		return -1;
	snprintf(e->rejected, sizeof(e->rejected), "%s/rejected", e->dir);
	snprintf(e->dump, sizeof(e->dump), "%s/requests", e->dir);
	e->saved_err = -1;
	batch_init(&e->b);
	log_init(2);	/* trace: the token must not show even there */
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;
	size_t i;

	err_release(e);
	server_stop(e);
	shipper_free(e->s);
	batch_free(&e->b);
	buf_free(&e->err);
	for (i = 0; i < e->nreqs; i++)
		buf_free(&e->reqs[i].body);
	remove_tree(e->dir);
	free(e);
	return 0;
}

static void
wait_cb(void *arg)
{
	struct env *e = arg;
	int64_t now = clock_mono_ms();

	if (e->calls > 0 && now - e->last_call_ms > e->max_gap_ms)
		e->max_gap_ms = now - e->last_call_ms;
	e->last_call_ms = now;
	e->calls++;
	if (e->calls == 1 && e->new_token != NULL)
		shipper_set_token(e->s, e->new_token);
	if (e->stop_at > 0 && e->calls >= e->stop_at)
		e->stop = 1;
}

/* A shipper for the server of e, with test delays (ms). */
/* The keepalive callback: counts its calls in the env. */
static void
keepalive_cb(void *arg)
{
	((struct env *)arg)->keepalives++;
}

static void
make_shipper_grace(struct env *e, int compress, long timeout_ms,
    long shutdown_ms)
{
	struct shipper_opts o;
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", e->port);
	memset(&o, 0, sizeof(o));
	o.url = url;
	o.type = TYPE;
	o.compress = compress;
	o.timeout_ms = timeout_ms;
	o.rejected_dir = e->rejected;
	o.shutdown_ms = shutdown_ms;
	o.keepalive = keepalive_cb;
	o.keepalive_arg = e;
	assert_non_null(e->s = shipper_new(&o, TOKEN));
	shipper_set_delays_for_tests(e->s, 1, 5, 60000);
}

static void
make_shipper(struct env *e, int compress, long timeout_ms)
{
	make_shipper_grace(e, compress, timeout_ms, 0);
}

/* n documents {"event_id":"<first + i>","pad":"..."} of about size bytes. */
static void
add_docs(struct batch *b, int first, int n, size_t size)
{
	struct buf d = BUF_INIT;
	int i;

	for (i = 0; i < n; i++) {
		buf_reset(&d);
		buf_printf(&d, "{\"event_id\":\"%d\",\"pad\":\"", first + i);
		while (d.len + 2 < size)
			buf_addch(&d, 'x');
		buf_addstr(&d, "\"}");
		assert_int_equal(batch_add(b, d.data, d.len, 1000 + i), 0);
	}
	buf_free(&d);
}

/* Start the server, deliver e->b, stop the server: shipper_send's result. */
static int
run(struct env *e, const struct act *script, size_t n, int compress,
    long timeout_ms, int64_t deadline_ms)
{
	int rc;

	server_start(e, script, n);
	make_shipper(e, compress, timeout_ms);
	err_capture(e);
	rc = shipper_send(e->s, &e->b, &e->stop, deadline_ms, wait_cb, e);
	err_release(e);
	server_stop(e);
	return rc;
}

static void
assert_no_secret(const struct env *e)
{
	char host[64];

	assert_null(strstr(e->err.data ? e->err.data : "", TOKEN));
	assert_null(strstr(e->err.data ? e->err.data : "", TOKEN_ENC));
	assert_null(strstr(e->err.data ? e->err.data : "", TOKEN2));
	assert_null(strstr(e->err.data ? e->err.data : "", "token="));
	snprintf(host, sizeof(host), "127.0.0.1:%d", e->port);
	if (e->err.len > 0)
		assert_non_null(strstr(e->err.data, host));
}

/* Every request carries the token (or token2 from index swap) and type. */
static void
assert_query(const struct env *e, size_t swap)
{
	char v[128];
	size_t i;

	for (i = 0; i < e->nreqs; i++) {
		assert_int_equal(strncmp(e->reqs[i].target, "/?", 2), 0);
		query_param(e->reqs[i].target, "token", v, sizeof(v));
		assert_string_equal(v, i < swap ? TOKEN : TOKEN2);
		query_param(e->reqs[i].target, "type", v, sizeof(v));
		assert_string_equal(v, TYPE);
		assert_string_equal(e->reqs[i].ctype, "text/plain");
	}
}

static size_t
count_str(const char *hay, const char *needle)
{
	size_t n = 0;

	while (hay != NULL && (hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* -- pure parts */

static void
test_batch_fits(void **state)
{
	struct env *e = *state;
	struct batch *b = &e->b;

	assert_true(batch_fits(b, 5000, 100));		/* empty takes anything */
	assert_int_equal(batch_add(b, "0123456789", 10, 7), 0);	/* 11 bytes */
	assert_int_equal(b->opened_ms, 7);
	assert_true(batch_fits(b, 88, 100));		/* 11 + 89 = 100 */
	assert_false(batch_fits(b, 89, 100));
	assert_false(batch_fits(b, 0, 11));
	assert_true(batch_fits(b, 0, 12));
	assert_true(batch_fits(b, SHIPPER_MAX_LINE + 1, 100)); /* refused anyway */
	assert_int_equal(batch_add(b, "{}", 2, 9), 0);
	assert_int_equal(b->opened_ms, 7);
	assert_int_equal(b->ndocs, 2);
	assert_string_equal(b->docs.data, "0123456789\n{}\n");
	batch_clear(b);
	assert_int_equal(b->ndocs, 0);
	assert_int_equal(b->docs.len, 0);
	assert_true(batch_fits(b, 1, 0));
	/* Whatever the limit, a batch stops at SHIPPER_MAX_BODY bytes. */
	add_docs(b, 0, 19, SHIPPER_MAX_BODY / 20 - 1);
	assert_true(batch_fits(b, SHIPPER_MAX_BODY / 20 - 1, (size_t)-1));
	assert_false(batch_fits(b, SHIPPER_MAX_BODY / 20, (size_t)-1));
	add_docs(b, 0, 1, SHIPPER_MAX_BODY / 20 - 1);
	assert_int_equal(b->docs.len, SHIPPER_MAX_BODY);
	assert_false(batch_fits(b, 0, SHIPPER_MAX_BODY + 1));
}

static void
test_batch_oversized(void **state)
{
	struct env *e = *state;
	char *big = malloc(SHIPPER_MAX_LINE + 1);

	memset(big, 'a', SHIPPER_MAX_LINE + 1);
	err_capture(e);
	assert_int_equal(batch_add(&e->b, big, SHIPPER_MAX_LINE + 1, 1), -1);
	assert_int_equal(batch_add(&e->b, big, SHIPPER_MAX_LINE, 1), 0);
	err_release(e);
	assert_non_null(strstr(e->err.data, "500001 bytes"));
	assert_int_equal(e->b.ndocs, 1);
	assert_int_equal(e->b.oversized, 1);
	assert_int_equal(e->b.docs.len, SHIPPER_MAX_LINE + 1);
	/* An empty batch with one refused document: counted, nothing sent. */
	batch_clear(&e->b);
	assert_int_equal(batch_add(&e->b, big, SHIPPER_MAX_LINE + 5, 1), -1);
	e->port = 1;
	make_shipper(e, 1, 1000);
	assert_int_equal(shipper_send(e->s, &e->b, &e->stop, 0, NULL, NULL), 0);
	assert_int_equal(shipper_stats(e->s)->oversized_docs, 1);
	assert_int_equal(shipper_stats(e->s)->batches, 0);
	assert_int_equal(e->b.oversized, 0);
	free(big);
}

static void
test_gzip_roundtrip(void **state)
{
	struct buf in = BUF_INIT, gz = BUF_INIT, back = BUF_INIT;
	unsigned x = 1;
	size_t i;

	(void)state;
	assert_int_equal(shipper_gzip(&gz, "", 0, 1), 0);
	assert_true(gz.len >= 18);
	gunzip(&back, gz.data, gz.len);
	assert_int_equal(back.len, 0);
	for (i = 0; i < 3000000; i++) {	/* half text, half noise */
		x = x * 1103515245 + 12345;
		buf_addch(&in, i % 2 ? (char)(x >> 16) : "{\"a\":1}\n"[i % 8]);
	}
	buf_reset(&gz);
	buf_addstr(&gz, "prefix");	/* appended, not replaced */
	assert_int_equal(shipper_gzip(&gz, in.data, in.len, 1), 0);
	assert_memory_equal(gz.data, "prefix\x1f\x8b\x08", 9);
	buf_reset(&back);
	gunzip(&back, gz.data + 6, gz.len - 6);
	assert_int_equal(back.len, in.len);
	assert_memory_equal(back.data, in.data, in.len);
	buf_free(&in);
	buf_free(&gz);
	buf_free(&back);
}

static void
test_classify(void **state)
{
	static const char full[] = "{\"malformedLines\":2,\"successfulLines\":"
	    "10,\"oversizedLines\":3,\"emptyLogLines\":4}";
	static const char part[] = "{\"malformedLines\": 1, \"other\": \"x\"}";
	static const struct {
		long		 status;
		int		 transport;
		const char	*body;
		enum ship_result want;
	} cases[] = {
		{ 200, 0, "", SHIP_OK }, { 204, 0, NULL, SHIP_OK },
		{ 400, 0, full, SHIP_REJECTED }, { 400, 0, part, SHIP_REJECTED },
		{ 400, 0, "<html>Bad Request</html>", SHIP_RETRY },
		{ 400, 0, "{}", SHIP_RETRY }, { 400, 0, "[1]", SHIP_RETRY },
		{ 400, 0, "{\"malformedLines\":\"2\"}", SHIP_RETRY },
		{ 400, 0, NULL, SHIP_RETRY },
		{ 401, 0, "", SHIP_UNAUTHORIZED }, { 403, 0, "", SHIP_UNAUTHORIZED },
		{ 413, 0, "", SHIP_TOO_LARGE }, { 429, 0, "", SHIP_RETRY },
		{ 500, 0, "", SHIP_RETRY }, { 502, 0, "", SHIP_RETRY },
		{ 503, 0, "", SHIP_RETRY }, { 504, 0, "", SHIP_RETRY },
		{ 404, 0, "", SHIP_RETRY }, { 408, 0, "", SHIP_RETRY },
		{ 301, 0, "", SHIP_RETRY }, { 100, 0, "", SHIP_RETRY },
		{ 0, 1, NULL, SHIP_RETRY }, { 0, 0, NULL, SHIP_RETRY },
		{ 200, 1, NULL, SHIP_RETRY },
	};
	struct ship_counts c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&c, 0x55, sizeof(c));
		assert_int_equal(shipper_classify(cases[i].status,
		    cases[i].transport, cases[i].body, cases[i].body ?
		    strlen(cases[i].body) : 0, &c), cases[i].want);
		if (cases[i].body != full && cases[i].body != part)
			assert_int_equal(c.malformed + c.successful + c.oversized +
			    c.empty, -4);
	}
	shipper_classify(400, 0, full, strlen(full), &c);
	assert_int_equal(c.malformed, 2);
	assert_int_equal(c.successful, 10);
	assert_int_equal(c.oversized, 3);
	assert_int_equal(c.empty, 4);
	shipper_classify(400, 0, part, strlen(part), &c);
	assert_int_equal(c.malformed, 1);
	assert_int_equal(c.successful, -1);
	assert_int_equal(shipper_classify(400, 0, full, strlen(full), NULL),
	    SHIP_REJECTED);
}

static void
test_new_refuses(void **state)
{
	struct shipper_opts o;
	struct env *e = *state;
	static const char *bad[] = { "ftp://h", "listener.logz.io:8071",
	    "https://h/?token=x", "https://h/#f", "https://h x", NULL };
	size_t i;

	memset(&o, 0, sizeof(o));
	err_capture(e);
	o.url = "https://listener.logz.io:8071";
	assert_null(shipper_new(&o, NULL));
	assert_null(shipper_new(&o, ""));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.url = bad[i];
		assert_null(shipper_new(&o, TOKEN));
	}
	err_release(e);
	assert_null(strstr(e->err.data, "token=x"));
}

/* -- deliveries */

static void
test_retry_then_ok(void **state)
{
	static const struct act script[] = { { 503, "busy", ANSWER, 0 },
	    { 503, "", ANSWER, 0 }, { 200, "", ANSWER, 0 } };
	struct env *e = *state;
	size_t i;

	add_docs(&e->b, 1, 20, 200);
	assert_int_equal(run(e, script, 3, 1, 5000, 0), 0);
	assert_int_equal(e->nreqs, 3);
	assert_query(e, 3);
	for (i = 0; i < 3; i++) {
		assert_true(e->reqs[i].gzip);
		assert_int_equal(e->reqs[i].body.len, e->b.docs.len);
		assert_memory_equal(e->reqs[i].body.data, e->b.docs.data,
		    e->b.docs.len);
	}
	assert_int_equal(shipper_stats(e->s)->retries, 2);
	assert_int_equal(shipper_stats(e->s)->batches, 1);
	assert_int_equal(shipper_stats(e->s)->documents, 20);
	assert_true(shipper_stats(e->s)->bytes_sent < e->b.docs.len);
	assert_int_equal(e->b.done_docs, 20);
	assert_int_equal(e->b.done_off, e->b.docs.len);
	/* One warning for the first failure, none for the second. */
	assert_int_equal(count_str(e->err.data, "warning: "), 1);
	assert_non_null(strstr(e->err.data, "HTTP 503; sending again in"));
	assert_non_null(strstr(e->err.data, "delivering again after 2 failed"));
	assert_true(e->calls >= 2);
	assert_no_secret(e);
	/* Sent again, a settled batch needs no request. */
	assert_int_equal(shipper_send(e->s, &e->b, &e->stop, 0, NULL, NULL), 0);
}

static void
test_plain_body(void **state)
{
	static const struct act script[] = { { 200, "", ANSWER, 0 } };
	struct env *e = *state;

	add_docs(&e->b, 1, 3, 50);
	assert_int_equal(run(e, script, 1, 0, 5000, 0), 0);
	assert_int_equal(e->nreqs, 1);
	assert_false(e->reqs[0].gzip);
	assert_string_equal(e->reqs[0].body.data, e->b.docs.data);
	assert_query(e, 1);
	assert_int_equal(shipper_stats(e->s)->bytes_sent, e->b.docs.len);
}

static void
test_split_413(void **state)
{
	static const struct act script[] = { { 413, "", ANSWER, 0 },
	    { 200, "", ANSWER, 0 }, { 200, "", ANSWER, 0 } };
	struct env *e = *state;
	struct req *r = e->reqs;

	add_docs(&e->b, 1, 5, 100);
	assert_int_equal(run(e, script, 3, 1, 5000, 0), 0);
	assert_int_equal(e->nreqs, 3);
	assert_string_equal(r[0].body.data, e->b.docs.data);
	/* The halves: whole lines, in order, together the batch. */
	assert_int_equal(r[1].body.len + r[2].body.len, e->b.docs.len);
	assert_memory_equal(r[1].body.data, e->b.docs.data, r[1].body.len);
	assert_string_equal(r[2].body.data, e->b.docs.data + r[1].body.len);
	assert_int_equal(r[1].body.data[r[1].body.len - 1], '\n');
	assert_int_equal(strncmp(r[2].body.data, "{\"event_id\":", 12), 0);
	assert_true(r[1].body.len > 100 && r[2].body.len > 100);
	assert_int_equal(shipper_stats(e->s)->batches, 2);
	assert_int_equal(shipper_stats(e->s)->documents, 5);
	assert_int_equal(shipper_stats(e->s)->rejected_batches, 0);
	assert_int_equal(e->b.done_docs, 5);
	assert_no_secret(e);
}

/* The names in the rejected directory, sorted, joined by spaces. */
static void
list_rejected(const struct env *e, struct buf *out, size_t *n)
{
	struct dirent **names;
	int i, k;

	buf_reset(out);
	*n = 0;
	if ((k = scandir(e->rejected, &names, NULL, alphasort)) < 0)
		return;
	for (i = 0; i < k; i++) {
		if (names[i]->d_name[0] != '.') {
			buf_printf(out, "%s ", names[i]->d_name);
			(*n)++;
		}
		free(names[i]);
	}
	free(names);
}

static void
assert_rejected_file(const struct env *e, const char *name, const char *want)
{
	struct buf path = BUF_INIT, content = BUF_INIT;

	buf_printf(&path, "%s/%s", e->rejected, name);
	assert_int_equal(buf_read_file(&content, path.data), 0);
	assert_string_equal(content.data, want);
	buf_free(&path);
	buf_free(&content);
}

static void
test_413_single_document(void **state)
{
	static const struct act script[] = { { 413, "", ANSWER, 0 } };
	struct env *e = *state;
	struct buf names = BUF_INIT;
	size_t n;

	add_docs(&e->b, 7, 1, 300);
	assert_int_equal(run(e, script, 1, 1, 5000, 0), 0);
	assert_int_equal(e->nreqs, 1);
	assert_int_equal(shipper_stats(e->s)->rejected_batches, 1);
	assert_int_equal(shipper_stats(e->s)->rejected_lines, 1);
	assert_int_equal(shipper_stats(e->s)->batches, 0);
	list_rejected(e, &names, &n);
	assert_int_equal(n, 1);
	names.data[names.len - 1] = '\0';
	assert_rejected_file(e, names.data, e->b.docs.data);
	assert_non_null(strstr(e->err.data, "HTTP 413"));
	assert_no_secret(e);
	buf_free(&names);
}

static void
test_400_rejected(void **state)
{
	static const struct act script[] = { { 400, "{\"malformedLines\":1,"
	    "\"successfulLines\":3,\"oversizedLines\":0,\"emptyLogLines\":0}",
	    ANSWER, 0 } };
	struct env *e = *state;
	struct buf names = BUF_INIT;
	struct stat st;
	size_t n;

	add_docs(&e->b, 1, 4, 80);
	assert_int_equal(run(e, script, 1, 1, 5000, 0), 0);
	assert_int_equal(e->nreqs, 1);			/* not resent */
	assert_int_equal(e->b.done_docs, 4);
	assert_int_equal(shipper_stats(e->s)->rejected_batches, 1);
	assert_int_equal(shipper_stats(e->s)->rejected_lines, 1);
	assert_int_equal(shipper_stats(e->s)->retries, 0);
	list_rejected(e, &names, &n);
	assert_int_equal(n, 1);
	assert_int_equal(strncmp(names.data, "rejected-20", 11), 0);
	assert_non_null(strstr(names.data, "Z-000001.ndjson "));
	names.data[names.len - 1] = '\0';
	assert_rejected_file(e, names.data, e->b.docs.data);	/* uncompressed */
	assert_int_equal(stat(e->rejected, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_non_null(strstr(e->err.data, "(324 bytes; HTTP 400: malformedLines 1, "
	    "successfulLines 3, oversizedLines 0, emptyLogLines 0): kept in "));
	assert_non_null(strstr(e->err.data, names.data));
	assert_no_secret(e);
	buf_free(&names);
}

static void
test_400_without_counts_is_retried(void **state)
{
	static const struct act script[] = { { 400, "<html>proxy</html>",
	    ANSWER, 0 }, { 200, "", ANSWER, 0 } };
	struct env *e = *state;

	add_docs(&e->b, 1, 2, 80);
	assert_int_equal(run(e, script, 2, 0, 5000, 0), 0);
	assert_int_equal(e->nreqs, 2);
	assert_int_equal(shipper_stats(e->s)->rejected_batches, 0);
	assert_int_equal(shipper_stats(e->s)->batches, 1);
}

static void
test_rejected_dir_bounded(void **state)
{
	static const struct act script[] = { { 400, "{\"malformedLines\":2}",
	    ANSWER, 1 } };
	struct env *e = *state;
	struct buf names = BUF_INIT;
	struct shipper_opts o;
	char url[64];
	size_t n;
	int i;

	server_start(e, script, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", e->port);
	memset(&o, 0, sizeof(o));
	o.url = url;
	o.type = TYPE;
	o.rejected_dir = e->rejected;
	o.rejected_max = 500;	/* two batches of 2 x 120 bytes fit, not three */
	assert_non_null(e->s = shipper_new(&o, TOKEN));
	err_capture(e);
	for (i = 0; i < 4; i++) {
		batch_clear(&e->b);
		add_docs(&e->b, 10 * i, 2, 119);
		assert_int_equal(shipper_send(e->s, &e->b, &e->stop, 0, NULL,
		    NULL), 0);
	}
	err_release(e);
	server_stop(e);
	assert_int_equal(e->nreqs, 4);
	list_rejected(e, &names, &n);
	assert_int_equal(n, 2);
	assert_non_null(strstr(names.data, "-000003.ndjson "));
	assert_non_null(strstr(names.data, "-000004.ndjson "));
	assert_int_equal(count_str(e->err.data, "the oldest rejected batch"), 2);
	assert_non_null(strstr(e->err.data, "-000001.ndjson: deleted"));
	assert_int_equal(shipper_stats(e->s)->rejected_batches, 4);
	assert_int_equal(shipper_stats(e->s)->rejected_lines, 8);
	assert_no_secret(e);
	buf_free(&names);
}

static void
test_401_then_new_token(void **state)
{
	static const struct act script[] = { { 401, "", ANSWER, 0 },
	    { 200, "", ANSWER, 0 } };
	struct env *e = *state;

	add_docs(&e->b, 1, 3, 100);
	e->new_token = TOKEN2;
	/* The 401 wait is 60 s: only the new token ends it early. */
	assert_int_equal(run(e, script, 2, 1, 5000, 0), 0);
	assert_int_equal(e->nreqs, 2);
	assert_query(e, 1);
	assert_int_equal(e->calls, 1);
	assert_non_null(strstr(e->err.data, "error: "));
	assert_non_null(strstr(e->err.data, "refused the token (HTTP 401)"));
	assert_non_null(strstr(e->err.data, "token_file"));
	assert_non_null(strstr(e->err.data, "systemctl reload"));
	assert_non_null(strstr(e->err.data, "the token is accepted"));
	assert_int_equal(shipper_stats(e->s)->retries, 1);
	assert_int_equal(shipper_stats(e->s)->batches, 1);
	assert_no_secret(e);
}

static void
test_403_is_unauthorized(void **state)
{
	static const struct act script[] = { { 403, "", ANSWER, 0 } };
	struct env *e = *state;

	add_docs(&e->b, 1, 1, 100);
	e->stop_at = 1;
	assert_int_equal(run(e, script, 1, 1, 5000, 0), 1);
	assert_int_equal(e->nreqs, 1);
	assert_non_null(strstr(e->err.data, "refused the token (HTTP 403)"));
	assert_no_secret(e);
}

/* Now on the clock of deadline_ms. */
static int64_t
mono_now(void)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return ts.tv_sec * (int64_t)1000 + ts.tv_nsec / 1000000;
}

static void
test_stop_with_deadline(void **state)
{
	static const struct act script[] = { { 503, "", ANSWER, 1 } };
	static const struct act stall[] = { { 0, "", STALL, 0 } };
	struct env *e = *state;
	size_t before;

	add_docs(&e->b, 1, 3, 100);
	e->stop = 1;
	server_start(e, script, 1);
	make_shipper(e, 1, 5000);
	/* Stopping: attempts go on until the deadline, then 1. */
	err_capture(e);
	assert_int_equal(shipper_send(e->s, &e->b, &e->stop, mono_now() + 300,
	    wait_cb, e), 1);
	err_release(e);
	server_stop(e);
	assert_true(e->nreqs >= 1);
	assert_int_equal(e->b.done_docs, 0);
	assert_int_equal(shipper_stats(e->s)->batches, 0);
	assert_no_secret(e);
	/* Deadline 0: no attempt at all once stop is set. */
	before = e->nreqs;
	server_start(e, script, 1);
	assert_int_equal(shipper_send(e->s, &e->b, &e->stop, 0, NULL, NULL), 1);
	server_stop(e);
	assert_int_equal(e->nreqs, before);
	/* A request started while stopping ends at the deadline. */
	server_start(e, stall, 1);
	shipper_free(e->s);
	make_shipper(e, 1, 60000);
	err_capture(e);
	assert_int_equal(shipper_send(e->s, &e->b, &e->stop, mono_now() + 300,
	    NULL, NULL), 1);
	err_release(e);
	server_stop(e);
	assert_int_equal(e->nreqs, before + 1);
	assert_non_null(strstr(e->err.data, "timed out"));
	before = e->nreqs;
	/* A deadline already past: none either. */
	server_start(e, script, 1);
	assert_int_equal(shipper_send(e->s, &e->b, &e->stop, mono_now() - 1,
	    NULL, NULL), 1);
	server_stop(e);
	assert_int_equal(e->nreqs, before);
}

static void *
stop_later(void *arg)
{
	struct timespec ts = { 0, 150 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	((struct env *)arg)->stop = 1;
	return NULL;
}

/*
 * SIGTERM while a request is in flight (the listener stalls, the timeout is
 * a minute): it goes on for shutdown_ms after the shipper saw stop, then it
 * is abandoned, without a retry or a warning; the batch stays the caller's.
 */
static void
test_stop_in_flight(void **state)
{
	static const struct act stall[] = { { 0, "", STALL, 0 } };
	struct env *e = *state;
	int64_t started, seen;
	pthread_t t;

	add_docs(&e->b, 1, 3, 100);
	server_start(e, stall, 1);
	make_shipper_grace(e, 1, 60000, 400);
	assert_int_equal(shipper_stop_seen_ms(e->s), 0);
	err_capture(e);
	started = mono_now();
	assert_int_equal(pthread_create(&t, NULL, stop_later, e), 0);
	assert_int_equal(shipper_send(e->s, &e->b, &e->stop, 0, NULL, NULL), 1);
	pthread_join(t, NULL);
	err_release(e);
	server_stop(e);
	seen = shipper_stop_seen_ms(e->s);
	assert_true(seen >= started + 100);
	assert_true(mono_now() >= seen + 400);
	assert_int_equal(e->nreqs, 1);
	assert_int_equal(e->b.done_docs, 0);
	assert_int_equal(shipper_stats(e->s)->retries, 0);
	assert_true(e->keepalives >= 1);	/* a watchdog is fed meanwhile */
	assert_null(strstr(e->err.data ? e->err.data : "", "timed out"));
	assert_null(strstr(e->err.data ? e->err.data : "", "warning"));
}

/* Deliver e->b to a server answering status for ever; stop from wait_cb. */
static void
stop_while_waiting(struct env *e, int status, int stop_at)
{
	const struct act script[] = { { status, "", ANSWER, 1 } };

	add_docs(&e->b, 1, 3, 100);
	e->stop_at = stop_at;
	server_start(e, script, 1);
	make_shipper(e, 1, 5000);
	shipper_set_delays_for_tests(e->s, 60000, 60000, 60000);
	err_capture(e);
	assert_int_equal(shipper_send(e->s, &e->b, &e->stop, 0, wait_cb, e), 1);
	err_release(e);
	server_stop(e);
	assert_int_equal(e->nreqs, 1);
	assert_int_equal(e->calls, stop_at);
	assert_int_equal(e->b.done_docs, 0);
	assert_no_secret(e);
}

static void
test_stop_while_waiting(void **state)
{
	/* A backoff of up to 60 s: stop (from wait_cb) ends it. */
	stop_while_waiting(*state, 503, 1);
}

static void
test_wait_cb_often(void **state)
{
	struct env *e = *state;

	/*
	 * The 60 s wait after a 401: wait_cb comes every 200 ms meanwhile (a
	 * systemd watchdog of 1 s wants a ping every 0.5 s).
	 */
	stop_while_waiting(e, 401, 8);
	assert_true(e->max_gap_ms < 450);
}

static void
test_transport_errors(void **state)
{
	static const struct act script[] = { { 0, "", DROP, 0 },
	    { 0, "", STALL, 0 }, { 200, "", ANSWER, 0 } };
	struct env *e = *state;

	add_docs(&e->b, 1, 5, 100);
	assert_int_equal(run(e, script, 3, 1, 400, 0), 0);
	assert_int_equal(e->nreqs, 3);
	assert_int_equal(shipper_stats(e->s)->retries, 2);
	assert_int_equal(shipper_stats(e->s)->batches, 1);
	assert_string_equal(e->reqs[2].body.data, e->b.docs.data);
	assert_no_secret(e);
}

static void
test_connection_refused(void **state)
{
	struct env *e = *state;
	int fd;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	/* A port that was just free: nothing listens there. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	e->port = ntohs(sin.sin_port);
	close(fd);
	add_docs(&e->b, 1, 2, 100);
	make_shipper(e, 1, 1000);
	e->stop_at = 5;
	err_capture(e);
	assert_int_equal(shipper_send(e->s, &e->b, &e->stop, 0, wait_cb, e), 1);
	err_release(e);
	assert_true(shipper_stats(e->s)->retries >= 1);
	assert_int_equal(count_str(e->err.data, "warning: "), 1);
	assert_no_secret(e);
}

static void
test_resume_after_stop(void **state)
{
	static const struct act script[] = { { 413, "", ANSWER, 0 },
	    { 200, "", ANSWER, 0 }, { 503, "", ANSWER, 0 } };
	struct env *e = *state;
	size_t first;

	add_docs(&e->b, 1, 6, 100);
	e->stop_at = 1;
	/* 413, first half acknowledged, second half 503 and stop. */
	server_start(e, script, 3);
	make_shipper(e, 1, 5000);
	shipper_set_delays_for_tests(e->s, 60000, 60000, 60000);
	err_capture(e);
	assert_int_equal(shipper_send(e->s, &e->b, &e->stop, 0, wait_cb, e), 1);
	first = e->b.done_docs;
	assert_int_equal(first, 3);
	assert_int_equal(e->b.done_off, e->b.docs.len / 2);
	/* Sent again: only the rest goes (the server answers 200 now). */
	e->stop = 0;
	e->stop_at = 0;
	assert_int_equal(shipper_send(e->s, &e->b, &e->stop, 0, wait_cb, e), 0);
	err_release(e);
	server_stop(e);
	assert_int_equal(e->nreqs, 4);
	assert_string_equal(e->reqs[3].body.data, e->b.docs.data +
	    e->reqs[1].body.len);
	assert_string_equal(e->reqs[2].body.data, e->reqs[3].body.data);
	assert_int_equal(e->b.done_docs, 6);
	assert_int_equal(shipper_stats(e->s)->documents, 6);
	assert_no_secret(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_batch_fits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_oversized, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_gzip_roundtrip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_classify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_refuses, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_retry_then_ok, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_plain_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_413, setup, teardown),
		cmocka_unit_test_setup_teardown(test_413_single_document, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_400_rejected, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_400_without_counts_is_retried,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejected_dir_bounded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_401_then_new_token, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_403_is_unauthorized, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stop_with_deadline, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stop_in_flight, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stop_while_waiting, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wait_cb_often, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_transport_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_connection_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_resume_after_stop, setup,
		    teardown),
	};
	static const char *proxies[] = { "http_proxy", "https_proxy",
	    "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy",
	    "NO_PROXY", "JOURNAL_STREAM" };
	size_t i;

	/* Nothing may send the loopback traffic elsewhere or reformat logs. */
	for (i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
		unsetenv(proxies[i]);
	signal(SIGPIPE, SIG_IGN);
	alarm(120);	/* a wait that never ends fails the run */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
