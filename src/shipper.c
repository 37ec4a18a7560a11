/*
 * shipper: batches of documents to the Logz.io bulk listener
 * (include/shipper.h). One delivery walks the batch from its settled
 * prefix: each range is compressed once and sent until the listener
 * settles it; a 413 splits the range and delivers the halves in order, so
 * what is settled is always a prefix of the batch.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include "backoff.h"
#include "buf.h"
#include "clock.h"
#include "http.h"
#include "log.h"
#include "shipper.h"

/* Level 1: JSON still shrinks about tenfold, at a fraction of the CPU. */
#define SHIPPER_GZIP_LEVEL	1
#define SHIPPER_TIMEOUT_MS	30000
#define SHIPPER_CONNECT_MS	10000
#define SHIPPER_RESP_MAX	(1u << 20)	/* the listener answers in bytes */
#define SHIPPER_BACKOFF_BASE_MS	1000
#define SHIPPER_BACKOFF_CAP_MS	60000
#define SHIPPER_UNAUTH_MS	60000	/* between attempts after 401/403 */
#define SHIPPER_STEP_MS		100	/* sleeps while waiting */
#define SHIPPER_CB_MS		200	/* wait_cb this often (a 1 s watchdog: 0.5 s) */
#define SHIPPER_WARN_MS		60000	/* repeated failures: a warning a minute */
#define SHIPPER_DEFAULT_TYPE	"http-bulk"
#define SHIPPER_CONTENT_TYPE	"text/plain"	/* what Logz.io's senders use */

struct shipper {
	struct http_client	*http;
	struct http_client_opts	 ho;		/* how http was made */
	char			*ca_file;
	char			*base;		/* url without trailing '/' */
	char			*host;		/* host[:port], for messages */
	char			*type;
	char			*token;		/* secret: wiped */
	unsigned		 token_gen;	/* bumped by shipper_set_token */
	long			 shutdown_ms;
	void			(*keepalive)(void *);
	void			*keepalive_arg;
	int64_t			 stop_seen_ms;	/* a request in flight saw stop */
	struct send_ctx		*cur;		/* the shipper_send in progress */
	int			 compress;
	char			*rejected_dir;
	long			 rejected_max;
	unsigned		 rejected_seq;
	struct backoff		 bo;
	long			 unauth_ms;
	unsigned		 failures;	/* attempts failed in a row */
	int			 unauthorized;	/* the last failure was 401/403 */
	int64_t			 warned_ms;
	struct shipper_stats	 stats;
};

/* One call of shipper_send: what it waits with and when it gives up. */
struct send_ctx {
	struct shipper	*s;
	struct batch	*b;
	volatile int	*stop;
	int64_t		 deadline_ms;
	void		(*wait_cb)(void *);
	void		*wait_arg;
};

static void	log_error(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));

static void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_ERR, 0, fmt, ap);
	va_end(ap);
}

/* -- batches */

void
batch_init(struct batch *b)
{
	memset(b, 0, sizeof(*b));
	buf_init(&b->docs);
}

void
batch_free(struct batch *b)
{
	buf_free(&b->docs);
	batch_init(b);
}

void
batch_clear(struct batch *b)
{
	buf_reset(&b->docs);
	b->ndocs = b->done_docs = b->done_off = 0;
	b->opened_ms = 0;
	b->oversized = 0;
}

int
batch_fits(const struct batch *b, size_t len, size_t limit)
{
	if (limit > SHIPPER_MAX_BODY)
		limit = SHIPPER_MAX_BODY;
	if (b->ndocs == 0 || len > SHIPPER_MAX_LINE)
		return 1;
	/* len + 1 (the newline) <= limit - docs.len, without overflow */
	return b->docs.len < limit && len < limit - b->docs.len;
}

int
batch_add(struct batch *b, const char *doc, size_t len, int64_t now_ms)
{
	if (len > SHIPPER_MAX_LINE) {
		b->oversized++;
		log_warnx("a document of %zu bytes is over the %d-byte limit of "
		    "Logz.io: not sent", len, SHIPPER_MAX_LINE);
		return -1;
	}
	if (b->ndocs == 0)
		b->opened_ms = now_ms;
	buf_grow(&b->docs, len + 1);
	buf_add(&b->docs, doc, len);
	buf_addch(&b->docs, '\n');
	b->ndocs++;
	return 0;
}

/* -- pure helpers */

/*
 * One deflate stream in gzip framing (windowBits 15 + 16). Input is handed
 * over in pieces zlib's unsigned int can count; out grows as needed.
 */
int
shipper_gzip(struct buf *out, const char *in, size_t len, int level)
{
	z_stream z;
	size_t left = len, room;
	int rc;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	buf_grow(out, deflateBound(&z, len > UINT_MAX ? UINT_MAX : len));
	z.next_in = (Bytef *)(uintptr_t)in;
	for (;;) {
		if (z.avail_in == 0 && left > 0) {
			z.avail_in = left > UINT_MAX ? UINT_MAX : (uInt)left;
			left -= z.avail_in;
		}
		if (out->cap - out->len < 2)
			buf_grow(out, 1 << 16);
		room = out->cap - out->len - 1;
		z.next_out = (Bytef *)out->data + out->len;
		z.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
		rc = deflate(&z, left == 0 ? Z_FINISH : Z_NO_FLUSH);
		out->len = (size_t)((char *)z.next_out - out->data);
		out->data[out->len] = '\0';
		if (rc == Z_STREAM_END)
			break;
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			deflateEnd(&z);
			return -1;
		}
	}
	deflateEnd(&z);
	return 0;
}

/*
 * The counts of a 400 body; 0 if the body names at least one of them (an
 * answer of the Logz.io listener), -1 otherwise (some proxy's page).
 */
static int
parse_counts(const char *body, size_t len, struct ship_counts *c)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} fields[] = {
		{ "malformedLines", offsetof(struct ship_counts, malformed) },
		{ "successfulLines", offsetof(struct ship_counts, successful) },
		{ "oversizedLines", offsetof(struct ship_counts, oversized) },
		{ "emptyLogLines", offsetof(struct ship_counts, empty) },
	};
	json_t *root, *v;
	size_t i;
	int found = 0;

	if (body == NULL || (root = json_loadb(body, len, 0, NULL)) == NULL)
		return -1;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		v = json_object_get(root, fields[i].name);
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			continue;
		*(long *)(void *)((char *)c + fields[i].off) =
		    (long)json_integer_value(v);
		found = 1;
	}
	json_decref(root);
	return found ? 0 : -1;
}

/*
 * A 400 without any of the counts is not the listener's verdict on our
 * lines (a proxy, a wrong port): keep the batch and try again, loudly,
 * rather than file every batch away as rejected.
 */
enum ship_result
shipper_classify(long status, int transport_error, const char *body,
    size_t len, struct ship_counts *counts)
{
	struct ship_counts unused;

	if (counts == NULL)
		counts = &unused;
	counts->malformed = counts->successful = -1;
	counts->oversized = counts->empty = -1;
	if (transport_error || status <= 0)
		return SHIP_RETRY;
	if (status >= 200 && status <= 299)
		return SHIP_OK;
	switch (status) {
	case 400:
		return parse_counts(body, len, counts) == 0 ? SHIP_REJECTED :
		    SHIP_RETRY;
	case 401:
	case 403:
		return SHIP_UNAUTHORIZED;
	case 413:
		return SHIP_TOO_LARGE;
	default:
		return SHIP_RETRY;
	}
}

/* s percent-encoded: everything but the RFC 3986 unreserved characters. */
static void
add_query_value(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL)
			buf_addch(b, (char)c);
		else {
			buf_addch(b, '%');
			buf_addch(b, hex[c >> 4]);
			buf_addch(b, hex[c & 15]);
		}
	}
}

/* host[:port] of an http(s) URL, without any user information. */
static char *
url_host(const char *url)
{
	struct buf h = BUF_INIT;
	const char *p, *end, *at;

	p = strstr(url, "://") + 3;
	end = p + strcspn(p, "/?#");
	while ((at = memchr(p, '@', (size_t)(end - p))) != NULL)
		p = at + 1;
	buf_add(&h, p, (size_t)(end - p));
	return buf_detach(&h);
}

/* -- the shipper */

/*
 * The abort hook of the listener's requests (libcurl calls it at least once
 * a second): the keepalive callback runs; once stop is set, a request in
 * flight goes on until the deadline of the shipper_send, or without one for
 * shutdown_ms after this first saw stop; then it is abandoned.
 */
static int
abandon_request(void *arg)
{
	struct shipper *s = arg;
	const struct send_ctx *c = s->cur;
	int64_t now, limit;

	if (s->keepalive != NULL)
		s->keepalive(s->keepalive_arg);
	if (c == NULL || c->stop == NULL || !*c->stop)
		return 0;
	now = clock_mono_ms();
	if (s->stop_seen_ms == 0)
		s->stop_seen_ms = now;
	if (c->deadline_ms != 0)
		limit = c->deadline_ms;
	else if (s->shutdown_ms > 0)
		limit = s->stop_seen_ms + s->shutdown_ms;
	else
		return 0;
	return now >= limit;
}

int64_t
shipper_stop_seen_ms(const struct shipper *s)
{
	return s->stop_seen_ms;
}

struct shipper *
shipper_new(const struct shipper_opts *opts, const char *token)
{
	struct http_client_opts *ho;
	struct shipper *s;
	const char *url = opts->url;
	size_t n;

	if (token == NULL || *token == '\0') {
		log_warnx("logz.io: no token (logzio.token or token_file)");
		return NULL;
	}
	if (url == NULL || (strncmp(url, "https://", 8) != 0 &&
	    strncmp(url, "http://", 7) != 0) || strpbrk(url, "?# \t\r\n")) {
		log_warnx("logzio.url must be https://host[:port] (or http://), "
		    "without a query: vpcflowd adds the token and type");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("shipper");
	s->ca_file = buf_strdup(opts->ca_file);
	ho = &s->ho;
	ho->ca_file = s->ca_file;
	ho->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms :
	    SHIPPER_TIMEOUT_MS;
	ho->connect_timeout_ms = ho->timeout_ms < SHIPPER_CONNECT_MS ?
	    ho->timeout_ms : SHIPPER_CONNECT_MS;
	ho->max_body = SHIPPER_RESP_MAX;
	if ((s->http = http_client_new(ho)) == NULL) {
		free(s->ca_file);
		free(s);
		return NULL;
	}
	http_client_set_abort(s->http, abandon_request, s);
	s->shutdown_ms = opts->shutdown_ms;
	s->keepalive = opts->keepalive;
	s->keepalive_arg = opts->keepalive_arg;
	s->base = buf_strdup(url);
	for (n = strlen(s->base); n > 0 && s->base[n - 1] == '/'; n--)
		s->base[n - 1] = '\0';
	s->host = url_host(url);
	s->type = buf_strdup(opts->type != NULL && *opts->type != '\0' ?
	    opts->type : SHIPPER_DEFAULT_TYPE);
	s->token = buf_strdup(token);
	s->compress = opts->compress;
	if (opts->rejected_dir != NULL)
		s->rejected_dir = buf_strdup(opts->rejected_dir);
	s->rejected_max = opts->rejected_max > 0 ? opts->rejected_max :
	    SHIPPER_REJECTED_MAX;
	backoff_init(&s->bo, SHIPPER_BACKOFF_BASE_MS / 1000.0,
	    SHIPPER_BACKOFF_CAP_MS / 1000.0, backoff_seed());
	s->unauth_ms = SHIPPER_UNAUTH_MS;
	return s;
}

void
shipper_free(struct shipper *s)
{
	if (s == NULL)
		return;
	http_client_free(s->http);
	free(s->ca_file);
	buf_str_wipe_free(&s->token);
	free(s->base);
	free(s->host);
	free(s->type);
	free(s->rejected_dir);
	free(s);
}

void
shipper_set_token(struct shipper *s, const char *token)
{
	buf_str_wipe_free(&s->token);
	s->token = buf_strdup(token != NULL ? token : "");
	s->token_gen++;
}

const struct shipper_stats *
shipper_stats(const struct shipper *s)
{
	return &s->stats;
}

void
shipper_set_delays_for_tests(struct shipper *s, long base_ms, long cap_ms,
    long unauthorized_ms)
{
	backoff_init(&s->bo, base_ms / 1000.0, cap_ms / 1000.0, s->bo.rng);
	s->unauth_ms = unauthorized_ms;
}

/* -- rejected batches on disk */

static void
sync_dir(const char *dir)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	if (fsync(fd) == -1)
		log_warn("fsync %s", dir);
	close(fd);
}

/*
 * Keep p[0..len) as rejected_dir/rejected-<UTC time>-<seq>.ndjson: written
 * and synced under a temporary name, then linked to a name no file has yet
 * (link never overwrites), so readers never see half a batch. path gets
 * the name. 0, or -1 (logged).
 */
static int
keep_rejected(struct shipper *s, const char *p, size_t len, struct buf *path)
{
	struct buf tmp = BUF_INIT;
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	FILE *f;
	int fd, rc = -1, tries;

	if (mkdir(s->rejected_dir, 0700) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", s->rejected_dir);
		return -1;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	buf_printf(&tmp, "%s/.rejected-%ld.tmp", s->rejected_dir,
	    (long)getpid());
	if ((fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		log_warn("%s", tmp.data);
		if (fd != -1)
			close(fd);
		buf_free(&tmp);
		return -1;
	}
	if (fwrite(p, 1, len, f) != len || fflush(f) == EOF || fsync(fd) == -1)
		log_warn("%s", tmp.data);
	else
		rc = 0;
	fclose(f);
	for (tries = 0; rc == 0 && tries < 1000; tries++) {
		buf_reset(path);
		buf_printf(path, "%s/rejected-%s-%06u.ndjson", s->rejected_dir,
		    stamp, ++s->rejected_seq);
		if (link(tmp.data, path->data) == 0)
			break;
		if (errno != EEXIST || tries == 999) {
			log_warn("%s", path->data);
			rc = -1;
		}
	}
	unlink(tmp.data);
	buf_free(&tmp);
	if (rc == 0)
		sync_dir(s->rejected_dir);
	return rc;
}

struct rejected_file {
	char	*name;
	off_t	 size;
};

static int
rejected_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rejected_file *)a)->name,
	    ((const struct rejected_file *)b)->name);
}

/*
 * Delete the oldest rejected-*.ndjson files (their names start with the
 * UTC time) while the directory holds more than rejected_max bytes of
 * them; the newest one always stays.
 */
static void
prune_rejected(struct shipper *s)
{
	struct rejected_file *v = NULL, *nv;
	struct dirent *de;
	struct stat st;
	size_t n = 0, cap = 0, i, l;
	long long total = 0;
	DIR *d;

	if ((d = opendir(s->rejected_dir)) == NULL) {
		log_warn("%s", s->rejected_dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		l = strlen(de->d_name);
		if (strncmp(de->d_name, "rejected-", 9) != 0 || l < 16 ||
		    strcmp(de->d_name + l - 7, ".ndjson") != 0 ||
		    fstatat(dirfd(d), de->d_name, &st, 0) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				fatal("shipper");
			v = nv;
		}
		v[n].name = buf_strdup(de->d_name);
		v[n++].size = st.st_size;
		total += st.st_size;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), rejected_cmp);
	for (i = 0; i + 1 < n && total > s->rejected_max; i++) {
		if (unlinkat(dirfd(d), v[i].name, 0) == -1) {
			log_warn("%s/%s", s->rejected_dir, v[i].name);
			continue;
		}
		total -= v[i].size;
		log_warnx("%s/%s: deleted (%lld bytes), the oldest rejected "
		    "batch, to keep %s under %ld bytes", s->rejected_dir,
		    v[i].name, (long long)v[i].size, s->rejected_dir,
		    s->rejected_max);
	}
	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	closedir(d);
}

/* -- delivery */

static int
stopped(const struct send_ctx *c)
{
	return c->stop != NULL && *c->stop;
}

static int
giving_up(const struct send_ctx *c)
{
	return stopped(c) && (c->deadline_ms == 0 ||
	    clock_mono_ms() >= c->deadline_ms);
}

/*
 * Wait ms milliseconds in short sleeps, calling wait_cb first and then at
 * least every SHIPPER_CB_MS. Ends early on a new token, and on stop: at once
 * without a deadline, at the deadline otherwise.
 */
static void
pause_ms(struct send_ctx *c, int64_t ms)
{
	unsigned gen = c->s->token_gen;
	int64_t now = clock_mono_ms(), end = now + ms, last_cb = now - SHIPPER_CB_MS;
	int64_t step;
	struct timespec ts;

	for (;;) {
		if (stopped(c)) {
			if (c->deadline_ms == 0)
				return;
			if (end > c->deadline_ms)
				end = c->deadline_ms;
		}
		if (c->wait_cb != NULL && now - last_cb >= SHIPPER_CB_MS) {
			last_cb = now;
			c->wait_cb(c->wait_arg);
			continue;	/* it may have set stop or a token */
		}
		if (c->s->token_gen != gen || now >= end)
			return;
		step = end - now < SHIPPER_STEP_MS ? end - now : SHIPPER_STEP_MS;
		ts.tv_sec = (time_t)(step / 1000);
		ts.tv_nsec = (long)(step % 1000) * 1000000;
		nanosleep(&ts, NULL);
		now = clock_mono_ms();
	}
}

/*
 * The client for the next attempt: the kept-alive one, or, when stopping
 * with a deadline nearer than the timeout, a new one (*tmp, the caller
 * frees it) whose timeout ends at the deadline.
 */
static struct http_client *
attempt_client(const struct send_ctx *c, struct http_client **tmp)
{
	struct http_client_opts o = c->s->ho;
	int64_t left;

	*tmp = NULL;
	if (!stopped(c) || c->deadline_ms == 0 ||
	    (left = c->deadline_ms - clock_mono_ms()) >= o.timeout_ms)
		return c->s->http;
	o.timeout_ms = left > 1 ? (long)left : 1;
	if (o.connect_timeout_ms > o.timeout_ms)
		o.connect_timeout_ms = o.timeout_ms;
	if ((*tmp = http_client_new(&o)) == NULL)
		return c->s->http;
	return *tmp;
}

/*
 * One POST of body. why gets what happened, fit for a message ("HTTP 503"
 * or libcurl's error text, which holds no URL).
 */
static enum ship_result
attempt(const struct send_ctx *c, const char *body, size_t len,
    struct ship_counts *counts, char *why, size_t whylen, int *abandoned)
{
	const struct http_header h[] = {
		{ "Content-Type", SHIPPER_CONTENT_TYPE },
		{ "Content-Encoding", "gzip" },
	};
	struct shipper *s = c->s;
	struct http_client *http, *tmp;
	struct http_response resp;
	struct buf url = BUF_INIT;
	enum ship_result r;

	buf_addstr(&url, s->base);
	buf_addstr(&url, "/?token=");
	add_query_value(&url, s->token);
	buf_addstr(&url, "&type=");
	add_query_value(&url, s->type);
	http_response_init(&resp);
	http = attempt_client(c, &tmp);
	http_request(http, "POST", url.data, h, s->compress ? 2 : 1, body, len,
	    &resp);
	http_client_free(tmp);
	buf_wipe_free(&url);
	*abandoned = resp.aborted;
	r = shipper_classify(resp.status, resp.transport_error, resp.body.data,
	    resp.body.len, counts);
	if (resp.transport_error)
		snprintf(why, whylen, "%s", resp.error);
	else
		snprintf(why, whylen, "HTTP %ld", resp.status);
	log_trace("logz.io %s: POST of %zu bytes: %s", s->host, len, why);
	http_response_free(&resp);
	return r;
}

/* A failed attempt: count it, say so (as often as is useful), wait. */
static void
retry_wait(struct send_ctx *c, enum ship_result r, const char *why)
{
	struct shipper *s = c->s;
	int64_t now = clock_mono_ms(), delay;

	s->stats.retries++;
	s->failures++;
	s->unauthorized = r == SHIP_UNAUTHORIZED;
	if (r == SHIP_UNAUTHORIZED) {
		delay = s->unauth_ms;
		log_error("logz.io %s refused the token (%s): check logzio.token "
		    "(or token_file, token_kms, the systemd credential %s), then "
		    "run \"systemctl reload vpcflowd\"; the data is kept, next "
		    "try in %.1f s", s->host, why, "logzio-token",
		    delay / 1000.0);
	} else {
		delay = (int64_t)(backoff_next(&s->bo) * 1000);
		if (s->failures == 1)
			log_warnx("logz.io %s: %s; sending again in %.1f s "
			    "(then backing off up to %d s)", s->host, why,
			    delay / 1000.0, SHIPPER_BACKOFF_CAP_MS / 1000);
		else if (now - s->warned_ms >= SHIPPER_WARN_MS)
			log_warnx("logz.io %s: still failing after %u attempts "
			    "(last: %s); next try in %.1f s", s->host,
			    s->failures, why, delay / 1000.0);
		else
			log_debug("logz.io %s: %s; next try in %.1f s", s->host,
			    why, delay / 1000.0);
		if (s->failures == 1 || now - s->warned_ms >= SHIPPER_WARN_MS)
			s->warned_ms = now;
	}
	pause_ms(c, delay);
}

/* The listener answered for good: the failures in a row are over. */
static void
answered(struct shipper *s)
{
	if (s->failures > 0)
		log_notice("logz.io %s: %s after %u failed attempts", s->host,
		    s->unauthorized ? "the token is accepted" : "delivering again",
		    s->failures);
	s->failures = 0;
	s->unauthorized = 0;
	backoff_reset(&s->bo);
}

/*
 * The listener refused lines of p[0..len) (ndocs documents) for good:
 * log its counts, keep the batch on disk (bounded), count it.
 */
static void
rejected(struct shipper *s, const char *p, size_t len, size_t ndocs,
    const struct ship_counts *k, const char *why)
{
	const struct {
		const char	*name;
		long		 n;
	} c[] = { { "malformedLines", k->malformed },
	    { "successfulLines", k->successful },
	    { "oversizedLines", k->oversized }, { "emptyLogLines", k->empty } };
	struct buf path = BUF_INIT, counts = BUF_INIT;
	long refused = 0;
	size_t i;
	int kept = -1, said = 0;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (c[i].n < 0)
			continue;
		buf_printf(&counts, "%s %s %ld", counts.len ? "," : ":", c[i].name,
		    c[i].n);
		if (i != 1) {
			refused += c[i].n;
			said = 1;
		}
	}
	if (!said)
		refused = (long)ndocs;
	if (s->rejected_dir != NULL && (kept = keep_rejected(s, p, len,
	    &path)) == 0)
		prune_rejected(s);
	log_warnx("logz.io %s refused a batch of %zu document%s (%zu bytes; "
	    "%s%s): %s%s, not sent again", s->host, ndocs, ndocs == 1 ? "" :
	    "s", len, why, counts.data != NULL ? counts.data : "",
	    kept == 0 ? "kept in " : "could not keep it",
	    kept == 0 ? path.data : "");
	buf_free(&path);
	buf_free(&counts);
	s->stats.rejected_batches++;
	s->stats.rejected_lines += (uint64_t)refused;
}

/* Where to cut p[0..len), two documents or more, into halves. */
static size_t
split_point(const char *p, size_t len)
{
	const char *nl;
	size_t i;

	/* After the line that holds byte len/2 - 1, unless it is the last. */
	nl = memchr(p + len / 2 - 1, '\n', len - len / 2 + 1);
	if (nl != NULL && (size_t)(nl - p) + 1 < len)
		return (size_t)(nl - p) + 1;
	for (i = len / 2; i > 0 && p[i - 1] != '\n'; i--)
		;
	return i;
}

static size_t
count_lines(const char *p, size_t len)
{
	const char *end = p + len, *nl;
	size_t n = 0;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p = nl + 1;
	}
	return n;
}

/*
 * Deliver docs[off..off+len) (ndocs documents) until settled: 0, or 1 on
 * stop. The range is compressed once for all its attempts; 413 delivers
 * the two halves in order instead.
 */
static int
deliver(struct send_ctx *c, size_t off, size_t len, size_t ndocs)
{
	struct shipper *s = c->s;
	const char *p = c->b->docs.data + off, *body = p;
	struct ship_counts counts;
	struct buf gz = BUF_INIT;
	enum ship_result r;
	size_t body_len = len, half, first;
	char why[300];
	int rc = -1, abandoned;

	if (s->compress) {
		if (shipper_gzip(&gz, p, len, SHIPPER_GZIP_LEVEL) == -1)
			fatalx("zlib: cannot compress a batch");
		body = gz.data;
		body_len = gz.len;
	}
	while (rc == -1) {
		if (giving_up(c))
			rc = 1;
		else if ((r = attempt(c, body, body_len, &counts, why,
		    sizeof(why), &abandoned)) == SHIP_RETRY && abandoned)
			rc = 1;		/* stopping: its time is up */
		else if (r == SHIP_RETRY || r == SHIP_UNAUTHORIZED)
			retry_wait(c, r, why);
		else if (r == SHIP_TOO_LARGE && ndocs > 1)
			rc = 2;
		else {
			answered(s);
			if (r == SHIP_OK) {
				s->stats.batches++;
				s->stats.documents += ndocs;
				s->stats.bytes_sent += body_len;
			} else
				rejected(s, p, len, ndocs, &counts, why);
			c->b->done_off = off + len;
			c->b->done_docs += ndocs;
			rc = 0;
		}
	}
	buf_free(&gz);
	if (rc != 2)
		return rc;
	half = split_point(p, len);
	first = count_lines(p, half);
	log_info("logz.io %s: a request of %zu documents (%zu bytes) was too "
	    "large (HTTP 413); sending it in two halves", s->host, ndocs,
	    body_len);
	if ((rc = deliver(c, off, half, first)) != 0)
		return rc;
	return deliver(c, off + half, len - half, ndocs - first);
}

int
shipper_send(struct shipper *s, struct batch *b, volatile int *stop,
    int64_t deadline_ms, void (*wait_cb)(void *), void *wait_arg)
{
	struct send_ctx c = { s, b, stop, deadline_ms, wait_cb, wait_arg };
	int rc;

	s->stats.oversized_docs += b->oversized;
	b->oversized = 0;
	if (b->done_docs >= b->ndocs || b->done_off >= b->docs.len)
		return 0;
	s->cur = &c;
	rc = deliver(&c, b->done_off, b->docs.len - b->done_off,
	    b->ndocs - b->done_docs);
	s->cur = NULL;
	return rc;
}
